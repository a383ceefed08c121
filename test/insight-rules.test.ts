import { describe, expect, it } from "vitest";
import * as R from "../src/modules/insights/rules";
import { computeTotals, type SessionInput, type Totals } from "../src/modules/reports/metrics";

const base: Totals = {
  sessions: 1, focus_minutes: 90, switches: 0, switches_per_hour: 0, interrupts: 0, quick_fixes: 0,
  short_sessions: 0, deep_work_blocks: 1, longest_stretch_minutes: 90, tasks_by_type: { BUG: 0, FEATURE: 0, REFACTOR: 0 }, top_tasks: [],
};
const codes = (t: Partial<Totals>) => R.deriveInsights({ ...base, ...t }).map((i) => i.code);
const has = (t: Partial<Totals>, code: string) => codes(t).includes(code as any);

describe("insights: rules at, below and above each threshold (pure)", () => {
  it("HIGH_CONTEXT_SWITCHING: more than 10 switches in the day", () => {
    expect(has({ switches: R.HIGH_SWITCHES_PER_DAY, focus_minutes: 600, switches_per_hour: 1 }, "HIGH_CONTEXT_SWITCHING")).toBe(false);
    expect(has({ switches: R.HIGH_SWITCHES_PER_DAY + 1, focus_minutes: 600, switches_per_hour: 1.1 }, "HIGH_CONTEXT_SWITCHING")).toBe(true);
    expect(has({ switches: R.HIGH_SWITCHES_PER_DAY - 1, focus_minutes: 600, switches_per_hour: 0.9 }, "HIGH_CONTEXT_SWITCHING")).toBe(false);
  });

  it("HIGH_CONTEXT_SWITCHING: more than 4 per focus hour, only with at least 60 focus minutes", () => {
    expect(has({ switches: 4, focus_minutes: 60, switches_per_hour: 4 }, "HIGH_CONTEXT_SWITCHING")).toBe(false);
    expect(has({ switches: 5, focus_minutes: 60, switches_per_hour: 5 }, "HIGH_CONTEXT_SWITCHING")).toBe(true);
    expect(has({ switches: 5, focus_minutes: 59, switches_per_hour: 5.08 }, "HIGH_CONTEXT_SWITCHING")).toBe(false);
  });

  it("LOW_FOCUS_TIME: under 60 minutes on a day with sessions; none without sessions", () => {
    expect(has({ focus_minutes: 59 }, "LOW_FOCUS_TIME")).toBe(true);
    expect(has({ focus_minutes: 60 }, "LOW_FOCUS_TIME")).toBe(false);
    expect(has({ focus_minutes: 61 }, "LOW_FOCUS_TIME")).toBe(false);
    expect(has({ sessions: 0, focus_minutes: 0 }, "LOW_FOCUS_TIME")).toBe(false);
  });

  it("FRAGILE_WORKFLOW: half of at least 4 switches reactive", () => {
    expect(has({ switches: 4, interrupts: 1, quick_fixes: 1 }, "FRAGILE_WORKFLOW")).toBe(true);
    expect(has({ switches: 4, interrupts: 1, quick_fixes: 0 }, "FRAGILE_WORKFLOW")).toBe(false);
    expect(has({ switches: 3, interrupts: 3 }, "FRAGILE_WORKFLOW")).toBe(false);
    expect(has({ switches: 5, interrupts: 3 }, "FRAGILE_WORKFLOW")).toBe(true);
  });

  it("FRAGILE_WORKFLOW: 3+ short sessions", () => {
    expect(has({ short_sessions: 2 }, "FRAGILE_WORKFLOW")).toBe(false);
    expect(has({ short_sessions: 3 }, "FRAGILE_WORKFLOW")).toBe(true);
    expect(has({ short_sessions: 4 }, "FRAGILE_WORKFLOW")).toBe(true);
  });

  it("DEEP_WORK_OPPORTUNITY: 120+ focus minutes and no 60-minute stretch", () => {
    expect(has({ focus_minutes: 120, longest_stretch_minutes: 59 }, "DEEP_WORK_OPPORTUNITY")).toBe(true);
    expect(has({ focus_minutes: 119, longest_stretch_minutes: 59 }, "DEEP_WORK_OPPORTUNITY")).toBe(false);
    expect(has({ focus_minutes: 121, longest_stretch_minutes: 60 }, "DEEP_WORK_OPPORTUNITY")).toBe(false);
  });

  it("every insight carries its numbers and a next step", () => {
    const all = R.deriveInsights({ ...base, switches: 12, switches_per_hour: 8, interrupts: 6, focus_minutes: 130, longest_stretch_minutes: 30 });
    expect(all.map((i) => i.code).sort()).toEqual(["DEEP_WORK_OPPORTUNITY", "FRAGILE_WORKFLOW", "HIGH_CONTEXT_SWITCHING"]);
    for (const i of all) {
      expect(Object.keys(i.meta).length).toBeGreaterThan(0);
      expect(i.message).toMatch(/\. [A-Z].+\.$/);
    }
  });
});

const T0 = Date.parse("2026-01-30T09:00:00.000Z");
const at = (min: number) => T0 + min * 60_000;
const session = (id: number, from: number, to: number, switches: [number, SessionInput["switches"][number]["reason"]][] = [], pauses: SessionInput["pauses"] = []): SessionInput => ({
  id, title: `s${id}`, status: "DONE", startedAt: at(from), end: at(to), pauses,
  switches: switches.map(([m, reason]) => ({ at: at(m), reason, fromTask: null, toTask: 1 })),
});

describe("reports: metrics on hand-built days (pure)", () => {
  it("switches per focus hour, deep-work blocks, longest stretch, interrupts", () => {
    const { totals, lines } = computeTotals(
      [session(1, 0, 120, [[30, "INTERRUPT"], [100, "MEETING"]]), session(2, 200, 290, [], [{ from: at(230), to: at(240) }])],
      [],
    );
    // s1: stretches 30, 70, 20; s2: 80 focus minutes in stretches 30 and 50.
    expect(totals).toMatchObject({ sessions: 2, focus_minutes: 200, switches: 2, interrupts: 1, deep_work_blocks: 1, longest_stretch_minutes: 70, switches_per_hour: 0.6 });
    expect(lines).toEqual([
      { id: 1, title: "s1", status: "DONE", switch_count: 2, total_focus_minutes: 120 },
      { id: 2, title: "s2", status: "DONE", switch_count: 0, total_focus_minutes: 80 },
    ]);
  });

  it("tasks by type and top tasks ranked by sessions then switches", () => {
    const { totals } = computeTotals(
      [session(1, 0, 10, [[5, "OTHER"]]), session(2, 20, 30)],
      [
        { id: 1, title: "login bug", type: "BUG", sessionIds: [1, 2] },
        { id: 2, title: "refactor", type: "REFACTOR", sessionIds: [2] },
        { id: 3, title: "feature", type: "FEATURE", sessionIds: [1] },
      ],
    );
    expect(totals.tasks_by_type).toEqual({ BUG: 1, FEATURE: 1, REFACTOR: 1 });
    expect(totals.top_tasks.map((t) => t.id)).toEqual([1, 2, 3]); // 2 and 3 tie on sessions and switches: by id
    expect(totals.top_tasks[0]).toMatchObject({ sessions: 2, switches: 1 });
    expect(totals.short_sessions).toBe(2);
    expect(totals.switches_per_hour).toBe(3);
  });

  it("an empty day has zero totals", () => {
    expect(computeTotals([], []).totals).toMatchObject({ sessions: 0, focus_minutes: 0, switches_per_hour: 0, longest_stretch_minutes: 0 });
  });
});
