import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { beforeAll, describe, expect, it } from "vitest";
import * as schema from "../src/db/schema";
import type { Actor } from "../src/env";
import { SESSION_ORDERING } from "../src/modules/sessions/schemas";
import { sessionPages } from "../src/modules/sessions/service";
import { cursorAfter, parseOrdering } from "../src/platform/pagination";
import {
  addMember,
  api,
  createTeam,
  errorOf,
  expectError,
  insertTask as insertTaskRow,
  makeUser,
  openSession,
  unchecked,
  walk,
  type Schemas,
  type TestUser,
} from "./harness";

const iso = (ms: number) => new Date(ms).toISOString();
const hoursAgo = (h: number) => iso(Date.now() - h * 3600_000);

const insertTask = (user: TestUser, opts: { team?: number; title?: string } = {}) =>
  insertTaskRow({ created_by: user.id, team_id: opts.team ?? null, title: opts.title ?? "a task" });
const deepWork = (user: TestUser, body: Schemas["CreateSessionRequest"] = {}) => openSession(user.token, { title: "Deep work", ...body });

describe("sessions: happy path", () => {
  it("create, retrieve, pause, resume, close; focus minutes exclude pauses", async () => {
    const u = await makeUser();
    const s = await deepWork(u, { started_at: hoursAgo(3) });
    expect(s).toMatchObject({ status: "OPEN", switch_count: 0, total_focus_minutes: 0, tasks: [], user: u.id, team: null });
    const start = Date.parse(s.started_at);
    const p = await api(`/api/sessions/${s.id}/pause/`, { token: u.token, body: { at: iso(start + 60 * 60_000) } });
    expect(p.status).toBe(200);
    expect(p.body.status).toBe("PAUSED");
    const r = await api(`/api/sessions/${s.id}/resume/`, { token: u.token, body: { at: iso(start + 90 * 60_000) } });
    expect(r.body.status).toBe("OPEN");
    const c = await api(`/api/sessions/${s.id}/close/`, { token: u.token, body: { ended_at: iso(start + 150 * 60_000) } });
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ status: "DONE", ended_at: iso(start + 150 * 60_000), total_focus_minutes: 120 });
    const got = await api(`/api/sessions/${s.id}`, { token: u.token });
    expect(got.body.total_focus_minutes).toBe(120);
  });

  it("closing a paused session ends its pause at ended_at", async () => {
    const u = await makeUser();
    const s = await deepWork(u, { started_at: hoursAgo(2) });
    const start = Date.parse(s.started_at);
    await api(`/api/sessions/${s.id}/pause/`, { token: u.token, body: { at: iso(start + 30 * 60_000) } });
    const c = await api(`/api/sessions/${s.id}/close/`, { token: u.token, body: { ended_at: iso(start + 100 * 60_000) } });
    expect(c.body.total_focus_minutes).toBe(30);
  });

  it("actions work without a body", async () => {
    const u = await makeUser();
    const s = await deepWork(u);
    expect((await api(`/api/sessions/${s.id}/pause/`, { method: "POST", token: u.token })).status).toBe(200);
    expect((await api(`/api/sessions/${s.id}/resume`, { method: "POST", token: u.token })).status).toBe(200);
    expect((await api(`/api/sessions/${s.id}/close/`, { method: "POST", token: u.token })).body.status).toBe("DONE");
  });

  it("concurrent closes: exactly one wins", async () => {
    const u = await makeUser();
    const s = await deepWork(u);
    const results = await Promise.all(Array.from({ length: 10 }, () => api(`/api/sessions/${s.id}/close/`, { method: "POST", token: u.token })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(9);
  });
});

