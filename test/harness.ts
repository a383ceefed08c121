/**
 * The test harness: every helper the suites share, and the only one.
 *
 *   HTTP      api(), typed from the client's OpenAPI paths · client(), the typed client itself · ok()
 *             · expectError() · errorOf() · walk() · nextPage() · openapiDocument() · timing(), a Server-Timing counter
 *             · unchecked() for a body the contract forbids · rawRequest() for bytes no client would send
 *   users     makeUser() through the API · fastUser()/fastUsers() straight into D1 · issueToken()
 *   teams     ROLES · teamWithRoles() · createTeam() · addMember() · newMember() · insertMemberships()
 *   roles     roleMatrix(): DESIGN.md's role table as tests, written once
 *   objects   createTask() · openSession() · closedSession() · createResource(), through the API
 *   SSE       parseSseBlock() · openStream(), the one event-stream reader
 *   queues    worker.queue()/scheduled() through the runtime · message() · deliver()
 *   D1 rows   countRows() · seedTasks() · insertSession() · insertReport() · fingerprint() · changedTables()
 *             · sessionsThroughBinding(), so a spy on env.DB sees the requests' D1 work
 *   waiting   waitFor() · until() · reportFigures()
 *
 * Every module's tests are grouped the same way:
 *   `<module>: happy path`  what a caller who may do it gets;
 *   `<module>: errors`      the caller's mistakes: invalid input (400), conflicts (409), what does not exist;
 *   `<module>: security`    who may not: 401, 403, 404 for what one may not see, roles, secrets, limits;
 * plus topical groups (`tasks: export`, …) where a subject needs its own.
 */
import { env, exports } from "cloudflare:workers";
import type { FetchResponse, RequestBodyOption } from "openapi-fetch";
import { expect, it, vi } from "vitest";
import { createApiClient, type ApiClient, type ErrorCode, type ErrorEnvelope, type paths, type Schemas } from "../client/index.ts";
import { hashPassword, newToken } from "../src/platform/crypto";
import type { QUEUES } from "../src/platform/queue-messages";

export type { ErrorEnvelope, Schemas };

// ─── HTTP, through the typed client ──────────────────────────────────────────────────────────────

export const BASE = "http://devfocus.test";

/** The Worker under test, called over HTTP inside workerd (what the global fetch of a client would reach). */
const workerFetch = (request: Request) => exports.default.fetch(request);

/** The typed API client (client/index.ts) aimed at the Worker: `client(token).GET("/api/tasks/{id}", …)`. */
export function client(token?: string, options: { baseUrl?: string; fetch?: (request: Request) => Promise<Response> } = {}): ApiClient {
  return createApiClient({ baseUrl: options.baseUrl ?? BASE, token, fetch: options.fetch ?? workerFetch });
}

type Verb = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
type Route = keyof paths;

type WithoutQuery<P extends string> = P extends `${infer A}?${string}` ? A : P extends `${infer A}#${string}` ? A : P;
type WithoutOrigin<P extends string> = P extends `http${string}://${string}/${infer R}` ? `/${R}` : P;
type WithoutSlash<P extends string> = P extends `${infer A}/` ? (A extends "" ? P : A) : P;
type Segments<P extends string> = P extends `${infer H}/${infer R}` ? [H, ...Segments<R>] : [P];
type SegmentsMatch<C extends string[], R extends string[]> = C extends [infer CH extends string, ...infer CR extends string[]]
  ? R extends [infer RH extends string, ...infer RR extends string[]]
    ? RH extends `{${string}}`
      ? CH extends "" ? false : SegmentsMatch<CR, RR>
      : CH extends RH ? SegmentsMatch<CR, RR> : false
    : false
  : R extends [] ? true : false;
type Concrete<P extends string> = WithoutSlash<WithoutQuery<WithoutOrigin<P>>>;

type IsUnion<T, U = T> = T extends unknown ? ([U] extends [T] ? false : true) : never;
/** T, or never when T is several things (a path with a `${string}` segment may match more than one route). */
type One<T> = true extends IsUnion<T> ? never : T;

