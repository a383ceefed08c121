/**
 * Bad input everywhere: every operation of the OpenAPI document gets generated invalid and hostile inputs
 * (wrong types, missing and extra fields, empty and ~1 MB strings, unicode and NUL, bad ids, SQL and path
 * fragments, malformed cursors and orderings, bad dates and time zones, wrong content types, malformed JSON,
 * bad tokens, unknown methods). For every answer: never a 5xx (but the documented 503 of request-logs
 * without its secrets), always the error envelope with the request id, the invalid field named in a
 * validation error's details, and not one row changed by a refused request.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  api,
  BASE,
  changedTables,
  errorOf,
  fastUser,
  fingerprint,
  makeUser,
  ok,
  rawRequest,
  reportFigures,
  type RawResponse as Sent,
  type Schemas,
  type TestUser,
} from "../harness";
import { assertInvariants, invariantStats } from "./invariants";

// ─── The operations, from the served OpenAPI document ───────────────────────────────────────────

// The document as served, read as plain data: the generator walks whatever it declares.
const doc = (await api("/api/openapi.json")).body as {
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, any> };
};
interface Operation {
  method: string;
  path: string;
  key: string;
  op: any;
  public: boolean;
}
const operations: Operation[] = Object.entries(doc.paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({
    method: method.toUpperCase(),
    path,
    key: `${method.toUpperCase()} ${path}`,
    op,
    public: !op.security,
  })),
);

const resolve = (schema: any): any => (schema?.$ref ? doc.components.schemas[schema.$ref.split("/").pop()] : schema);

// ─── The world the inputs are aimed at ──────────────────────────────────────────────────────────

interface World {
  owner: TestUser;
  member: TestUser;
  stranger: TestUser;
  team: number;
  task: number;
  personalTask: number;
  session: number;
  pauseSession: number;
  resumeSession: number;
  closeSession: number;
  doneSession: number;
  switchId: number;
  resource: number;
  report: number;
  insight: number;
  reportRequest: number;
  importJob: number;
  revoked: string;
}
let w: World;

interface Call {
  params?: Record<string, string | number>;
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
  token?: string;
}

const DAY = "2026-01-30";
let emailSeq = 0;
const freshEmail = () => `fuzz-${Date.now().toString(36)}-${emailSeq++}@example.com`;
const randomIp = () => `198.51.${Math.floor(Math.random() * 255)}.${Math.floor(Math.random() * 255)}`;

/** A valid request for each operation: the inputs below are this request with one thing broken. */
const BASELINES: Record<string, (w: World) => Call> = {
  "GET /api/health": () => ({}),
  "POST /api/auth/register": () => ({ body: { email: freshEmail(), password: "correct horse battery" }, headers: { "CF-Connecting-IP": randomIp() } }),
  "POST /api/auth/login": (w) => ({ body: { email: w.owner.email, password: "correct horse battery" }, headers: { "CF-Connecting-IP": randomIp() } }),
  "GET /api/auth/me": () => ({}),
  "PATCH /api/auth/me": () => ({ body: { name: "Fuzzed" } }),
  "GET /api/auth/tokens": () => ({}),
  "POST /api/auth/tokens": () => ({ body: { name: "cli" } }),
  "DELETE /api/auth/tokens/{id}": () => ({ params: { id: 1 } }),
  "POST /api/auth/logout": () => ({}),
  "POST /api/auth/session": (w) => ({ body: { email: w.member.email, password: "correct horse battery" }, headers: { "CF-Connecting-IP": randomIp(), Origin: BASE } }),
  "POST /api/auth/session/register": () => ({ body: { email: freshEmail(), password: "correct horse battery" }, headers: { "CF-Connecting-IP": randomIp(), Origin: BASE } }),
  "DELETE /api/auth/session": () => ({}),
  "GET /api/auth/sessions": () => ({}),
  "DELETE /api/auth/sessions/{id}": () => ({ params: { id: 1 } }),
  "GET /api/request-logs": () => ({ query: { page_size: "10" } }),
  "GET /api/teams": () => ({ query: { ordering: "name" } }),
  "POST /api/teams": () => ({ body: { name: "Fuzz team" } }),
  "GET /api/teams/{id}": (w) => ({ params: { id: w.team } }),
  "PATCH /api/teams/{id}": (w) => ({ params: { id: w.team }, body: { name: "Renamed" } }),
  "DELETE /api/teams/{id}": (w) => ({ params: { id: w.team } }),
  "GET /api/teams/{id}/members": (w) => ({ params: { id: w.team }, query: { page_size: "5" } }),
  "POST /api/teams/{id}/members": (w) => ({ params: { id: w.team }, body: { email: w.stranger.email, role: "VIEWER" } }),
  "PATCH /api/teams/{id}/members/{user_id}": (w) => ({ params: { id: w.team, user_id: w.member.id }, body: { role: "MEMBER" } }),
  "DELETE /api/teams/{id}/members/{user_id}": (w) => ({ params: { id: w.team, user_id: w.member.id } }),
  "POST /api/tasks/import_github": (w) => ({ body: { owner: "acme", repo: "widgets", team_id: w.team } }),
  "GET /api/tasks": (w) => ({ query: { team: String(w.team), ordering: "-priority" } }),
  "POST /api/tasks": (w) => ({ body: { title: "Fuzz task", team: w.team } }),
  "GET /api/tasks/export": () => ({ query: { format: "json" } }),
  "GET /api/tasks/{id}": (w) => ({ params: { id: w.task } }),
  "PATCH /api/tasks/{id}": (w) => ({ params: { id: w.task }, body: { title: "Renamed task" } }),
  "DELETE /api/tasks/{id}": (w) => ({ params: { id: w.task } }),
  "GET /api/imports": (w) => ({ query: { team: String(w.team) } }),
  "GET /api/imports/{id}": (w) => ({ params: { id: w.importJob } }),
  "GET /api/resources": () => ({ query: { search: "example" } }),
  "POST /api/resources": (w) => ({ body: { task: w.task, url: "https://example.com/pr/1", type: "PR" } }),
  "GET /api/resources/{id}": (w) => ({ params: { id: w.resource } }),
  "PATCH /api/resources/{id}": (w) => ({ params: { id: w.resource }, body: { title: "Doc" } }),
  "DELETE /api/resources/{id}": (w) => ({ params: { id: w.resource } }),
  "GET /api/sessions": () => ({ query: { date_from: "2026-01-01", date_to: "2026-02-01" } }),
  "POST /api/sessions": (w) => ({ body: { title: "Fuzz session", team: w.team } }),
  "GET /api/sessions/export": () => ({ query: { format: "csv" } }),
  "GET /api/sessions/{id}": (w) => ({ params: { id: w.session } }),
  "PATCH /api/sessions/{id}": (w) => ({ params: { id: w.session }, body: { title: "Renamed session" } }),
  "DELETE /api/sessions/{id}": (w) => ({ params: { id: w.session } }),
  "POST /api/sessions/{id}/pause": (w) => ({ params: { id: w.pauseSession }, body: {} }),
  "POST /api/sessions/{id}/resume": (w) => ({ params: { id: w.resumeSession }, body: {} }),
  "POST /api/sessions/{id}/close": (w) => ({ params: { id: w.closeSession }, body: {} }),
  "POST /api/sessions/{id}/attach_task": (w) => ({ params: { id: w.session }, body: { task_id: w.personalTask, role: "SIDE" } }),
  "GET /api/context-switches": (w) => ({ query: { dev_session: String(w.session) } }),
  "POST /api/context-switches": (w) => ({ body: { dev_session: w.session, to_task: w.task, reason: "MEETING" } }),
  "GET /api/context-switches/{id}": (w) => ({ params: { id: w.switchId } }),
  "DELETE /api/context-switches/{id}": (w) => ({ params: { id: w.switchId } }),
  "GET /api/reports": () => ({ query: { type: "DAILY" } }),
  "GET /api/reports/export": () => ({ query: { format: "json" } }),
  "GET /api/reports/{id}": (w) => ({ params: { id: w.report } }),
  "POST /api/reports/daily": () => ({ body: { date: DAY } }),
  "POST /api/reports/weekly": () => ({ body: { week_of: DAY } }),
  "POST /api/reports/daily-async": () => ({ body: { date: DAY } }),
  "GET /api/report-requests": () => ({}),
  "POST /api/report-requests": () => ({ body: { type: "WEEKLY", day: DAY } }),
  "GET /api/report-requests/{id}": (w) => ({ params: { id: w.reportRequest } }),
  "GET /api/insights": () => ({ query: { level: "INFO" } }),
  "GET /api/insights/export": () => ({ query: { format: "csv" } }),
  "GET /api/insights/{id}": (w) => ({ params: { id: w.insight } }),
  "GET /api/events/stream": () => ({ query: {} }),
  "GET /api/compat/wakatime/v1/users/current": () => ({}),
  "POST /api/compat/wakatime/v1/users/current/heartbeats.bulk": () => ({ body: [heartbeat(Date.now() - 60_000), heartbeat(Date.now())] }),
  "POST /api/compat/wakatime/v1/users/current/heartbeats": () => ({ body: heartbeat(Date.now()) }),
  "GET /api/compat/wakatime/v1/users/current/statusbar/today": () => ({}),
  "GET /api/compat/wakatime/v1/users/current/summaries": () => ({ query: { start: "2026-01-28", end: DAY } }),
  "GET /api/editor-projects": () => ({}),
  "POST /api/editor-projects": (w) => ({ body: { project: `fuzz-${crypto.randomUUID()}`, team: w.team } }),
  "DELETE /api/editor-projects/{id}": () => ({ params: { id: 1 } }),
};

