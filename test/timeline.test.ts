import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectError, makeUser, openapiDocument, openSession, rawRequest, type ApiResponse, type RequestBody, type TestUser } from "./harness";

const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const T = Date.parse("2026-11-20T09:00:00.000Z");
const at = (minutes: number) => iso(T + minutes * MINUTE);

const session = async (u: TestUser, startMinutes = 0) => (await openSession(u.token, { title: "timeline", started_at: at(startMinutes) })).id;
/** A POST of a session action or a switch; the bodies here are valid, their times the point. */
const post = <P extends string>(u: TestUser, path: P, body?: RequestBody<P, "POST">) => api(path, { method: "POST", token: u.token, body });
const detail = async (u: TestUser, id: number) => (await api(`/api/sessions/${id}/`, { token: u.token })).body;
const pauseRows = async (id: number) =>
  (await env.DB.prepare("SELECT paused_at, resumed_at FROM session_pauses WHERE session_id = ? ORDER BY id").bind(id).all()).results;

function expectField(res: ApiResponse<unknown>, field: string) {
  expectError(res, 400, "VALIDATION_FAILED");
  expect(res.body.error.details).toEqual([{ path: field, message: expect.stringMatching(/^Must not be before/) }]);
}

describe("timeline: happy path", () => {
  it("events in order are accepted, and close may end exactly at the last event", async () => {
    const u = await makeUser();
    const id = await session(u);
    expect((await post(u, "/api/context-switches/", { dev_session: id, happened_at: at(10), reason: "INTERRUPT" })).status).toBe(201);
    expect((await post(u, `/api/sessions/${id}/pause/`, { at: at(20) })).status).toBe(200);
    expect((await post(u, `/api/sessions/${id}/resume/`, { at: at(30) })).status).toBe(200);
    // A switch may lie before the last pause: switches and pauses interleave freely inside the session.
    expect((await post(u, "/api/context-switches/", { dev_session: id, happened_at: at(40), reason: "OTHER" })).status).toBe(201);
    const closed = await post(u, `/api/sessions/${id}/close/`, { ended_at: at(40) });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: "DONE", ended_at: at(40), total_focus_minutes: 30, last_switch_at: at(40) });
    // The detail carries the pauses (the dashboard's timeline draws them), in time order.
    expect(closed.body.pauses).toEqual([{ paused_at: at(20), resumed_at: at(30) }]);
  });

  it("the detail lists a running session's pauses in time order, the open one with resumed_at null", async () => {
    const u = await makeUser();
    const id = await session(u);
    await post(u, `/api/sessions/${id}/pause/`, { at: at(5) });
    await post(u, `/api/sessions/${id}/resume/`, { at: at(8) });
    await post(u, `/api/sessions/${id}/pause/`, { at: at(12) });
    expect((await detail(u, id)).pauses).toEqual([
      { paused_at: at(5), resumed_at: at(8) },
      { paused_at: at(12), resumed_at: null },
    ]);
  });

  it("a default close is never before an event a client clock a moment ahead put on the timeline", async () => {
    const u = await makeUser();
    const s = await api("/api/sessions/", { token: u.token, body: { title: "skew" } });
    const ahead = iso(Date.now() + 900); // PastTimestamp allows 1 s of clock skew
    expect((await post(u, "/api/context-switches/", { dev_session: s.body.id, happened_at: ahead })).status).toBe(201);
    const closed = await post(u, `/api/sessions/${s.body.id}/close/`);
    expect(closed.status).toBe(200);
    expect(closed.body.ended_at! >= ahead).toBe(true);
  });
});

