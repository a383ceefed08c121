/**
 * Secrets: passwords, API tokens, editor keys (waka_<uuid4>, and their Basic base64 form), GitHub tokens (the
 * request's and the GITHUB_TOKEN secret) and the Analytics Engine API token never appear in a response (but the
 * one that issued a token), a log line, an Analytics Engine data point, an export, an event frame or a D1 row —
 * asserted by scanning every one of them after a scenario that uses every secret, on success and failure paths.
 * A revoked, logged-out or expired token, or a revoked editor key, is refused on its very next request.
 */
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from "vitest";
import { api, errorOf, FINGERPRINT_TABLES, message, ok, openStream, rawRequest, reportFigures, sessionsThroughBinding, unchecked, worker, type ApiResponse, type Frame, type RawRequest } from "../harness";

const uid = crypto.randomUUID().slice(0, 8);
const PASSWORD = `pw-${uid}-correct-horse`;
const GITHUB_TOKEN_IN_REQUEST = `ghp_requestToken${uid}XYZ`;
const GITHUB_TOKEN_SECRET = `ghp_serverSecret${uid}XYZ`;
const CF_API_TOKEN = `cfat_${uid}_analytics_secret`;

/** Every secret, and where it may legitimately be seen (the response that issued a token shows it once). */
const secrets = new Map<string, { value: string; issuedBy?: number }>();
const responses: { label: string; index: number; text: string; headers: string }[] = [];
const frames: Frame[] = [];
let logSpies: MockInstance[] = [];
let pointSpy: MockInstance;
const queued: unknown[] = [];
let secretFigures: Record<string, number> = {};

/** A recorded API call: every response is scanned at the end. */
async function call<T>(label: string, request: Promise<ApiResponse<T>>): Promise<ApiResponse<T>> {
  const res = await request;
  const url = new URL(res.url);
  responses.push({ label: `${res.method} ${url.pathname}${url.search} (${label})`, index: responses.length, text: res.text, headers: JSON.stringify([...res.headers]) });
  return res;
}
/** Registers a secret; `issuedBy` is the index of the response allowed to show it (once). */
function secret(name: string, value: string, issuedBy?: number) {
  secrets.set(name, { value, issuedBy });
  return value;
}
/** A request the typed helper cannot make (a malformed body), recorded like the others. */
async function callRaw(label: string, req: RawRequest) {
  const res = await rawRequest(req);
  responses.push({ label: `${req.method ?? "GET"} ${req.path} (${label})`, index: responses.length, text: res.text, headers: JSON.stringify([...res.headers]) });
  return res;
}
/** The parts of a secret to look for: the whole, and for API tokens and editor keys the part after the shown prefix. */
const needles = (value: string) => (value.startsWith("dfk_") ? [value, value.slice(8)] : value.startsWith("waka_") ? [value, value.slice(13)] : [value]);

const fakeGithub = async (req: Request): Promise<Response> => {
  const url = new URL(req.url);
  if (url.hostname === "api.cloudflare.com") {
    if (req.headers.get("Authorization") !== `Bearer ${CF_API_TOKEN}`) return new Response("bad token", { status: 403 });
    return Response.json({ data: [{ timestamp: "2026-01-30 09:15:00", method: "GET", route: "/api/tasks", path: "/api/tasks/", status: 200, duration_ms: 1, response_bytes: 10, request_id: "r", colo: "AMS", team: "" }] });
  }
  const auth = req.headers.get("authorization");
  if (auth !== `token ${GITHUB_TOKEN_IN_REQUEST}` && auth !== `token ${GITHUB_TOKEN_SECRET}`) {
    // GitHub does not echo tokens; a hostile or buggy upstream might: the job's message must not carry it.
    return Response.json({ message: `Bad credentials: ${auth}` }, { status: 401 });
  }
  return Response.json(
    [1, 2, 3].map((n) => ({ id: 8_000 + n, number: n, title: `Issue ${n}`, body: "body", state: "open", html_url: `https://github.com/acme/repo/issues/${n}`, labels: [] })),
  );
};