/** An editor heartbeat as wakatime-cli sends it (float Unix seconds). */
function heartbeat(ms: number) {
  return { entity: "/src/app.ts", type: "file", time: ms / 1000, category: "coding", project: "fuzz", branch: "main", language: "TypeScript", is_write: true };
}

/**
 * Operations whose valid request destroys its target: their baseline runs last, against a throwaway
 * target, so the broken inputs before it all aim at a live object.
 */
const THROWAWAY: Record<string, (w: World) => Promise<Call>> = {
  "DELETE /api/auth/tokens/{id}": async (w) => ({ params: { id: (await ok(api("/api/auth/tokens/", { token: w.owner.token, body: { name: "x" } }))).id } }),
  "POST /api/auth/logout": async (w) => ({
    token: (await ok(api("/api/auth/tokens/", { token: w.owner.token, body: { name: "logout" } }))).token,
  }),
  // A browser session of a fresh user (the owner's email has used up its sign-in attempts by now), signed
  // out with its cookie (no Bearer: see toRequest), or revoked by id with the user's token.
  "DELETE /api/auth/session": async () => ({ headers: { Cookie: await sessionCookieOf(await fastUser()), Origin: BASE } }),
  "DELETE /api/auth/sessions/{id}": async () => {
    const u = await fastUser();
    await sessionCookieOf(u);
    const sessions = await ok(api("/api/auth/sessions/", { token: u.token }));
    return { token: u.token, params: { id: sessions.results[0]!.id } };
  },
  "DELETE /api/teams/{id}": async (w) => ({ params: { id: (await ok(api("/api/teams/", { token: w.owner.token, body: { name: "Doomed" } }))).id } }),
  "DELETE /api/teams/{id}/members/{user_id}": async (w) => {
    const u = await fastUser();
    await ok(api(`/api/teams/${w.team}/members/`, { token: w.owner.token, body: { email: u.email, role: "VIEWER" } }));
    return { params: { id: w.team, user_id: u.id } };
  },
  "DELETE /api/tasks/{id}": async (w) => ({ params: { id: (await ok(api("/api/tasks/", { token: w.owner.token, body: { title: "Doomed" } }))).id } }),
  "DELETE /api/resources/{id}": async (w) => ({
    params: { id: (await ok(api("/api/resources/", { token: w.owner.token, body: { task: w.task, url: "https://example.com/doomed" } }))).id },
  }),
  "DELETE /api/sessions/{id}": async (w) => ({ params: { id: (await ok(api("/api/sessions/", { token: w.owner.token, body: {} }))).id } }),
  "DELETE /api/context-switches/{id}": async (w) => ({
    params: { id: (await ok(api("/api/context-switches/", { token: w.owner.token, body: { dev_session: w.session } }))).id },
  }),
  "DELETE /api/editor-projects/{id}": async (w) => ({
    params: { id: (await ok(api("/api/editor-projects/", { token: w.owner.token, body: { project: "doomed", team: w.team } }))).id },
  }),
};

/** Signs `u` in as a browser would and returns the Cookie header value. */
async function sessionCookieOf(u: TestUser): Promise<string> {
  const res = await api("/api/auth/session/", { body: { email: u.email, password: "correct horse battery" }, headers: { Origin: BASE, "CF-Connecting-IP": randomIp() } });
  const set = res.headers.getSetCookie().find((h) => h.startsWith("devfocus_session="));
  if (res.status !== 200 || !set) throw new Error(`sign-in failed: ${res.status} ${res.text}`);
  return set.split(";")[0]!;
}

