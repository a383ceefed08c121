/**
 * Editor activity becomes sessions, pauses and context switches by itself — over HTTP, in wakatime-cli's wire
 * format: bulks of 10 from two editors, shuffled and re-sent, racing, inside a session the user opened, on
 * DST days — and the derived timeline behaves like any other in sessions, switches, reports and exports.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addDays, dayOf, dayStart } from "../src/platform/time";
import { api, countRows, createTask, timing, makeUser, ok, openSession, openStream, type Schemas, type TestUser, walk } from "./harness";

const V1 = "/api/compat/wakatime/v1/users/current";
const MIN = 60_000;
const VSCODE = "wakatime/v1.102.1 (linux-6.5.0-x86_64) go1.22.1 vscode/1.88.0 vscode-wakatime/24.5.0";
const VIM = "wakatime/v1.102.1 (darwin-23.4.0-arm64) go1.22.1 vim/9.1 vim-wakatime/11.2.0";
const basic = (key: string) => `Basic ${btoa(key)}`;

interface Hb {
  entity: string;
  type: Schemas["Heartbeat"]["type"];
  time: number;
  category: string;
  project?: string;
  branch?: string;
  language: string;
  user_agent: string;
  is_write: boolean;
}

interface Editor {
  user: TestUser;
  key: string;
}

async function editorUser(extra: { timezone?: string } = {}, settings: Schemas["UpdateMeRequest"] = {}): Promise<Editor> {
  const user = await makeUser(extra);
  if (Object.keys(settings).length) await ok(api("/api/auth/me/", { method: "PATCH", token: user.token, body: settings }));
  const key = (await ok(api("/api/auth/tokens/", { token: user.token, body: { name: "editors", scope: "EDITOR" } }))).token;
  return { user, key };
}

/** A heartbeat at `ms` in a project/branch, from VS Code unless `vim`. */
function hb(ms: number, project: string | undefined, branch: string | undefined = "main", more: Partial<Hb> = {}): Hb {
  return {
    entity: `/home/ada/src/${project ?? "scratch"}/${branch ?? "x"}.ts`,
    type: "file",
    time: ms / 1000,
    category: "coding",
    ...(project !== undefined ? { project } : {}),
    ...(branch !== undefined ? { branch } : {}),
    language: "TypeScript",
    user_agent: VSCODE,
    is_write: false,
    ...more,
  };
}

/** Every `step` minutes from `from` to `to` (minutes after `base`), inclusive. */
const every = (base: number, from: number, to: number, step: number, make: (ms: number) => Hb) =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => make(base + (from + i * step) * MIN));

async function send(e: Editor, beats: Hb[]) {
  const res = await api(`${V1}/heartbeats.bulk`, { method: "POST", headers: { Authorization: basic(e.key) }, body: beats });
  expect(res.status, res.text).toBe(202);
  return res;
}

/** In bulks of `size`, in the given order. */
async function sendAll(e: Editor, beats: Hb[], size = 10) {
  for (let i = 0; i < beats.length; i += size) await send(e, beats.slice(i, i + size));
}


/** The derived timeline as the API shows it: sessions with their pauses, tasks and switches, ids left out. */
async function timeline(user: TestUser) {
  const { rows: sessions } = await walk("/api/sessions/?source=EDITOR&ordering=started_at", user.token);
  const out = [];
  for (const s of sessions) {
    const detail = await ok(api(`/api/sessions/${s.id}/`, { token: user.token }));
    const { rows: switches } = await walk(`/api/context-switches/?dev_session=${s.id}&ordering=happened_at`, user.token);
    out.push({
      title: s.title,
      status: s.status,
      source: s.source,
      started_at: s.started_at,
      ended_at: s.ended_at,
      total_focus_minutes: s.total_focus_minutes,
      switch_count: s.switch_count,
      pauses: detail.pauses,
      tasks: detail.tasks.map((t) => [t.task, t.role]),
      switches: switches.map((w) => [w.happened_at, w.reason, w.note, w.from_task, w.to_task, w.source]),
    });
  }
  return out;
}

