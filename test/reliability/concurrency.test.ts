/**
 * Concurrency: 100 concurrent writes to each create endpoint and each state action (close, pause, resume,
 * attach, membership changes). Unique constraints hold (exactly one winner, the rest 409, never a 500),
 * counts are exact, and no race removes a team's last OWNER — including races the HTTP timing alone
 * rarely produces, forced here by holding one request's write until the others have committed.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AUTH_LIMIT_PER_EMAIL, AUTH_LIMIT_PER_IP } from "../../src/modules/auth/service";
import { api, countRows as count, type ApiResponse, createTeam, fastUser, fastUsers, insertMemberships, ok, PASSWORD, reportFigures, sessionsThroughBinding, type Role, type Schemas, type TestUser } from "../harness";
import { checkInvariants, invariantStats } from "./invariants";

const N = 100;
const figures = { concurrentRequests: 0, scenarios: 0, fiveXX: 0, duplicateDeletesAnswered204: 0 };

/** Fires `n` requests at once; returns their statuses (and bodies), counting every 5xx. */
async function burst<R extends { status: number }>(n: number, make: (i: number) => Promise<R>): Promise<R[]> {
  const results = await Promise.all(Array.from({ length: n }, (_, i) => make(i)));
  figures.concurrentRequests += n;
  figures.scenarios++;
  for (const r of results) if (r.status >= 500) figures.fiveXX++;
  return results;
}
/** 100 deletes of one object: every answer 204 or 404, at least one 204. */
function expectDeletedOnce(rs: { status: number }[]) {
  const t = tally(rs);
  expect(Object.keys(t).every((s) => s === "204" || s === "404"), JSON.stringify(t)).toBe(true);
  expect(t[204]).toBeGreaterThanOrEqual(1);
  figures.duplicateDeletesAnswered204 += (t[204] ?? 0) - 1;
}
const tally = (rs: { status: number }[]) => rs.reduce<Record<number, number>>((m, r) => ((m[r.status] = (m[r.status] ?? 0) + 1), m), {});
/** A team owned by `owner`, its other members written straight into D1; its id. */
async function teamWith(owner: TestUser, members: [TestUser, Role][] = []) {
  const team = await createTeam(owner, { name: "Reliability" });
  await insertMemberships(team.id, members);
  return team.id;
}

beforeAll(() => {
  // The D1 failures and held writes below are injected on env.DB: let the requests' sessions go through it.
  sessionsThroughBinding();
  // Accepted report requests and imports must not start real background work here.
  for (const q of [env.REPORTS_QUEUE, env.INSIGHTS_QUEUE, env.GITHUB_IMPORT_QUEUE]) {
    vi.spyOn(q, "send").mockImplementation(async () => ({}) as QueueSendResponse);
    vi.spyOn(q, "sendBatch").mockImplementation(async () => ({}) as QueueSendBatchResponse);
  }
  vi.spyOn(console, "log").mockImplementation(() => {});
});


/** Violations already reported by an earlier test: each test fails only for the ones it introduced. */
const reported = new Set<string>();
afterEach(async () => {
  const fresh = (await checkInvariants()).map((v) => `${v.invariant}: ${JSON.stringify(v.row)}`).filter((v) => !reported.has(v));
  fresh.forEach((v) => reported.add(v));
  expect(fresh, "invariants broken by this test").toEqual([]);
});

