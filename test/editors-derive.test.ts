/**
 * The derivation rule (src/modules/editors/derive.ts) as a pure function: sessions, pauses and switches from
 * heartbeats, and the property that makes ingest order-free — any permutation and duplication of a heartbeat
 * set derives the same timeline.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseBranch, pickTask } from "../src/modules/editors/branches";
import { BREAK_MS, derive, durations, type Beat, type DeriveOptions } from "../src/modules/editors/derive";
import { dayStart } from "../src/platform/time";

const MIN = 60_000;
const T0 = Date.parse("2026-03-02T08:00:00Z"); // a Monday, 09:00 in Paris
const UTC = { timezone: "UTC", dayStartHour: 0 };
const beat = (minute: number, project: string | null, branch: string | null = "main", category = "coding", key = "f"): Beat => ({
  time: T0 + minute * MIN,
  key,
  project,
  branch,
  category,
});
const opts = (more: Partial<DeriveOptions> = {}): DeriveOptions => ({ prefs: UTC, idleMs: 15 * MIN, taskOf: () => null, ...more });

describe("editors derive: happy path", () => {
  it("one session from steady activity: start and end at the first and last heartbeat, focus between", () => {
    const d = derive([0, 2, 4, 6, 8, 10].map((m) => beat(m, "devfocus-api")), opts());
    expect(d.sessions).toHaveLength(1);
    expect(d.sessions[0]).toMatchObject({ start: T0, end: T0 + 10 * MIN, title: "devfocus-api", pauses: [], switches: [], focusMinutes: 10 });
  });

  it("an idle gap is a pause; a break of two hours ends the session", () => {
    const d = derive([0, 5, 25, 30, 30 + 120, 30 + 125].map((m) => beat(m, "api")), opts());
    expect(d.sessions.map((s) => [s.start, s.end])).toEqual([
      [T0, T0 + 30 * MIN],
      [T0 + 150 * MIN, T0 + 155 * MIN],
    ]);
    expect(d.sessions[0]!.pauses).toEqual([{ from: T0 + 5 * MIN, to: T0 + 25 * MIN }]);
    expect(d.sessions[0]!.focusMinutes).toBe(10);
    expect(BREAK_MS).toBe(120 * MIN);
  });

  it("the idle timeout is the user's: 5 minutes makes a 6-minute gap a pause", () => {
    const beats = [0, 6, 8].map((m) => beat(m, "api"));
    expect(derive(beats, opts()).sessions[0]!.pauses).toEqual([]);
    expect(derive(beats, opts({ idleMs: 5 * MIN })).sessions[0]!.pauses).toEqual([{ from: T0, to: T0 + 6 * MIN }]);
  });

  it("project and branch changes are switches with reasons and notes; tasks come from branch names", () => {
    const taskOf = (b: string | null) => pickTask(parseBranch(b)?.candidates ?? [], [
      { id: 42, externalSource: "MANUAL", externalKey: null },
      { id: 7, externalSource: "GITHUB", externalKey: "acme/billing#7" },
    ])?.id ?? null;
    const d = derive(
      [
        beat(0, "devfocus-api", "42-fix-login"),
        beat(2, "devfocus-api", "42-fix-login"),
        beat(4, "billing-service", "gh-7"),
        beat(6, null, null, "coding"), // no project: still billing-service
        beat(8, "billing-service", "hotfix/payments"),
        beat(10, "billing-service", null), // no branch: still the hotfix
        beat(12, null, null, "meeting"),
        beat(14, "devfocus-api", "42-fix-login"),
      ],
      opts({ taskOf }),
    );
    expect(d.sessions).toHaveLength(1);
    const s = d.sessions[0]!;
    expect(s.title).toBe("devfocus-api · billing-service");
    expect(s.switches).toEqual([
      { at: T0 + 4 * MIN, reason: "OTHER", note: "billing-service ← devfocus-api", fromTask: 42, toTask: 7 },
      { at: T0 + 8 * MIN, reason: "QUICK_FIX", note: "billing-service: hotfix/payments ← gh-7", fromTask: 7, toTask: null },
      { at: T0 + 12 * MIN, reason: "MEETING", note: "meeting ← billing-service", fromTask: null, toTask: null },
      { at: T0 + 14 * MIN, reason: "OTHER", note: "devfocus-api ← billing-service", fromTask: null, toTask: 42 },
    ]);
    expect(s.tasks).toEqual([
      { task: 42, role: "MAIN" },
      { task: 7, role: "SIDE" },
    ]);
  });

  it("a session the user recorded absorbs the activity inside it: its switches go there, no editor session beside it", () => {
    const d = derive(
      [beat(0, "a"), beat(2, "a"), beat(10, "a"), beat(12, "b"), beat(14, "a"), beat(30, "a"), beat(32, "a")],
      opts({ absorbers: [{ id: 9, start: T0 + 5 * MIN, end: T0 + 20 * MIN }] }),
    );
    expect(d.sessions.map((s) => [s.start, s.end])).toEqual([
      [T0, T0 + 2 * MIN],
      [T0 + 30 * MIN, T0 + 32 * MIN],
    ]);
    expect(d.absorbed.get(9)?.map((s) => [s.at, s.note])).toEqual([
      [T0 + 12 * MIN, "b ← a"],
      [T0 + 14 * MIN, "a ← b"],
    ]);
    // An open one absorbs everything after its start.
    const open = derive([beat(0, "a"), beat(10, "a"), beat(12, "b")], opts({ absorbers: [{ id: 3, start: T0 + 5 * MIN, end: null }] }));
    expect(open.sessions.map((s) => s.end)).toEqual([T0]);
    expect(open.absorbed.get(3)).toHaveLength(1);
  });

  it("a project mapped to a team puts its sessions there: a change of scope ends the session (no switch across it)", () => {
    const d = derive([beat(0, "a"), beat(2, "b"), beat(4, null, null), beat(6, "b"), beat(8, "a")], opts({ scopeOf: (p) => (p === "b" ? 5 : null) }));
    expect(d.sessions.map((s) => [s.team, s.start, s.end, s.switches.length])).toEqual([
      [null, T0, T0],
      [5, T0 + 2 * MIN, T0 + 6 * MIN],
      [null, T0 + 8 * MIN, T0 + 8 * MIN],
    ].map(([team, start, end]) => [team, start, end, 0]));
  });

  it("a session never spans the user's day start (the day rule): New York's spring-forward night", () => {
    const ny = { timezone: "America/New_York", dayStartHour: 2 };
    // 2026-03-08: 01:59:59 EST → 03:00 EDT; with day_start_hour 2 the day starts at 03:00 EDT (07:00Z).
    const cut = dayStart("2026-03-08", ny);
    expect(new Date(cut).toISOString()).toBe("2026-03-08T07:00:00.000Z");
    const beats = [-6, -4, -2, 0, 2, 4].map((m) => ({ time: cut + m * MIN, key: "f", project: "api", branch: "main", category: "coding" }));
    const d = derive(beats, { prefs: ny, idleMs: 15 * MIN, taskOf: () => null });
    expect(d.sessions.map((s) => [new Date(s.start).toISOString(), new Date(s.end).toISOString()])).toEqual([
      ["2026-03-08T06:54:00.000Z", "2026-03-08T06:58:00.000Z"],
      ["2026-03-08T07:00:00.000Z", "2026-03-08T07:04:00.000Z"],
    ]);
  });

  it("durations: each heartbeat counts until the next one, unless the gap is an idle one; the sum is the focus time", () => {
    const beats = [0, 2, 4, 30, 31].map((m) => beat(m, "api"));
    expect(durations(beats, 15 * MIN).map((d) => d.ms / MIN)).toEqual([2, 2, 0, 1, 0]);
    const d = derive(beats, opts());
    expect(d.sessions[0]!.focusMinutes).toBe(5);
  });
});

// ─── The property: order and repetition do not matter ───────────────────────────────────────────────

const PROJECTS = ["devfocus-api", "billing-service", null] as const;
const BRANCHES = ["main", "42-fix-login", "hotfix/pay", null] as const;
const CATEGORIES = ["coding", "debugging", "meeting"] as const;

/** A day of heartbeats: minute offsets with gaps of every kind (steady, idle, break), contexts changing. */
const beatSet = fc
  .array(
    fc.record({
      gap: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 14, max: 20 }), fc.integer({ min: 110, max: 130 })),
      project: fc.constantFrom(...PROJECTS),
      branch: fc.constantFrom(...BRANCHES),
      category: fc.constantFrom(...CATEGORIES),
      editor: fc.constantFrom("vscode", "vim"),
    }),
    { minLength: 1, maxLength: 60 },
  )
  .map((rows) => {
    let minute = 0;
    return rows.map((r): Beat => {
      minute += r.gap;
      // The key is the heartbeat's digest (its content): equal keys at one instant are the same heartbeat.
      return { time: T0 + minute * MIN + (r.editor === "vim" ? 1000 : 0), key: `${r.project}|${r.branch}|${r.category}`, project: r.project, branch: r.branch, category: r.category };
    });
  });