/** A past day of the user's calendar (heartbeats must be within the retention period and not ahead of now). */
const pastDay = (timezone = "UTC", daysAgo = 2) => addDays(dayOf(Date.now(), { timezone, dayStartHour: 0 }), -daysAgo);

/**
 * A working day: devfocus-api on main from 09:00 (a 20-minute idle gap at 09:40), a switch to billing-service
 * at 10:00, a hotfix branch at 10:20, a meeting at 10:40, back to devfocus-api at 11:00; a long lunch; then
 * the afternoon on devfocus-api. Two editors: Vim in billing-service, VS Code elsewhere.
 */
function workingDay(base: number) {
  return [
    ...every(base, 9 * 60, 9 * 60 + 38, 2, (t) => hb(t, "devfocus-api")),
    ...every(base, 9 * 60 + 58, 9 * 60 + 58, 2, (t) => hb(t, "devfocus-api")),
    ...every(base, 10 * 60, 10 * 60 + 18, 2, (t) => hb(t, "billing-service", "main", { user_agent: VIM, language: "Go" })),
    ...every(base, 10 * 60 + 20, 10 * 60 + 38, 2, (t) => hb(t, "billing-service", "hotfix/refunds", { user_agent: VIM, language: "Go" })),
    ...every(base, 10 * 60 + 40, 10 * 60 + 58, 2, (t) => hb(t, undefined, undefined, { category: "meeting", entity: "Zoom", type: "app" })),
    ...every(base, 11 * 60, 12 * 60, 2, (t) => hb(t, "devfocus-api")),
    ...every(base, 15 * 60, 16 * 60, 2, (t) => hb(t, "devfocus-api")),
  ];
}

