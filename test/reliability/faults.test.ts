/**
 * Faults and redelivery: queue consumers that throw mid-batch (and poison messages), messages delivered
 * twice (one after the other and at once), a D1 failure injected into every multi-statement write (nothing
 * half-written), a queue that refuses a send, GitHub timeouts, resets and 5xx, and EventHubs evicted or
 * aborted mid-stream (the client reconnects with Last-Event-ID and loses no event). After each fault the
 * invariant checker finds nothing, and the work completes once the fault is gone.
 */
import { abortAllDurableObjects, evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi, type MockInstance } from "vitest";
import { channelsFor, eventPublisher, hubFor } from "../../src/modules/events/publisher";
import {
  api,
  changedTables,
  countRows,
  createTeam,
  errorOf,
  fastUser,
  fingerprint,
  message as msg,
  ok,
  openStream,
  reportFigures,
  sessionsThroughBinding,
  waitFor,
  worker,
  type ApiResponse,
  type EventStream,
  type Frame,
  type QueueName,
  type TestUser,
} from "../harness";
import { assertInvariants, invariantStats } from "./invariants";

const DAY = "2026-01-30";
const faults = { survived: 0, byKind: {} as Record<string, number> };
/** One fault injected and survived: counted for the README, then the invariants are checked. */
async function survived(kind: string) {
  await assertInvariants(kind);
  faults.survived++;
  faults.byKind[kind] = (faults.byKind[kind] ?? 0) + 1;
}


// ─── A fake GitHub at the fetch boundary, with failures on demand ───────────────────────────────

interface Issue {
  id: number;
  number: number;
  pr?: boolean;
}
const repos = new Map<string, Issue[]>();
/** Answers for the next GitHub requests, before the normal one (a function may throw, like a network error). */
const nextAnswers: ((req: Request) => Response | Promise<Response>)[] = [];
const githubCalls: { url: string; authorization: string | null }[] = [];

async function fakeGithub(req: Request): Promise<Response> {
  const url = new URL(req.url);
  githubCalls.push({ url: req.url, authorization: req.headers.get("authorization") });
  const override = nextAnswers.shift();
  if (override) return override(req);
  const m = url.pathname.match(/^\/repos\/([^/]+)\/([^/]+)\/issues$/);
  const items = m ? repos.get(`${m[1]}/${m[2]}`) : undefined;
  if (!items) return Response.json({ message: "Not Found" }, { status: 404 });
  const page = Number(url.searchParams.get("page") ?? 1);
  const slice = items.slice((page - 1) * 100, page * 100);
  const headers: Record<string, string> = { "x-ratelimit-remaining": "4000" };
  if (page * 100 < items.length) {
    headers.link = `<https://api.github.com${url.pathname}?page=${page + 1}>; rel="next"`;
  }
  return Response.json(
    slice.map((i) => ({
      id: i.id,
      number: i.number,
      title: `Issue ${i.number}`,
      body: "body",
      state: "open",
      html_url: `https://github.com/${m![1]}/${m![2]}/issues/${i.number}`,
      labels: [],
      ...(i.pr ? { pull_request: { url: "x" } } : {}),
    })),
    { headers },
  );
}

let fetchSpy: MockInstance<typeof fetch>;
/** Messages the Worker sent to its own queues: delivered by hand, so each test controls every delivery. */
const sent: Record<string, unknown[]> = { reports: [], insights: [], github: [] };

beforeAll(() => {
  // The D1 failures and held writes below are injected on env.DB: let the requests' sessions go through it.
  sessionsThroughBinding();
  fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => fakeGithub(new Request(input, init)));
  const capture = (q: Queue, into: unknown[]) => {
    vi.spyOn(q, "send").mockImplementation(async (m: unknown) => {
      into.push(m);
      return {} as QueueSendResponse;
    });
    vi.spyOn(q, "sendBatch").mockImplementation(async (ms: Iterable<MessageSendRequest>) => {
      for (const m of ms) into.push(m.body);
      return {} as QueueSendBatchResponse;
    });
  };
  capture(env.REPORTS_QUEUE, sent.reports!);
  capture(env.INSIGHTS_QUEUE, sent.insights!);
  capture(env.GITHUB_IMPORT_QUEUE, sent.github!);
  vi.spyOn(console, "log").mockImplementation(() => {});
});
afterAll(() => {
  fetchSpy.mockRestore();
  reportFigures("faults", { faults_survived: faults.survived, by_kind: faults.byKind, invariant_checks: invariantStats.checks });
});
afterEach(() => {
  nextAnswers.length = 0;
});