type RouteOfOne<P extends string> = string extends Concrete<P>
  ? never
  : [Extract<Route, Concrete<P>>] extends [never]
    ? One<{ [R in Route]: SegmentsMatch<Segments<Concrete<P>>, Segments<R>> extends true ? R : never }[Route]>
    : One<Extract<Route, Concrete<P>>>;

/**
 * The OpenAPI path a concrete request path is an instance of: "/api/tasks/7/?x=1" → "/api/tasks/{id}",
 * "/api/tasks/export/" → "/api/tasks/export" (a literal segment wins over a parameter). `never` for a
 * path outside the contract, or one only known as `string`. A union of paths gives the union of routes.
 */
export type RouteOf<P extends string> = P extends string ? RouteOfOne<P> : never;

type OperationAt<R, V extends string> = R extends Route
  ? V extends string
    ? Lowercase<V> extends keyof paths[R]
      ? Exclude<paths[R][Lowercase<V> & keyof paths[R]], undefined>
      : never
    : never
  : never;
type Operation<P extends string, V extends string> = OperationAt<RouteOf<P>, V>;

/** The media type a request asks for: exports answer CSV unless the query asks for JSON. */
type MediaOf<P extends string> = P extends `${string}format=json${string}` ? "application/json" : P extends `${string}/export${string}` ? "text/csv" : `${string}/${string}`;

type Data<Op extends Record<string | number, any>, M extends `${string}/${string}`> = Exclude<FetchResponse<Op, {}, M>["data"], undefined>;
type OkOf<Op, M extends `${string}/${string}`> = [Op] extends [never]
  ? unknown
  : Op extends Record<string | number, any>
    ? [Data<Op, M>] extends [never] ? null : Data<Op, M>
    : unknown;

/**
 * The body of a 2xx answer to `verb path`, as the client types it (`null` for a 204); `unknown` for a path
 * outside the contract or a method the path does not have.
 */
export type OkBody<P extends string, V extends string> = OkOf<Operation<P, V>, MediaOf<P>>;

/** The JSON body the contract accepts for `verb path` (anything for a path outside it). */
export type RequestBody<P extends string, V extends string> = [Operation<P, V>] extends [never]
  ? unknown
  : RequestBodyOption<Operation<P, V>>["body"];

declare const UNCHECKED: unique symbol;
/** A body sent on purpose against the contract (a wrong enum, a missing field): see unchecked(). */
export interface Unchecked {
  readonly [UNCHECKED]: unknown;
}
const uncheckedBodies = new WeakMap<object, unknown>();
/**
 * Marks a request body the contract does not allow, so a test can send it through the typed api():
 * `api("/api/tasks/", { token, body: unchecked({ type: "EPIC" }) })`. The answer is still typed.
 */
export function unchecked(body: unknown): Unchecked {
  const box = {} as Unchecked;
  uncheckedBodies.set(box, body);
  return box;
}

export interface ApiResponse<T = unknown> {
  /** The request this answers: its method and URL. */
  method: string;
  url: string;
  status: number;
  headers: Headers;
  /** The parsed JSON body (the text itself when it is not JSON, null when empty), typed as the 2xx answer. */
  body: T;
  text: string;
}