beforeAll(() => {
  // The D1 failures and held writes below are injected on env.DB: let the requests' sessions go through it.
  sessionsThroughBinding();
  logSpies = (["log", "info", "warn", "error", "debug"] as const).map((m) => vi.spyOn(console, m).mockImplementation(() => {}));
  pointSpy = vi.spyOn(env.REQUEST_LOG, "writeDataPoint");
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => fakeGithub(new Request(input, init)));
  for (const q of [env.REPORTS_QUEUE, env.INSIGHTS_QUEUE, env.GITHUB_IMPORT_QUEUE]) {
    vi.spyOn(q, "send").mockImplementation(async (m: unknown) => {
      queued.push(m);
      return {} as QueueSendResponse;
    });
    vi.spyOn(q, "sendBatch").mockImplementation(async (ms: Iterable<MessageSendRequest>) => {
      for (const m of ms) queued.push(m.body);
      return {} as QueueSendBatchResponse;
    });
  }
});
afterAll(() => {
  vi.restoreAllMocks();
  reportFigures("secrets", secretFigures);
  delete (env as { GITHUB_TOKEN?: string }).GITHUB_TOKEN;
  delete (env as { CF_ACCOUNT_ID?: string }).CF_ACCOUNT_ID;
  delete (env as { CF_ANALYTICS_API_TOKEN?: string }).CF_ANALYTICS_API_TOKEN;
});