// ─── Generated inputs ───────────────────────────────────────────────────────────────────────────

/** How the answer to one input is judged. */
interface Input {
  label: string;
  call: Call;
  /** The field the input breaks: a validation error must name it. */
  field?: string;
  /** Statuses the answer must have; absent: any answer below 500 (hostile but maybe valid input). */
  expect?: number[];
  /** A raw body, sent as-is with `contentType` instead of the JSON of call.body. */
  raw?: BodyInit;
  contentType?: string | null;
  method?: string;
  path?: string;
  /** Send no Authorization header / this one instead of the owner's bearer token. */
  authorization?: string | null;
}

const SEED = 20261110;
const MB = 1_000_000;
const HOSTILE_STRINGS = [
  "",
  "\u0000",
  "nul\u0000inside",
  "'; DROP TABLE users; --",
  "../../../etc/passwd",
  "%_\\",
  "😀𝕏\u202Eevil\u200B",
  "\ud800",
  "<script>alert(1)</script>",
  "=HYPERLINK(\"http://evil\")",
  "${jndi:ldap://x}",
];
const BAD_IDS_MUST_400 = ["0", "-1", "1.5", "abc", "NaN", "Infinity", "9007199254740992", "1e400", "99999999999999999999999", "1;DROP TABLE users", "%00", "%20", "--1", "0.0"];
// No "." or ".." (plain or %2e-encoded): URL normalization would turn /teams/1/members/.. into /teams/1.
const BAD_IDS_ANY = ["999999999", "9007199254740991", "00000001x", "..%2F..%2Fapi", "%F0%9F%98%80", "1%20OR%201%3D1", "'", "%27%20OR%20%271%27%3D%271"];

const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

function invalidForString(schema: any, name: string): { value: unknown; must: boolean; label: string }[] {
  const out: { value: unknown; must: boolean; label: string }[] = [];
  const add = (value: unknown, must: boolean, label: string) => out.push({ value, must, label });
  const nullable = Array.isArray(schema.type) && schema.type.includes("null");
  add(123, true, "number");
  add(true, true, "boolean");
  add({}, true, "object");
  add(["x"], true, "array");
  if (!nullable) add(null, true, "null");
  if (schema.minLength) add("", true, "empty");
  if (schema.maxLength) {
    add("x".repeat(schema.maxLength + 1), true, `${schema.maxLength + 1} chars`);
    add("é".repeat(schema.maxLength), false, `${schema.maxLength} two-byte chars (the maximum)`);
  }
  if (schema.enum) {
    for (const v of ["bogus", String(schema.enum[0]).toLowerCase(), String(schema.enum[0]).toUpperCase(), `${schema.enum[0]} `, "' OR 1=1 --"]) {
      if (!schema.enum.includes(v)) add(v, true, `enum ${JSON.stringify(v)}`);
    }
    return out;
  }
  if (schema.pattern) {
    const re = new RegExp(schema.pattern);
    for (const v of ["with space", "a/b", "..", "-", "ünïcode", "a--b", "UPPER", "x\u0000"]) add(v, !re.test(v), `pattern ${JSON.stringify(v)}`);
  }
  if (schema.format === "date") {
    for (const v of ["2026-02-30", "2026-13-01", "2026-00-10", "20260130", "2026-1-3", "yesterday", "2026-01-30T00:00:00Z", "30/01/2026"]) add(v, true, `date ${v}`);
    for (const v of ["0000-01-01", "0999-12-31", "1970-01-01", "9999-12-31", "2024-02-29"]) add(v, false, `edge date ${v}`);
  } else if (schema.format === "date-time") {
    for (const v of ["2026-01-30", "2026-01-30T25:00:00Z", "2026-02-30T10:00:00Z", "2026-01-30T09:15:00", "tomorrow", "2026-01-30 09:15:00Z", "1738228500000"]) {
      add(v, true, `datetime ${v}`);
    }
    add(1738228500000, true, "epoch number");
    for (const v of ["0000-01-01T00:00:00Z", "1970-01-01T00:00:00.000Z", "9999-12-31T23:59:59Z", "2026-01-30T09:15:00+14:00", "2026-01-30T09:15:00.123456789Z"]) {
      add(v, false, `edge datetime ${v}`);
    }
  } else if (schema.format === "email") {
    for (const v of ["nope", "a@", "@b.c", "a b@c.d", "a@b@c.d", "<a@b.c>"]) add(v, true, `email ${v}`);
    add(`${"x".repeat(250)}@e.com`, !!schema.maxLength, "email over 254 chars");
    for (const v of ["A@EXAMPLE.COM", "o'brien+tag@example.com"]) add(v, false, `edge email ${v}`);
  } else if (schema.format === "uri") {
    for (const v of ["javascript:alert(1)", "ftp://example.com/x", "data:text/html,hi", "not a url", "http://", "//example.com", "mailto:a@b.c"]) {
      add(v, true, `url ${v}`);
    }
    for (const v of ["http://127.0.0.1:8787/admin", "https://example.com/%00", "https://例え.jp/パス"]) add(v, false, `edge url ${v}`);
  } else if (name === "timezone") {
    for (const v of ["Mars/Olympus", "UTC+25", "../../../etc/localtime", "Europe/Paris\u0000", "Not/AZone", "+05:30", "-0800"]) add(v, true, `tz ${v}`);
    for (const v of ["utc", "Etc/GMT+14", "Pacific/Kiritimati"]) add(v, false, `edge tz ${v}`);
  }
  for (const v of HOSTILE_STRINGS) add(v, false, `hostile ${JSON.stringify(v).slice(0, 24)}`);
  return out;
}

function invalidForInteger(schema: any): { value: unknown; must: boolean; label: string }[] {
  const nullable = Array.isArray(schema.type) && schema.type.includes("null");
  const out: { value: unknown; must: boolean; label: string }[] = [
    { value: -1, must: true, label: "-1" },
    { value: 1.5, must: true, label: "1.5" },
    { value: "abc", must: true, label: '"abc"' },
    { value: 2 ** 53, must: true, label: "2^53" },
    { value: 1e308, must: true, label: "1e308" },
    { value: {}, must: true, label: "object" },
    { value: "1; DROP TABLE users", must: true, label: "sql" },
    { value: 999_999_999, must: false, label: "missing id" },
    { value: Number.MAX_SAFE_INTEGER, must: false, label: "max safe integer" },
  ];
  if (schema.exclusiveMinimum === 0 || (schema.minimum ?? 1) > 0) out.push({ value: 0, must: true, label: "0" });
  if (schema.maximum !== undefined && schema.maximum < 2 ** 53) out.push({ value: schema.maximum + 1, must: true, label: "max+1" });
  if (!nullable) out.push({ value: null, must: true, label: "null" });
  // An id is a JSON integer, or a string of digits; never a boolean, an array, hex or padded text.
  if (schema.minimum === undefined) {
    for (const [value, label] of [[true, "true"], [[5], "[5]"], ["0x10", '"0x10"'], [" 7", '" 7"'], ["", '""'], [[], "[]"], ["1e3", '"1e3"']] as [unknown, string][]) {
      out.push({ value, must: true, label: `not an id ${label}` });
    }
  }
  out.push({ value: "7", must: false, label: 'digits "7"' });
  return out;
}