describe("sessions: errors", () => {
  it("every other transition is 409", async () => {
    const u = await makeUser();
    const s = await deepWork(u);
    expectError(await api(`/api/sessions/${s.id}/resume/`, { method: "POST", token: u.token }), 409, "CONFLICT");
    await api(`/api/sessions/${s.id}/pause/`, { method: "POST", token: u.token });
    expectError(await api(`/api/sessions/${s.id}/pause/`, { method: "POST", token: u.token }), 409, "CONFLICT");
    await api(`/api/sessions/${s.id}/close/`, { method: "POST", token: u.token });
    for (const a of ["pause", "resume", "close"]) {
      expectError(await api(`/api/sessions/${s.id}/${a}/`, { method: "POST", token: u.token }), 409, "CONFLICT");
    }
  });

  it("rejects started_at in the future and ended_at before started_at", async () => {
    const u = await makeUser();
    const bad = await api("/api/sessions/", { token: u.token, body: { started_at: iso(Date.now() + 3600_000) } });
    expectError(bad, 400, "VALIDATION_FAILED");
    expect(bad.body.error.details[0]!.path).toBe("started_at");
    const s = await deepWork(u, { started_at: hoursAgo(1) });
    const early = await api(`/api/sessions/${s.id}/close/`, { token: u.token, body: { ended_at: hoursAgo(2) } });
    expectError(early, 400, "VALIDATION_FAILED");
    expect(early.body.error.details[0]!.path).toBe("ended_at");
    const future = await api(`/api/sessions/${s.id}/close/`, { token: u.token, body: { ended_at: iso(Date.now() + 3600_000) } });
    expectError(future, 400, "VALIDATION_FAILED");
    expect((await api(`/api/sessions/${s.id}`, { token: u.token })).body.status).toBe("OPEN");
  });
});

describe("sessions: attached tasks", () => {
  it("attach_task with role MAIN shows in the detail; twice is 409; invisible task 404; out of scope 400", async () => {
    const u = await makeUser();
    const other = await makeUser();
    const s = await deepWork(u);
    const task = await insertTask(u, { title: "Fix login" });
    const res = await api(`/api/sessions/${s.id}/attach_task/`, { token: u.token, body: { task_id: task, role: "MAIN" } });
    expect(res.status).toBe(201);
    expect(res.body.tasks).toEqual([{ task, role: "MAIN", title: "Fix login" }]);
    expectError(await api(`/api/sessions/${s.id}/attach_task/`, { token: u.token, body: { task_id: task, role: "SIDE" } }), 409, "CONFLICT");
    const foreign = await insertTask(other);
    expectError(await api(`/api/sessions/${s.id}/attach_task/`, { token: u.token, body: { task_id: foreign } }), 404, "NOT_FOUND");
    expectError(await api(`/api/sessions/${s.id}/attach_task/`, { token: u.token, body: { task_id: 99999999 } }), 404, "NOT_FOUND");
    // A team task the caller can see, but the session is personal: not in its scope.
    const team = await createTeam(u, { name: "T" });
    const teamTask = await insertTask(u, { team: team.id });
    const scope = await api(`/api/sessions/${s.id}/attach_task/`, { token: u.token, body: { task_id: teamTask } });
    expectError(scope, 400, "VALIDATION_FAILED");
    expect(scope.body.error.details[0]!.path).toBe("task_id");
    expect((await api(`/api/sessions/${s.id}`, { token: u.token })).body.tasks).toHaveLength(1);
  });
});

describe("sessions: list, filters, ordering", () => {
  it("filters status, search and date range in the caller's time zone; orders by -switch_count", async () => {
    const u = await makeUser({ timezone: "America/New_York" });
    // 2025-01-01 02:00 UTC is still Dec 31 in New York.
    const a = await deepWork(u, { title: "late night", started_at: "2025-01-01T02:00:00.000Z" });
    const b = await deepWork(u, { title: "new year login bug", started_at: "2025-01-01T15:00:00.000Z" });
    const c = await deepWork(u, { title: "later", started_at: "2025-01-03T15:00:00.000Z" });
    await api(`/api/sessions/${c.id}/close/`, { method: "POST", token: u.token });
    for (let i = 0; i < 3; i++) await api("/api/context-switches/", { token: u.token, body: { dev_session: b.id, happened_at: "2025-01-01T16:00:00.000Z" } });
    await api("/api/context-switches/", { token: u.token, body: { dev_session: a.id, happened_at: "2025-01-01T03:00:00.000Z" } });

    const ids = async (q: string) => (await api(`/api/sessions/?${q}`, { token: u.token })).body.results.map((s) => s.id);
    expect(await ids("status=OPEN")).toEqual([b.id, a.id]);
    expect(await ids("status=DONE")).toEqual([c.id]);
    expect(await ids("date_from=2025-01-01")).toEqual([c.id, b.id]);
    expect(await ids("date_from=2025-01-01&date_to=2025-01-01")).toEqual([b.id]);
    expect(await ids("date_to=2024-12-31")).toEqual([a.id]);
    expect(await ids("search=LOGIN")).toEqual([b.id]);
    expect(await ids("ordering=-switch_count")).toEqual([b.id, a.id, c.id]);
    expect(await ids("ordering=started_at")).toEqual([a.id, b.id, c.id]);
    const bad = await api("/api/sessions/?ordering=password&status=NOPE", { token: u.token });
    expectError(bad, 400, "VALIDATION_FAILED");
    expect(bad.body.error.details.map((d) => d.path).sort()).toEqual(["ordering", "status"]);
  });

  it("pages walk every session exactly once, with ties on the ordered field", async () => {
    const u = await makeUser();
    for (let i = 0; i < 7; i++) await deepWork(u, { started_at: "2025-02-01T10:00:00.000Z" });
    for (const ordering of ["-started_at", "started_at", "switch_count", "-ended_at", "total_focus_minutes"]) {
      const { rows, pages } = await walk(`/api/sessions/?page_size=2&ordering=${ordering}`, u.token);
      expect(rows).toHaveLength(7);
      expect(new Set(rows.map((r) => r.id)).size).toBe(7);
      expect(pages).toBe(4);
    }
  });
});

