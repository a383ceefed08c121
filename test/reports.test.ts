import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { dueReports, runHourlyCron } from "../src/modules/reports/cron";
import { api, closedSession, countRows, createTeam, errorOf, expectError, makeUser, message, unchecked, until, worker, type Schemas, type TestUser } from "./harness";

type Reason = Schemas["ContextSwitch"]["reason"];
/** A closed session on `day` (UTC) from hh:mm for `minutes`, with switches at the given minute offsets. */
const session = async (u: TestUser, day: string, startHHMM: string, minutes: number, switches: [number, Reason][] = [], team?: number) =>
  (await closedSession(u, Date.parse(`${day}T${startHHMM}:00.000Z`), minutes, switches.map(([after, reason]) => ({ after, reason })), { title: `at ${startHHMM}`, team })).id;

/** What a report's payload holds (the contract types payload as a free-form object). */
interface DailyPayload {
  totals: Record<string, number>;
}
interface WeeklyPayload {
  days: { date: string; sessions: number; focus_minutes: number; switches: number }[];
  totals: Record<string, number>;
  previous_week: { totals: Record<string, number> };
  change: Record<string, number>;
}

describe("reports: happy path", () => {
  it("computes the day's totals and insights; regenerating replaces them", async () => {
    const u = await makeUser();
    await session(u, "2026-01-30", "09:00", 30, [[5, "INTERRUPT"], [10, "QUICK_FIX"], [15, "INTERRUPT"], [20, "OTHER"]]);
    await session(u, "2026-01-30", "13:00", 20);
    await session(u, "2026-01-31", "13:00", 200); // another day: not counted
    const res = await api("/api/reports/daily/", { token: u.token, body: { date: "2026-01-30" } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ type: "DAILY", user: u.id, team: null, period_start: "2026-01-30", period_end: "2026-01-30", timezone: "UTC" });
    expect(res.body.payload.totals).toMatchObject({ sessions: 2, focus_minutes: 50, switches: 4, interrupts: 2, switches_per_hour: 4.8, deep_work_blocks: 0, longest_stretch_minutes: 20 });
    expect(res.body.payload.sessions).toHaveLength(2);
    expect(res.body.summary).toContain("2 sessions");
    expect(res.body.insights.map((i) => i.code).sort()).toEqual(["FRAGILE_WORKFLOW", "LOW_FOCUS_TIME"]);

    const again = await api("/api/reports/daily/", { token: u.token, body: { date: "2026-01-30" } });
    expect(again.body.id).toBe(res.body.id);
    expect(await countRows("SELECT count(*) AS n FROM reports WHERE user_id = ?", u.id)).toBe(1);
    expect(await countRows("SELECT count(*) AS n FROM insights WHERE report_id = ?", res.body.id)).toBe(2);
    const listed = await api("/api/insights/?code=LOW_FOCUS_TIME", { token: u.token });
    expect(listed.body.results).toHaveLength(1);
    expect(listed.body.results[0]).toMatchObject({ report: res.body.id, level: "INFO", period_start: "2026-01-30" });
  });

  it("a day with no sessions gets no LOW_FOCUS_TIME", async () => {
    const u = await makeUser();
    const res = await api("/api/reports/daily/", { token: u.token, body: { date: "2026-01-29" } });
    expect(res.status).toBe(201);
    expect((res.body.payload as unknown as DailyPayload).totals.sessions).toBe(0);
    expect(res.body.insights).toEqual([]);
  });

  it("cuts days in the user's time zone and day_start_hour", async () => {
    const u = await makeUser({ timezone: "Asia/Tokyo" });
    await api("/api/auth/me/", { method: "PATCH", token: u.token, body: { day_start_hour: 4 } });
    // 2026-01-30 18:00Z = Jan 31 03:00 in Tokyo: before 04:00, so it belongs to Jan 30.
    await session(u, "2026-01-30", "18:00", 60);
    // 2026-01-30 20:00Z = Jan 31 05:00 in Tokyo: Jan 31.
    await session(u, "2026-01-30", "20:00", 30);
    const d30 = await api("/api/reports/daily/", { token: u.token, body: { date: "2026-01-30" } });
    const d31 = await api("/api/reports/daily/", { token: u.token, body: { date: "2026-01-31" } });
    expect(d30.body.payload.totals).toMatchObject({ sessions: 1, focus_minutes: 60 });
    expect(d31.body.payload.totals).toMatchObject({ sessions: 1, focus_minutes: 30 });
    expect(d30.body.timezone).toBe("Asia/Tokyo");
  });

  it("weekly: per-day breakdown and change against the week before", async () => {
    const u = await makeUser();
    await api("/api/auth/me/", { method: "PATCH", token: u.token, body: { week_start: "SUN" } });
    await session(u, "2026-01-18", "09:00", 60); // Sunday: previous week (SUN-based weeks)
    await session(u, "2026-01-25", "09:00", 90, [[30, "MEETING"]]); // Sunday: this week's first day
    await session(u, "2026-01-31", "09:00", 30); // Saturday: this week's last day
    const res = await api("/api/reports/weekly/", { token: u.token, body: { week_of: "2026-01-28" } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ type: "WEEKLY", period_start: "2026-01-25", period_end: "2026-01-31" });
    const p = res.body.payload as unknown as WeeklyPayload;
    expect(p.days.map((d) => d.date)).toEqual(["2026-01-25", "2026-01-26", "2026-01-27", "2026-01-28", "2026-01-29", "2026-01-30", "2026-01-31"]);
    expect(p.days[0]).toMatchObject({ sessions: 1, focus_minutes: 90, switches: 1 });
    expect(p.days[6]).toMatchObject({ sessions: 1, focus_minutes: 30 });
    expect(p.totals).toMatchObject({ sessions: 2, focus_minutes: 120, switches: 1, deep_work_blocks: 1 });
    expect(p.previous_week.totals).toMatchObject({ sessions: 1, focus_minutes: 60 });
    expect(p.change).toMatchObject({ sessions: 1, focus_minutes: 60, switches: 1 });
  });

  it("lists with filters and exports CSV and JSON equal to the list", async () => {
    const u = await makeUser();
    for (const d of ["2026-01-10", "2026-01-11", "2026-01-12"]) await api("/api/reports/daily/", { token: u.token, body: { date: d } });
    await api("/api/reports/weekly/", { token: u.token, body: { week_of: "2026-01-12" } });
    const daily = await api("/api/reports/?type=DAILY&date_from=2026-01-11", { token: u.token });
    expect(daily.body.results.map((r) => r.period_start)).toEqual(["2026-01-12", "2026-01-11"]);
    const json = await api("/api/reports/export/?format=json&type=DAILY&date_from=2026-01-11", { token: u.token });
    expect(json.headers.get("Content-Disposition")).toBe("attachment; filename=reports.json");
    expect(json.body).toEqual(daily.body.results);
    const csv = await api("/api/reports/export/?type=DAILY", { token: u.token });
    const lines = csv.text.trim().split("\r\n");
    expect(lines[0]).toBe("id,type,user,team,period_start,period_end,timezone,payload,summary,created_at,updated_at");
    expect(lines).toHaveLength(4);
    expectError(await api("/api/reports/export/?format=xml", { token: u.token }), 400, "VALIDATION_FAILED");
  });
});