/** A boolean is a JSON true or false: never a number, a string, an object or (unless nullable) null. */
function invalidForBoolean(schema: any): { value: unknown; must: boolean; label: string }[] {
  const nullable = Array.isArray(schema.type) && schema.type.includes("null");
  const out: { value: unknown; must: boolean; label: string }[] = [
    { value: 1, must: true, label: "1" },
    { value: 0, must: true, label: "0" },
    { value: "true", must: true, label: '"true"' },
    { value: "", must: true, label: '""' },
    { value: {}, must: true, label: "object" },
    { value: [true], must: true, label: "array" },
  ];
  if (!nullable) out.push({ value: null, must: true, label: "null" });
  return out;
}

function propertyInputs(schema: any, name: string) {
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== "null") : schema.type;
  if (type === "boolean") return invalidForBoolean(schema);
  return type === "integer" ? invalidForInteger(schema) : invalidForString(schema, name);
}

const queryInvalids = (param: any, op: Operation, base: Call): { value: string; must: boolean; label: string }[] => {
  const s = param.schema;
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== "null") : s.type;
  const out: { value: string; must: boolean; label: string }[] = [];
  if (type === "integer") {
    for (const v of ["-1", "1.5", "abc", "NaN", "Infinity", "1e999", "9007199254740992", "--1", "1,2", "%00", "[]"]) out.push({ value: v, must: true, label: v });
    if (s.minimum !== undefined) out.push({ value: String(s.minimum - 1), must: true, label: "min-1" });
    if (s.exclusiveMinimum !== undefined) out.push({ value: String(s.exclusiveMinimum), must: true, label: "exclusive min" });
    if (s.maximum !== undefined && s.maximum < 2 ** 53) out.push({ value: String(s.maximum + 1), must: true, label: "max+1" });
    for (const v of ["", "999999999", "007"]) out.push({ value: v, must: false, label: `edge ${JSON.stringify(v)}` });
    if (s.exclusiveMinimum === 0) for (const v of [" 5", "0x10", "1e3", "+5"]) out.push({ value: v, must: true, label: `not an id ${JSON.stringify(v)}` });
    return out;
  }
  if (param.name === "cursor" && s.format !== "date-time") {
    const ordering = base.query?.ordering ?? op.op.parameters?.find((p: any) => p.name === "ordering")?.schema?.default ?? "created_at";
    for (const [v, label] of [
      ["!!!", "not base64"],
      ["x".repeat(2049), "2049 chars"],
      [b64("not json"), "base64 text"],
      [b64('{"o":'), "truncated json"],
      [b64(JSON.stringify({ o: ordering, v: { $gt: 1 }, id: 1 })), "object value"],
      [b64(JSON.stringify({ o: ordering, v: "a", id: 1.5 })), "fractional id"],
      [b64(JSON.stringify({ o: ordering, v: "a", id: "1" })), "string id"],
      [b64(JSON.stringify({ o: ordering, v: "a", id: 2 ** 60 })), "huge id"],
      [b64(JSON.stringify({ o: `${ordering}x`, v: "a", id: 1 })), "another ordering"],
      [b64(JSON.stringify([1, 2])), "array"],
      [b64("null"), "null"],
      ["%FF%FE", "bad utf-8"],
    ] as [string, string][]) {
      out.push({ value: v, must: true, label: `cursor ${label}` });
    }
    for (const [v, label] of [
      [b64(JSON.stringify({ o: ordering, v: "' OR 1=1 --", id: 1 })), "sql value"],
      [b64(JSON.stringify({ o: ordering, v: 1e308, id: -5 })), "number value, negative id"],
      [b64(JSON.stringify({ o: ordering, v: "\u0000😀", id: 0 })), "unicode value"],
    ] as [string, string][]) {
      out.push({ value: v, must: false, label: `cursor ${label}` });
    }
    return out;
  }
  if (param.name === "ordering") {
    for (const v of ["id", "password_hash", "-", "--created_at", "created_at;DROP TABLE tasks", "created_at desc", "", "+created_at", "CREATED_AT", "-id"]) {
      out.push({ value: v, must: !(s.enum ?? []).includes(v), label: `ordering ${JSON.stringify(v)}` });
    }
    return out;
  }
  for (const c of invalidForString(s, param.name)) {
    if (typeof c.value === "string") out.push({ value: c.value, must: c.must, label: c.label });
  }
  return out;
};

const MALFORMED_JSON = [
  "{",
  '{"a":}',
  "[1,2",
  '{"title": "x",}',
  "{'title': 'x'}",
  "nul",
  "\u0000",
  '{"title": "x"} trailing',
  '{"a": 1e99999}x',
  "[".repeat(100_000) + "]".repeat(100_000),
];
const WRONG_CONTENT_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "application/jsonx", "json", null];

