import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dueReports } from "../src/modules/reports/cron";
import { addDays, dayBounds, dayOf, dayStart, weekStartDay } from "../src/platform/time";
import { modelDayOf, modelDayStart, nextDay, transitions2026, ZONES } from "./calendar-model";

const HOUR = 3600_000;
const SEED = 20261201;

const transitions = new Map<string, number[]>(ZONES.map((z) => [z, transitions2026(z)]));

/** An instant within ±36 h of one of the zone's 2026 transitions (or anywhere in 2026 for a zone with none). */
const instantNear = (zone: string) => {
  const ts = transitions.get(zone)!;
  if (!ts.length) return fc.integer({ min: Date.parse("2026-01-01T00:00:00Z"), max: Date.parse("2026-12-31T00:00:00Z") });
  return fc.tuple(fc.constantFrom(...ts), fc.integer({ min: -36 * HOUR, max: 36 * HOUR })).map(([t, d]) => t + d);
};

const zoneHourInstant = fc
  .tuple(fc.constantFrom(...ZONES), fc.integer({ min: 0, max: 23 }))
  .chain(([zone, hour]) => instantNear(zone).map((at) => ({ zone, hour, at })));

describe("platform: the day rule (platform/time.ts) against an independent model", () => {
  it("the zones' 2026 transitions were found (the model sees DST)", () => {
    expect(transitions.get("America/New_York")!.map((t) => new Date(t).toISOString())).toEqual(["2026-03-08T07:00:00.000Z", "2026-11-01T06:00:00.000Z"]);
    expect(transitions.get("Australia/Lord_Howe")!.map((t) => new Date(t).toISOString())).toEqual(["2026-04-04T15:00:00.000Z", "2026-10-03T15:30:00.000Z"]);
    expect(transitions.get("Asia/Kathmandu")).toEqual([]);
  });

  it("a day starts where the model says, in every zone, at every day_start_hour, around every transition", () => {
    fc.assert(
      fc.property(zoneHourInstant, ({ zone, hour, at }) => {
        const day = new Date(at).toISOString().slice(0, 10);
        for (const d of [addDays(day, -1), day, addDays(day, 1)]) {
          expect(dayStart(d, { timezone: zone, dayStartHour: hour })).toBe(modelDayStart(d, hour, zone));
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("each instant is in exactly one day, the model's", () => {
    fc.assert(
      fc.property(zoneHourInstant, ({ zone, hour, at }) => {
        const prefs = { timezone: zone, dayStartHour: hour };
        const d = dayOf(at, prefs);
        expect(d).toBe(modelDayOf(at, hour, zone));
        const inDay = (x: string) => dayBounds(x, prefs).start <= at && at < dayBounds(x, prefs).end;
        expect([addDays(d, -2), addDays(d, -1), d, addDays(d, 1), addDays(d, 2)].filter(inDay)).toEqual([d]);
      }),
      { seed: SEED + 1, numRuns: 300 },
    );
  });

  it("consecutive days tile time: no gap, no overlap, none empty", () => {
    fc.assert(
      fc.property(zoneHourInstant, ({ zone, hour, at }) => {
        const prefs = { timezone: zone, dayStartHour: hour };
        let day = addDays(dayOf(at, prefs), -2);
        for (let i = 0; i < 4; i++, day = addDays(day, 1)) {
          const b = dayBounds(day, prefs);
          expect(b.end).toBe(dayBounds(addDays(day, 1), prefs).start);
          expect(b.end - b.start).toBeGreaterThanOrEqual(22 * HOUR);
          expect(b.end - b.start).toBeLessThanOrEqual(26 * HOUR);
        }
      }),
      { seed: SEED + 2, numRuns: 200 },
    );
  });

  it("the cron enqueues each user's day, and each week, exactly once over any 48 simulated hours", () => {
    fc.assert(
      fc.property(zoneHourInstant, fc.constantFrom("MON" as const, "SUN" as const), ({ zone, hour, at }, weekStart) => {
        const prefs = { timezone: zone, dayStartHour: hour, weekStart };
        const first = Math.floor(at / HOUR) * HOUR; // the cron runs on the hour
        const daily: string[] = [];
        const weekly: string[] = [];
        for (let t = first; t < first + 48 * HOUR; t += HOUR) {
          for (const r of dueReports(prefs, t)) (r.type === "DAILY" ? daily : weekly).push(r.day);
        }
        // Expected, by the model: every day whose end (the next day's start) lies in (first − 1 h, last tick].
        const expected: string[] = [];
        const last = first + 47 * HOUR;
        for (let d = addDays(new Date(first).toISOString().slice(0, 10), -3); ; d = nextDay(d)) {
          const end = modelDayStart(nextDay(d), hour, zone);
          if (end > last) break;
          if (end > first - HOUR) expected.push(d);
        }
        expect(daily).toEqual(expected);
        expect(weekly).toEqual(expected.filter((d) => weekStartDay(nextDay(d), weekStart) === nextDay(d)));
      }),
      { seed: SEED + 3, numRuns: 150 },
    );
  });

  it("the cases the issue names: a day_start_hour in the skipped or repeated hour", () => {
    const ny = { timezone: "America/New_York", dayStartHour: 2 };
    // 02:00 never happens on 2026-03-08 in New York: the day starts at the jump, 03:00 EDT = 07:00Z.
    expect(new Date(dayStart("2026-03-08", ny)).toISOString()).toBe("2026-03-08T07:00:00.000Z");
    expect(dayOf(Date.parse("2026-03-08T06:30:00Z"), ny)).toBe("2026-03-07"); // 01:30 EST, before the jump
    // 01:00 happens twice on 2026-11-01: the day starts at the first (EDT, 05:00Z).
    const ny1 = { timezone: "America/New_York", dayStartHour: 1 };
    expect(new Date(dayStart("2026-11-01", ny1)).toISOString()).toBe("2026-11-01T05:00:00.000Z");
    expect(dayOf(Date.parse("2026-11-01T06:30:00Z"), ny1)).toBe("2026-11-01"); // 01:30 EST, the second 01:30
    // Lord Howe skips 02:00–02:30 on 2026-10-04: with day_start_hour 2 the day starts at 02:30 (+11).
    expect(new Date(dayStart("2026-10-04", { timezone: "Australia/Lord_Howe", dayStartHour: 2 })).toISOString()).toBe("2026-10-03T15:30:00.000Z");
    // Paris, where the old code was already right.
    expect(new Date(dayStart("2026-03-29", { timezone: "Europe/Paris", dayStartHour: 2 })).toISOString()).toBe("2026-03-29T01:00:00.000Z");
  });
});