describe("editors derive: the property", () => {
  it("any permutation and duplication of a heartbeat set derives the same sessions, pauses and switches", () => {
    const taskOf = (b: string | null) => (b === "42-fix-login" ? 42 : null);
    fc.assert(
      fc.property(beatSet, fc.array(fc.nat(), { maxLength: 30 }), fc.integer(), fc.constantFrom(UTC, { timezone: "Europe/Paris", dayStartHour: 9 }), (beats, dupIdx, seed, prefs) => {
        const o = opts({ taskOf, prefs, absorbers: seed % 3 === 0 ? [{ id: 1, start: beats[Math.floor(beats.length / 2)]!.time, end: null }] : [] });
        const expected = derive(beats, o);
        const dups = dupIdx.map((i) => ({ ...beats[i % beats.length]! }));
        const shuffled = fc.sample(fc.shuffledSubarray([...beats, ...dups], { minLength: beats.length + dups.length }), { seed, numRuns: 1 })[0]!;
        expect(derive(shuffled, o)).toEqual(expected);
      }),
      { numRuns: 300, seed: 20261118 },
    );
  });

  it("derived timelines obey the session rules: started_at ≤ pauses, switches ≤ ended_at; pauses in order", () => {
    fc.assert(
      fc.property(beatSet, (beats) => {
        for (const s of derive(beats, opts()).sessions) {
          expect(s.start).toBeLessThanOrEqual(s.end);
          for (const p of s.pauses) expect(s.start <= p.from && p.from < p.to && p.to <= s.end).toBe(true);
          for (const [a, b] of s.pauses.slice(1).map((p, i) => [s.pauses[i]!, p] as const)) expect(a.to).toBeLessThanOrEqual(b.from);
          for (const w of s.switches) expect(s.start <= w.at && w.at <= s.end).toBe(true);
          expect(s.focusMinutes).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 300, seed: 20261119 },
    );
  });
});
