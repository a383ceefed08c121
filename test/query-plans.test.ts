// Query plans and rows read of the queries that matter beyond tasks (test/tasks.test.ts pins the task
// lists): the token lookup every request makes, session and switch lists, session detail, and the one
// statement a daily or weekly report reads. Each is checked twice: EXPLAIN QUERY PLAN (an index, never a
// SCAN of a large table) and, on seeded data, D1's own rows_read against the rows the answer needs.
import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { beforeAll, describe, expect, it } from "vitest";
import * as schema from "../src/db/schema";
import type { Actor } from "../src/env";
import { periodQuery } from "../src/modules/reports/generate";
import { reportPages } from "../src/modules/reports/service";
import { ownedScope } from "../src/modules/reports/visibility";
import { attachedTasks, sessionPages } from "../src/modules/sessions/service";
import { readableSessionQuery } from "../src/modules/sessions/visibility";
import { switchListQuery, switchQuery } from "../src/modules/switches/service";
import { tokenQuery } from "../src/platform/auth";
import { sha256Hex } from "../src/platform/crypto";
import { api, timing, makeUser, type TestUser } from "./harness";

type Query = { toSQL(): { sql: string; params: unknown[] } };

async function plan(query: Query) {
  const { sql, params } = query.toSQL();
  const res = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
  return res.results.map((r) => r.detail);
}

async function run(query: Query) {
  const { sql, params } = query.toSQL();
  const res = await env.DB.prepare(sql).bind(...params).all();
  return { rows: res.results.length, read: res.meta.rows_read ?? 0 };
}

/** A SCAN of a table (every row, or a whole index walked) — what a list or report query must never do. */
const LARGE = ["tasks", "dev_sessions", "context_switches", "session_pauses", "session_tasks", "api_tokens", "users", "memberships", "reports", "insights"];
const scans = (details: string[]) => details.filter((d) => LARGE.some((t) => new RegExp(`^SCAN ${t}\\b`).test(d)));

const DAY = "2026-03-10";
const at = (minutes: number) => new Date(Date.parse(`${DAY}T00:00:00.000Z`) + minutes * 60_000).toISOString();

let owner: TestUser;
let other: TestUser;
let me: Actor;
let team: number;
let sessionIds: number[] = [];
let aggregated = 0;

beforeAll(async () => {
  owner = await makeUser();
  other = await makeUser();
  const t = await api("/api/teams/", { token: owner.token, body: { name: "Plans" } });
  team = t.body.id;
  me = { id: owner.id, email: owner.email, timezone: "UTC", dayStartHour: 0, weekStart: "MON", tokenId: 0 };
  const task = await api("/api/tasks/", { token: owner.token, body: { team, title: "Plan task", type: "BUG" } });

  // Volume around the day: 1,500 sessions of the owner over the 60 days before, 500 of another user, each
  // with 5 switches — then the day itself: 40 sessions, 10 switches each, a pause on every 4th, one task each.
  await env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 1999)
     INSERT INTO dev_sessions (user_id, team_id, title, status, started_at, ended_at, switch_count)
     SELECT CASE WHEN i < 1500 THEN ?1 ELSE ?2 END, ?3, 'bulk ' || i, 'DONE',
            strftime('%Y-%m-%dT%H:%M:%fZ', ?4, '-' || (1 + i % 60) || ' days', '+' || (i % 1000) || ' minutes'),
            strftime('%Y-%m-%dT%H:%M:%fZ', ?4, '-' || (1 + i % 60) || ' days', '+' || (i % 1000 + 30) || ' minutes'), 5
     FROM n`,
  ).bind(owner.id, other.id, team, `${DAY}T00:00:00.000Z`).run();
  await env.DB.prepare(
    `WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 4)
     INSERT INTO context_switches (session_id, user_id, reason, happened_at)
     SELECT s.id, s.user_id, 'OTHER', strftime('%Y-%m-%dT%H:%M:%fZ', s.started_at, '+' || (j + 1) || ' minutes')
     FROM dev_sessions s, k WHERE s.title LIKE 'bulk %'`,
  ).run();
  const day = await env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 39)
     INSERT INTO dev_sessions (user_id, team_id, title, status, started_at, ended_at, switch_count)
     SELECT ?1, ?2, 'day ' || i, 'DONE', strftime('%Y-%m-%dT%H:%M:%fZ', ?3, '+' || (i * 35) || ' minutes'),
            strftime('%Y-%m-%dT%H:%M:%fZ', ?3, '+' || (i * 35 + 30) || ' minutes'), 10
     FROM n RETURNING id`,
  ).bind(owner.id, team, `${DAY}T00:00:00.000Z`).all<{ id: number }>();
  sessionIds = day.results.map((r) => r.id);
  await env.DB.prepare(
    `WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 9)
     INSERT INTO context_switches (session_id, user_id, reason, happened_at)
     SELECT s.id, s.user_id, 'INTERRUPT', strftime('%Y-%m-%dT%H:%M:%fZ', s.started_at, '+' || (j + 1) || ' minutes')
     FROM dev_sessions s, k WHERE s.title LIKE 'day %'`,
  ).run();
  await env.DB.prepare(
    `INSERT INTO session_pauses (session_id, paused_at, resumed_at)
     SELECT id, strftime('%Y-%m-%dT%H:%M:%fZ', started_at, '+12 minutes'), strftime('%Y-%m-%dT%H:%M:%fZ', started_at, '+15 minutes')
     FROM dev_sessions WHERE title LIKE 'day %' AND CAST(substr(title, 5) AS INTEGER) % 4 = 0`,
  ).run();
  await env.DB.prepare(`INSERT INTO session_tasks (session_id, task_id, role) SELECT id, ?, 'MAIN' FROM dev_sessions WHERE title LIKE 'day %'`)
    .bind(task.body.id)
    .run();
  // Sessions + switches + pauses + (attached link + its task).
  aggregated = 40 + 400 + 10 + 2 * 40;
  expect(at(0)).toBe(`${DAY}T00:00:00.000Z`);
});