describe("sessions: tie-heavy orderings", () => {
  // A switch count is a small number: here 2,500 of one user's sessions have 4. ?ordering=switch_count walks
  // switch_key (switch_count * 2^32 + id, migration 0008), so a page after any cursor is one index range.
  const PAGE = 50;
  let admin: TestUser;
  let member: TestUser;
  let team: number;
  let rows: { id: number; user: number; team: number | null; switches: number }[] = [];
  beforeAll(async () => {
    admin = await makeUser();
    member = await makeUser();
    team = (await createTeam(admin, { name: "Switchy" })).id;
    await addMember(team, admin, member, "MEMBER");
    // The admin's 3,000 sessions (every third in the team, 2,500 with 4 switches) and 300 of the member's in the team.
    const seeded = await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 3299)
       INSERT INTO dev_sessions (user_id, team_id, title, status, started_at, ended_at, switch_count)
       SELECT CASE WHEN i < 3000 THEN ?1 ELSE ?2 END, CASE WHEN i >= 3000 OR i % 3 = 0 THEN ?3 END, 'tie ' || i, 'DONE',
              strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || i || ' minutes'), strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || (i + 1) || ' minutes'),
              CASE WHEN i % 6 = 5 THEN 5 + i % 11 ELSE 4 END
       FROM n RETURNING id, user_id, team_id, switch_count`,
    ).bind(admin.id, member.id, team).all<{ id: number; user_id: number; team_id: number | null; switch_count: number }>();
    rows = seeded.results.map((r) => ({ id: r.id, user: r.user_id, team: r.team_id, switches: r.switch_count }));
    expect(rows.filter((r) => r.user === admin.id && r.switches === 4).length).toBe(2500);
  });

  /** Every page through `next` links: the rows' ids, and the most rows D1 read for one page. */
  const walkReading = async (path: `/api/sessions/?${string}`, token: string) => {
    const { rows, maxRowsRead } = await walk(path, token);
    return { ids: rows.map((r) => r.id), maxRead: maxRowsRead };
  };

  for (const [scope, query, visible] of [
    ["the caller's own", "", (r: (typeof rows)[number]) => r.user === admin.id],
    ["a team's, as its ADMIN", "&team=TEAM", (r: (typeof rows)[number]) => r.team === team],
  ] as const) {
    for (const o of ["-switch_count", "switch_count"]) {
      it(`?ordering=${o}, ${scope} sessions: every page (the deepest included) reads at most page_size + 10 rows, and the walk returns every session once, by switch count then id`, async () => {
        const sign = o.startsWith("-") ? -1 : 1;
        const want = rows.filter(visible).sort((a, b) => sign * (a.switches - b.switches || a.id - b.id)).map((r) => r.id);
        const { ids, maxRead } = await walkReading(`/api/sessions/?ordering=${o}&page_size=${PAGE}${query.replace("TEAM", String(team))}`, admin.token);
        expect(ids).toEqual(want);
        expect(maxRead).toBeGreaterThan(PAGE);
        expect(maxRead).toBeLessThanOrEqual(PAGE + 10);
      });
    }
  }

  for (const o of ["-started_at", "started_at", "-switch_count", "switch_count"]) {
    it(`?ordering=${o}, a team's sessions as a MEMBER (their own there): every page reads at most page_size + 10 rows, and the walk returns exactly their sessions in the team`, async () => {
      const key = o.replace("-", "") === "started_at" ? (r: (typeof rows)[number]) => r.id : (r: (typeof rows)[number]) => r.switches;
      const sign = o.startsWith("-") ? -1 : 1;
      // started_at rises with id in this seed, so (started_at, id) sorts as id does.
      const want = rows.filter((r) => r.user === member.id && r.team === team).sort((a, b) => sign * (key(a) - key(b) || a.id - b.id)).map((r) => r.id);
      const { ids, maxRead } = await walkReading(`/api/sessions/?ordering=${o}&page_size=${PAGE}&team=${team}`, member.token);
      expect(ids).toEqual(want);
      // The team holds 1,300 sessions, 300 of them the member's: walking the team's index would read about 4 a row.
      expect(maxRead).toBeLessThanOrEqual(PAGE + 10);
    });
  }

  it("the page after a cursor is a SEARCH of the key's index from the cursor, with no sort, for the caller's and a team's sessions", async () => {
    const db = drizzle(env.DB, { schema });
    const me: Actor = { id: admin.id, email: admin.email, timezone: "UTC", dayStartHour: 0, weekStart: "MON", tokenId: 0 };
    const middle = rows[1500]!;
    for (const o of ["-switch_count", "switch_count"]) {
      const cursor = cursorAfter({ id: middle.id, switchCount: middle.switches } as never, parseOrdering(SESSION_ORDERING, o));
      const range = o.startsWith("-") ? "<" : ">";
      for (const [filters, want] of [
        [{}, `SEARCH dev_sessions USING INDEX sessions_user_switch_key_idx (user_id=? AND switch_key${range}?)`],
        [{ team }, `SEARCH dev_sessions USING INDEX sessions_team_switch_key_idx (team_id=? AND switch_key${range}?)`],
      ] as const) {
        const { sql, params } = (await sessionPages(db, me, { ...filters, ordering: o })).query(cursor, PAGE + 1).toSQL();
        const details = (await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>()).results.map((r) => r.detail);
        expect(details, `${o} ${JSON.stringify(filters)}`).toEqual([want]);
        const res = await env.DB.prepare(sql).bind(...params).all();
        expect(res.results).toHaveLength(PAGE + 1);
        expect(res.meta.rows_read, `${o} ${JSON.stringify(filters)}`).toBeLessThanOrEqual(PAGE + 2);
      }
    }
  });

  it("a forged switch_count cursor (its key exact only for whole counts below 2^31 and ids below 2^32) is 400 naming cursor", async () => {
    const forge = (c: object) => btoa(JSON.stringify({ o: "-switch_count", ...c })).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    for (const c of [{ v: "4", id: 1 }, { v: 4.5, id: 1 }, { v: -(2 ** 31), id: 1 }, { v: 4, id: 2 ** 32 }]) {
      const res = await api(`/api/sessions/?ordering=-switch_count&cursor=${forge(c)}`, { token: admin.token });
      expectError(res, 400, "VALIDATION_FAILED");
      expect(res.body.error.details.map((d) => d.path), JSON.stringify(c)).toEqual(["cursor"]);
    }
  });
});