/** Each error is a 400 naming the field, and nothing is written. */
describe("timeline: errors", () => {
  it("close before the last switch", async () => {
    const u = await makeUser();
    const id = await session(u);
    await post(u, "/api/context-switches/", { dev_session: id, happened_at: at(30) });
    const before = await detail(u, id);
    expectField(await post(u, `/api/sessions/${id}/close/`, { ended_at: at(29) }), "ended_at");
    expect(await detail(u, id)).toEqual(before);
  });

  it("close before the last resume, or before the pause of a paused session", async () => {
    const u = await makeUser();
    const id = await session(u);
    await post(u, `/api/sessions/${id}/pause/`, { at: at(10) });
    await post(u, `/api/sessions/${id}/resume/`, { at: at(50) });
    expectField(await post(u, `/api/sessions/${id}/close/`, { ended_at: at(40) }), "ended_at");
    await post(u, `/api/sessions/${id}/pause/`, { at: at(60) });
    const before = await detail(u, id);
    expectField(await post(u, `/api/sessions/${id}/close/`, { ended_at: at(55) }), "ended_at");
    expect(await detail(u, id)).toEqual(before);
    expect(await pauseRows(id)).toEqual([
      { paused_at: at(10), resumed_at: at(50) },
      { paused_at: at(60), resumed_at: null },
    ]);
  });

  it("pauses and resumes alternate in time; none before the start", async () => {
    const u = await makeUser();
    const id = await session(u, 0);
    expectField(await post(u, `/api/sessions/${id}/pause/`, { at: at(-5) }), "at");
    await post(u, `/api/sessions/${id}/pause/`, { at: at(20) });
    expectField(await post(u, `/api/sessions/${id}/resume/`, { at: at(19) }), "at");
    await post(u, `/api/sessions/${id}/resume/`, { at: at(30) });
    expectField(await post(u, `/api/sessions/${id}/pause/`, { at: at(25) }), "at");
    expect((await detail(u, id)).status).toBe("OPEN");
    expect(await pauseRows(id)).toEqual([{ paused_at: at(20), resumed_at: at(30) }]);
  });

  it("a switch before the session's start", async () => {
    const u = await makeUser();
    const id = await session(u, 0);
    expectField(await post(u, "/api/context-switches/", { dev_session: id, happened_at: at(-1) }), "happened_at");
    expect((await detail(u, id)).switch_count).toBe(0);
  });
});

describe("timeline: sessions stored out of order before the rule (migration 0003)", () => {
  it("moves stray events onto the session's bounds and keeps its numbers", async () => {
    const u = await makeUser();
    const id = await session(u, 0);
    await post(u, "/api/context-switches/", { dev_session: id, happened_at: at(10), reason: "INTERRUPT" });
    await post(u, `/api/sessions/${id}/pause/`, { at: at(20) });
    await post(u, `/api/sessions/${id}/resume/`, { at: at(30) });
    await post(u, `/api/sessions/${id}/close/`, { ended_at: at(60) });
    // What the old close allowed, written directly: an end before the last switch and inside a pause, a
    // pause after the end, and a pause written twice by a lost race.
    await env.DB.batch([
      env.DB.prepare("UPDATE dev_sessions SET ended_at = ?, total_focus_minutes = 20 WHERE id = ?").bind(at(25), id),
      env.DB.prepare("UPDATE context_switches SET happened_at = ? WHERE session_id = ?").bind(at(40), id),
      env.DB.prepare("UPDATE dev_sessions SET last_switch_at = ? WHERE id = ?").bind(at(40), id),
      env.DB.prepare("INSERT INTO session_pauses (session_id, paused_at, resumed_at) VALUES (?, ?, ?)").bind(id, at(21), at(30)),
      env.DB.prepare("INSERT INTO session_pauses (session_id, paused_at, resumed_at) VALUES (?, ?, ?)").bind(id, at(45), at(50)),
    ]);
    const other = await session(u, 0);
    await post(u, `/api/sessions/${other}/pause/`, { at: at(5) });
    await post(u, `/api/sessions/${other}/resume/`, { at: at(15) });
    await post(u, `/api/sessions/${other}/close/`, { ended_at: at(30) });
    // Partly overlapping pauses (one began inside another).
    await env.DB.prepare("INSERT INTO session_pauses (session_id, paused_at, resumed_at) VALUES (?, ?, ?)").bind(other, at(10), at(20)).run();

    const repair = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0003"))!;
    await env.DB.batch(repair.queries.map((q) => env.DB.prepare(q)));

    const s = await detail(u, id);
    expect(s).toMatchObject({ ended_at: at(25), total_focus_minutes: 20, switch_count: 1, last_switch_at: at(25) });
    expect(await pauseRows(id)).toEqual([{ paused_at: at(20), resumed_at: at(25) }]);
    expect(await pauseRows(other)).toEqual([
      { paused_at: at(5), resumed_at: at(15) },
      { paused_at: at(15), resumed_at: at(20) },
    ]);
    // Idempotent: a second run changes nothing.
    const results = await env.DB.batch(repair.queries.map((q) => env.DB.prepare(q)));
    expect(results.map((r) => r.meta.changes)).toEqual(repair.queries.map(() => 0));
  });
});