describe("query plans: authentication", () => {
  it("the token, its user and their memberships: three index lookups, no scan, a few rows", async () => {
    const query = tokenQuery(await sha256Hex(owner.token));
    const details = await plan(query);
    expect(scans(details), details.join(" | ")).toEqual([]);
    expect(details.some((d) => /SEARCH api_tokens USING INDEX/.test(d)), details.join(" | ")).toBe(true);
    const { rows, read } = await run(query);
    expect(rows).toBe(1);
    expect(read).toBeLessThanOrEqual(4); // token, user, one membership (+ the index entry)
  });
});

describe("query plans: sessions and switches", () => {
  const range = { date_from: "2026-02-01", date_to: DAY };

  it("sessions with a date range: an index range on (user, started_at), one page of rows", async () => {
    const db = drizzle(env.DB, { schema });
    for (const ordering of ["-started_at", "started_at"]) {
      const { query } = await sessionPages(db, me, { ...range, ordering });
      const q = query(undefined, 51);
      const details = await plan(q);
      expect(scans(details), details.join(" | ")).toEqual([]);
      expect(details.some((d) => /SEARCH dev_sessions USING INDEX sessions_user_started_idx/.test(d)), details.join(" | ")).toBe(true);
      const { rows, read } = await run(q);
      expect(rows).toBe(51);
      expect(read, ordering).toBeLessThanOrEqual(53);
    }
  });

  it("a team's sessions (ADMIN+): an index range on (team, started_at)", async () => {
    const db = drizzle(env.DB, { schema });
    const { query } = await sessionPages(db, me, { team, ordering: "-started_at" });
    const details = await plan(query(undefined, 51));
    expect(scans(details), details.join(" | ")).toEqual([]);
    const { read } = await run(query(undefined, 51));
    expect(read).toBeLessThanOrEqual(53);
  });

  it("session detail: the session by id and its tasks by the (session, task) index, in one batch", async () => {
    const db = drizzle(env.DB, { schema });
    for (const q of [readableSessionQuery(db, me, sessionIds[0]!), attachedTasks(db, sessionIds[0]!)]) {
      const details = await plan(q);
      expect(scans(details), details.join(" | ")).toEqual([]);
      expect((await run(q)).read).toBeLessThanOrEqual(4);
    }
  });

  it("switches with a date range, and a session's switches: index ranges, one page of rows", async () => {
    const db = drizzle(env.DB, { schema });
    for (const filters of [range, { dev_session: sessionIds[0]! }]) {
      const q = switchListQuery(db, me, { ...filters, page_size: 50, ordering: "-happened_at" });
      const details = await plan(q);
      expect(scans(details), `${JSON.stringify(filters)}: ${details.join(" | ")}`).toEqual([]);
      const { read, rows } = await run(q);
      expect(read, JSON.stringify(filters)).toBeLessThanOrEqual(rows + 5);
    }
  });

  it("one switch: by id, its session's visibility by one primary-key lookup", async () => {
    const db = drizzle(env.DB, { schema });
    const sw = await env.DB.prepare("SELECT id FROM context_switches WHERE session_id = ? LIMIT 1").bind(sessionIds[0]).first<{ id: number }>();
    const q = switchQuery(db, me, sw!.id);
    const details = await plan(q);
    expect(scans(details), details.join(" | ")).toEqual([]);
    const { rows, read } = await run(q);
    expect(rows).toBe(1);
    expect(read).toBeLessThanOrEqual(5);
    expect((await run(switchQuery(db, { ...me, id: other.id }, sw!.id))).rows).toBe(0);
  });
});