export interface CallOptions {
  /** Defaults to POST with a body, GET without. */
  method?: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A body of the contract's type with no field the contract lacks (a typo fails to compile). */
type Checked<O, B> = unknown extends B ? B : O extends { body: infer G extends object } ? B & { [K in Exclude<keyof G, keyof NonNullable<B>>]: never } : B;

/** The verb a call uses: its method, else POST with a body and GET without. */
type VerbOf<O> = O extends { method: infer M extends string } ? Uppercase<M> : O extends { body: {} | null } ? "POST" : "GET";

/**
 * Calls the API through the typed client, over HTTP inside workerd, as a client would. The path is the
 * concrete one (ids, query and trailing slash included) or a full URL; the answer's body is typed from the
 * OpenAPI operation that path and method are an instance of, and the request body checked against it
 * (wrap a deliberately invalid one in unchecked()).
 */
export async function api<P extends string, const O extends CallOptions = {}>(
  path: P,
  opts?: O & { body?: Checked<O, RequestBody<P, VerbOf<O>>> | Unchecked },
): Promise<ApiResponse<OkBody<P, VerbOf<O>>>> {
  const { method, token, headers } = opts ?? {};
  let body: unknown = opts?.body;
  if (typeof body === "object" && body !== null && uncheckedBodies.has(body)) body = uncheckedBodies.get(body);
  const url = new URL(path, BASE);
  let answer: Response | undefined;
  const capture = async (request: Request) => {
    const res = await workerFetch(request);
    answer = res;
    return res.clone();
  };
  const verb = (method ?? (body !== undefined ? "POST" : "GET")).toUpperCase() as Verb;
  await client(token, { baseUrl: url.origin, fetch: capture }).request(
    verb.toLowerCase() as Lowercase<Verb>,
    `${url.pathname}${url.search}` as never,
    { body, headers, parseAs: "stream" } as never,
  );
  const res = answer!;
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: keep the text */
  }
  return { method: verb, url: url.href, status: res.status, headers: res.headers, body: parsed as OkBody<P, VerbOf<O>>, text };
}

/** What the assertions read of an answer, typed or raw. */
export type Answer = Pick<ApiResponse<unknown>, "status" | "body" | "text">;

/** Asserts a 2xx and returns the body. */
export async function ok<T>(res: Promise<ApiResponse<T>> | ApiResponse<T>, what = "request"): Promise<T> {
  const r = await res;
  if (r.status < 200 || r.status > 299) throw new Error(`${what} failed: ${r.status} ${r.text}`);
  return r.body;
}