/** A user with a short session on DAY (its daily report gets a LOW_FOCUS_TIME insight). */
async function userWithDay(): Promise<TestUser> {
  const u = await fastUser();
  const s = await ok(api("/api/sessions/", { token: u.token, body: { started_at: `${DAY}T09:00:00Z` } }));
  await ok(api(`/api/sessions/${s.id}/close/`, { token: u.token, body: { ended_at: `${DAY}T09:20:00Z` } }));
  return u;
}
const requestRow = (id: number) => env.DB.prepare("SELECT * FROM report_requests WHERE id = ?").bind(id).first<Record<string, any>>();
const insertRequest = async (userId: number, day = DAY) =>
  (await env.DB.prepare("INSERT INTO report_requests (user_id, type, day) VALUES (?, 'DAILY', ?) RETURNING id").bind(userId, day).first<{ id: number }>())!.id;

// ─── Consumers that throw mid-batch ─────────────────────────────────────────────────────────────

describe("faults: a consumer that throws mid-batch", () => {
  it("reports queue: the bad message is retried, every other one (poison included) is acked and done", async () => {
    const u = await userWithDay();
    const good1 = await insertRequest(u.id);
    const bad = await insertRequest(u.id, "not-a-day"); // generation throws on it
    const good2 = await insertRequest(u.id, "2026-01-29");
    const batch = [
      msg({ kind: "report_request", requestId: good1 }, 1, "good1"),
      msg({ kind: "report_request", requestId: bad }, 1, "bad"),
      msg(null, 1, "poison-null"),
      msg({ kind: "bogus" }, 1, "poison-kind"),
      msg("garbage", 1, "poison-string"),
      msg({ kind: "scheduled_report", userId: u.id, type: "WEEKLY", day: DAY }, 1, "good-scheduled"),
      msg({ kind: "report_request", requestId: good2 }, 1, "good2"),
    ];
    const result = await worker.queue("devfocus-reports", batch);
    expect(result.outcome).toBe("ok");
    expect(result.explicitAcks.sort()).toEqual(["good-scheduled", "good1", "good2", "poison-kind", "poison-null", "poison-string"]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["bad"]);
    expect((await requestRow(good1))!.status).toBe("DONE");
    expect((await requestRow(good2))!.status).toBe("DONE");
    expect(await requestRow(bad)).toMatchObject({ status: "RUNNING", attempts: 1 });
    await survived("consumer throws mid-batch");
    // Its last attempt fails it for good, and is acked.
    const last = await worker.queue("devfocus-reports", [msg({ kind: "report_request", requestId: bad }, 4, "bad-last")]);
    expect(last.explicitAcks).toEqual(["bad-last"]);
    expect(await requestRow(bad)).toMatchObject({ status: "FAILED", attempts: 4 });
    await survived("consumer throws mid-batch");
  });

  it("insights, import and dead-letter queues: a throwing or malformed message never takes its batch down", async () => {
    const u = await userWithDay();
    const report = await ok(api("/api/reports/daily/", { token: u.token, body: { date: DAY } }));
    const corrupt = await env.DB.prepare(
      `INSERT INTO reports (type, user_id, owner_key, period_start, period_end, timezone, payload, summary)
       VALUES ('DAILY', ?, ?, '2020-01-01', '2020-01-01', 'UTC', '"not an object"', 's') RETURNING id`,
    )
      .bind(u.id, `user:${u.id}`)
      .first<{ id: number }>();
    const ins = await worker.queue("devfocus-insights", [
      msg({ kind: "insights", reportId: report.id }, 1, "good"),
      msg({ kind: "insights", reportId: corrupt!.id }, 1, "corrupt"),
      msg({ kind: "insights", reportId: 999_999_999 }, 1, "missing"),
      msg(null, 1, "poison"),
    ]);
    expect(ins.outcome).toBe("ok");
    expect(ins.explicitAcks.sort()).toEqual(["good", "missing", "poison"]);
    expect(ins.retryMessages.map((m) => m.msgId)).toEqual(["corrupt"]);
    await survived("consumer throws mid-batch");

    const owner = await fastUser();
    const team = (await createTeam(owner)).id;
    repos.set("acme/batch-ok", [{ id: 1, number: 1 }]);
    const jobOk = await ok(api("/api/tasks/import_github/", { token: owner.token, body: { owner: "acme", repo: "batch-ok", team_id: team } }));
    const jobDown = await ok(api("/api/tasks/import_github/", { token: owner.token, body: { owner: "acme", repo: "batch-down", team_id: team } }));
    repos.set("acme/batch-down", [{ id: 2, number: 1 }]);
    nextAnswers.push(() => new Response("upstream exploded", { status: 500 }));
    const gh = await worker.queue("devfocus-github-import", [
      msg({ kind: "import_page", jobId: jobDown.id, page: 1 }, 1, "down"),
      msg({ kind: "import_page", jobId: jobOk.id, page: 1 }, 1, "ok"),
      msg({ kind: "import_page" }, 1, "no-job"),
      msg(0, 1, "poison"),
    ]);
    expect(gh.outcome).toBe("ok");
    expect(gh.explicitAcks.sort()).toEqual(expect.arrayContaining(["ok", "poison"]));
    expect(gh.retryMessages.map((m) => m.msgId)).toContain("down");
    expect((await api(`/api/imports/${jobOk.id}/`, { token: owner.token })).body).toMatchObject({ status: "DONE", created_count: 1 });
    await survived("consumer throws mid-batch");

    const deadRequest = await insertRequest(u.id);
    const deadJob = await ok(api("/api/tasks/import_github/", { token: owner.token, body: { owner: "acme", repo: "dead", team_id: team } }));
    const dlq = await worker.queue("devfocus-dlq", [
      msg(null, 1, "poison"),
      msg({ kind: "report_request", requestId: deadRequest }, 1, "request"),
      msg({ kind: "import_page", jobId: deadJob.id, page: 3 }, 1, "job"),
      msg({ kind: "insights", reportId: report.id }, 1, "insights"),
    ]);
    expect(dlq.outcome).toBe("ok");
    expect(dlq.explicitAcks.sort()).toEqual(["insights", "job", "poison", "request"]);
    expect((await requestRow(deadRequest))!.status).toBe("FAILED");
    expect((await api(`/api/imports/${deadJob.id}/`, { token: owner.token })).body.status).toBe("FAILED");
    // A queue nobody consumes: the batch is retried, not crashed.
    const stray = await worker.queue("devfocus-nobody" as QueueName, [msg({ kind: "insights", reportId: 1 })]);
    expect(stray.retryBatch.retry).toBe(true);
    await survived("consumer throws mid-batch");
  });
});

