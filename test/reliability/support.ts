import { env, exports } from "cloudflare:workers";
import { hashPassword, newToken } from "../../src/platform/crypto";
import { api, BASE, parseSseBlock, type Frame, type TestUser } from "../helpers";

/** What one raw request came back with; an event stream is opened, checked and cancelled, never read to its end. */
export interface Sent {
  status: number;
  headers: Headers;
  body: any;
  text: string;
  stream: boolean;
}

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: BodyInit;
}

/** Sends exactly what it is given (method, headers, raw body) to the Worker, in workerd. */
export async function send(req: RawRequest): Promise<Sent> {
  const res = await exports.default.fetch(new Request(BASE + req.path, { method: req.method, headers: req.headers, body: req.body }));
  if ((res.headers.get("Content-Type") ?? "").startsWith("text/event-stream")) {
    await res.body?.cancel();
    return { status: res.status, headers: res.headers, body: null, text: "", stream: true };
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body, text, stream: false };
}

/** JSON request helper: `json("POST", path, token, body)`. */
export const json = (method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) =>
  api(path, { method, token, body, headers });

export const PASSWORD = "correct horse battery";
let passwordHash: Promise<string> | undefined;
let seq = 0;

/**
 * A user with a working token, written straight into D1: registering through the API costs a 100,000-round
 * PBKDF2 per user, too slow for the hundreds of users the concurrency tests need. The password is PASSWORD.
 */
export async function fastUser(extra: { name?: string; timezone?: string } = {}): Promise<TestUser> {
  passwordHash ??= hashPassword(PASSWORD);
  const email = `fast-${Date.now().toString(36)}-${(seq++).toString(36)}-${Math.random().toString(36).slice(2, 7)}@example.com`;
  const t = await newToken();
  const [, , user] = await env.DB.batch([
    env.DB.prepare("INSERT INTO users (email, name, password_hash, timezone) VALUES (?, ?, ?, ?)").bind(
      email,
      extra.name ?? "",
      await passwordHash,
      extra.timezone ?? "UTC",
    ),
    env.DB.prepare("INSERT INTO api_tokens (user_id, name, token_hash, prefix) SELECT id, 'default', ?, ? FROM users WHERE email = ?").bind(
      t.hash,
      t.prefix,
      email,
    ),
    env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(email),
  ]);
  return { id: (user!.results[0] as { id: number }).id, email, token: t.value };
}

export const fastUsers = (n: number) => Promise.all(Array.from({ length: n }, () => fastUser()));

/** A team owned by `owner` (through the API) with members added straight into D1. */
export async function teamWith(owner: TestUser, members: [TestUser, "VIEWER" | "MEMBER" | "ADMIN" | "OWNER"][] = [], name = "Reliability") {
  const res = await api("/api/teams/", { token: owner.token, body: { name } });
  if (res.status !== 201) throw new Error(`team create failed: ${res.status} ${res.text}`);
  const id = res.body.id as number;
  if (members.length) {
    await env.DB.batch(
      members.map(([u, role]) => env.DB.prepare("INSERT INTO memberships (team_id, user_id, role) VALUES (?, ?, ?)").bind(id, u.id, role)),
    );
  }
  return id;
}

/** Asserts a 2xx and returns the body. */
export async function ok<T = any>(res: Promise<{ status: number; text: string; body: T }> | { status: number; text: string; body: T }, what = "request"): Promise<T> {
  const r = await res;
  if (r.status < 200 || r.status > 299) throw new Error(`${what} failed: ${r.status} ${r.text}`);
  return r.body;
}

// ─── Server-Sent Events ──────────────────────────────────────────────────────────────────────

export type { Frame };

/** An event stream opened through the Worker, read frame by frame. `next()` resolves null when the stream ends. */
export async function openStream(path: string, token: string, headers: Record<string, string> = {}) {
  const res = await exports.default.fetch(new Request(BASE + path, { headers: { Authorization: `Bearer ${token}`, ...headers } }));
  if (res.status !== 200 || !res.body) throw new Error(`stream failed: ${res.status} ${await res.text()}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let ended = false;
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;
  const read = () => (pending ??= reader.read());
  /** The next frame, null at the end of the stream, or "timeout". */
  const next = async (timeoutMs = 3000): Promise<Frame | null | "timeout"> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        return parseSseBlock(block);
      }
      if (ended) return null;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), Math.max(0, deadline - Date.now()))));
      let chunk: ReadableStreamReadResult<Uint8Array> | "timeout";
      try {
        chunk = await Promise.race([read(), timeout]);
      } catch {
        ended = true; // the stream errored (its hub went away): the same as its end for the client
        pending = null;
        continue;
      } finally {
        clearTimeout(timer);
      }
      if (chunk === "timeout") return "timeout";
      pending = null;
      if (chunk.done) {
        ended = true;
        continue;
      }
      buffer += decoder.decode(chunk.value, { stream: true });
    }
  };
  /** Every frame until `ms` pass without one (or the stream ends). */
  const drain = async (ms = 300): Promise<Frame[]> => {
    const frames: Frame[] = [];
    for (;;) {
      const f = await next(ms);
      if (f === null || f === "timeout") return frames;
      frames.push(f);
    }
  };
  return { res, next, drain, cancel: () => reader.cancel().catch(() => undefined) };
}

export async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One JSON line the README's "Reliability" figures are collected from (`npx vitest run test/reliability --silent=false`). */
export function reportFigures(suite: string, figures: Record<string, unknown>) {
  // console.info is not spied on by any test: the line always reaches the reporter.
  console.info(`RELIABILITY ${JSON.stringify({ suite, ...figures })}`);
}