describe("secrets: never in a response, a log line, a data point, an export, a frame or a D1 row", () => {
  it("a scenario that uses every secret, on success and failure paths, leaves none of them anywhere", { timeout: 60_000 }, async () => {
    (env as { GITHUB_TOKEN?: string }).GITHUB_TOKEN = secret("GITHUB_TOKEN secret", GITHUB_TOKEN_SECRET);
    (env as { CF_ACCOUNT_ID?: string }).CF_ACCOUNT_ID = "acc-secrets";
    (env as { CF_ANALYTICS_API_TOKEN?: string }).CF_ANALYTICS_API_TOKEN = secret("CF_ANALYTICS_API_TOKEN secret", CF_API_TOKEN);
    secret("GitHub token of a request", GITHUB_TOKEN_IN_REQUEST);
    secret("password", PASSWORD);
    const ip = { "CF-Connecting-IP": "192.0.2.200" };
    const email = `secret-${uid}@example.com`;

    // Accounts and tokens.
    const reg = await call("register", api("/api/auth/register/", { body: { email, password: PASSWORD, name: "Sec" }, headers: ip }));
    expect(reg.status).toBe(201);
    const t0 = secret("register token", reg.body.token, responses.length - 1);
    expect((await call("wrong password", api("/api/auth/login/", { body: { email, password: `${PASSWORD}-wrong` }, headers: ip }))).status).toBe(401);
    secret("wrong password", `${PASSWORD}-wrong`);
    expect((await call("password as email", api("/api/auth/login/", { body: { email: PASSWORD, password: PASSWORD }, headers: ip }))).status).toBe(400);
    expect((await call("short password", api("/api/auth/register/", { body: { email: `x${email}`, password: "short" }, headers: ip }))).status).toBe(400);
    const login = await call("login", api("/api/auth/login/", { body: { email, password: PASSWORD }, headers: ip }));
    const t1 = secret("login token", login.body.token, responses.length - 1);
    const named = await call("named token", api("/api/auth/tokens/", { token: t0, body: { name: "cli", expires_at: new Date(Date.now() + 86_400_000).toISOString() } }));
    const t2 = secret("named token", named.body.token, responses.length - 1);
    const list = await call("token list", api("/api/auth/tokens/", { token: t1 }));
    expect(list.body.results.length).toBe(3);
    for (const t of list.body.results) expect(Object.keys(t).sort()).toEqual(["created_at", "expires_at", "id", "last_used_at", "name", "prefix", "scope"]);
    await call("me", api("/api/auth/me/", { token: t2 }));
    await call("token in the query string", api(`/api/tasks/?access_token=${t2}&token=${t1}`, { token: t0 }));
    await call("bad bearer", api("/api/auth/me/", { headers: { Authorization: `Bearer ${t0}junk` } }));
    await call("token as basic auth", api("/api/auth/me/", { headers: { Authorization: `Basic ${btoa(`${email}:${PASSWORD}`)}` } }));

    // Work that produces data, reports and events.
    const team = (await call("team", api("/api/teams/", { token: t0, body: { name: "Secret team" } }))).body.id;
    const streams = [await openStream("/api/events/stream/", t1), await openStream(`/api/events/stream/?team=${team}`, t2)];
    const task = (await call("task", api("/api/tasks/", { token: t0, body: { title: "Task", team } }))).body.id;
    const s = (await call("session", api("/api/sessions/", { token: t1, body: { team, started_at: "2026-01-30T09:00:00Z" } }))).body.id;
    await call("switch", api("/api/context-switches/", { token: t1, body: { dev_session: s, to_task: task } }));
    await call("resource", api("/api/resources/", { token: t1, body: { task, url: "https://example.com/doc" } }));
    await call("close", api(`/api/sessions/${s}/close/`, { token: t1, body: { ended_at: "2026-01-30T09:20:00Z" } }));
    await call("daily", api("/api/reports/daily/", { token: t0, body: { date: "2026-01-30" } }));
    await call("team daily", api("/api/reports/daily/", { token: t0, body: { date: "2026-01-30", team } }));

    // GitHub imports: with the request's token, with the server's secret, with a token GitHub refuses.
    for (const [label, token] of [["request token", GITHUB_TOKEN_IN_REQUEST], ["server secret", undefined], ["refused token", `ghp_refused${uid}`]] as const) {
      if (label === "refused token") secret("refused GitHub token", token!);
      queued.length = 0;
      const job = await call(`import (${label})`, api("/api/tasks/import_github/", { token: t0, body: { owner: "acme", repo: "repo", team_id: team, ...(token ? { token } : {}) } }));
      expect(job.status).toBe(202);
      expect(queued).toEqual([{ kind: "import_page", jobId: job.body.id, page: 1, ...(token ? { token } : {}) }]);
      await worker.queue("devfocus-github-import", [message(queued[0])]);
      const after = await call(`import job (${label})`, api(`/api/imports/${job.body.id}/`, { token: t2 }));
      expect(after.body.status).toBe(label === "refused token" ? "FAILED" : "DONE");
    }
    await call("imports", api("/api/imports/", { token: t1 }));

    // Request logs through the Analytics Engine SQL API (its token is a secret), success and failure.
    expect((await call("request logs", api("/api/request-logs/", { token: t1 }))).status).toBe(200);
    vi.mocked(globalThis.fetch).mockImplementationOnce(async () => new Response(`upstream error mentioning ${CF_API_TOKEN}`, { status: 500 }));
    expect((await call("request logs failing", api("/api/request-logs/", { token: t1 }))).status).toBe(502);

    // Editor keys: issued once, then sent every way wakatime-cli and other clients send one (Basic base64(key),
    // Bearer, ?api_key=), on the compat API's success and failure paths and where a key opens nothing.
    const V1 = "/api/compat/wakatime/v1/users/current";
    const issued = await call("editor key", api("/api/auth/tokens/", { token: t0, body: { name: "editors", scope: "EDITOR" } }));
    const ek = secret("editor key", issued.body.token, responses.length - 1);
    expect(ek).toMatch(/^waka_[0-9a-f-]{36}$/);
    secret("editor key as Basic", btoa(ek));
    const doomed = await call("editor key to revoke", api("/api/auth/tokens/", { token: t1, body: { name: "old editors", scope: "EDITOR" } }));
    const ek2 = secret("revoked editor key", doomed.body.token, responses.length - 1);
    const basic = (key: string) => ({ Authorization: `Basic ${btoa(key)}`, "X-Machine-Name": "sec-laptop" });
    const beat = (minutesAgo: number) => ({
      entity: "/home/sec/src/app.ts", type: "file" as const, time: (Date.now() - minutesAgo * 60_000) / 1000, category: "coding", project: "secret-project",
      branch: "main", user_agent: "wakatime/v1.90.0 (linux-6.5.0-x86_64) go1.22.1 vscode/1.88.0 vscode-wakatime/24.5.0",
    });
    const bulk = await call("heartbeats.bulk (Basic)", api(`${V1}/heartbeats.bulk`, { headers: basic(ek), body: unchecked([beat(30), beat(20), { ...beat(10), time: "soon" }, beat(5)]) }));
    expect(bulk.status).toBe(202);
    expect((bulk.body as { responses: [unknown, number][] }).responses.map(([, st]) => st)).toEqual([201, 201, 400, 201]);
    expect((await call("heartbeat (Bearer)", api(`${V1}/heartbeats`, { headers: { Authorization: `Bearer ${ek}` }, body: beat(4) }))).status).toBe(201);
    expect((await call("statusbar (?api_key=)", api(`${V1}/statusbar/today?api_key=${ek}`))).status).toBe(200);
    expect((await call("summaries (Basic)", api(`${V1}/summaries?start=2026-01-29&end=2026-01-30`, { headers: basic(ek) }))).status).toBe(200);
    expect((await call("current user (Basic)", api(V1, { headers: basic(ek) }))).status).toBe(200);
    // Failures: each one gets a log line, the place a key is likeliest to be echoed.
    expect((await callRaw("malformed bulk, key in the query", { method: "POST", path: `${V1}/heartbeats.bulk?api_key=${ek}`, headers: { "Content-Type": "application/json" }, body: "[{" })).status).toBe(400);
    expect((await call("a bulk that is no list, Basic", api(`${V1}/heartbeats.bulk`, { headers: basic(ek), body: unchecked({ heartbeats: [] }) }))).status).toBe(400);
    expect((await call("editor key outside the compat API", api("/api/auth/me/", { headers: { Authorization: `Bearer ${ek}` } }))).status).toBe(401);
    expect((await call("editor key as Basic outside", api(`/api/tasks/?api_key=${ek}`, { headers: basic(ek) }))).status).toBe(401);
    expect((await call("mangled editor key", api(`${V1}/statusbar/today`, { headers: basic(`${ek}0`) }))).status).toBe(401);
    expect((await call("editor key as a Basic password", api(`${V1}/statusbar/today`, { headers: { Authorization: `Basic ${btoa(`${email}:${ek}`)}` } }))).status).toBe(401);
    expect((await call("revoke editor key", api(`/api/auth/tokens/${doomed.body.id}/`, { method: "DELETE", token: t1 }))).status).toBe(204);
    expect((await call("revoked editor key (Basic)", api(`${V1}/heartbeats.bulk`, { headers: basic(ek2), body: unchecked([beat(3)]) }))).status).toBe(401);
    expect((await call("revoked editor key (?api_key=)", api(`${V1}/statusbar/today?api_key=${ek2}`))).status).toBe(401);
    const keys = await call("token list with editor keys", api("/api/auth/tokens/", { token: t2 }));
    expect(keys.body.results.filter((t) => t.scope === "EDITOR").map((t) => t.prefix)).toEqual([ek.slice(0, 13)]);
    // The editor's day is sessions like any other: in the exports below, and announced on the stream.
    expect((await call("editor sessions", api("/api/sessions/?source=EDITOR", { token: t0 }))).body.results).toHaveLength(1);

    // Every export, both formats, personal and team.
    for (const kind of ["tasks", "sessions", "reports", "insights"]) {
      for (const format of ["csv", "json"]) {
        expect((await call(`export ${kind}.${format}`, api(`/api/${kind}/export/?format=${format}`, { token: t0 }))).status).toBe(200);
        expect((await call(`team export ${kind}.${format}`, api(`/api/${kind}/export/?format=${format}&team=${team}`, { token: t2 }))).status).toBe(200);
      }
    }
    await call("openapi", api("/api/openapi.json"));

    // An internal error: its response carries the request id only (the detail goes to the log).
    const broken = vi.spyOn(env.DB, "batch").mockRejectedValueOnce(new Error("D1_ERROR: disk I/O error (injected)"));
    const crash = await call("internal error", api("/api/teams/", { token: t0, body: { name: "Crash" } }));
    broken.mockRestore();
    expect(crash.status).toBe(500);
    expect(errorOf(crash)).toEqual({ code: "INTERNAL", message: "Internal server error.", details: [], request_id: expect.any(String) });

    for (const st of streams) {
      frames.push(...(await st.drain(300)));
      await st.cancel();
    }
    expect(frames.some((f) => f.event === "import.updated")).toBe(true);

    // ── The scan ──────────────────────────────────────────────────────────────────────────────
    const leaks: string[] = [];
    const logLines = logSpies.flatMap((spy) => spy.mock.calls.map((args) => args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ")));
    const points = pointSpy.mock.calls.map((args) => JSON.stringify(args));
    const tables = await env.DB.batch(FINGERPRINT_TABLES.map((t) => env.DB.prepare(`SELECT * FROM ${t}`)));
    const rows = tables.flatMap((r, i) => (r.results as object[]).map((row) => `${FINGERPRINT_TABLES[i]}: ${JSON.stringify(row)}`));
    const hashes = (await env.DB.prepare("SELECT token_hash AS h FROM api_tokens UNION ALL SELECT password_hash FROM users").all<{ h: string }>()).results.map((r) => r.h);
    for (const h of hashes) secret(`hash ${h.slice(0, 12)}`, h);
    for (const [name, { value, issuedBy }] of secrets) {
      for (const needle of needles(value)) {
        for (const r of responses) if (r.index !== issuedBy && (r.text.includes(needle) || r.headers.includes(needle))) leaks.push(`${name} in the response to ${r.label}`);
        for (const l of logLines) if (l.includes(needle)) leaks.push(`${name} in a log line: ${l.slice(0, 160)}`);
        for (const p of points) if (p.includes(needle)) leaks.push(`${name} in a data point`);
        for (const f of frames) if (JSON.stringify(f).includes(needle)) leaks.push(`${name} in an event frame`);
        // D1 holds hashes by design, never a plaintext secret.
        if (!name.startsWith("hash")) for (const row of rows) if (row.includes(needle)) leaks.push(`${name} stored in D1: ${row.slice(0, 120)}`);
        // Only the GitHub token of a request travels in its queue message.
        if (!name.includes("GitHub token of a request") && !name.includes("refused GitHub")) {
          for (const m of queued) if (JSON.stringify(m).includes(needle)) leaks.push(`${name} in a queue message`);
        }
      }
    }
    secretFigures = {
      secrets_tracked: secrets.size,
      responses_scanned: responses.length,
      log_lines_scanned: logLines.length,
      data_points_scanned: points.length,
      event_frames_scanned: frames.length,
      d1_rows_scanned: rows.length,
      exports_scanned: 16,
      leaks: leaks.length,
    };
    expect(leaks).toEqual([]);
    expect(responses.length).toBeGreaterThan(40);
    // A request gets a log line only when it fails or is slow (src/platform/request-log.ts): the failure
    // paths, where a secret is likeliest to be echoed, must all be among the lines scanned.
    const requestLines = logLines.filter((l) => l.includes('"msg":"request"'));
    for (const status of [400, 401, 500, 502]) expect(requestLines.some((l) => l.includes(`"status":${status}`)), `a request line for a ${status}`).toBe(true);
    expect(logLines.length).toBeGreaterThan(10);
    expect(points.length).toBeGreaterThan(40);
  });
});

describe("secrets: a token stops working on its very next request", () => {
  it("revoked, logged out, expired — and a burst of requests right after the revocation: every one 401", { timeout: 30_000 }, async () => {
    const email = `revoke-${uid}@example.com`;
    const reg = await api("/api/auth/register/", { body: { email, password: PASSWORD }, headers: { "CF-Connecting-IP": "192.0.2.201" } });
    const main = reg.body.token;
    const make = (name: string, extra: { expires_at?: string } = {}) => ok(api("/api/auth/tokens/", { token: main, body: { name, ...extra } }));

    // DELETE /api/auth/tokens/{id}: the very next request with it is refused, on every route.
    const revoked = await make("revoked");
    expect((await api("/api/auth/me/", { token: revoked.token })).status).toBe(200);
    expect((await api(`/api/auth/tokens/${revoked.id}/`, { method: "DELETE", token: main })).status).toBe(204);
    const next = await api("/api/auth/me/", { token: revoked.token });
    expect(next.status).toBe(401);
    expect(errorOf(next).code).toBe("UNAUTHORIZED");
    for (const path of ["/api/tasks/", "/api/sessions/", "/api/teams/", "/api/reports/export/", "/api/events/stream/"]) {
      expect((await api(path, { token: revoked.token })).status, path).toBe(401);
    }

    // Revoked while 30 requests with it are about to start: each one that starts after is refused.
    const burst = await make("burst");
    expect((await api(`/api/auth/tokens/${burst.id}/`, { method: "DELETE", token: main })).status).toBe(204);
    const after = await Promise.all(Array.from({ length: 30 }, () => api("/api/tasks/", { token: burst.token })));
    expect(after.map((r) => r.status)).toEqual(Array(30).fill(401));

    // Logout revokes the token it was sent with, and only that one.
    const other = await make("other");
    expect((await api("/api/auth/logout/", { method: "POST", token: other.token })).status).toBe(204);
    expect((await api("/api/auth/me/", { token: other.token })).status).toBe(401);
    expect((await api("/api/auth/logout/", { method: "POST", token: other.token })).status).toBe(401);
    expect((await api("/api/auth/me/", { token: main })).status).toBe(200);

    // A revoked token cannot revoke, create or list tokens either.
    expect((await api("/api/auth/tokens/", { token: other.token, body: { name: "x" } })).status).toBe(401);
    expect((await api(`/api/auth/tokens/${revoked.id}/`, { method: "DELETE", token: other.token })).status).toBe(401);

    // Expiry: valid until expires_at, refused right after.
    const expiring = await make("expiring", { expires_at: new Date(Date.now() + 1500).toISOString() });
    expect((await api("/api/auth/me/", { token: expiring.token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    expect((await api("/api/auth/me/", { token: expiring.token })).status).toBe(401);

    // Another user's token id cannot be revoked by guessing it.
    const stranger = await api("/api/auth/register/", { body: { email: `s-${email}`, password: PASSWORD }, headers: { "CF-Connecting-IP": "192.0.2.202" } });
    const mine = await make("mine");
    expect((await api(`/api/auth/tokens/${mine.id}/`, { method: "DELETE", token: stranger.body.token })).status).toBe(404);
    expect((await api("/api/auth/me/", { token: mine.token })).status).toBe(200);
  });
});