describe("sessions: security", () => {
  it("another user's session is 404 everywhere; team ADMIN lists members' sessions with ?team=, MEMBER only their own", async () => {
    const owner = await makeUser();
    const member = await makeUser();
    const outsider = await makeUser();
    const team = await createTeam(owner, { name: "Vis" });
    await api(`/api/teams/${team.id}/members/`, { token: owner.token, body: { email: member.email, role: "MEMBER" } });
    const ms = await deepWork(member, { team: team.id });
    const os = await deepWork(owner, { team: team.id });

    for (const [method, path] of [["GET", ""], ["PATCH", ""], ["DELETE", ""], ["POST", "pause/"], ["POST", "close/"]] as const) {
      const res = await api(`/api/sessions/${ms.id}/${path}`, { method, token: outsider.token, body: method === "PATCH" ? { title: "x" } : undefined });
      expectError(res, 404, "NOT_FOUND");
    }
    expectError(await api(`/api/sessions/?team=${team.id}`, { token: outsider.token }), 404, "NOT_FOUND");
    const asOwner = await api(`/api/sessions/?team=${team.id}`, { token: owner.token });
    expect(asOwner.body.results.map((s) => s.id).sort()).toEqual([ms.id, os.id].sort());
    const asMember = await api(`/api/sessions/?team=${team.id}`, { token: member.token });
    expect(asMember.body.results.map((s) => s.id)).toEqual([ms.id]);
    expect((await api(`/api/sessions/${ms.id}`, { token: owner.token })).status).toBe(200);
    // The admin may read but not act on a member's session.
    expectError(await api(`/api/sessions/${ms.id}/close/`, { method: "POST", token: owner.token }), 404, "NOT_FOUND");
    expect((await api("/api/sessions/", { token: owner.token })).body.results.map((s) => s.id)).toEqual([os.id]);
  });

  it("a VIEWER cannot open a session in the team", async () => {
    const owner = await makeUser();
    const viewer = await makeUser();
    const team = await createTeam(owner, { name: "V" });
    await api(`/api/teams/${team.id}/members/`, { token: owner.token, body: { email: viewer.email, role: "VIEWER" } });
    expectError(await api("/api/sessions/", { token: viewer.token, body: { team: team.id } }), 403, "FORBIDDEN");
  });
});