// ─── Redelivery ─────────────────────────────────────────────────────────────────────────────────

describe("faults: messages delivered twice", () => {
  it("a report request, a scheduled report and an insights message, each twice in a row and twice at once: one report, one insight per code", async () => {
    const u = await userWithDay();
    const rr = await insertRequest(u.id);
    const body = { kind: "report_request", requestId: rr };
    sent.insights!.length = 0;
    await worker.queue("devfocus-reports", [msg(body)]);
    await worker.queue("devfocus-reports", [msg(body, 2)]);
    await Promise.all([worker.queue("devfocus-reports", [msg(body, 3)]), worker.queue("devfocus-reports", [msg(body, 3)])]);
    const sched = { kind: "scheduled_report", userId: u.id, type: "DAILY", day: DAY };
    await Promise.all([worker.queue("devfocus-reports", [msg(sched), msg(sched)]), worker.queue("devfocus-reports", [msg(sched)])]);
    const row = await requestRow(rr);
    expect(row).toMatchObject({ status: "DONE" });
    // The insights messages the consumer queued, each delivered twice over, at once.
    expect(sent.insights!.length).toBeGreaterThanOrEqual(1);
    const insightsMsgs = sent.insights!.splice(0);
    await Promise.all(insightsMsgs.flatMap((m) => [worker.queue("devfocus-insights", [msg(m)]), worker.queue("devfocus-insights", [msg(m), msg(m)])]));
    expect(await countRows("SELECT count(*) AS n FROM reports WHERE owner_key = ? AND period_start = ?", `user:${u.id}`, DAY)).toBe(1);
    expect(await countRows("SELECT count(*) AS n FROM insights WHERE owner_key = ?", `user:${u.id}`)).toBe(1);
    expect((await api(`/api/reports/${row!.result_report_id}/`, { token: u.token })).status).toBe(200);
    await survived("message delivered twice");
  });

  it("an import page delivered twice in a row and twice at once: counters exact, no task twice", async () => {
    const owner = await fastUser();
    const team = (await createTeam(owner)).id;
    repos.set("acme/twice", Array.from({ length: 230 }, (_, i) => ({ id: 50_000 + i, number: i + 1, pr: i % 10 === 0 })));
    const job = await ok(api("/api/tasks/import_github/", { token: owner.token, body: { owner: "acme", repo: "twice", team_id: team } }));
    sent.github!.length = 0;
    const page = (n: number) => ({ kind: "import_page", jobId: job.id, page: n });
    await worker.queue("devfocus-github-import", [msg(page(1))]);
    await worker.queue("devfocus-github-import", [msg(page(1), 2)]);
    await Promise.all([worker.queue("devfocus-github-import", [msg(page(2))]), worker.queue("devfocus-github-import", [msg(page(2))])]);
    await Promise.all([1, 2, 3].map(() => worker.queue("devfocus-github-import", [msg(page(3))])));
    await worker.queue("devfocus-github-import", [msg(page(2), 5)]);
    const done = (await api(`/api/imports/${job.id}/`, { token: owner.token })).body;
    expect(done).toMatchObject({ status: "DONE", pages_done: 3, created_count: 207, updated_count: 0, skipped_pull_requests: 23 });
    expect(await countRows("SELECT count(*) AS n FROM tasks WHERE team_id = ?", team)).toBe(207);
    await survived("message delivered twice");
  });
});