describe("editors timeline: happy path", () => {
  it("a day from two editors in bulks of 10 shows up as sessions, a pause and switches with reasons and notes", async () => {
    const e = await editorUser();
    const day = pastDay();
    const base = dayStart(day, { timezone: "UTC", dayStartHour: 0 });
    await sendAll(e, workingDay(base));
    const t = await timeline(e.user);
    const at = (m: number) => new Date(base + m * MIN).toISOString();
    expect(t).toHaveLength(2);
    expect(t[0]).toMatchObject({
      title: "devfocus-api · billing-service",
      status: "DONE",
      source: "EDITOR",
      started_at: at(9 * 60),
      ended_at: at(12 * 60),
      // 3 hours, less the 20 idle minutes
      total_focus_minutes: 160,
      switch_count: 4,
      pauses: [{ paused_at: at(9 * 60 + 38), resumed_at: at(9 * 60 + 58) }],
    });
    expect(t[0]!.switches).toEqual([
      [at(10 * 60), "OTHER", "billing-service ← devfocus-api", null, null, "EDITOR"],
      [at(10 * 60 + 20), "QUICK_FIX", "billing-service: hotfix/refunds ← main", null, null, "EDITOR"],
      [at(10 * 60 + 40), "MEETING", "meeting ← billing-service", null, null, "EDITOR"],
      [at(11 * 60), "OTHER", "devfocus-api ← billing-service", null, null, "EDITOR"],
    ]);
    expect(t[1]).toMatchObject({ title: "devfocus-api", started_at: at(15 * 60), ended_at: at(16 * 60), total_focus_minutes: 60, switch_count: 0, pauses: [] });
  });

  it("the derived sessions behave like any other: the daily report, the switch list, the export, the source filter", async () => {
    const e = await editorUser();
    const day = pastDay();
    const base = dayStart(day, { timezone: "UTC", dayStartHour: 0 });
    await sendAll(e, workingDay(base));
    await openSession(e.user.token, { title: "by hand", started_at: new Date(base + 20 * 60 * MIN).toISOString() });

    const report = await ok(api("/api/reports/daily/", { token: e.user.token, body: { date: day } }));
    expect(report.payload.totals).toMatchObject({ sessions: 3, switches: 4, quick_fixes: 1 });
    const { rows: switches } = await walk(`/api/context-switches/?source=EDITOR&date_from=${day}&date_to=${day}`, e.user.token);
    expect(switches).toHaveLength(4);
    expect((await walk("/api/sessions/?source=MANUAL", e.user.token)).rows.map((s) => s.title)).toEqual(["by hand"]);
    const csv = await api("/api/sessions/export/?format=csv&source=EDITOR", { token: e.user.token });
    const [header, ...lines] = csv.text.trim().split(/\r?\n/);
    expect(header!.split(",").at(-1)).toBe("source");
    expect(lines.map((l) => l.split(",").at(-1))).toEqual(["EDITOR", "EDITOR"]);
  });

  it("an idle gap is a pause, a two-hour break ends the session, and the idle timeout is the user's own", async () => {
    const e = await editorUser({}, { idle_timeout_minutes: 5 });
    const base = dayStart(pastDay(), { timezone: "UTC", dayStartHour: 0 });
    // A 6-minute gap (a pause at 5), a 119-minute one (still a pause), a 120-minute one (a new session).
    const plan = [0, 2, 8, 10, 129, 131, 251, 253].map((m) => hb(base + (8 * 60 + m) * MIN, "api"));
    await send(e, plan);
    const t = await timeline(e.user);
    expect(t.map((s) => [s.started_at, s.ended_at, s.pauses.length, s.total_focus_minutes])).toEqual([
      [new Date(base + 8 * 60 * MIN).toISOString(), new Date(base + (8 * 60 + 131) * MIN).toISOString(), 2, 131 - 6 - 119],
      [new Date(base + (8 * 60 + 251) * MIN).toISOString(), new Date(base + (8 * 60 + 253) * MIN).toISOString(), 0, 2],
    ]);
  });

  it("tasks come from branch names by the git hook's rule: switches go from task to task, the session holds them", async () => {
    const e = await editorUser();
    const login = await createTask(e.user.token, { title: "Fix the login loop" });
    const refunds = await createTask(e.user.token, { title: "Refunds" });
    const base = dayStart(pastDay(), { timezone: "UTC", dayStartHour: 0 });
    await send(e, [
      ...every(base, 600, 610, 2, (t) => hb(t, "devfocus-api", `${login.id}-fix-login`)),
      ...every(base, 612, 620, 2, (t) => hb(t, "devfocus-api", `hotfix/task-${refunds.id}-refunds`)),
    ]);
    const [s] = await timeline(e.user);
    expect(s!.tasks).toEqual([
      [login.id, "MAIN"],
      [refunds.id, "SIDE"],
    ]);
    expect(s!.switches).toEqual([
      [new Date(base + 612 * MIN).toISOString(), "QUICK_FIX", `devfocus-api: hotfix/task-${refunds.id}-refunds ← ${login.id}-fix-login`, login.id, refunds.id, "EDITOR"],
    ]);
  });

  it("a session the user opened absorbs the editor's activity: its switches land there, no editor session beside it", async () => {
    const e = await editorUser();
    const base = dayStart(pastDay(), { timezone: "UTC", dayStartHour: 0 });
    const manual = await openSession(e.user.token, { title: "Release day", started_at: new Date(base + 9 * 60 * MIN).toISOString(), source: "CLI" });
    expect(manual.source).toBe("CLI");
    await sendAll(e, [
      ...every(base, 8 * 60, 8 * 60 + 30, 2, (t) => hb(t, "devfocus-api")),
      ...every(base, 9 * 60 + 10, 9 * 60 + 30, 2, (t) => hb(t, "devfocus-api")),
      ...every(base, 9 * 60 + 32, 9 * 60 + 50, 2, (t) => hb(t, "billing-service")),
    ]);
    const t = await timeline(e.user);
    expect(t.map((s) => [s.started_at, s.ended_at])).toEqual([[new Date(base + 8 * 60 * MIN).toISOString(), new Date(base + (8 * 60 + 30) * MIN).toISOString()]]);
    const after = await ok(api(`/api/sessions/${manual.id}/`, { token: e.user.token }));
    expect(after).toMatchObject({ status: "OPEN", source: "CLI", switch_count: 1, last_switch_at: new Date(base + (9 * 60 + 32) * MIN).toISOString() });
    const { rows } = await walk(`/api/context-switches/?dev_session=${manual.id}`, e.user.token);
    expect(rows.map((w) => [w.note, w.source])).toEqual([["billing-service ← devfocus-api", "EDITOR"]]);
    // Closing it: the timeline rule holds (not before its last switch), and it stays one session.
    const closed = await api(`/api/sessions/${manual.id}/close/`, { token: e.user.token, body: { ended_at: new Date(base + 10 * 60 * MIN).toISOString() } });
    expect(closed.status).toBe(200);
  });

  it("a DST day is cut by the day rule and counted in real minutes (New York, both 2026 transitions)", async () => {
    const e = await editorUser({ timezone: "America/New_York" }, { heartbeat_retention_days: 365 });
    await ok(api("/api/auth/me/", { method: "PATCH", token: e.user.token, body: { day_start_hour: 2 } }));
    const ny = { timezone: "America/New_York", dayStartHour: 2 };
    // Spring forward, 2026-03-08: the day starts at 03:00 EDT (07:00Z). 01:30 EST → 03:30 EDT is one hour.
    const springCut = dayStart("2026-03-08", ny);
    // Fall back, 2026-11-01: 00:30 EDT → 01:30 EST is two real hours through the repeated hour, in one day
    // (2026-10-31's: with day_start_hour 2, November 1st starts at 02:00 EST).
    const fallFrom = Date.parse("2026-11-01T04:30:00Z");
    await sendAll(e, [
      ...every(springCut, -30, 30, 2, (t) => hb(t, "api")),
      ...every(fallFrom, 0, 120, 2, (t) => hb(t, "api")),
    ]);
    const t = await timeline(e.user);
    expect(t.map((s) => [s.started_at, s.ended_at, s.total_focus_minutes])).toEqual([
      ["2026-03-08T06:30:00.000Z", "2026-03-08T06:58:00.000Z", 28],
      ["2026-03-08T07:00:00.000Z", "2026-03-08T07:30:00.000Z", 30],
      ["2026-11-01T04:30:00.000Z", "2026-11-01T06:30:00.000Z", 120],
    ]);
    expect(dayOf(Date.parse(t[0]!.started_at), ny)).toBe("2026-03-07");
    expect(dayOf(Date.parse(t[1]!.started_at), ny)).toBe("2026-03-08");
    expect(dayOf(Date.parse(t[2]!.started_at), ny)).toBe("2026-10-31");
    expect((await walk("/api/sessions/?source=EDITOR&date_from=2026-10-31&date_to=2026-10-31", e.user.token)).rows).toHaveLength(1);
  });
});