/** Request bodies are stored as sent, or not at all. */
describe("platform: errors", () => {
  const loneSurrogateBytes = (json: string) => {
    // The UTF-8-style bytes of U+D800 (ED A0 80): not UTF-8, which has no surrogates.
    const [head, tail] = json.split("@") as [string, string];
    return new Uint8Array([...new TextEncoder().encode(head), 0xed, 0xa0, 0x80, ...new TextEncoder().encode(tail)]);
  };
  /** Bytes sent as a JSON body, as no client would build them. */
  const rawJson = (path: string, u: TestUser, body: BodyInit, method = "POST") =>
    rawRequest({ method, path, body, headers: { Authorization: `Bearer ${u.token}`, "Content-Type": "application/json" } });
  const taskCount = async () => (await env.DB.prepare("SELECT count(*) AS n FROM tasks").first<{ n: number }>())!.n;

  it("a title with bytes that are not UTF-8 is a 400 INVALID_JSON and no task", async () => {
    const u = await makeUser();
    const before = await taskCount();
    const res = await rawJson("/api/tasks/", u, loneSurrogateBytes('{"title":"bad @ title"}'));
    expectError(res, 400, "INVALID_JSON");
    expect(res.body.error.details).toEqual([{ path: "body", message: "The body is not valid UTF-8." }]);
    expect(await taskCount()).toBe(before);
  });

  it("an escaped lone surrogate is refused; an escaped pair and plain non-ASCII text are stored as sent", async () => {
    const u = await makeUser();
    const lone = await rawJson("/api/tasks/", u, '{"title":"half \\ud83d of a smile"}');
    expectError(lone, 400, "INVALID_JSON");
    const key = await rawJson("/api/tasks/", u, '{"title":"ok","\\udc00":1}');
    expectError(key, 400, "INVALID_JSON");
    const pair = await rawJson("/api/tasks/", u, '{"title":"a \\ud83d\\ude00 and é, 漢字 and a literal \\\\ud800"}');
    expect(pair.status).toBe(201);
    expect(pair.body.title).toBe("a 😀 and é, 漢字 and a literal \\ud800");
    expect((await api(`/api/tasks/${pair.body.id as number}/`, { token: u.token })).body.title).toBe(pair.body.title);
  });

  it("every operation with a JSON body refuses a body that is not UTF-8, before writing anything", async () => {
    const u = await makeUser();
    const doc = await openapiDocument();
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([m, op]) => ["post", "put", "patch"].includes(m) && op.requestBody)
        .map(([m]) => ({ method: m.toUpperCase(), path: path.replace(/\{[^}]+\}/g, "1") })),
    );
    expect(ops.length).toBeGreaterThanOrEqual(20);
    const counts = async () =>
      (await env.DB.prepare("SELECT (SELECT count(*) FROM tasks) + (SELECT count(*) FROM dev_sessions) + (SELECT count(*) FROM teams) + (SELECT count(*) FROM users) + (SELECT count(*) FROM api_tokens) AS n").first<{ n: number }>())!.n;
    const before = await counts();
    for (const op of ops) {
      const res = await rawJson(op.path, u, loneSurrogateBytes('{"title":"@","name":"@","email":"@"}'), op.method);
      expect(`${op.method} ${op.path} → ${res.status} ${res.body?.error?.code}`).toBe(`${op.method} ${op.path} → 400 INVALID_JSON`);
    }
    expect(await counts()).toBe(before);
  });
});