describe("reports: security", () => {
  it("team reports: ADMIN+ generate from members' team sessions, members read, outsiders 404", async () => {
    const owner = await makeUser();
    const member = await makeUser();
    const outsider = await makeUser();
    const team = await createTeam(owner, { name: "Rep" });
    await api(`/api/teams/${team.id}/members/`, { token: owner.token, body: { email: member.email, role: "MEMBER" } });
    await session(member, "2026-01-30", "09:00", 45, [], team.id);
    await session(owner, "2026-01-30", "10:00", 15, [], team.id);
    await session(member, "2026-01-30", "11:00", 100); // personal: not in the team report
    expectError(await api("/api/reports/daily/", { token: member.token, body: { date: "2026-01-30", team: team.id } }), 403, "FORBIDDEN");
    expectError(await api("/api/reports/daily/", { token: outsider.token, body: { date: "2026-01-30", team: team.id } }), 404, "NOT_FOUND");
    const res = await api("/api/reports/daily/", { token: owner.token, body: { date: "2026-01-30", team: team.id } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ team: team.id, user: null });
    expect(res.body.payload.totals).toMatchObject({ sessions: 2, focus_minutes: 60 });
    expect((await api(`/api/reports/${res.body.id}/`, { token: member.token })).status).toBe(200);
    expect((await api(`/api/reports/?team=${team.id}`, { token: member.token })).body.results.map((r) => r.id)).toEqual([res.body.id]);
    expectError(await api(`/api/reports/${res.body.id}/`, { token: outsider.token }), 404, "NOT_FOUND");
    expectError(await api(`/api/reports/?team=${team.id}`, { token: outsider.token }), 404, "NOT_FOUND");
    // A user's own report covers personal and team sessions.
    const mine = await api("/api/reports/daily/", { token: member.token, body: { date: "2026-01-30" } });
    expect(mine.body.payload.totals).toMatchObject({ sessions: 2, focus_minutes: 145 });
    expect((await api("/api/insights/", { token: outsider.token })).body.results).toEqual([]);
  });
});