describe("concurrency: 100 concurrent creates per endpoint", () => {
  let u: TestUser;
  let team: number;
  beforeAll(async () => {
    u = await fastUser();
    team = await teamWith(u);
  });

  it("tasks, sessions, resources, tokens, report requests and imports: 100 each, all distinct, counts exact", async () => {
    const tasks = await burst(N, (i) => api("/api/tasks/", { token: u.token, body: { title: `t${i}`, team: i % 2 ? team : null } }));
    expect(tally(tasks)).toEqual({ 201: N });
    expect(new Set(tasks.map((r) => r.body.id)).size).toBe(N);
    expect(await count("SELECT count(*) AS n FROM tasks WHERE created_by = ?", u.id)).toBe(N);

    const sessions = await burst(N, (i) => api("/api/sessions/", { token: u.token, body: { title: `s${i}`, team: i % 2 ? team : null } }));
    expect(tally(sessions)).toEqual({ 201: N });
    expect(await count("SELECT count(*) AS n FROM dev_sessions WHERE user_id = ?", u.id)).toBe(N);

    const resources = await burst(N, (i) => api("/api/resources/", { token: u.token, body: { task: tasks[i]!.body.id, url: `https://example.com/${i}` } }));
    expect(tally(resources)).toEqual({ 201: N });
    expect(await count("SELECT count(*) AS n FROM resource_links WHERE user_id = ?", u.id)).toBe(N);

    const tokens = await burst(N, (i) => api("/api/auth/tokens/", { token: u.token, body: { name: `k${i}` } }));
    expect(tally(tokens)).toEqual({ 201: N });
    expect(new Set(tokens.map((r) => r.body.token)).size).toBe(N);
    const uses = await burst(N, (i) => api("/api/auth/me/", { token: tokens[i]!.body.token }));
    expect(tally(uses)).toEqual({ 200: N });

    const requests = await burst(N, (i) => api("/api/report-requests/", { token: u.token, body: { type: i % 2 ? "DAILY" : "WEEKLY", day: "2026-01-30" } }));
    expect(tally(requests)).toEqual({ 201: N });
    expect(await count("SELECT count(*) AS n FROM report_requests WHERE user_id = ?", u.id)).toBe(N);

    const imports = await burst(N, (i) => api("/api/tasks/import_github/", { token: u.token, body: { owner: "acme", repo: `r${i}`, team_id: team } }));
    expect(tally(imports)).toEqual({ 202: N });
    expect(await count("SELECT count(*) AS n FROM import_jobs WHERE team_id = ?", team)).toBe(N);
  });

  it("100 context switches on one session: switch_count is exactly 100 and last_switch_at the latest", async () => {
    const s = (await ok(api("/api/sessions/", { token: u.token, body: { started_at: "2026-01-30T08:00:00Z" } }))).id;
    const at = (i: number) => new Date(Date.parse("2026-01-30T08:00:00Z") + (i + 1) * 60_000).toISOString();
    const rs = await burst(N, (i) => api("/api/context-switches/", { token: u.token, body: { dev_session: s, happened_at: at(i), reason: "INTERRUPT" } }));
    expect(tally(rs)).toEqual({ 201: N });
    const detail = (await api(`/api/sessions/${s}/`, { token: u.token })).body;
    expect(detail.switch_count).toBe(N);
    expect(detail.last_switch_at).toBe(at(N - 1));
    // Deleting half while creating 50 more, all at once: the count follows the rows exactly.
    const ids = rs.map((r) => r.body.id as number);
    const mixed = await burst<ApiResponse<unknown>>(N, (i) =>
      i < 50
        ? api(`/api/context-switches/${ids[i]}/`, { method: "DELETE", token: u.token })
        : api("/api/context-switches/", { token: u.token, body: { dev_session: s, happened_at: at(i + 100) } }),
    );
    expect(tally(mixed)).toEqual({ 204: 50, 201: 50 });
    expect((await api(`/api/sessions/${s}/`, { token: u.token })).body.switch_count).toBe(N);
    // The same switch deleted 100 times: gone once, the count right (a request that found it before
    // another deleted it may still answer 204: DELETE is idempotent).
    const again = await burst(N, () => api(`/api/context-switches/${ids[60]}/`, { method: "DELETE", token: u.token }));
    expectDeletedOnce(again);
    expect((await api(`/api/sessions/${s}/`, { token: u.token })).body.switch_count).toBe(N - 1);
  });

  it("the same unique thing 100 times: exactly one wins, the others get 409 (never a 500)", async () => {
    // An explicit team slug.
    const slug = `race-${Date.now().toString(36)}`;
    const slugs = await burst(N, () => api("/api/teams/", { token: u.token, body: { name: "Race", slug } }));
    expect(tally(slugs)).toEqual({ 201: 1, 409: N - 1 });
    // A task with the same external id in one team (the importer's upsert key).
    const external = await burst(N, (i) => api("/api/tasks/", { token: u.token, body: { title: `ext${i}`, team, external_source: "GITHUB", external_id: "4242" } }));
    expect(tally(external)).toEqual({ 201: 1, 409: N - 1 });
    // A member added by email.
    const newcomer = await fastUser();
    const adds = await burst(N, () => api(`/api/teams/${team}/members/`, { token: u.token, body: { email: newcomer.email, role: "VIEWER" } }));
    expect(tally(adds)).toEqual({ 201: 1, 409: N - 1 });
    // A task attached to a session.
    const s = (await ok(api("/api/sessions/", { token: u.token, body: {} }))).id;
    const t = (await ok(api("/api/tasks/", { token: u.token, body: { title: "attach me" } }))).id;
    const attaches = await burst(N, (i) => api(`/api/sessions/${s}/attach_task/`, { token: u.token, body: { task_id: t, role: i % 2 ? "MAIN" : "SIDE" } }));
    expect(tally(attaches)).toEqual({ 201: 1, 409: N - 1 });
    expect(await count("SELECT count(*) AS n FROM session_tasks WHERE session_id = ?", s)).toBe(1);
    // A daily report generated 100 times: one report, the same id every time, one insight per code.
    const day = "2026-02-03";
    await ok(api("/api/sessions/", { token: u.token, body: { started_at: `${day}T09:00:00Z` } }));
    const reports = await burst(N, () => api("/api/reports/daily/", { token: u.token, body: { date: day } }));
    expect(tally(reports)).toEqual({ 201: N });
    expect(new Set(reports.map((r) => r.body.id)).size).toBe(1);
    expect(await count("SELECT count(*) AS n FROM reports WHERE owner_key = ? AND period_start = ?", `user:${u.id}`, day)).toBe(1);
    // A personal task deleted 100 times.
    const doomed = (await ok(api("/api/tasks/", { token: u.token, body: { title: "doomed" } }))).id;
    expectDeletedOnce(await burst(N, () => api(`/api/tasks/${doomed}/`, { method: "DELETE", token: u.token })));
    expect(await count("SELECT count(*) AS n FROM tasks WHERE id = ?", doomed)).toBe(0);
  });

  it("100 teams created at once with the same name all succeed (a taken derived slug gets a suffix)", async () => {
    const rs = await burst(N, () => api("/api/teams/", { token: u.token, body: { name: "Same Name Team" } }));
    expect(tally(rs)).toEqual({ 201: N });
    expect(new Set(rs.map((r) => r.body.slug)).size).toBe(N);
  });

  it("100 attaches of 100 different tasks to one session: 100 rows", async () => {
    const s = (await ok(api("/api/sessions/", { token: u.token, body: {} }))).id;
    const tasks = await burst(N, (i) => api("/api/tasks/", { token: u.token, body: { title: `a${i}` } }));
    const rs = await burst(N, (i) => api(`/api/sessions/${s}/attach_task/`, { token: u.token, body: { task_id: tasks[i]!.body.id } }));
    expect(tally(rs)).toEqual({ 201: N });
    expect((await api(`/api/sessions/${s}/`, { token: u.token })).body.tasks.length).toBe(N);
  });

  it("100 registrations: one account per email; the per-email and per-IP limits count exactly under load", async () => {
    const email = `race-${Date.now().toString(36)}@example.com`;
    const same = await burst(N, (i) => api("/api/auth/register/", { body: { email, password: PASSWORD }, headers: { "CF-Connecting-IP": `203.0.113.${i}` } }));
    expect(tally(same)).toEqual({ 201: 1, 409: AUTH_LIMIT_PER_EMAIL - 1, 429: N - AUTH_LIMIT_PER_EMAIL });
    expect(await count("SELECT count(*) AS n FROM users WHERE email = ?", email)).toBe(1);
    const ip = `198.18.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const fromOneIp = await burst(N, (i) => api("/api/auth/register/", { body: { email: `ip-${i}-${email}`, password: PASSWORD }, headers: { "CF-Connecting-IP": ip } }));
    expect(tally(fromOneIp)).toEqual({ 201: AUTH_LIMIT_PER_IP, 429: N - AUTH_LIMIT_PER_IP });
    for (const r of fromOneIp.filter((x) => x.status === 429)) expect(Number(r.headers.get("Retry-After"))).toBeGreaterThan(0);
  });
});

describe("concurrency: 100 concurrent state actions", () => {
  let u: TestUser;
  beforeAll(async () => {
    u = await fastUser();
  });
  const open = async (body: Schemas["CreateSessionRequest"] = {}) => (await ok(api("/api/sessions/", { token: u.token, body: { started_at: "2026-01-30T08:00:00Z", ...body } }))).id;

  it("close ×100: one 200, 99 × 409; ended_at and total_focus_minutes set once", async () => {
    const s = await open();
    const rs = await burst(N, (i) => api(`/api/sessions/${s}/close/`, { token: u.token, body: { ended_at: new Date(Date.parse("2026-01-30T09:00:00Z") + i * 60_000).toISOString() } }));
    expect(tally(rs)).toEqual({ 200: 1, 409: N - 1 });
    const winner = rs.find((r) => r.status === 200)!.body;
    const detail = (await api(`/api/sessions/${s}/`, { token: u.token })).body;
    expect(detail).toMatchObject({ status: "DONE", ended_at: winner.ended_at, total_focus_minutes: winner.total_focus_minutes });
    expect(detail.total_focus_minutes).toBe((Date.parse(winner.ended_at!) - Date.parse("2026-01-30T08:00:00Z")) / 60_000);
  });

  it("pause ×100 then resume ×100: one winner each, one pause row, closed by the resume", async () => {
    const s = await open({ started_at: undefined });
    expect(tally(await burst(N, () => api(`/api/sessions/${s}/pause/`, { token: u.token, body: {} })))).toEqual({ 200: 1, 409: N - 1 });
    expect(await count("SELECT count(*) AS n FROM session_pauses WHERE session_id = ? AND resumed_at IS NULL", s)).toBe(1);
    expect(tally(await burst(N, () => api(`/api/sessions/${s}/resume/`, { token: u.token, body: {} })))).toEqual({ 200: 1, 409: N - 1 });
    expect(await count("SELECT count(*) AS n FROM session_pauses WHERE session_id = ?", s)).toBe(1);
    expect(await count("SELECT count(*) AS n FROM session_pauses WHERE session_id = ? AND resumed_at IS NULL", s)).toBe(0);
  });

  it("pause, resume and close mixed ×100 over 5 sessions: every session ends in a consistent state", async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, () => open({ started_at: undefined })));
    const actions = ["pause", "resume", "close"] as const;
    const rs = await burst(N, (i) => api(`/api/sessions/${ids[i % 5]!}/${actions[(i * 7) % 3]!}/`, { token: u.token, body: {} }));
    expect(rs.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    // Whatever won, each session is in a state its pauses agree with (the invariants, after this test),
    // at most one close won per session, and a session left open or paused still closes.
    const closes = rs.filter((r) => r.status === 200 && r.body.status === "DONE").map((r) => r.body.id);
    expect(new Set(closes).size).toBe(closes.length);
    for (const id of ids) {
      const res = await api(`/api/sessions/${id}/close/`, { token: u.token, body: {} });
      expect(res.status).toBe(closes.includes(id) ? 409 : 200);
    }
  });

  it("99 switches racing 1 close: every 201 is a row, every row a 201, the count matches", async () => {
    const s = await open();
    const rs = await burst<ApiResponse<unknown>>(N, (i) =>
      i === 50
        ? api(`/api/sessions/${s}/close/`, { token: u.token, body: {} })
        : api("/api/context-switches/", { token: u.token, body: { dev_session: s } }),
    );
    const created = rs.filter((r) => r.status === 201).length;
    expect(rs[50]!.status).toBe(200);
    expect(rs.every((r) => [200, 201, 409].includes(r.status))).toBe(true);
    expect(await count("SELECT count(*) AS n FROM context_switches WHERE session_id = ?", s)).toBe(created);
    expect((await api(`/api/sessions/${s}/`, { token: u.token })).body.switch_count).toBe(created);
  });

  it("a session deleted ×100 and a session deleted while 99 switches are recorded on it: no orphan, no 5xx", async () => {
    const s1 = await open();
    expectDeletedOnce(await burst(N, () => api(`/api/sessions/${s1}/`, { method: "DELETE", token: u.token })));
    expect(await count("SELECT count(*) AS n FROM dev_sessions WHERE id = ?", s1)).toBe(0);
    const s2 = await open();
    const rs = await burst<ApiResponse<unknown>>(N, (i) =>
      i === 30 ? api(`/api/sessions/${s2}/`, { method: "DELETE", token: u.token }) : api("/api/context-switches/", { token: u.token, body: { dev_session: s2 } }),
    );
    expect(rs[30]!.status).toBe(204);
    expect(rs.every((r) => [201, 204, 404, 409].includes(r.status)), JSON.stringify(tally(rs))).toBe(true);
    expect(await count("SELECT count(*) AS n FROM context_switches WHERE session_id = ?", s2)).toBe(0);
  });
});

describe("concurrency: membership changes and the last OWNER", () => {
  it("100 owners all leave at once: exactly 99 leave, the last one stays", async () => {
    const owners = await fastUsers(N);
    const team = await teamWith(owners[0]!, owners.slice(1).map((o) => [o, "OWNER"] as [TestUser, Role]));
    const rs = await burst(N, (i) => api(`/api/teams/${team}/members/${owners[i]!.id}/`, { method: "DELETE", token: owners[i]!.token }));
    expect(tally(rs)).toEqual({ 204: N - 1, 409: 1 });
    expect(await count("SELECT count(*) AS n FROM memberships WHERE team_id = ? AND role = 'OWNER'", team)).toBe(1);
  });

  it("100 owners demote themselves and each other at once: at least one OWNER remains, every answer 200 or 409", async () => {
    const owners = await fastUsers(10);
    const team = await teamWith(owners[0]!, owners.slice(1).map((o) => [o, "OWNER"] as [TestUser, Role]));
    const rs = await burst<ApiResponse<unknown>>(N, (i) => {
      const actor = owners[i % 10]!;
      const target = owners[(i * 3 + 1) % 10]!;
      return i % 4 === 0
        ? api(`/api/teams/${team}/members/${actor.id}/`, { method: "DELETE", token: actor.token })
        : api(`/api/teams/${team}/members/${target.id}/`, { method: "PATCH", token: actor.token, body: { role: i % 2 ? "ADMIN" : "MEMBER" } });
    });
    expect(rs.every((r) => [200, 204, 403, 404, 409].includes(r.status)), JSON.stringify(tally(rs))).toBe(true);
    expect(await count("SELECT count(*) AS n FROM memberships WHERE team_id = ? AND role = 'OWNER'", team)).toBeGreaterThanOrEqual(1);
  });

  it("100 members added and 100 removed concurrently: counts exact", async () => {
    const owner = await fastUser();
    const team = await teamWith(owner);
    const people = await fastUsers(N);
    expect(tally(await burst(N, (i) => api(`/api/teams/${team}/members/`, { token: owner.token, body: { email: people[i]!.email, role: i % 2 ? "MEMBER" : "VIEWER" } })))).toEqual({ 201: N });
    expect(await count("SELECT count(*) AS n FROM memberships WHERE team_id = ?", team)).toBe(N + 1);
    expect(tally(await burst(N, (i) => api(`/api/teams/${team}/members/${people[i]!.id}/`, { method: "DELETE", token: i % 2 ? owner.token : people[i]!.token })))).toEqual({ 204: N });
    expect(await count("SELECT count(*) AS n FROM memberships WHERE team_id = ?", team)).toBe(1);
  });

  /**
   * Holds the D1 statements of one request (those whose bound values satisfy `mine`) until released:
   * the request has read what it checks, and writes only after the others have committed.
   */
  function holdWrites(sqlStart: string, mine: (values: unknown[]) => boolean) {
    // Plain flags polled on timers: a promise resolved from another request's I/O context would not wake
    // the held request in workerd.
    const state = { reached: false, released: false };
    const until = async (flag: () => boolean) => {
      while (!flag()) await new Promise((r) => setTimeout(r, 2));
    };
    const prepare = env.DB.prepare.bind(env.DB);
    const wrap = (stmt: D1PreparedStatement, hold: boolean): D1PreparedStatement =>
      new Proxy(stmt, {
        get(target, prop) {
          if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values), hold || mine(values));
          // No side door: the metered D1 wrapper would send the statement through workerd's internal session.
          if (hold && prop === "dbSession") return undefined;
          const value = Reflect.get(target, prop, target);
          if (hold && typeof value === "function" && ["run", "all", "raw", "first"].includes(String(prop))) {
            return async (...args: unknown[]) => {
              state.reached = true;
              await until(() => state.released);
              return value.apply(target, args);
            };
          }
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    const spy = vi.spyOn(env.DB, "prepare").mockImplementation((query: string) => {
      const stmt = prepare(query);
      return query.toLowerCase().startsWith(sqlStart) ? wrap(stmt, false) : stmt;
    });
    return {
      held: until(() => state.reached),
      release: () => {
        spy.mockRestore();
        state.released = true;
      },
    };
  }

  it("an ADMIN's demotion read before the target became the last OWNER cannot take that OWNER away", async () => {
    const [owner, target, admin] = await fastUsers(3);
    const team = await teamWith(owner!, [[target!, "MEMBER"], [admin!, "ADMIN"]]);
    const gate = holdWrites('update "memberships"', (values) => values.includes("VIEWER"));
    // The ADMIN demotes a MEMBER: allowed as read, held before its write.
    const demotion = api(`/api/teams/${team}/members/${target!.id}/`, { method: "PATCH", token: admin!.token, body: { role: "VIEWER" } });
    await gate.held;
    // Meanwhile the owner hands the team over and leaves.
    expect((await api(`/api/teams/${team}/members/${target!.id}/`, { method: "PATCH", token: owner!.token, body: { role: "OWNER" } })).status).toBe(200);
    expect((await api(`/api/teams/${team}/members/${owner!.id}/`, { method: "DELETE", token: owner!.token })).status).toBe(204);
    gate.release();
    const res = await demotion;
    figures.scenarios++;
    expect(res.status, res.text).toBe(409);
    expect(await count("SELECT count(*) AS n FROM memberships WHERE team_id = ? AND role = 'OWNER'", team)).toBe(1);
  });

  it("an ADMIN's removal read before the target became the last OWNER cannot remove that OWNER", async () => {
    const [owner, target, admin] = await fastUsers(3);
    const team = await teamWith(owner!, [[target!, "MEMBER"], [admin!, "ADMIN"]]);
    const gate = holdWrites('delete from "memberships"', (values) => values[1] === target!.id);
    const removal = api(`/api/teams/${team}/members/${target!.id}/`, { method: "DELETE", token: admin!.token });
    await gate.held;
    expect((await api(`/api/teams/${team}/members/${target!.id}/`, { method: "PATCH", token: owner!.token, body: { role: "OWNER" } })).status).toBe(200);
    expect((await api(`/api/teams/${team}/members/${owner!.id}/`, { method: "DELETE", token: owner!.token })).status).toBe(204);
    gate.release();
    const res = await removal;
    figures.scenarios++;
    expect(res.status, res.text).toBe(409);
    expect(await count("SELECT count(*) AS n FROM memberships WHERE team_id = ? AND role = 'OWNER'", team)).toBe(1);
  });

  it("a team deleted while 99 writes race into it: no orphan row, no 5xx", async () => {
    const owner = await fastUser();
    const team = await teamWith(owner);
    const task = (await ok(api("/api/tasks/", { token: owner.token, body: { title: "t", team } }))).id;
    const rs = await burst<ApiResponse<unknown>>(N, (i) => {
      if (i === 40) return api(`/api/teams/${team}/`, { method: "DELETE", token: owner.token });
      const kind = i % 3;
      if (kind === 0) return api("/api/tasks/", { token: owner.token, body: { title: `t${i}`, team } });
      if (kind === 1) return api("/api/sessions/", { token: owner.token, body: { team } });
      return api("/api/resources/", { token: owner.token, body: { task, url: `https://example.com/${i}` } });
    });
    expect(rs[40]!.status).toBe(204);
    expect(rs.filter((r) => r.status >= 500).map((r) => r.text)).toEqual([]);
    // A write that lost the race is told its team is gone, as a later one would be.
    expect(rs.every((r) => [201, 204, 404].includes(r.status)), JSON.stringify(tally(rs))).toBe(true);
    expect(await count("SELECT count(*) AS n FROM tasks WHERE team_id = ?", team)).toBe(0);
    expect(await count("SELECT count(*) AS n FROM dev_sessions WHERE team_id = ?", team)).toBe(0);
  });
});

describe("concurrency: figures", () => {
  it("reports them", () => {
    reportFigures("concurrency", { ...figures, invariant_checks: invariantStats.checks });
    expect(figures.fiveXX).toBe(0);
  });
});