// ─── D1 failures inside multi-statement writes ──────────────────────────────────────────────────

const sqlOf = (statements: D1PreparedStatement[]) => statements.map((st) => (st as unknown as { statement?: string }).statement ?? "").join("; ");

/**
 * The next `env.DB.batch` whose SQL matches `which` runs its real statements with one that fails among them
 * (after `at` of them; default: after all): D1 must roll the whole batch back.
 */
function failNextBatch(which: RegExp, at?: number) {
  const batch = env.DB.batch.bind(env.DB);
  let fired = false;
  return vi.spyOn(env.DB, "batch").mockImplementation(async (statements: D1PreparedStatement[]) => {
    if (fired || !which.test(sqlOf(statements))) return batch(statements);
    fired = true;
    const list = [...statements];
    list.splice(at ?? list.length, 0, env.DB.prepare("INSERT INTO users (email, password_hash) VALUES (NULL, 'injected failure')"));
    return batch(list);
  });
}

describe("faults: a D1 failure injected into each multi-statement write", () => {
  let u: TestUser;
  let session: number;
  beforeAll(async () => {
    u = await fastUser();
    session = (await ok(api("/api/sessions/", { token: u.token, body: { started_at: "2026-01-30T08:00:00Z" } }))).id;
  });

  /** The write fails with the error envelope, nothing of it is in D1, and it succeeds once D1 is well. */
  async function nothingHalfWritten<T>(label: string, which: RegExp, call: () => Promise<ApiResponse<T>>, okStatus: number[], at?: number) {
    const before = await fingerprint();
    const spy = failNextBatch(which, at);
    const res = await call();
    spy.mockRestore();
    expect(res.status, `${label}: ${res.text}`).toBeGreaterThanOrEqual(400);
    expect(errorOf(res).request_id, label).toEqual(expect.any(String));
    if (res.status >= 500) expect(errorOf(res).details, label).toEqual([]);
    // Only api_tokens.last_used_at may have moved (authentication stamps it); fingerprints ignore it.
    expect(changedTables(before, await fingerprint()), `${label} left rows behind`).toEqual([]);
    await survived("D1 failure in a multi-statement write");
    const again = await call();
    expect(okStatus, `${label} after recovery: ${again.text}`).toContain(again.status);
    await assertInvariants(label);
    return again;
  }

  it("register, team create, switch create and delete, pause, resume, close: all or nothing", async () => {
    const ip = "192.0.2.77";
    const email = `atomic-${Date.now()}@example.com`;
    await nothingHalfWritten("register", /^insert into "users"/, () => api("/api/auth/register/", { body: { email, password: "correct horse battery" }, headers: { "CF-Connecting-IP": ip } }), [201], 1);
    await nothingHalfWritten("team create", /^insert into "teams"/, () => api("/api/teams/", { token: u.token, body: { name: "Atomic" } }), [201], 1);
    const sw = await nothingHalfWritten("switch create", /^insert into "context_switches"/, () => api("/api/context-switches/", { token: u.token, body: { dev_session: session } }), [201], 1);
    await nothingHalfWritten("switch delete", /^delete from "context_switches"/, () => api(`/api/context-switches/${sw.body.id}/`, { method: "DELETE", token: u.token }), [204], 1);
    await nothingHalfWritten("pause", /insert into "session_pauses"/, () => api(`/api/sessions/${session}/pause/`, { token: u.token, body: {} }), [200], 1);
    await nothingHalfWritten("resume", /^update "dev_sessions" set "status" = \?, "updated_at" = \?.*update "session_pauses"/, () => api(`/api/sessions/${session}/resume/`, { token: u.token, body: {} }), [200], 1);
    await ok(api(`/api/sessions/${session}/pause/`, { token: u.token, body: {} }));
    const closed = await nothingHalfWritten("close while paused", /"ended_at" = \?.*update "session_pauses"/, () => api(`/api/sessions/${session}/close/`, { token: u.token, body: {} }), [200], 1);
    expect(closed.body.status).toBe("DONE");
    // The failure at the very end of each batch as well.
    const s2 = (await ok(api("/api/sessions/", { token: u.token, body: {} }))).id;
    await nothingHalfWritten("switch create (fails last)", /^insert into "context_switches"/, () => api("/api/context-switches/", { token: u.token, body: { dev_session: s2 } }), [201]);
    await nothingHalfWritten("pause (fails last)", /insert into "session_pauses"/, () => api(`/api/sessions/${s2}/pause/`, { token: u.token, body: {} }), [200]);
    await nothingHalfWritten("close (fails last)", /"ended_at" = \?.*update "session_pauses"/, () => api(`/api/sessions/${s2}/close/`, { token: u.token, body: {} }), [200]);
  });

  it("a daily report's insights: a failed insight write leaves the old insights, and regenerating converges", async () => {
    const v = await userWithDay();
    const first = await ok(api("/api/reports/daily/", { token: v.token, body: { date: DAY } }));
    const ins = await env.DB.prepare("SELECT id, code FROM insights WHERE report_id = ?").bind(first.id).all();
    // The report upsert is its own statement; the insights write (delete + upserts) is the batch that fails.
    const failInsights = failNextBatch(/^delete from "insights"/);
    const res = await api("/api/reports/daily/", { token: v.token, body: { date: DAY } });
    failInsights.mockRestore();
    expect(res.status).toBe(500);
    expect((await env.DB.prepare("SELECT id, code FROM insights WHERE report_id = ?").bind(first.id).all()).results).toEqual(ins.results);
    await survived("D1 failure in a multi-statement write");
    const again = await ok(api("/api/reports/daily/", { token: v.token, body: { date: DAY } }));
    expect(again.id).toBe(first.id);
    expect(again.insights.map((i) => i.code)).toEqual(first.insights.map((i) => i.code));
    await assertInvariants("insights regenerated");
  });

  it("an import page whose D1 batch fails is retried and writes nothing; the retry imports it exactly once", async () => {
    const owner = await fastUser();
    const team = (await createTeam(owner)).id;
    repos.set("acme/d1-fail", Array.from({ length: 40 }, (_, i) => ({ id: 70_000 + i, number: i + 1 })));
    const job = await ok(api("/api/tasks/import_github/", { token: owner.token, body: { owner: "acme", repo: "d1-fail", team_id: team } }));
    const page = msg({ kind: "import_page", jobId: job.id, page: 1 });
    const spy = failNextBatch(/^\s*INSERT OR IGNORE INTO "import_job_pages"/, 2);
    const res = await worker.queue("devfocus-github-import", [page]);
    spy.mockRestore();
    expect(res.retryMessages.map((m) => m.msgId)).toEqual([page.id]);
    expect(await countRows("SELECT count(*) AS n FROM tasks WHERE team_id = ?", team)).toBe(0);
    expect(await countRows("SELECT count(*) AS n FROM import_job_pages WHERE job_id = ?", job.id)).toBe(0);
    await survived("D1 failure in a multi-statement write");
    await worker.queue("devfocus-github-import", [msg({ kind: "import_page", jobId: job.id, page: 1 }, 2)]);
    expect((await api(`/api/imports/${job.id}/`, { token: owner.token })).body).toMatchObject({ status: "DONE", created_count: 40, pages_done: 1 });
    await assertInvariants("import retried");
  });

  it("a queue that refuses the send: no report request or import job is left PENDING with no message", async () => {
    const w = await fastUser();
    const team = (await createTeam(w)).id;
    for (const [label, q, call, table] of [
      ["report request", env.REPORTS_QUEUE, () => api("/api/report-requests/", { token: w.token, body: { type: "DAILY" } }), "report_requests"],
      ["daily-async", env.REPORTS_QUEUE, () => api("/api/reports/daily-async/", { token: w.token, body: { date: DAY } }), "report_requests"],
      ["import", env.GITHUB_IMPORT_QUEUE, () => api("/api/tasks/import_github/", { token: w.token, body: { owner: "acme", repo: "x", team_id: team } }), "import_jobs"],
    ] as const) {
      // The capturing spy of beforeAll, refusing once (restoring it would reconnect the real queue).
      vi.mocked(q.send).mockRejectedValueOnce(new Error("Queue send failed: service unavailable"));
      const res = await call();
      expect(res.status, label).toBe(500);
      expect(errorOf(res).details).toEqual([]);
      const pending = await countRows(`SELECT count(*) AS n FROM ${table} WHERE status = 'PENDING' AND ${table === "import_jobs" ? "created_by" : "user_id"} = ?`, w.id);
      expect(pending, `${label} left PENDING`).toBe(0);
      await survived("queue send refused");
    }
  });
});