/** Asserts the error envelope with this status and code (and a request id); the body is typed as the envelope after it. */
export function expectError<R extends Answer>(res: R, status: number, code: ErrorCode): asserts res is R & { body: ErrorEnvelope } {
  const body = res.body as Partial<ErrorEnvelope> | null;
  if (res.status !== status || body?.error?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${res.text}`);
  }
  if (typeof body.error.request_id !== "string" || !body.error.request_id) throw new Error("missing request_id");
}

/** The error envelope of an answer that must be an error (any status, any code): throws on a 2xx or a non-envelope. */
export function errorOf(res: Answer): ErrorEnvelope["error"] {
  const body = res.body as Partial<ErrorEnvelope> | null;
  if (res.status < 400 || typeof body?.error?.code !== "string") throw new Error(`expected an error, got ${res.status} ${res.text}`);
  return body.error;
}

type RowOf<B> = B extends { results: (infer R)[] } ? R : unknown;

/** A counter of an answer's Server-Timing header (`d1-queries`, `d1-rows-read`, `d1-rows-written`); NaN if absent. */
export function timing(answer: { headers: Headers }, metric: "d1-queries" | "d1-rows-read" | "d1-rows-written"): number {
  return Number(new RegExp(`${metric};desc="(\\d+)"`).exec(answer.headers.get("Server-Timing") ?? "")?.[1]);
}

/** Walks every page of a list, returning all rows, the number of pages and the most rows D1 read for one page. */
export async function walk<P extends string>(path: P, token: string): Promise<{ rows: RowOf<OkBody<P, "GET">>[]; pages: number; maxRowsRead: number }> {
  const rows: RowOf<OkBody<P, "GET">>[] = [];
  let url: string | null = path;
  let pages = 0;
  let maxRowsRead = 0;
  while (url) {
    const res: ApiResponse<unknown> = await api(url, { token });
    const page = res.body as { results?: RowOf<OkBody<P, "GET">>[]; next?: string | null } | null;
    if (res.status !== 200 || !Array.isArray(page?.results)) throw new Error(`list failed: ${res.status} ${res.text}`);
    rows.push(...page.results);
    maxRowsRead = Math.max(maxRowsRead, timing(res, "d1-rows-read"));
    url = page.next ?? null;
    pages++;
    if (pages > 10_000) throw new Error("pagination does not end");
  }
  return { rows, pages, maxRowsRead };
}

/** The page after `page` of a list (its `next` link), typed as `page`; throws on the last page. */
export async function nextPage<B extends { next: string | null }>(page: B, token: string): Promise<ApiResponse<B>> {
  if (!page.next) throw new Error("no next page");
  return (await api(page.next, { token })) as ApiResponse<B>;
}

/** What one raw request came back with; an event stream is opened, checked and cancelled, never read to its end. */
export interface RawResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when it is JSON: anything at all, since a raw request may get any answer. */
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

/**
 * Sends exactly what it is given (method, headers, bytes) to the Worker, bypassing the client: for the
 * requests no client would build (malformed JSON, bytes that are not UTF-8, wrong content types, unknown
 * methods). Its answer is untyped on purpose.
 */
export async function rawRequest(req: RawRequest): Promise<RawResponse> {
  const res = await workerFetch(new Request(new URL(req.path, BASE), { method: req.method, headers: req.headers, body: req.body }));
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

/** The OpenAPI document, typed as the one the client was generated from (`npm run client:check` keeps them equal). */
export type OpenApiDocument = typeof import("../client/openapi.json");

/** The OpenAPI document the Worker serves. */
export async function openapiDocument(): Promise<OpenApiDocument> {
  return (await ok(api("/api/openapi.json"), "GET /api/openapi.json")) as OpenApiDocument;
}

// ─── Users and tokens ────────────────────────────────────────────────────────────────────────────

export const PASSWORD = "correct horse battery";

let seq = 0;
const unique = () => `${Date.now().toString(36)}${(seq++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const randomByte = () => Math.floor(Math.random() * 250);

export interface TestUser {
  id: number;
  email: string;
  token: string;
}

/** Registers a fresh user through the API (each from its own client IP, so the auth rate limit never trips). */
export async function makeUser(extra: { name?: string; timezone?: string } = {}): Promise<TestUser> {
  const email = `user-${unique()}@example.com`;
  const res = await api("/api/auth/register/", {
    body: { email, password: PASSWORD, ...extra },
    headers: { "CF-Connecting-IP": `10.${seq % 250}.${randomByte()}.${randomByte()}` },
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
  return { id: res.body.user.id, email, token: res.body.token };
}

let passwordHash: Promise<string> | undefined;

/**
 * A user with a working token, written straight into D1: registering through the API costs a 100,000-round
 * PBKDF2 per user, too slow for the hundreds of users the concurrency tests need. The password is PASSWORD.
 */
export async function fastUser(extra: { name?: string; timezone?: string } = {}): Promise<TestUser> {
  passwordHash ??= hashPassword(PASSWORD);
  const email = `fast-${unique()}@example.com`;
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

/** A second named token for a user, through the API: its id and its value (shown this once). */
export async function issueToken(user: TestUser, body: { name: string; expires_at?: string }) {
  return ok(api("/api/auth/tokens/", { token: user.token, body }), "token");
}

// ─── Teams and roles ─────────────────────────────────────────────────────────────────────────────

export const ROLES = ["VIEWER", "MEMBER", "ADMIN", "OWNER"] as const;
export type Role = (typeof ROLES)[number];
export type TeamUsers = Record<Role | "OUTSIDER", TestUser>;
export type Team = Schemas["Team"];

/** A team owned by `owner`, made through the API, with `members` added through the API too. */
export async function createTeam(owner: TestUser, opts: { name?: string; slug?: string; members?: [TestUser, Role][] } = {}): Promise<Team> {
  const team = await ok(api("/api/teams/", { token: owner.token, body: { name: opts.name ?? "Team", ...(opts.slug ? { slug: opts.slug } : {}) } }), "team create");
  for (const [user, role] of opts.members ?? []) await addMember(team.id, owner, user, role);
  return team;
}

/** Adds `user` to a team with `role`, as `by` (through the API). */
export async function addMember(teamId: number, by: TestUser, user: TestUser, role: Role) {
  return ok(api(`/api/teams/${teamId}/members/`, { token: by.token, body: { email: user.email, role } }), `adding ${role}`);
}

/** A fresh user added to the team with `role` (someone other than the actor, so removing them is not "leaving"). */
export async function newMember(teamId: number, owner: TestUser, role: Role, extra: { name?: string } = {}): Promise<TestUser> {
  const u = await makeUser(extra);
  await addMember(teamId, owner, u, role);
  return u;
}

/** Memberships written straight into D1: no API call, so no member event is published. */
export async function insertMemberships(teamId: number, members: [TestUser, Role][]) {
  if (!members.length) return;
  await env.DB.batch(members.map(([u, role]) => env.DB.prepare("INSERT INTO memberships (team_id, user_id, role) VALUES (?, ?, ?)").bind(teamId, u.id, role)));
}

type BelowOwner = Exclude<Role, "OWNER">;

/**
 * A team with one user per role (each named after it, the owner "Owner") plus an outsider; `roles` picks
 * the members below OWNER (all three by default).
 */
export async function teamWithRoles<R extends BelowOwner = BelowOwner>(
  roles: readonly R[] = ["ADMIN", "MEMBER", "VIEWER"] as R[],
): Promise<{ team: Team; users: Record<R | "OWNER" | "OUTSIDER", TestUser> }> {
  const owner = await makeUser({ name: "Owner" });
  const team = await createTeam(owner, { name: "Acme Platform" });
  const users = { OWNER: owner } as Record<R | "OWNER" | "OUTSIDER", TestUser>;
  for (const role of roles) users[role] = await newMember(team.id, owner, role, { name: role });
  users.OUTSIDER = await makeUser();
  return { team, users };
}

/** What a role may do: the lowest role allowed, the status it gets, and the request. */
export interface RoleRow<C> {
  action: string;
  min: Role;
  ok: number;
  /** Set-up run before the database is fingerprinted (objects the call needs, made by anyone). */
  arrange?: (ctx: C & RoleContext) => Promise<Partial<C> | void>;
  call: (ctx: C & RoleContext) => Promise<{ status: number }>;
}
export interface RoleContext {
  team: Team;
  users: TeamUsers;
  actor: TestUser;
  who: Role | "OUTSIDER";
}

/**
 * DESIGN.md's role table as tests, one per row and caller: each role and an outsider tries each row's call
 * on a fresh team with one user per role (teamWithRoles, then `setup`). Roles from `min` up get `ok`, lower
 * roles 403, the outsider 404 (a team they may not see); and for every refused call no row of any table
 * changed (a D1 fingerprint before and after). Call inside a describe.
 */
export function roleMatrix<C extends object = {}>(rows: RoleRow<C>[], setup: (base: { team: Team; users: TeamUsers }) => Promise<C> = async () => ({}) as C) {
  for (const row of rows) {
    for (const who of [...ROLES, "OUTSIDER"] as const) {
      const allowed = who !== "OUTSIDER" && ROLES.indexOf(who) >= ROLES.indexOf(row.min);
      const expected = who === "OUTSIDER" ? 404 : allowed ? row.ok : 403;
      it(`${row.action}: ${who} → ${expected}`, async () => {
        const base = await teamWithRoles();
        let ctx = { ...(await setup(base)), ...base, actor: base.users[who], who } as C & RoleContext;
        if (row.arrange) ctx = { ...ctx, ...(await row.arrange(ctx)) };
        const before = await fingerprint();
        const res = await row.call(ctx);
        expect(res.status).toBe(expected);
        if (expected !== row.ok) expect(changedTables(before, await fingerprint()), "tables a refused call changed").toEqual([]);
      });
    }
  }
}

// ─── Objects through the API ─────────────────────────────────────────────────────────────────────

/** A task through the API (201 asserted); the task. */
export const createTask = (token: string, body: Schemas["CreateTaskRequest"]) => ok(api("/api/tasks/", { token, body }), "task create");

/** A dev session opened through the API (201 asserted); the session. */
export const openSession = (token: string, body: Schemas["CreateSessionRequest"] = {}) => ok(api("/api/sessions/", { token, body }), "session create");

/**
 * A session opened at `start` (ms), with switches `after` minutes in, closed `minutes` after the start,
 * every step asserted; the closed session.
 */
export async function closedSession(
  user: TestUser,
  start: number,
  minutes: number,
  switches: { after: number; reason?: Schemas["ContextSwitch"]["reason"] }[] = [],
  more: Omit<Schemas["CreateSessionRequest"], "started_at"> = {},
) {
  const iso = (ms: number) => new Date(ms).toISOString();
  const s = await openSession(user.token, { title: "s", ...more, started_at: iso(start) });
  for (const sw of switches) {
    await ok(api("/api/context-switches/", { token: user.token, body: { dev_session: s.id, happened_at: iso(start + sw.after * 60_000), reason: sw.reason } }), "switch");
  }
  return ok(api(`/api/sessions/${s.id}/close/`, { token: user.token, body: { ended_at: iso(start + minutes * 60_000) } }), "close");
}

/** A resource link through the API (201 asserted); the link. */
export const createResource = (token: string, body: Schemas["CreateResourceRequest"]) => ok(api("/api/resources/", { token, body }), "resource create");

// ─── Server-Sent Events ──────────────────────────────────────────────────────────────────────────

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

/** The snapshot frames every stream opens with, after `retry`. */
const SNAPSHOT_EVENTS = new Set(["reports", "insights"]);

/**
 * An event stream opened through the Worker and read frame by frame (the one SSE reader). One read is in
 * flight at a time: a read that outlives a timeout keeps its chunk for the next call.
 *   read(ms)        the next frame, null at the end of the stream, or "timeout"
 *   next(ms)        the next frame, or throws (timeout, end of stream)
 *   nextEvent(ms)   the next frame that is an event, past the opening snapshots and pings
 *   opening()       the opening frames: retry, then the reports and insights snapshots
 *   drain(ms)       every frame until `ms` pass without one (or the stream ends)
 *   expectSilence() throws if anything arrives for a while
 *   ends(ms)        true when the stream ends within `ms` (cancelled and false if not; throws if it errors)
 * `token` null sends no Authorization header: a browser's EventSource brings its cookie in `headers`.
 */
export async function openStream(path: string, token: string | null, headers: Record<string, string> = {}) {
  const auth: Record<string, string> = token === null ? {} : { Authorization: `Bearer ${token}` };
  const res = await workerFetch(new Request(new URL(path, BASE), { headers: { ...auth, ...headers } }));
  if (res.status !== 200 || !res.body) throw new Error(`stream failed: ${res.status} ${await res.text()}`);
  if (!(res.headers.get("Content-Type") ?? "").startsWith("text/event-stream")) throw new Error(`not an event stream: ${res.headers.get("Content-Type")}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let ended = false;
  let failure: unknown;
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;
  const chunk = () => (pending ??= reader.read());

  const read = async (timeoutMs = 3000): Promise<Frame | null | "timeout"> => {
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
      let got: ReadableStreamReadResult<Uint8Array> | "timeout";
      try {
        got = await Promise.race([chunk(), timeout]);
      } catch (err) {
        ended = true; // the stream errored (its hub went away): the same as its end for the client
        failure = err;
        pending = null;
        continue;
      } finally {
        clearTimeout(timer);
      }
      if (got === "timeout") return "timeout";
      pending = null;
      if (got.done) {
        ended = true;
        continue;
      }
      buffer += decoder.decode(got.value, { stream: true });
    }
  };
  const next = async (timeoutMs = 3000): Promise<Frame> => {
    const f = await read(timeoutMs);
    if (f === "timeout") throw new Error(`no frame within ${timeoutMs} ms`);
    if (f === null) throw new Error("stream ended");
    return f;
  };
  const nextEvent = async (timeoutMs = 3000): Promise<Frame> => {
    for (;;) {
      const f = await next(timeoutMs);
      if (f.event && !SNAPSHOT_EVENTS.has(f.event)) return f;
    }
  };
  const opening = async () => {
    const retry = await next();
    const reports = await next();
    const insights = await next();
    return { retry, reports, insights };
  };
  const drain = async (ms = 300): Promise<Frame[]> => {
    const frames: Frame[] = [];
    for (;;) {
      const f = await read(ms);
      if (f === null || f === "timeout") return frames;
      frames.push(f);
    }
  };
  const expectSilence = async (ms = 300) => {
    if (buffer.includes("\n\n")) throw new Error(`unexpected frame: ${buffer}`);
    const got = await Promise.race([chunk(), new Promise<"quiet">((r) => setTimeout(() => r("quiet"), ms))]);
    if (got !== "quiet") throw new Error(`unexpected data: ${got.done ? "end of stream" : decoder.decode(got.value)}`);
  };
  const cancel = () => reader.cancel().catch(() => undefined);
  const ends = async (ms = 3000): Promise<boolean> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const f = await read(Math.max(0, deadline - Date.now()));
      if (f === null) {
        if (failure !== undefined) throw failure;
        return true;
      }
      if (f === "timeout") {
        await cancel();
        return false;
      }
    }
  };
  return { res, read, next, nextEvent, opening, drain, expectSilence, ends, cancel };
}
export type EventStream = Awaited<ReturnType<typeof openStream>>;

// ─── Queues and the cron ─────────────────────────────────────────────────────────────────────────

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

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** The Worker's queue() and scheduled() handlers, run through the runtime (retry delays are reported). */
export const worker = exports.default as unknown as {
  queue(queue: QueueName, messages: TestMessage[]): Promise<QueueRunResult>;
  scheduled(opts: { scheduledTime?: Date; cron?: string }): Promise<unknown>;
};

/** One queue message as the runtime would deliver it. */
export const message = (body: unknown, attempts = 1, id: string = crypto.randomUUID()): TestMessage => ({ id, timestamp: new Date(), attempts, body });

/** Delivers bodies to a queue's consumer through the runtime; returns the message ids and what the consumer did. */
export async function deliver(queue: QueueName, bodies: unknown[], attempts = 1): Promise<{ ids: string[]; result: QueueRunResult }> {
  const messages = bodies.map((body) => message(body, attempts));
  const result = await worker.queue(queue, messages);
  return { ids: messages.map((m) => m.id), result };
}

// ─── D1 rows ─────────────────────────────────────────────────────────────────────────────────────

/**
 * Runs each request's D1 session (src/app.ts: `env.DB.withSession(…)`) through `env.DB` itself, so a test
 * that spies on `env.DB.prepare` or `env.DB.batch` (to inject a failure, or hold a write) sees the requests'
 * statements too. Local D1 has no replica: the primary answers either way; answers carry no bookmark while
 * it holds. Returns the spy (mockRestore() undoes it; vi.restoreAllMocks() too).
 */
export function sessionsThroughBinding() {
  const db = env.DB;
  const session = { prepare: (query: string) => db.prepare(query), batch: (statements: D1PreparedStatement[]) => db.batch(statements), getBookmark: () => null };
  return vi.spyOn(db, "withSession").mockImplementation(() => session as unknown as D1DatabaseSession);
}

/** The `n` of a `SELECT count(*) AS n …`. */
export const countRows = async (sql: string, ...binds: unknown[]) => (await env.DB.prepare(sql).bind(...binds).first<{ n: number }>())!.n;

export interface SeedTask {
  team_id?: number | null;
  title?: string;
  description?: string;
  type?: string;
  priority?: string;
  status?: string;
  external_source?: string;
  external_id?: string | null;
  external_key?: string | null;
  created_by: number;
  created_at?: string;
  updated_at?: string;
}
const SEED_COLUMNS = [
  "team_id", "title", "description", "type", "priority", "status", "external_source",
  "external_id", "external_key", "created_by", "created_at", "updated_at",
] as const;

/**
 * Inserts tasks straight into D1 (ties, volume, or rows the API would refuse), each statement binding at
 * most 100 parameters. Returns the new ids in insertion order.
 */
export async function seedTasks(rows: SeedTask[]): Promise<number[]> {
  const perStatement = Math.floor(100 / SEED_COLUMNS.length);
  const now = new Date().toISOString();
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    const placeholders = chunk.map(() => `(${SEED_COLUMNS.map(() => "?").join(",")})`).join(",");
    const values = chunk.flatMap((r) => [
      r.team_id ?? null, r.title ?? "Task", r.description ?? "", r.type ?? "FEATURE", r.priority ?? "MED",
      r.status ?? "TODO", r.external_source ?? "MANUAL", r.external_id ?? null, r.external_key ?? null,
      r.created_by, r.created_at ?? now, r.updated_at ?? r.created_at ?? now,
    ]);
    statements.push(env.DB.prepare(`INSERT INTO tasks (${SEED_COLUMNS.join(",")}) VALUES ${placeholders} RETURNING id`).bind(...values));
  }
  const ids: number[] = [];
  for (let i = 0; i < statements.length; i += 200) {
    for (const r of await env.DB.batch<{ id: number }>(statements.slice(i, i + 200))) ids.push(...r.results.map((row) => row.id));
  }
  return ids;
}

/** One task straight into D1; its id. */
export const insertTask = async (task: SeedTask) => (await seedTasks([task]))[0]!;

/** An open session straight into D1 (so a test depends only on the table, not the sessions API); its id. */
export async function insertSession(userId: number, teamId: number | null = null): Promise<number> {
  const row = await env.DB.prepare("INSERT INTO dev_sessions (user_id, team_id, title, started_at) VALUES (?, ?, 'Session', ?) RETURNING id")
    .bind(userId, teamId, new Date().toISOString())
    .first<{ id: number }>();
  return row!.id;
}

/** A DAILY report straight into D1, for a user (`user:<id>`) or a team (`team:<id>`); its id. */
export async function insertReport(ownerKey: string, userId: number | null, teamId: number | null, day: string, createdAt: string) {
  const row = await env.DB.prepare(
    `INSERT INTO reports (type, user_id, team_id, owner_key, period_start, period_end, timezone, payload, summary, created_at, updated_at)
     VALUES ('DAILY', ?, ?, ?, ?, ?, 'UTC', ?, ?, ?, ?) RETURNING id`,
  )
    .bind(userId, teamId, ownerKey, day, day, JSON.stringify({ date: day, totals: { sessions: 1 } }), `Summary of ${day}`, createdAt, createdAt)
    .first<{ id: number }>();
  return row!.id;
}

/** Tables whose rows a refused request must never change (rate_limits counts attempts by design). */
export const FINGERPRINT_TABLES = [
  "users",
  "api_tokens",
  "teams",
  "memberships",
  "tasks",
  "dev_sessions",
  "session_pauses",
  "session_tasks",
  "context_switches",
  "resource_links",
  "reports",
  "report_requests",
  "insights",
  "import_jobs",
  "import_job_pages",
  "heartbeats",
  "editor_state",
  "editor_projects",
] as const;

/** Columns a refused request may still write: a token's last_used_at is stamped by authentication itself. */
const VOLATILE_COLUMNS = new Set(["last_used_at"]);

function hashString(s: string, h = 2166136261): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/**
 * A fingerprint of every row of every table (content, not just counts): equal fingerprints mean no row
 * was added, removed or changed. Returns per-table row counts and hashes.
 */
export async function fingerprint(): Promise<Record<string, string>> {
  const results = await env.DB.batch(FINGERPRINT_TABLES.map((t) => env.DB.prepare(`SELECT * FROM ${t} ORDER BY rowid`)));
  const out: Record<string, string> = {};
  results.forEach((r, i) => {
    let h = 2166136261;
    const rows = r.results as Record<string, unknown>[];
    for (const row of rows) {
      for (const [k, v] of Object.entries(row)) if (!VOLATILE_COLUMNS.has(k)) h = hashString(`${k}=${String(v)}\u0001`, h);
      h = hashString("\u0002", h);
    }
    out[FINGERPRINT_TABLES[i]!] = `${rows.length}:${h.toString(16)}`;
  });
  return out;
}

/** The tables whose fingerprint differs between two snapshots. */
export function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys(before).filter((t) => before[t] !== after[t]);
}

// ─── Waiting, and figures ────────────────────────────────────────────────────────────────────────

/** Polls `check` every 10 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Polls `fn` every 100 ms until `done(value)`; returns the last value either way (the test asserts on it). */
export async function until<T>(fn: () => Promise<T>, done: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One JSON line the README's "Reliability" figures are collected from (`npx vitest run test/reliability --silent=false`). */
export function reportFigures(suite: string, figures: Record<string, unknown>) {
  // console.info is not spied on by any test: the line always reaches the reporter.
  console.info(`RELIABILITY ${JSON.stringify({ suite, ...figures })}`);
}
