import { exports } from "cloudflare:workers";

export const BASE = "http://devfocus.test";

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface CallOptions {
  method?: string;
  token?: string;
  body?: unknown;
  /** Sent as-is instead of JSON-encoding `body`. */
  raw?: BodyInit;
  headers?: Record<string, string>;
}

/** Calls the Worker over HTTP, in workerd, as a client would. */
export async function api<T = any>(path: string, opts: CallOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  let body: BodyInit | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["Content-Type"] ??= "application/json";
  }
  const res = await exports.default.fetch(
    new Request(path.startsWith("http") ? path : BASE + path, { method: opts.method ?? (body ? "POST" : "GET"), headers, body }),
  );
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

let seq = 0;
const unique = () => `${Date.now().toString(36)}${(seq++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export interface TestUser {
  id: number;
  email: string;
  token: string;
}

/** Registers a fresh user (each from its own client IP, so the auth rate limit never trips). */
export async function makeUser(extra: { name?: string; timezone?: string } = {}): Promise<TestUser> {
  const email = `user-${unique()}@example.com`;
  const res = await api("/api/auth/register/", {
    body: { email, password: "correct horse battery", ...extra },
    headers: { "CF-Connecting-IP": `10.${seq % 250}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` },
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
  return { id: res.body.user.id, email, token: res.body.token };
}

export function expectError(res: ApiResponse, status: number, code: string) {
  if (res.status !== status || res.body?.error?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${res.text}`);
  }
  if (typeof res.body.error.request_id !== "string" || !res.body.error.request_id) throw new Error("missing request_id");
}

/** Walks every page of a list, returning all rows and the number of pages. */
export async function walk<T = any>(path: string, token: string): Promise<{ rows: T[]; pages: number }> {
  const rows: T[] = [];
  let url: string | null = path;
  let pages = 0;
  while (url) {
    const res: ApiResponse = await api(url, { token });
    if (res.status !== 200) throw new Error(`list failed: ${res.status} ${res.text}`);
    rows.push(...res.body.results);
    url = res.body.next;
    pages++;
    if (pages > 10_000) throw new Error("pagination does not end");
  }
  return { rows, pages };
}

export interface QueueRunResult {
  outcome: string;
  ackAll: boolean;
  retryBatch: { retry: boolean; delaySeconds?: number };
  explicitAcks: string[];
  retryMessages: { msgId: string; delaySeconds?: number }[];
}
export interface TestMessage {
  id: string;
  timestamp: Date;
  attempts: number;
  body: unknown;
}

/** The Worker's queue() and scheduled() handlers, run through the runtime (retry delays are reported). */
export const worker = exports.default as unknown as {
  queue(queue: string, messages: TestMessage[]): Promise<QueueRunResult>;
  scheduled(opts: { scheduledTime?: Date; cron?: string }): Promise<unknown>;
};

export const ROLES = ["VIEWER", "MEMBER", "ADMIN", "OWNER"] as const;
export type Role = (typeof ROLES)[number];
export type TeamUsers = Record<Role | "OUTSIDER", TestUser>;

/** A team with one user per role (named after it) plus an outsider. */
export async function teamWithRoles(): Promise<{ team: { id: number; slug: string }; users: TeamUsers }> {
  const owner = await makeUser({ name: "Owner" });
  const team = (await api("/api/teams/", { token: owner.token, body: { name: "Acme Platform" } })).body;
  const users = { OWNER: owner } as TeamUsers;
  for (const role of ["ADMIN", "MEMBER", "VIEWER"] as const) {
    const u = await makeUser({ name: role });
    const res = await api(`/api/teams/${team.id}/members/`, { token: owner.token, body: { email: u.email, role } });
    if (res.status !== 201) throw new Error(`adding ${role} failed: ${res.status} ${res.text}`);
    users[role] = u;
  }
  users.OUTSIDER = await makeUser();
  return { team, users };
}

/** One Server-Sent Events frame. */
export interface Frame {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
  comment?: string;
}

/** Parses one SSE block (the text between blank lines); multi-line data is joined with "\n". */
export function parseSseBlock(block: string): Frame {
  const f: Frame = {};
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) f.comment = line.slice(1).trim();
    else {
      const i = line.indexOf(":");
      const field = line.slice(0, i) as keyof Frame;
      const value = line.slice(i + 1).replace(/^ /, "");
      f[field] = field === "data" && f.data !== undefined ? `${f.data}\n${value}` : value;
    }
  }
  return f;
}