describe("editors timeline: events", () => {
  it("a new derived session is announced on the user's stream (session.closed, DONE); growing it is not", async () => {
    const e = await editorUser();
    const base = dayStart(pastDay(), { timezone: "UTC", dayStartHour: 0 });
    const stream = await openStream("/api/events/stream/", e.user.token);
    await stream.opening();
    await send(e, every(base, 600, 618, 2, (t) => hb(t, "api")));
    const frame = await stream.nextEvent(5000);
    expect(frame.event).toBe("session.closed");
    const data = JSON.parse(frame.data!) as Schemas["DevSessionDetail"];
    expect(data).toMatchObject({ source: "EDITOR", status: "DONE", started_at: new Date(base + 600 * MIN).toISOString(), ended_at: new Date(base + 618 * MIN).toISOString() });
    await send(e, every(base, 620, 638, 2, (t) => hb(t, "api")));
    await stream.expectSilence(500);
    // After a break, the next session is announced too.
    await send(e, every(base, 800, 810, 2, (t) => hb(t, "api")));
    expect(JSON.parse((await stream.nextEvent(5000)).data!)).toMatchObject({ started_at: new Date(base + 800 * MIN).toISOString() });
    await stream.cancel();
  });
});

describe("editors timeline: order, repetition and races", () => {
  it("shuffled bulks, re-sends and late arrivals derive the same timeline as the day sent in order", async () => {
    const base = dayStart(pastDay(), { timezone: "UTC", dayStartHour: 0 });
    const beats = workingDay(base);
    const inOrder = await editorUser();
    await sendAll(inOrder, beats);
    const expected = await timeline(inOrder.user);
    fc.assert(
      await fc.asyncProperty(fc.integer(), fc.integer({ min: 3, max: 25 }), async (seed, size) => {
        const e = await editorUser();
        const shuffled = fc.sample(fc.shuffledSubarray(beats, { minLength: beats.length }), { seed, numRuns: 1 })[0]!;
        // Late and repeated: the first third again, at the end, as an offline queue would re-send it.
        await sendAll(e, [...shuffled, ...shuffled.slice(0, Math.floor(shuffled.length / 3))], size);
        expect(await timeline(e.user)).toEqual(expected);
      }),
      { numRuns: 4, seed: 20261120 },
    );
  });

  it("two editors sending at once make one session, not two (derivations racing: one derives again)", async () => {
    const e = await editorUser();
    const base = dayStart(pastDay(), { timezone: "UTC", dayStartHour: 0 });
    const vscode = every(base, 600, 700, 2, (t) => hb(t, "devfocus-api"));
    const vim = every(base, 601, 701, 2, (t) => hb(t, "devfocus-api", "main", { user_agent: VIM, entity: "/vim.ts" }));
    const bulks = [];
    for (let i = 0; i < vscode.length; i += 10) bulks.push(vscode.slice(i, i + 10), vim.slice(i, i + 10));
    await Promise.all(bulks.map((b) => send(e, b)));
    const t = await timeline(e.user);
    expect(t.map((s) => [s.started_at, s.ended_at, s.total_focus_minutes])).toEqual([[new Date(base + 600 * MIN).toISOString(), new Date(base + 701 * MIN).toISOString(), 101]]);
    expect(await countRows("SELECT count(*) AS n FROM dev_sessions WHERE user_id = ?", e.user.id)).toBe(1);
  });
});