describe("report requests: happy path", () => {
  it("daily-async goes PENDING → DONE through the real local queue, then insights follow", async () => {
    const u = await makeUser();
    await session(u, "2026-01-30", "09:00", 20);
    const res = await api("/api/reports/daily-async/", { token: u.token, body: { date: "2026-01-30" } });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe("PENDING");
    expect(res.headers.get("Location")).toBe(`/api/report-requests/${res.body.id}/`);
    const done = await until(() => api(`/api/report-requests/${res.body.id}/`, { token: u.token }), (r) => r.body.status === "DONE");
    expect(done.body.status).toBe("DONE");
    expect(done.body.result_report).toEqual(expect.any(Number));
    const report = await api(`/api/reports/${done.body.result_report}/`, { token: u.token });
    expect((report.body.payload as unknown as DailyPayload).totals.focus_minutes).toBe(20);
    const ins = await until(() => api("/api/insights/", { token: u.token }), (r) => r.body.results.length > 0);
    expect(ins.body.results.map((i) => i.code)).toEqual(["LOW_FOCUS_TIME"]);
  });

  it("the same message delivered twice gives one report and one set of insights", async () => {
    const u = await makeUser();
    await session(u, "2026-01-30", "09:00", 20);
    const rr = (await api("/api/report-requests/", { token: u.token, body: { type: "DAILY", day: "2026-01-30" } })).body;
    await until(() => api(`/api/report-requests/${rr.id}/`, { token: u.token }), (r) => r.body.status === "DONE");
    const msg = (attempts: number) => message({ kind: "report_request", requestId: rr.id }, attempts);
    await worker.queue("devfocus-reports", [msg(1)]);
    await worker.queue("devfocus-reports", [msg(2)]);
    // A scheduled report for the same day, twice, and insights twice: still one of each.
    const sched = { kind: "scheduled_report", userId: u.id, type: "DAILY", day: "2026-01-30" };
    await worker.queue("devfocus-reports", [message(sched, 1, "a"), message(sched, 1, "b")]);
    const reportId = (await api(`/api/report-requests/${rr.id}/`, { token: u.token })).body.result_report;
    const ins = message({ kind: "insights", reportId }, 1, "c");
    await worker.queue("devfocus-insights", [ins, { ...ins, id: "d" }]);
    expect(await countRows("SELECT count(*) AS n FROM reports WHERE user_id = ?", u.id)).toBe(1);
    expect(await countRows("SELECT count(*) AS n FROM insights WHERE user_id = ?", u.id)).toBe(1);
  });
});