// ─── GitHub failures ────────────────────────────────────────────────────────────────────────────

describe("faults: GitHub timeouts, resets and 5xx", () => {
  it("each failure retries the page with a reason and writes nothing; once GitHub is back the import completes exactly", async () => {
    const owner = await fastUser();
    const team = (await createTeam(owner)).id;
    repos.set("acme/flaky", Array.from({ length: 150 }, (_, i) => ({ id: 90_000 + i, number: i + 1, pr: i % 15 === 0 })));
    const token = "ghp_faultsSecretToken0123456789";
    const job = await ok(api("/api/tasks/import_github/", { token: owner.token, body: { owner: "acme", repo: "flaky", team_id: team, token } }));
    const errors = vi.spyOn(console, "error");
    const warns = vi.spyOn(console, "warn");
    const failures: [string, (req: Request) => Response | Promise<Response>, RegExp][] = [
      ["timeout", () => Promise.reject(new DOMException("The operation was aborted due to timeout", "TimeoutError")), /could not be reached/],
      ["connection reset", () => Promise.reject(new TypeError("Network connection lost.")), /could not be reached/],
      ["500", () => new Response("oops", { status: 500 }), /GitHub answered 500/],
      ["502 HTML", () => new Response("<html>Bad gateway</html>", { status: 502, headers: { "content-type": "text/html" } }), /GitHub answered 502/],
      ["503 JSON", () => Response.json({ message: "Service unavailable" }, { status: 503 }), /GitHub answered 503/],
      ["truncated JSON", () => new Response('[{"id": 1, "numb', { headers: { "content-type": "application/json" } }), /./],
      ["not a list", () => Response.json({ message: "weird" }), /./],
    ];
    let attempts = 0;
    for (const [label, answer, reason] of failures) {
      nextAnswers.push(answer);
      const page = msg({ kind: "import_page", jobId: job.id, page: 1, token }, ++attempts);
      const res = await worker.queue("devfocus-github-import", [page]);
      expect(res.outcome, label).toBe("ok");
      expect(res.retryMessages.map((m) => m.msgId), label).toEqual([page.id]);
      expect(res.retryMessages[0]!.delaySeconds, label).toBeGreaterThan(0);
      const row = (await api(`/api/imports/${job.id}/`, { token: owner.token })).body;
      expect(row.status, label).toBe("RUNNING");
      expect(row.error_message, label).toMatch(reason);
      expect(await countRows("SELECT count(*) AS n FROM tasks WHERE team_id = ?", team), label).toBe(0);
      await survived("GitHub failure");
    }
    // GitHub recovers: page 1, then page 2 (queued by page 1), each delivered once more for good measure.
    sent.github!.length = 0;
    await worker.queue("devfocus-github-import", [msg({ kind: "import_page", jobId: job.id, page: 1, token }, ++attempts)]);
    expect(sent.github).toEqual([{ kind: "import_page", jobId: job.id, page: 2, token }]);
    nextAnswers.push(() => new Response("again", { status: 500 }));
    await worker.queue("devfocus-github-import", [msg(sent.github![0])]);
    await worker.queue("devfocus-github-import", [msg(sent.github![0], 2)]);
    await worker.queue("devfocus-github-import", [msg(sent.github![0], 3)]);
    const done = (await api(`/api/imports/${job.id}/`, { token: owner.token })).body;
    expect(done).toMatchObject({ status: "DONE", pages_done: 2, created_count: 140, skipped_pull_requests: 10, error_message: null });
    // The token reached GitHub, and nowhere else.
    expect(githubCalls.filter((c) => c.url.includes("/flaky/")).every((c) => c.authorization === `token ${token}`)).toBe(true);
    const logged = JSON.stringify([...errors.mock.calls, ...warns.mock.calls]);
    expect(logged).not.toContain(token);
    expect(JSON.stringify(done)).not.toContain(token);
    errors.mockRestore();
    warns.mockRestore();
    await assertInvariants("GitHub recovered");
  });

  it("a GitHub that never answers: the request times out and the page is retried, the consumer is not held", { timeout: 15_000 }, async () => {
    const owner = await fastUser();
    const team = (await createTeam(owner)).id;
    repos.set("acme/silent", [{ id: 99_001, number: 1 }]);
    const job = await ok(api("/api/tasks/import_github/", { token: owner.token, body: { owner: "acme", repo: "silent", team_id: team } }));
    // GitHub accepts the connection and never answers; only the request's own deadline ends it.
    nextAnswers.push(
      (req) =>
        new Promise<Response>((_, reject) => {
          if (req.signal.aborted) reject(req.signal.reason);
          req.signal.addEventListener("abort", () => reject(req.signal.reason));
        }),
    );
    // The deadline (GITHUB_TIMEOUT_MS) is brought forward to now, as if it had passed.
    const timeout = vi.spyOn(AbortSignal, "timeout").mockImplementation(() => AbortSignal.abort(new DOMException("The operation timed out.", "TimeoutError")));
    const page = msg({ kind: "import_page", jobId: job.id, page: 1 });
    const res = await worker.queue("devfocus-github-import", [page]);
    timeout.mockRestore();
    expect(res.retryMessages.map((m) => m.msgId)).toEqual([page.id]);
    expect((await api(`/api/imports/${job.id}/`, { token: owner.token })).body.error_message).toMatch(/could not be reached/);
    await survived("GitHub failure");
    await worker.queue("devfocus-github-import", [msg({ kind: "import_page", jobId: job.id, page: 1 }, 2)]);
    expect((await api(`/api/imports/${job.id}/`, { token: owner.token })).body).toMatchObject({ status: "DONE", created_count: 1 });
  });

  it("401 and 404 fail the job for good; a later redelivery of its pages does nothing", async () => {
    const owner = await fastUser();
    const team = (await createTeam(owner)).id;
    for (const status of [401, 404]) {
      const job = await ok(api("/api/tasks/import_github/", { token: owner.token, body: { owner: "acme", repo: `gone-${status}`, team_id: team } }));
      nextAnswers.push(() => Response.json({ message: "no" }, { status }));
      const res = await worker.queue("devfocus-github-import", [msg({ kind: "import_page", jobId: job.id, page: 1 })]);
      expect(res.retryMessages).toEqual([]);
      const failed = (await api(`/api/imports/${job.id}/`, { token: owner.token })).body;
      expect(failed).toMatchObject({ status: "FAILED" });
      repos.set(`acme/gone-${status}`, [{ id: 1, number: 1 }]);
      await worker.queue("devfocus-github-import", [msg({ kind: "import_page", jobId: job.id, page: 1 }, 2)]);
      expect((await api(`/api/imports/${job.id}/`, { token: owner.token })).body).toMatchObject({ status: "FAILED", pages_done: 0 });
      await survived("GitHub failure");
    }
  });
});