describe("context switches: happy path", () => {
  it("counts switches exactly under 50 concurrent creations and deletions", async () => {
    const u = await makeUser();
    const s = await deepWork(u, { started_at: hoursAgo(1) });
    const created = await Promise.all(
      Array.from({ length: 50 }, (_, i) => api("/api/context-switches/", { token: u.token, body: { dev_session: s.id, reason: i % 2 ? "INTERRUPT" : "MEETING" } })),
    );
    expect(created.every((r) => r.status === 201)).toBe(true);
    const count = async () => (await api(`/api/sessions/${s.id}`, { token: u.token })).body.switch_count;
    expect(await count()).toBe(50);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM context_switches WHERE session_id = ?").bind(s.id).first<{ n: number }>();
    expect(rows!.n).toBe(50);
    await Promise.all(created.slice(0, 20).map((r) => api(`/api/context-switches/${r.body.id}/`, { method: "DELETE", token: u.token })));
    expect(await count()).toBe(30);
    const interrupts = await walk(`/api/context-switches/?dev_session=${s.id}&reason=INTERRUPT&page_size=7`, u.token);
    expect(interrupts.rows.length + (await walk(`/api/context-switches/?dev_session=${s.id}&reason=MEETING`, u.token)).rows.length).toBe(30);
  });

  it("sets last_switch_at and validates tasks in scope", async () => {
    const u = await makeUser();
    const other = await makeUser();
    const s = await deepWork(u, { started_at: hoursAgo(2) });
    const t1 = await insertTask(u);
    const t2 = await insertTask(u);
    const at = hoursAgo(1);
    const res = await api("/api/context-switches/", { token: u.token, body: { dev_session: s.id, from_task: t1, to_task: t2, reason: "QUICK_FIX", happened_at: at, note: "prod fire" } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ dev_session: s.id, from_task: t1, to_task: t2, reason: "QUICK_FIX", happened_at: at, note: "prod fire" });
    expect((await api(`/api/sessions/${s.id}`, { token: u.token })).body.last_switch_at).toBe(at);
    expect((await api(`/api/context-switches/${res.body.id}`, { token: u.token })).body.id).toBe(res.body.id);
    expectError(await api(`/api/context-switches/${res.body.id}`, { token: other.token }), 404, "NOT_FOUND");
    const foreignTask = await insertTask(other);
    expectError(await api("/api/context-switches/", { token: u.token, body: { dev_session: s.id, to_task: foreignTask } }), 404, "NOT_FOUND");
    const before = await api("/api/context-switches/", { token: u.token, body: { dev_session: s.id, happened_at: hoursAgo(3) } });
    expectError(before, 400, "VALIDATION_FAILED");
    expect(before.body.error.details[0]!.path).toBe("happened_at");
    const badReason = await api("/api/context-switches/", { token: u.token, body: unchecked({ dev_session: s.id, reason: "BORED" }) });
    expect(errorOf(badReason).details[0]!.path).toBe("reason");
    expect((await api(`/api/sessions/${s.id}`, { token: u.token })).body.switch_count).toBe(1);
  });
});

describe("context switches: errors", () => {
  it("a DONE session takes no switch (409); a foreign session is 404", async () => {
    const u = await makeUser();
    const other = await makeUser();
    const s = await deepWork(u);
    expectError(await api("/api/context-switches/", { token: other.token, body: { dev_session: s.id } }), 404, "NOT_FOUND");
    await api(`/api/sessions/${s.id}/close/`, { method: "POST", token: u.token });
    expectError(await api("/api/context-switches/", { token: u.token, body: { dev_session: s.id } }), 409, "CONFLICT");
    expect((await api(`/api/sessions/${s.id}`, { token: u.token })).body.switch_count).toBe(0);
  });
});