describe("report requests: errors", () => {
  it("a failing request is retried with backoff, then FAILED with the message", async () => {
    const u = await makeUser();
    const rr = (await api("/api/report-requests/", { token: u.token, body: { type: "DAILY", day: "2026-01-30" } })).body;
    await until(() => api(`/api/report-requests/${rr.id}/`, { token: u.token }), (r) => r.body.status === "DONE");
    // Break the user's calendar so generation throws, and reset the request.
    await env.DB.prepare("UPDATE users SET timezone = 'Mars/Olympus_Mons' WHERE id = ?").bind(u.id).run();
    await env.DB.prepare("UPDATE report_requests SET status = 'PENDING' WHERE id = ?").bind(rr.id).run();
    const body = { kind: "report_request", requestId: rr.id };
    const first = await worker.queue("devfocus-reports", [message(body, 1, "r1")]);
    expect(first.retryMessages).toEqual([{ msgId: "r1", delaySeconds: 2 }]);
    const mid = (await api(`/api/report-requests/${rr.id}/`, { token: u.token })).body;
    expect(mid).toMatchObject({ status: "RUNNING", attempts: 1 });
    expect(mid.error_message).toMatch(/RangeError/);
    const last = await worker.queue("devfocus-reports", [message(body, 4, "r4")]);
    expect(last.retryMessages).toEqual([]);
    const failed = (await api(`/api/report-requests/${rr.id}/`, { token: u.token })).body;
    expect(failed).toMatchObject({ status: "FAILED", attempts: 4 });
    expect(failed.error_message).toMatch(/time ?zone/i);
  });

  it("the dead-letter consumer fails a request that never finished", async () => {
    const u = await makeUser();
    const [row] = (await env.DB.prepare("INSERT INTO report_requests (user_id, type, day) VALUES (?, 'DAILY', '2026-01-30') RETURNING id").bind(u.id).all<{ id: number }>()).results;
    await worker.queue("devfocus-dlq", [message({ kind: "report_request", requestId: row!.id }, 1, "x")]);
    const failed = (await api(`/api/report-requests/${row!.id}/`, { token: u.token })).body;
    expect(failed.status).toBe("FAILED");
    expect(failed.error_message).toMatch(/after every retry/);
  });
});

describe("report requests: security", () => {
  it("another user's request is 404", async () => {
    const u = await makeUser();
    const other = await makeUser();
    const rr = (await api("/api/report-requests/", { token: u.token, body: { type: "WEEKLY" } })).body;
    expectError(await api(`/api/report-requests/${rr.id}/`, { token: other.token }), 404, "NOT_FOUND");
    expect((await api("/api/report-requests/", { token: other.token })).body.results).toEqual([]);
    const bad = await api("/api/report-requests/", { token: u.token, body: unchecked({ type: "MONTHLY", day: "2026-13-45" }) });
    expect(errorOf(bad).details.map((d) => d.path).sort()).toEqual(["day", "type"]);
  });
});