describe("query plans: report generation", () => {
  it("the day's sessions by (user, started_at), their rows by session_id: each row read once", async () => {
    const db = drizzle(env.DB, { schema });
    const from = Date.parse(`${DAY}T00:00:00.000Z`);
    const q = periodQuery(db, { kind: "user", id: owner.id }, from, from + 86_400_000);
    const details = await plan(q);
    expect(scans(details), details.join(" | ")).toEqual([]);
    expect(details.some((d) => /SEARCH dev_sessions USING INDEX sessions_user_started_idx/.test(d)), details.join(" | ")).toBe(true);
    for (const index of ["switches_session_idx", "session_pauses_session_idx", "session_tasks_uq"]) {
      expect(details.some((d) => new RegExp(`^SEARCH \\w+ USING (COVERING )?INDEX ${index} \\(session_id=\\?\\)`).test(d)), `${index}: ${details.join(" | ")}`).toBe(true);
    }
    const { rows, read } = await run(q);
    expect(rows).toBe(40);
    // 40 sessions, 400 switches, 10 pauses, 40 attached tasks (link + task): 530 rows aggregated. Each
    // session's three subqueries also probe their index once more (the step that finds the range's end).
    expect(read).toBeGreaterThanOrEqual(aggregated);
    expect(read).toBeLessThanOrEqual(Math.ceil(1.2 * aggregated));
  });

  it("a team's period: by (team, started_at)", async () => {
    const db = drizzle(env.DB, { schema });
    const from = Date.parse(`${DAY}T00:00:00.000Z`);
    const details = await plan(periodQuery(db, { kind: "team", id: team }, from, from + 86_400_000));
    expect(scans(details), details.join(" | ")).toEqual([]);
    expect(details.some((d) => /SEARCH dev_sessions USING INDEX sessions_team_started_idx/.test(d)), details.join(" | ")).toBe(true);
  });

  it("through the API: a daily report of that day reads ≤ 1.5 × the rows it aggregates, in few round trips", async () => {
    const res = await api("/api/reports/daily/", { token: owner.token, body: { date: DAY } });
    expect(res.status).toBe(201);
    expect(res.body.payload.totals).toMatchObject({ sessions: 40, switches: 400, interrupts: 400 });
    expect(timing(res, "d1-rows-read")).toBeLessThanOrEqual(1.5 * aggregated);
    // auth, the period, the report upsert, its insights
    expect(timing(res, "d1-queries")).toBeLessThanOrEqual(4);
  });
});

describe("query plans: reports and insights lists", () => {
  it("the caller's and their teams' reports and insights: the owner index, never a scan of every owner's", async () => {
    const db = drizzle(env.DB, { schema });
    const withTeams: Actor = { ...me, teams: new Map([[team, "OWNER"]]) };
    for (const f of [{}, { team }]) {
      const { query } = await reportPages(db, withTeams, { ...f, ordering: "-period_start" });
      const details = await plan(query(undefined, 51));
      expect(scans(details), `reports ${JSON.stringify(f)}: ${details.join(" | ")}`).toEqual([]);
      expect(details.some((d) => /^SEARCH reports USING INDEX/.test(d)), details.join(" | ")).toBe(true);
    }
    const insightsQuery = db.select().from(schema.insights).where(await ownedScope(db, withTeams, schema.insights, undefined)).limit(51);
    const details = await plan(insightsQuery);
    expect(scans(details), `insights: ${details.join(" | ")}`).toEqual([]);
  });
});

describe("query plans: an authenticated read waits for one round trip", () => {
  it("lists and details: the credential check (with memberships) in one batch with the statement or batch", async () => {
    await api("/api/auth/me/", { token: owner.token }); // the token's first use stamps last_used_at in the background
    for (const path of [
      "/api/tasks/",
      `/api/tasks/?team=${team}`,
      "/api/tasks/?search=plan%20task",
      `/api/sessions/?date_from=2026-02-01&date_to=${DAY}`,
      `/api/sessions/${sessionIds[0]}/`,
      `/api/sessions/?team=${team}`,
      "/api/context-switches/?date_from=2026-03-01",
      "/api/reports/",
      "/api/insights/",
      `/api/teams/${team}/`,
    ]) {
      const res = await api(path, { token: owner.token });
      expect(res.status, path).toBe(200);
      expect(timing(res, "d1-queries"), path).toBe(1);
    }
  });

  it("a revoked token is refused on the very next request (memberships and token are read per request)", async () => {
    const u = await makeUser();
    const tokens = await api("/api/auth/tokens/", { token: u.token, body: { name: "second" } });
    expect(tokens.status).toBe(201);
    const second = tokens.body.token;
    expect((await api("/api/tasks/", { token: second })).status).toBe(200);
    expect((await api(`/api/auth/tokens/${tokens.body.id}/`, { method: "DELETE", token: u.token })).status).toBe(204);
    expect((await api("/api/tasks/", { token: second })).status).toBe(401);
  });

  it("a member removed from a team loses it on the next request", async () => {
    const t = await api("/api/teams/", { token: owner.token, body: { name: "Leaving" } });
    const m = await makeUser();
    expect((await api(`/api/teams/${t.body.id}/members/`, { token: owner.token, body: { email: m.email, role: "MEMBER" } })).status).toBe(201);
    expect((await api(`/api/tasks/?team=${t.body.id}`, { token: m.token })).status).toBe(200);
    expect((await api(`/api/teams/${t.body.id}/members/${m.id}/`, { method: "DELETE", token: owner.token })).status).toBe(204);
    expect((await api(`/api/tasks/?team=${t.body.id}`, { token: m.token })).status).toBe(404);
  });
});