describe("editors timeline: cost", () => {
  it("a bulk that extends the current session costs 3 D1 round trips and a handful of rows; a re-send writes nothing", async () => {
    const e = await editorUser();
    const base = dayStart(pastDay(), { timezone: "UTC", dayStartHour: 0 });
    const first = every(base, 600, 618, 2, (t) => hb(t, "api"));
    const next = every(base, 620, 638, 2, (t) => hb(t, "api"));
    await send(e, first);
    const res = await send(e, next);
    // The credential; the batch that stores and reads; the batch that writes the change.
    expect(timing(res, "d1-queries")).toBe(3);
    const written = timing(res, "d1-rows-written");
    const again = await send(e, next);
    expect(timing(again, "d1-queries")).toBe(2);
    expect(timing(again, "d1-rows-written")).toBeLessThanOrEqual(2);
    expect(written).toBeGreaterThan(timing(again, "d1-rows-written"));
    console.info(`EDITORS extend-bulk rows written ${written}, re-send rows written ${timing(again, "d1-rows-written")}`);
    const [s] = await timeline(e.user);
    expect(s).toMatchObject({ ended_at: new Date(base + 638 * MIN).toISOString(), total_focus_minutes: 38 });
  });
});

describe("editors timeline: security", () => {
  it("derived sessions are their user's: invisible to another user, absorbed only by the user's own sessions", async () => {
    const [a, b] = [await editorUser(), await editorUser()];
    const base = dayStart(pastDay(), { timezone: "UTC", dayStartHour: 0 });
    // B's open session covers the time of A's activity: it must not absorb A's heartbeats.
    const bSession = await openSession(b.user.token, { started_at: new Date(base + 500 * MIN).toISOString() });
    await send(a, every(base, 600, 620, 2, (t) => hb(t, "api")));
    await send(a, every(base, 622, 640, 2, (t) => hb(t, "web")));
    expect(await timeline(a.user)).toHaveLength(1);
    expect((await walk("/api/sessions/?source=EDITOR", b.user.token)).rows).toEqual([]);
    expect((await ok(api(`/api/sessions/${bSession.id}/`, { token: b.user.token }))).switch_count).toBe(0);
    const aSession = (await walk("/api/sessions/?source=EDITOR", a.user.token)).rows[0]!;
    expect((await api(`/api/sessions/${aSession.id}/`, { token: b.user.token })).status).toBe(404);
    expect(await countRows("SELECT count(*) AS n FROM context_switches WHERE session_id = ?", bSession.id)).toBe(0);
    void env;
  });
});