describe("reports: hourly cron", () => {
  it("dueReports: the day that ended in the past hour, and the week when it closed one", () => {
    const utc = { timezone: "UTC", dayStartHour: 0, weekStart: "MON" as const };
    expect(dueReports(utc, Date.parse("2026-02-02T00:00:00Z"))).toEqual([{ type: "DAILY", day: "2026-02-01" }, { type: "WEEKLY", day: "2026-02-01" }]);
    expect(dueReports(utc, Date.parse("2026-02-03T00:59:59Z"))).toEqual([{ type: "DAILY", day: "2026-02-02" }]);
    expect(dueReports(utc, Date.parse("2026-02-03T01:00:00Z"))).toEqual([]);
    const india = { timezone: "Asia/Kolkata", dayStartHour: 0, weekStart: "MON" as const };
    expect(dueReports(india, Date.parse("2026-02-02T19:00:00Z"))).toEqual([{ type: "DAILY", day: "2026-02-02" }]); // midnight IST = 18:30Z
  });

  it("enqueues exactly the users whose local day just ended (three time zones, one with day_start_hour 4)", async () => {
    const utcUser = await makeUser({ timezone: "UTC" });
    const nyUser = await makeUser({ timezone: "America/New_York" });
    const tokyoUser = await makeUser({ timezone: "Asia/Tokyo" });
    const early = await makeUser({ timezone: "Europe/Paris" });
    await api("/api/auth/me/", { method: "PATCH", token: early.token, body: { day_start_hour: 4 } });
    const ours = new Set([utcUser.id, nyUser.id, tokyoUser.id, early.id]);
    const sent: any[] = [];
    const spy = vi.spyOn(env.REPORTS_QUEUE, "sendBatch").mockImplementation(async (msgs: any) => {
      sent.push(...[...msgs].map((m) => m.body));
      return undefined as any;
    });
    try {
      const dueAt = async (when: string) => {
        sent.length = 0;
        await runHourlyCron(env, Date.parse(when));
        return sent.filter((m) => ours.has(m.userId)).map((m) => `${m.userId}:${m.type}:${m.day}`).sort();
      };
      // 2026-02-04 (a Wednesday) 00:00Z: UTC midnight.
      expect(await dueAt("2026-02-04T00:00:00Z")).toEqual([`${utcUser.id}:DAILY:2026-02-03`]);
      // 05:00Z = midnight in New York (EST).
      expect(await dueAt("2026-02-04T05:00:00Z")).toEqual([`${nyUser.id}:DAILY:2026-02-03`]);
      // 15:00Z = midnight in Tokyo.
      expect(await dueAt("2026-02-03T15:00:00Z")).toEqual([`${tokyoUser.id}:DAILY:2026-02-03`]);
      // 03:00Z = 04:00 in Paris (CET): the Paris user's day starts at 04:00.
      expect(await dueAt("2026-02-04T03:00:00Z")).toEqual([`${early.id}:DAILY:2026-02-03`]);
      // Monday 2026-02-02 00:00Z: the UTC user's week (MON) ended with Sunday.
      expect(await dueAt("2026-02-02T00:00:00Z")).toEqual([`${utcUser.id}:DAILY:2026-02-01`, `${utcUser.id}:WEEKLY:2026-02-01`]);
      expect(await dueAt("2026-02-04T10:00:00Z")).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  });

  it("sends in batches of at most 100", async () => {
    // 150 users in a zone whose day ends at the chosen hour.
    const stmts = Array.from({ length: 150 }, (_, i) =>
      env.DB.prepare("INSERT INTO users (email, password_hash, timezone) VALUES (?, 'x', 'Pacific/Kiritimati')").bind(`kiri-${i}-${Date.now()}@example.com`),
    );
    await env.DB.batch(stmts);
    const sizes: number[] = [];
    const spy = vi.spyOn(env.REPORTS_QUEUE, "sendBatch").mockImplementation(async (msgs: any) => {
      sizes.push([...msgs].length);
      return undefined as any;
    });
    try {
      // Kiritimati is UTC+14: its midnight is 10:00Z.
      const n = await runHourlyCron(env, Date.parse("2026-02-04T10:00:00Z"));
      expect(n).toBeGreaterThanOrEqual(150);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
    } finally {
      spy.mockRestore();
    }
  });

  it("the scheduled handler runs the cron", async () => {
    const u = await makeUser({ timezone: "UTC" });
    const sent: any[] = [];
    const spy = vi.spyOn(env.REPORTS_QUEUE, "sendBatch").mockImplementation(async (msgs: any) => {
      sent.push(...[...msgs].map((m) => m.body));
      return undefined as any;
    });
    try {
      await worker.scheduled({ scheduledTime: new Date("2026-02-04T00:00:00Z"), cron: "0 * * * *" });
      expect(sent.some((m) => m.userId === u.id && m.day === "2026-02-03")).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });
});