// ─── EventHub evicted mid-stream ────────────────────────────────────────────────────────────────

describe("faults: an EventHub evicted or aborted mid-stream", () => {
  /** Reads frames until `count` events arrived or the stream ends. */
  async function readEvents(s: EventStream, count: number, timeoutMs = 3000) {
    const events: Frame[] = [];
    const deadline = Date.now() + timeoutMs;
    while (events.length < count && Date.now() < deadline) {
      const f = await s.read(Math.max(1, deadline - Date.now()));
      if (f === null || f === "timeout") break;
      if (f.event && f.event !== "reports" && f.event !== "insights") events.push(f);
    }
    return events;
  }

  it("evicted while a client streams: the eviction completes when the connection drops, the reconnect with Last-Event-ID misses nothing", { timeout: 30_000 }, async () => {
    const u = await fastUser();
    const hub = hubFor(env, `user:${u.id}`);
    const publish = (n: number) => eventPublisher(env).publish(channelsFor({ userId: u.id }), "report_request.updated", { n });
    const s = await openStream("/api/events/stream/", u.token);
    await s.drain(200);
    for (let n = 1; n <= 3; n++) await publish(n);
    const seen = await readEvents(s, 3);
    // The runtime evicts the hub (a deploy, a restart): the eviction waits while a stream holds it...
    let evicted = false;
    const eviction = evictDurableObject(hub).then(() => (evicted = true));
    await publish(4);
    seen.push(...(await readEvents(s, 1, 500)));
    // ...until the client's connection drops; events published meanwhile are kept in the hub's storage.
    await s.cancel();
    await eviction;
    expect(evicted).toBe(true);
    for (let n = 5; n <= 7; n++) await publish(n);
    const again = await openStream("/api/events/stream/", u.token, { "Last-Event-ID": seen.at(-1)!.id! });
    seen.push(...(await readEvents(again, 7 - seen.length)));
    expect(seen.map((f) => JSON.parse(f.data!).n)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(new Set(seen.map((f) => f.id)).size).toBe(7);
    await publish(8);
    expect((await readEvents(again, 1)).map((f) => JSON.parse(f.data!).n)).toEqual([8]);
    await again.cancel();
    await survived("EventHub evicted mid-stream");
  });

  it("aborted while a client reads (a crash): the stream ends, the reconnect with Last-Event-ID gets every event once, in order", { timeout: 30_000 }, async () => {
    const u = await fastUser();
    const publish = (n: number) => eventPublisher(env).publish(channelsFor({ userId: u.id }), "report_request.updated", { n });
    const s = await openStream("/api/events/stream/", u.token);
    await s.drain(200);
    for (let n = 1; n <= 3; n++) await publish(n);
    const seen = await readEvents(s, 3);
    expect(seen.map((f) => JSON.parse(f.data!).n)).toEqual([1, 2, 3]);
    // Every hub is torn down at once, with this stream open; events keep being published meanwhile.
    const killing = abortAllDurableObjects();
    const during = publish(4);
    await killing;
    await during;
    for (let n = 5; n <= 7; n++) await publish(n);
    // The old stream ends without hanging the client; whatever it still delivered counts.
    seen.push(...(await readEvents(s, 4, 1000)));
    await s.cancel();
    const again = await openStream("/api/events/stream/", u.token, { "Last-Event-ID": seen.at(-1)!.id! });
    seen.push(...(await readEvents(again, 7 - seen.length)));
    expect(seen.map((f) => JSON.parse(f.data!).n)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const ids = seen.map((f) => Number(f.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(7);
    await publish(8);
    expect((await readEvents(again, 1)).map((f) => JSON.parse(f.data!).n)).toEqual([8]);
    await again.cancel();
    await waitFor(async () => (await hubFor(env, `user:${u.id}`).clientCount()) === 0, "clients to go");
    await survived("EventHub aborted mid-stream");
  });
});
