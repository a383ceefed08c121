import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addDays, weekStartDay } from "../src/platform/time";
import { modelDayOf, modelDayStart, transitions2026, wall, ZONES } from "./calendar-model";
import { api, closedSession as closeAt, makeUser, type Schemas, type TestUser } from "./harness";

const MINUTE = 60_000;

interface Prefs {
  zone: string;
  hour: number;
  weekStart: "MON" | "SUN";
}

async function userWith(p: Prefs): Promise<TestUser> {
  const u = await makeUser({ timezone: p.zone });
  const res = await api("/api/auth/me/", { method: "PATCH", token: u.token, body: { day_start_hour: p.hour, week_start: p.weekStart } });
  expect(res.status).toBe(200);
  return u;
}

/** A closed session (every step asserted); its id and start, for the model. */
const closedSession = async (u: TestUser, start: number, minutes: number, switches: { after: number; reason: Schemas["ContextSwitch"]["reason"] }[]) =>
  ({ id: (await closeAt(u, start, minutes, switches)).id, start });

const daily = async (u: TestUser, date: string) => {
  const r = await api("/api/reports/daily/", { token: u.token, body: { date } });
  expect(r.status).toBe(201);
  return r.body.payload as { sessions: { id: number }[]; totals: Record<string, number> };
};
const weekly = async (u: TestUser, weekOf: string) => {
  const r = await api("/api/reports/weekly/", { token: u.token, body: { week_of: weekOf } });
  expect(r.status).toBe(201);
  return r.body.payload as {
    week_start: string;
    sessions: { id: number }[];
    totals: Record<string, unknown>;
    days: { date: string; sessions: number; focus_minutes: number; switches: number; interrupts: number; deep_work_blocks: number }[];
    previous_week: { week_start: string; totals: Record<string, unknown> };
  };
};
const listed = async (u: TestUser, date: string) => {
  const r = await api(`/api/sessions/?date_from=${date}&date_to=${date}&page_size=200`, { token: u.token });
  expect(r.status).toBe(200);
  return r.body.results.map((s) => s.id).sort((a, b) => a - b);
};
const ids = (rows: { id: number }[]) => rows.map((s) => s.id).sort((a, b) => a - b);

const REASONS = ["INTERRUPT", "QUICK_FIX", "MEETING", "OTHER"] as const;

const scenario = fc.record({
  zone: fc.constantFrom(...ZONES),
  // Half the runs start the day in the hour the clocks skip or repeat: where a wrong rule shows.
  hour: fc.oneof(fc.integer({ min: 0, max: 23 }), fc.constant("transition" as const)),
  weekStart: fc.constantFrom("MON" as const, "SUN" as const),
  transition: fc.nat(),
  sessions: fc.array(
    fc.record({
      // Anywhere within ±60 h of the transition, or within ±90 min of a day start next to it.
      near: fc.oneof(
        fc.record({ kind: fc.constant("transition" as const), minutes: fc.integer({ min: -60 * 60, max: 60 * 60 }) }),
        fc.record({ kind: fc.constant("day-start" as const), day: fc.integer({ min: -1, max: 1 }), minutes: fc.integer({ min: -90, max: 90 }) }),
      ),
      minutes: fc.integer({ min: 1, max: 150 }),
      switches: fc.array(fc.record({ after: fc.integer({ min: 0, max: 150 }), reason: fc.constantFrom(...REASONS) }), { maxLength: 3 }),
    }),
    { minLength: 3, maxLength: 8 },
  ),
});

describe("reports: weekly days and list filters cut days alike (property, over HTTP)", () => {
  it("for any stored sessions: daily(D) = weekly days[D] = sessions listed for D = the model's day; weeks add up and chain", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (sc) => {
        const ts = transitions2026(sc.zone);
        const t0 = ts.length ? ts[sc.transition % ts.length]! : Date.parse("2026-06-15T12:00:00Z");
        // The wall-clock hour the transition skips (or repeats): the one after the last minute before it.
        const hour = sc.hour === "transition" ? Number(wall(t0 - MINUTE, sc.zone).slice(11, 13)) : sc.hour;
        const prefs = { ...sc, hour };
        const u = await userWith(prefs);
        const t0Day = modelDayOf(t0, hour, sc.zone);
        const stored = [];
        for (const s of sc.sessions) {
          const at =
            s.near.kind === "transition" ? t0 + s.near.minutes * MINUTE : modelDayStart(addDays(t0Day, s.near.day), hour, sc.zone) + s.near.minutes * MINUTE;
          const start = Math.floor(at / 1000) * 1000;
          const switches = s.switches.filter((w) => w.after <= s.minutes).sort((a, b) => a.after - b.after);
          stored.push(await closedSession(u, start, s.minutes, switches));
        }
        // Every day of every week the sessions touch, by the model.
        const expectedDay = new Map(stored.map((s) => [s.id, modelDayOf(s.start, hour, sc.zone)]));
        const weekStarts = [...new Set([...expectedDay.values()].map((d) => weekStartDay(d, sc.weekStart)))].sort();

        const dailyByDay = new Map<string, Awaited<ReturnType<typeof daily>>>();
        for (const first of weekStarts) {
          const week = await weekly(u, first);
          const before = await weekly(u, addDays(first, -7));
          expect(week.week_start).toBe(first);
          // Week N's previous_week is week N−1's own totals.
          expect(week.previous_week).toEqual({ week_start: before.week_start, totals: before.totals });
          let sum = { sessions: 0, focus_minutes: 0, switches: 0, interrupts: 0, deep_work_blocks: 0 };
          const union: number[] = [];
          for (const day of week.days) {
            const d = await daily(u, day.date);
            dailyByDay.set(day.date, d);
            const want = stored.filter((s) => expectedDay.get(s.id) === day.date).map((s) => s.id).sort((a, b) => a - b);
            expect(ids(d.sessions), `daily ${day.date}`).toEqual(want);
            expect(await listed(u, day.date), `list ${day.date}`).toEqual(want);
            expect(day).toEqual({
              date: day.date,
              sessions: d.totals.sessions,
              focus_minutes: d.totals.focus_minutes,
              switches: d.totals.switches,
              interrupts: d.totals.interrupts,
              deep_work_blocks: d.totals.deep_work_blocks,
            });
            union.push(...want);
            sum = {
              sessions: sum.sessions + day.sessions,
              focus_minutes: sum.focus_minutes + day.focus_minutes,
              switches: sum.switches + day.switches,
              interrupts: sum.interrupts + day.interrupts,
              deep_work_blocks: sum.deep_work_blocks + day.deep_work_blocks,
            };
          }
          expect(ids(week.sessions)).toEqual(union.sort((a, b) => a - b));
          expect(week.totals).toMatchObject(sum);
        }
        // Every stored session is in exactly one of the days looked at.
        const seen = [...dailyByDay.values()].flatMap((d) => ids(d.sessions));
        expect(seen.sort((a, b) => a - b)).toEqual(ids(stored));
      }),
      { seed: 20261201, numRuns: 12 },
    );
  });
});