/** Every input for one operation, generated from its OpenAPI description and its valid baseline. */
function inputsFor(op: Operation, base: Call, opIndex: number): Input[] {
  const inputs: Input[] = [];
  const params = (op.op.parameters ?? []) as any[];

  // Tokens that are missing, malformed, unknown or revoked.
  if (!op.public) {
    for (const [label, authorization] of [
      ["no token", null],
      ["empty bearer", "Bearer "],
      ["unknown token", "Bearer dfk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
      ["basic auth", "Basic b3duZXI6cGFzc3dvcmQ="],
      ["revoked token", `Bearer ${w.revoked}`],
      ["token + junk", `Bearer ${w.owner.token}x`],
      ["two tokens", `Bearer ${w.owner.token} ${w.owner.token}`],
      ["10 kB token", `Bearer ${"a".repeat(10_000)}`],
    ] as [string, string | null][]) {
      inputs.push({ label: `auth: ${label}`, call: base, authorization, expect: [401] });
    }
    // Session cookies that are no session: unknown, an API token in the cookie.
    for (const [label, cookie] of [
      ["unknown session cookie", "devfocus_session=dfs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
      ["API token as session cookie", `devfocus_session=${w.owner.token}`],
    ] as [string, string][]) {
      inputs.push({ label: `auth: ${label}`, call: { ...base, headers: { ...base.headers, Cookie: cookie, Origin: BASE } }, authorization: null, expect: [401] });
    }
  }

  // Path ids.
  for (const p of params.filter((x) => x.in === "path")) {
    for (const v of BAD_IDS_MUST_400) inputs.push({ label: `path ${p.name}=${v}`, call: { ...base, params: { ...base.params, [p.name]: v } }, field: p.name, expect: [400] });
    for (const v of BAD_IDS_ANY) inputs.push({ label: `path ${p.name}=${v}`, call: { ...base, params: { ...base.params, [p.name]: v } }, field: p.name });
    for (const v of fc.sample(fc.string({ unit: "binary", maxLength: 12 }), { seed: SEED + opIndex, numRuns: 6 })) {
      if (v && !/^\.{1,2}$/.test(v)) inputs.push({ label: `path ${p.name}=random`, call: { ...base, params: { ...base.params, [p.name]: enc(v) } }, field: p.name });
    }
  }

  // Query parameters (and the stream's Last-Event-ID header).
  for (const p of params.filter((x) => x.in === "query" || x.in === "header")) {
    for (const c of queryInvalids(p, op, base)) {
      const call =
        p.in === "query"
          ? { ...base, query: { ...base.query, [p.name]: c.value } }
          : { ...base, headers: { ...base.headers, [p.name]: c.value } };
      if (p.in === "header" && /[\u0000\r\n]|[^\u0000-\u00ff]/.test(c.value)) continue; // not sendable as a header
      inputs.push({ label: `${p.in} ${p.name}: ${c.label}`, call, field: p.name, expect: c.must ? [400] : undefined });
    }
    if (p.in === "query") {
      inputs.push({ label: `query ${p.name} twice`, call: { ...base, query: { ...base.query, [`${p.name}\u0001dup`]: "x" } }, field: p.name });
      for (const v of fc.sample(fc.string({ unit: "grapheme", maxLength: 30 }), { seed: SEED + opIndex + 1, numRuns: 4 })) {
        inputs.push({ label: `query ${p.name}: random`, call: { ...base, query: { ...base.query, [p.name]: v } }, field: p.name });
      }
    }
  }
  if (op.method === "GET") {
    inputs.push({ label: "unknown query parameter", call: { ...base, query: { ...base.query, "__proto__[admin]": "1", constructor: "x" } } });
  }

  // Bodies.
  if (op.op.requestBody) {
    const required = op.op.requestBody.required !== false;
    const schema = resolve(op.op.requestBody.content["application/json"].schema);
    const props = Object.entries<any>(schema.properties ?? {});
    const baseBody = (base.body ?? {}) as Record<string, unknown>;

    for (const ct of WRONG_CONTENT_TYPES) {
      inputs.push({ label: `content type ${ct}`, call: base, raw: JSON.stringify(baseBody), contentType: ct, expect: [415] });
    }
    for (const text of MALFORMED_JSON) {
      inputs.push({ label: `malformed json ${JSON.stringify(text.slice(0, 16))}`, call: base, raw: text, contentType: "application/json", expect: [400] });
    }
    inputs.push({ label: "BOM before the JSON", call: base, raw: `\uFEFF${JSON.stringify(baseBody)}`, contentType: "application/json" });
    inputs.push({ label: "body over 1 MiB", call: base, raw: JSON.stringify({ ...baseBody, pad: "x".repeat(1_100_000) }), contentType: "application/json", expect: [413] });
    inputs.push({ label: "empty body", call: base, raw: "", contentType: "application/json", expect: required ? [400] : undefined });
    for (const [label, value] of [["null", null], ["array", []], ["string", "x"], ["number", 1], ["true", true]] as [string, unknown][]) {
      inputs.push({ label: `body is ${label}`, call: { ...base, body: value }, field: "body", expect: [400] });
    }
    for (const name of schema.required ?? []) {
      const { [name]: _gone, ...rest } = baseBody;
      inputs.push({ label: `missing ${name}`, call: { ...base, body: rest }, field: name, expect: [400] });
    }
    if (schema.required?.length) inputs.push({ label: "empty object", call: { ...base, body: {} }, field: schema.required[0], expect: [400] });
    // Extra fields: refused by strict schemas (naming the key), ignored by the others.
    inputs.push({
      label: "extra fields",
      call: { ...base, body: { ...baseBody, is_admin: true, user_id: 1, id: 1 } },
      field: schema.additionalProperties === false ? "is_admin" : undefined,
      expect: schema.additionalProperties === false ? [400] : undefined,
    });
    inputs.push({ label: "__proto__ key", call: base, raw: JSON.stringify(baseBody).replace(/^\{/, '{"__proto__":{"admin":true},'), contentType: "application/json" });

    let bigDone = false;
    for (const [name, propSchema] of props) {
      for (const c of propertyInputs(propSchema, name)) {
        inputs.push({ label: `${name}: ${c.label}`, call: { ...base, body: { ...baseBody, [name]: c.value } }, field: name, expect: c.must ? [400] : undefined });
      }
      const isString = propSchema.type === "string" || (Array.isArray(propSchema.type) && propSchema.type.includes("string"));
      if (isString && !bigDone && propSchema.maxLength && propSchema.maxLength < MB) {
        bigDone = true;
        inputs.push({ label: `${name}: ~1 MB string`, call: { ...base, body: { ...baseBody, [name]: "😀".repeat(MB / 4) } }, field: name, expect: [400] });
      }
      for (const v of fc.sample(fc.jsonValue({ maxDepth: 2 }), { seed: SEED + opIndex * 31 + name.length, numRuns: 2 })) {
        inputs.push({ label: `${name}: random json`, call: { ...base, body: { ...baseBody, [name]: v } }, field: name });
      }
    }
    for (const v of fc.sample(fc.jsonValue({ maxDepth: 3 }), { seed: SEED + opIndex, numRuns: 4 })) {
      inputs.push({ label: "random json body", call: { ...base, body: v } });
    }
  }

  // Junk after the path, and the same path with every method it does not have.
  // The dots resolve to some /api path (or none): anonymous on a path that needs a token, that is a 401.
  inputs.push({ label: "junk path suffix", call: base, path: `${op.path}/../../../etc/passwd`, expect: op.public ? [400, 401, 404] : [400, 404] });
  inputs.push({ label: "double slash", call: base, path: op.path.replace("/api/", "/api//"), expect: [401, 404] });
  const defined = Object.keys(doc.paths[op.path]!).map((m) => m.toUpperCase());
  if (op.method === defined[0]) {
    for (const m of ["GET", "POST", "PATCH", "PUT", "DELETE"].filter((x) => !defined.includes(x))) {
      // 400 when the path falls through to a sibling /{id} route (GET /api/reports/daily is GET /api/reports/{id}).
      inputs.push({ label: `method ${m}`, call: { ...base, body: m === "GET" || m === "DELETE" ? undefined : {} }, method: m, expect: [400, 404, 405] });
    }
  }
  return inputs;
}

// ─── Sending and judging ────────────────────────────────────────────────────────────────────────

/** Percent-encoding that also carries lone surrogates: as the invalid UTF-8 a sloppy client would send. */
const enc = (v: string) => {
  try {
    return encodeURIComponent(v);
  } catch {
    return encodeURIComponent(v.replace(/[\ud800-\udfff]/g, "\u0001")).replace(/%01/g, "%ED%A0%80");
  }
};

function buildPath(template: string, call: Call, i: number): string {
  let path = template.replace(/\{(\w+)\}/g, (_, name) => String(call.params?.[name] ?? ""));
  if (i % 2) path += "/"; // every path works with and without the trailing slash
  const pairs = Object.entries(call.query ?? {}).map(([k, v]) => {
    const [key, dup] = k.split("\u0001");
    return dup ? `${enc(key!)}=${enc(v)}&${enc(key!)}=2` : `${enc(k)}=${enc(v)}`;
  });
  return pairs.length ? `${path}?${pairs.join("&")}` : path;
}

function toRequest(op: Operation, input: Input, i: number) {
  const call = input.call;
  const headers: Record<string, string> = { ...call.headers };
  const token = call.token ?? w.owner.token;
  if (input.authorization === undefined) {
    // A call that brings the session cookie is the browser's: no Bearer token beside it.
    if (!op.public && headers.Cookie === undefined) headers.Authorization = `Bearer ${token}`;
  } else if (input.authorization !== null) headers.Authorization = input.authorization;
  let body: BodyInit | undefined;
  if (input.raw !== undefined) {
    body = input.raw;
    if (input.contentType) headers["Content-Type"] = input.contentType;
  } else if (call.body !== undefined && (input.method ?? op.method) !== "GET") {
    body = JSON.stringify(call.body);
    headers["Content-Type"] = "application/json";
  }
  if (op.key.startsWith("POST /api/auth/")) headers["CF-Connecting-IP"] ??= randomIp();
  return { method: input.method ?? op.method, path: buildPath(input.path ?? op.path, call, i), headers, body };
}

const figures = { inputs: 0, refused: 0, accepted: 0, fiveXX: 0, operations: new Set<string>(), baselines: new Set<string>(), envelopes: 0, rowChecks: 0, looseIdsAccepted: 0 };
const problems: string[] = [];

function problem(op: Operation, input: Input, res: Sent, what: string) {
  problems.push(`${op.key} — ${input.label}: ${what} (got ${res.status} ${res.text.slice(0, 300)})`);
}

/** Checks one answer against the rules; returns whether the request was refused. */
function judge(op: Operation, input: Input, res: Sent): boolean {
  const documented503 = op.key === "GET /api/request-logs" && res.status === 503 && res.body?.error?.code === "SERVICE_UNAVAILABLE";
  if (res.status >= 500 && !documented503) {
    figures.fiveXX++;
    problem(op, input, res, "a 5xx");
  }
  const requestId = res.headers.get("X-Request-Id");
  if (!requestId) problem(op, input, res, "no X-Request-Id");
  if (input.expect && !input.expect.includes(res.status)) problem(op, input, res, `expected ${input.expect.join(" or ")}`);
  if (res.status < 400) return false;
  const e = res.body?.error;
  const envelopeOk =
    e &&
    typeof e.code === "string" &&
    typeof e.message === "string" &&
    Array.isArray(e.details) &&
    e.details.every((d: any) => typeof d?.path === "string" && typeof d?.message === "string") &&
    e.request_id === requestId &&
    Object.keys(res.body).length === 1;
  if (!envelopeOk) problem(op, input, res, "not the error envelope");
  else figures.envelopes++;
  if (res.status >= 500 && e?.details?.length) problem(op, input, res, "a 5xx with details");
  if (e?.code === "VALIDATION_FAILED" && input.field) {
    const named = e.details.some((d: any) => d.path === input.field || d.path.startsWith(`${input.field}.`) || d.message.includes(input.field!));
    if (!named) problem(op, input, res, `validation error does not name ${input.field}`);
  }
  if (e?.code === "VALIDATION_FAILED" && !e.details.length) problem(op, input, res, "validation error without details");
  return true;
}

/** The database's fingerprint as the last checked refused request left it (null: unknown, take a new one). */
let known: Record<string, string> | null = null;
/** Inputs that must be refused are row-checked in runs: one fingerprint before the run and one after it. */
let run_: { before: Record<string, string>; inputs: [Operation, Input, Sent][] } | null = null;

const mustRefuse = (input: Input) => !!input.expect && input.expect.every((s) => s >= 400);

async function flushRun() {
  if (!run_) return;
  const { before, inputs } = run_;
  run_ = null;
  known = null;
  const refused = inputs.filter(([, , res]) => res.status >= 400);
  // A run holding an accepted input (already a problem of its own) cannot be row-checked as a whole.
  if (refused.length !== inputs.length) return;
  const after = await fingerprint();
  figures.rowChecks += refused.length;
  const changed = changedTables(before, after);
  if (changed.length) {
    problems.push(`one of these refused requests changed rows in ${changed.join(", ")}: ${inputs.map(([op, input]) => `${op.key} — ${input.label}`).join("; ")}`);
  } else known = after;
}

async function run(op: Operation, input: Input, i: number) {
  const batched = mustRefuse(input);
  if (batched) run_ ??= { before: known ?? (await fingerprint()), inputs: [] };
  else await flushRun();
  const before = batched ? null : (known ?? (await fingerprint()));
  const res = await rawRequest(toRequest(op, input, i));
  figures.inputs++;
  const refused = judge(op, input, res);
  if (refused) figures.refused++;
  else {
    figures.accepted++;
    if (input.label.includes("not an id")) figures.looseIdsAccepted++;
  }
  if (batched) {
    run_!.inputs.push([op, input, res]);
    return res;
  }
  known = null;
  if (refused) {
    figures.rowChecks++;
    const after = await fingerprint();
    const changed = changedTables(before!, after);
    if (changed.length) problem(op, input, res, `a refused request changed rows in ${changed.join(", ")}`);
    else known = after;
  }
  return res;
}

// ─── The suite ──────────────────────────────────────────────────────────────────────────────────

const queueSends: unknown[] = [];

beforeAll(async () => {
  // Nothing accepted here may start background work that writes D1 while rows are being compared.
  for (const q of [env.REPORTS_QUEUE, env.INSIGHTS_QUEUE, env.GITHUB_IMPORT_QUEUE]) {
    vi.spyOn(q, "send").mockImplementation(async (m: unknown) => {
      queueSends.push(m);
      return {} as QueueSendResponse;
    });
    vi.spyOn(q, "sendBatch").mockImplementation(async (m: unknown) => {
      queueSends.push(m);
      return {} as QueueSendBatchResponse;
    });
  }
  // Request log lines for thousands of requests: counted, not printed.
  vi.spyOn(console, "log").mockImplementation(() => {});

  const owner = await makeUser();
  const member = await fastUser();
  const stranger = await fastUser();
  const team = (await ok(api("/api/teams/", { token: owner.token, body: { name: "Fuzz" } }))).id;
  await ok(api(`/api/teams/${team}/members/`, { token: owner.token, body: { email: member.email, role: "MEMBER" } }));
  const task = (await ok(api("/api/tasks/", { token: owner.token, body: { title: "Team task", team } }))).id;
  const personalTask = (await ok(api("/api/tasks/", { token: owner.token, body: { title: "Personal task" } }))).id;
  const mkSession = async (body: Schemas["CreateSessionRequest"] = {}) => (await ok(api("/api/sessions/", { token: owner.token, body: { team, ...body } }))).id;
  const session = await mkSession({ started_at: "2026-01-29T08:00:00Z" });
  const pauseSession = await mkSession();
  const resumeSession = await mkSession();
  await ok(api(`/api/sessions/${resumeSession}/pause/`, { token: owner.token, body: {} }));
  const closeSession = await mkSession();
  // A short finished session on DAY: its daily report gets a LOW_FOCUS_TIME insight.
  const doneSession = await mkSession({ started_at: `${DAY}T09:00:00Z` });
  await ok(api(`/api/sessions/${doneSession}/close/`, { token: owner.token, body: { ended_at: `${DAY}T09:20:00Z` } }));
  const switchId = (await ok(api("/api/context-switches/", { token: owner.token, body: { dev_session: session, to_task: task } }))).id;
  const resource = (await ok(api("/api/resources/", { token: owner.token, body: { task, url: "https://example.com/doc" } }))).id;
  const daily = await ok(api("/api/reports/daily/", { token: owner.token, body: { date: DAY } }));
  expect(daily.insights.length).toBeGreaterThan(0);
  // An insight of a day no input regenerates (regenerating a report replaces its insights).
  const oldReport = await env.DB.prepare(
    `INSERT INTO reports (type, user_id, owner_key, period_start, period_end, timezone, payload, summary)
     VALUES ('DAILY', ?, ?, '2019-06-15', '2019-06-15', 'UTC', '{"date":"2019-06-15","totals":{"sessions":1}}', 'Old day') RETURNING id`,
  )
    .bind(owner.id, `user:${owner.id}`)
    .first<{ id: number }>();
  const insight = await env.DB.prepare(
    `INSERT INTO insights (user_id, owner_key, report_id, code, level, message, meta, period_start)
     VALUES (?, ?, ?, 'LOW_FOCUS_TIME', 'INFO', 'Only 20 focus minutes.', '{"focus_minutes":20}', '2019-06-15') RETURNING id`,
  )
    .bind(owner.id, `user:${owner.id}`, oldReport!.id)
    .first<{ id: number }>();
  // Jobs written straight into D1: no queue message exists for them.
  const rr = await env.DB.prepare("INSERT INTO report_requests (user_id, type, day) VALUES (?, 'DAILY', ?) RETURNING id").bind(owner.id, DAY).first<{ id: number }>();
  const job = await env.DB.prepare("INSERT INTO import_jobs (team_id, created_by, owner, repo) VALUES (?, ?, 'acme', 'widgets') RETURNING id")
    .bind(team, owner.id)
    .first<{ id: number }>();
  const revoked = (await ok(api("/api/auth/tokens/", { token: owner.token, body: { name: "revoked" } }))).token;
  const revokedId = (await api("/api/auth/tokens/", { token: owner.token })).body.results.at(-1)!.id;
  expect((await api(`/api/auth/tokens/${revokedId}/`, { method: "DELETE", token: owner.token })).status).toBe(204);
  w = {
    owner,
    member,
    stranger,
    team,
    task,
    personalTask,
    session,
    pauseSession,
    resumeSession,
    closeSession,
    doneSession,
    switchId,
    resource,
    report: daily.id,
    insight: insight!.id,
    reportRequest: rr!.id,
    importJob: job!.id,
    revoked,
  };
});

afterAll(async () => {
  await assertInvariants("bad input");
  reportFigures("bad-input", {
    operations_in_openapi: operations.length,
    operations_covered: figures.operations.size,
    baselines_ok: figures.baselines.size,
    inputs_tried: figures.inputs,
    refused: figures.refused,
    accepted: figures.accepted,
    five_xx: figures.fiveXX,
    error_envelopes_checked: figures.envelopes,
    refused_requests_row_checked: figures.rowChecks,
    loose_ids_accepted: figures.looseIdsAccepted,
    invariant_checks: invariantStats.checks,
    problems: problems.length,
  });
  vi.restoreAllMocks();
});

describe("bad input: every operation of the OpenAPI document", () => {
  it("the document lists every operation this suite knows a valid request for", () => {
    expect(operations.length).toBeGreaterThanOrEqual(59);
    const unknown = operations.filter((op) => !BASELINES[op.key]).map((op) => op.key);
    expect(unknown, "operations without a baseline: add them to BASELINES").toEqual([]);
  });

  operations.forEach((op, opIndex) => {
    it(`${op.key}`, { timeout: 60_000 }, async () => {
      known = null;
      const base = BASELINES[op.key]!(w);
      const destructive = THROWAWAY[op.key];
      // The valid request works (for destructive operations: last, on a throwaway target).
      const checkBaseline = async (call: Call) => {
        const res = await run(op, { label: "baseline", call }, opIndex);
        const okStatus = op.key === "GET /api/request-logs" ? res.status === 503 : res.status >= 200 && res.status < 300;
        if (!okStatus) problems.push(`${op.key} — the valid baseline failed: ${res.status} ${res.text.slice(0, 300)}`);
        else figures.baselines.add(op.key);
      };
      if (!destructive) await checkBaseline(base);
      const inputs = inputsFor(op, base, opIndex);
      const before = problems.length;
      for (let i = 0; i < inputs.length; i++) await run(op, inputs[i]!, i);
      await flushRun();
      if (destructive) {
        await flushRun();
        const call = await destructive(w);
        known = null;
        await checkBaseline(call);
      }
      figures.operations.add(op.key);
      expect(problems.slice(before)).toEqual([]);
      expect(inputs.length).toBeGreaterThan(op.public ? 5 : 10);
    });
  });

  it("no refused request left a broken invariant, and no 5xx was seen", async () => {
    expect(problems).toEqual([]);
    await assertInvariants("the bad inputs");
    expect(figures.fiveXX).toBe(0);
    expect(figures.operations.size).toBe(operations.length);
    expect(figures.baselines.size).toBe(operations.length);
    expect(problems).toEqual([]);
  });
});

describe("bad input: regressions found by the generator", () => {
  it("a day outside 1000-01-01 … 9998-12-31 is a 400 naming the field, never a 500; the bounds themselves work", async () => {
    const u = await fastUser();
    const t = u.token;
    const refusedDays = ["9999-12-31", "9999-01-01", "0000-01-01", "0099-06-15", "0999-12-31"];
    for (const day of refusedDays) {
      // Days out of range on purpose: sent against the contract, so the paths are plain strings here.
      const calls: [string, { token: string; body?: object }, string][] = [
        ["/api/reports/daily/", { token: t, body: { date: day } }, "date"],
        ["/api/reports/weekly/", { token: t, body: { week_of: day } }, "week_of"],
        ["/api/reports/daily-async/", { token: t, body: { date: day } }, "date"],
        ["/api/report-requests/", { token: t, body: { type: "WEEKLY", day } }, "day"],
        [`/api/sessions/?date_to=${day}`, { token: t }, "date_to"],
        [`/api/sessions/export/?date_from=${day}`, { token: t }, "date_from"],
        [`/api/context-switches/?date_from=${day}`, { token: t }, "date_from"],
        [`/api/context-switches/?date_to=${day}`, { token: t }, "date_to"],
        [`/api/reports/?date_to=${day}`, { token: t }, "date_to"],
        [`/api/insights/export/?date_from=${day}`, { token: t }, "date_from"],
      ];
      for (const [path, opts, field] of calls) {
        const res = await api(path, opts);
        expect(res.status, `${path} ${day}: ${res.text}`).toBe(400);
        expect(errorOf(res).details.map((d) => d.path)).toContain(field);
      }
    }
    for (const [date, week] of [["9998-12-31", "9998-12-31"], ["1000-01-01", "1000-01-01"]]) {
      expect((await api("/api/reports/daily/", { token: t, body: { date } })).status).toBe(201);
      expect((await api("/api/reports/weekly/", { token: t, body: { week_of: week } })).status).toBe(201);
      expect((await api(`/api/sessions/?date_from=${date}&date_to=${date}`, { token: t })).status).toBe(200);
      expect((await api(`/api/context-switches/?date_from=${date}&date_to=${date}`, { token: t })).status).toBe(200);
    }
    await assertInvariants("out-of-range days");
  });
});

describe("bad input: sessions search within D1's 50-byte LIKE pattern limit", () => {
  it("a search of 100 multi-byte characters or 100 LIKE wildcards is a 200 that still finds the session", async () => {
    const u = await fastUser();
    const accents = "é".repeat(100);
    const percents = "%".repeat(100);
    for (const title of [accents, percents, `${"😀".repeat(40)}x`]) {
      const s = await ok(api("/api/sessions/", { token: u.token, body: { title } }));
      for (const path of ["/api/sessions/", "/api/sessions/export/"]) {
        const res = await api(`${path}?format=json&search=${encodeURIComponent(title)}`, { token: u.token });
        expect(res.status, res.text).toBe(200);
        const rows = (path.includes("export") ? res.body : (res.body as { results: unknown }).results) as { id: number }[];
        expect(rows.map((r) => r.id)).toContain(s.id);
      }
    }
    // The wildcards are literal: 100 % match only the session that has them, not every session.
    const res = await api(`/api/sessions/?search=${encodeURIComponent(percents)}`, { token: u.token });
    expect(res.body.results.map((r) => r.title)).toEqual([percents]);
  });
});

describe("bad input: property — any search text on any list is answered, never a 5xx", () => {
  it("150 random texts per searchable list (full-text and LIKE paths alike)", { timeout: 60_000 }, async () => {
    const u = await fastUser();
    const team = (await ok(api("/api/teams/", { token: u.token, body: { name: "Search" } }))).id;
    for (const title of ["alpha beta gamma", 'quote " and * star', "NEAR(x y) AND OR NOT", "naïve café 😀 ünïcode", "col:val ^caret -minus"]) {
      const task = await ok(api("/api/tasks/", { token: u.token, body: { title, description: title, team } }));
      await ok(api("/api/resources/", { token: u.token, body: { task: task.id, title, url: "https://example.com/x" } }));
      await ok(api("/api/sessions/", { token: u.token, body: { title, description: title } }));
    }
    const text = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 40 }),
      fc.string({ unit: "binary", maxLength: 40 }),
      fc.constantFrom('"', '""', "*", "a*", "NEAR(", "AND", "OR NOT", "^", "col:", "-x", "(", ")", "'", "\\", "%", "_", "\u0000ab", "ab\u0000", "   ", "abc\"def"),
      fc.array(fc.constantFrom("a", "b", '"', "*", "(", ")", ":", "^", "-", " ", "N", "E", "A", "R", "O", "é", "😀", "%", "_"), { maxLength: 30 }).map((a) => a.join("")),
    );
    const failures: string[] = [];
    let tried = 0;
    for (const [path, max] of [["/api/tasks/", 200], ["/api/tasks/export/", 200], ["/api/resources/", 200], ["/api/sessions/", 100]] as const) {
      await fc.assert(
        fc.asyncProperty(text, async (t) => {
          const res = await api(`${path}?search=${enc(t)}&team=${path.includes("tasks") ? team : ""}`.replace(/&team=$/, ""), { token: u.token });
          tried++;
          const ok = res.status < 500 && (res.status === 200 || (res.status === 400 && Array.from(t.trim()).length > max) || (res.status >= 400 && errorOf(res).code === "VALIDATION_FAILED"));
          if (!ok) failures.push(`${path} ${JSON.stringify(t)} → ${res.status} ${res.text.slice(0, 160)}`);
          return res.status < 500;
        }),
        { seed: SEED, numRuns: 150 },
      ).catch(() => undefined);
    }
    figures.inputs += tried;
    expect(failures).toEqual([]);
  });
});