describe("insights: at their thresholds on DST days (real minutes, not wall-clock ones)", () => {
  const codes = async (u: TestUser, date: string) => {
    const r = await api("/api/reports/daily/", { token: u.token, body: { date } });
    expect(r.status).toBe(201);
    return { codes: r.body.insights.map((i) => i.code).sort(), totals: r.body.payload.totals as Record<string, number> };
  };
  const ny = { zone: "America/New_York", hour: 0, weekStart: "MON" as const };

  it("LOW_FOCUS_TIME: 01:30 EST → 03:29 EDT on 2026-03-08 is 59 minutes (low); to 03:30 EDT, 60 (not)", async () => {
    const low = await userWith(ny);
    await closedSession(low, Date.parse("2026-03-08T06:30:00Z"), 59, []);
    expect(await codes(low, "2026-03-08")).toMatchObject({ codes: ["LOW_FOCUS_TIME"], totals: { focus_minutes: 59 } });
    const enough = await userWith(ny);
    await closedSession(enough, Date.parse("2026-03-08T06:30:00Z"), 60, []);
    expect(await codes(enough, "2026-03-08")).toMatchObject({ codes: [], totals: { focus_minutes: 60 } });
  });

  it("HIGH_CONTEXT_SWITCHING: switches in both 01:xx hours of 2026-11-01 all count: 10 is not high, 11 is", async () => {
    // 00:30 EDT (04:30Z) to 02:30 EST (07:30Z): 180 minutes (under 4 switches per hour); switches every 10 minutes from 04:40Z.
    for (const [n, want] of [[10, []], [11, ["HIGH_CONTEXT_SWITCHING"]]] as const) {
      const u = await userWith(ny);
      await closedSession(u, Date.parse("2026-11-01T04:30:00Z"), 180, Array.from({ length: n }, (_, i) => ({ after: 10 + i * 10, reason: "OTHER" })));
      const got = await codes(u, "2026-11-01");
      expect(got.totals.switches).toBe(n);
      expect(got.codes.filter((c: string) => c === "HIGH_CONTEXT_SWITCHING")).toEqual(want);
    }
  });

  it("DEEP_WORK_OPPORTUNITY: 120 real minutes in one wall-clock hour of 2026-11-01, no 60-minute stretch", async () => {
    for (const [minutes, want] of [[119, []], [120, ["DEEP_WORK_OPPORTUNITY"]]] as const) {
      const u = await userWith(ny);
      // 01:00 EDT (05:00Z) to 01:00 EST (06:00Z) is one wall hour; a switch each 59 minutes keeps stretches short.
      await closedSession(u, Date.parse("2026-11-01T05:00:00Z"), minutes, [{ after: 59, reason: "OTHER" }, { after: 118, reason: "OTHER" }]);
      const got = await codes(u, "2026-11-01");
      expect(got.totals.focus_minutes).toBe(minutes);
      expect(got.codes.filter((c: string) => c === "DEEP_WORK_OPPORTUNITY")).toEqual(want);
    }
  });

  it("the issue's case: New York, day_start_hour 2, a session at 01:30 EST on 2026-03-08 is in 2026-03-07", async () => {
    const u = await userWith({ zone: "America/New_York", hour: 2, weekStart: "MON" });
    const s = await closedSession(u, Date.parse("2026-03-08T06:30:00Z"), 20, []);
    expect(ids((await daily(u, "2026-03-07")).sessions)).toEqual([s.id]);
    expect(ids((await daily(u, "2026-03-08")).sessions)).toEqual([]);
    expect(await listed(u, "2026-03-07")).toEqual([s.id]);
    expect(await listed(u, "2026-03-08")).toEqual([]);
  });
});
