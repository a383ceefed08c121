/** Insight rules: pure functions of a day's totals. Thresholds are named here and nowhere else. */
import type { INSIGHT_CODES, INSIGHT_LEVELS } from "../../db/schema";
import type { Totals } from "../reports/metrics";

export const HIGH_SWITCHES_PER_DAY = 10; // more than this many switches in a day
export const HIGH_SWITCHES_PER_FOCUS_HOUR = 4; // more than this per focus hour…
export const MIN_FOCUS_FOR_RATE = 60; // …once there are at least this many focus minutes
export const LOW_FOCUS_MINUTES = 60; // under this on a day with sessions
export const FRAGILE_MIN_SWITCHES = 4; // at least this many switches…
export const FRAGILE_REACTIVE_SHARE = 0.5; // …of which at least this share are INTERRUPT or QUICK_FIX
export const FRAGILE_SHORT_SESSIONS = 3; // or at least this many sessions under SHORT_SESSION_MINUTES
export const DEEP_WORK_MIN_FOCUS = 120; // at least this much focus…
export const DEEP_WORK_STRETCH = 60; // …but no stretch this long

export interface InsightDraft {
  code: (typeof INSIGHT_CODES)[number];
  level: (typeof INSIGHT_LEVELS)[number];
  message: string;
  meta: Record<string, number>;
}

export function deriveInsights(t: Totals): InsightDraft[] {
  const out: InsightDraft[] = [];
  const rateApplies = t.focus_minutes >= MIN_FOCUS_FOR_RATE;
  if (t.switches > HIGH_SWITCHES_PER_DAY || (rateApplies && t.switches_per_hour > HIGH_SWITCHES_PER_FOCUS_HOUR)) {
    out.push({
      code: "HIGH_CONTEXT_SWITCHING",
      level: "WARN",
      message:
        `You switched context ${t.switches} times (${t.switches_per_hour} per focus hour). ` +
        `Batch small requests into one slot and block your calendar for a 90-minute focus window tomorrow.`,
      meta: { switches: t.switches, switches_per_hour: t.switches_per_hour, focus_minutes: t.focus_minutes },
    });
  }
  if (t.sessions > 0 && t.focus_minutes < LOW_FOCUS_MINUTES) {
    out.push({
      code: "LOW_FOCUS_TIME",
      level: "INFO",
      message:
        `Only ${t.focus_minutes} focus minutes across ${t.sessions} session${t.sessions === 1 ? "" : "s"}. ` +
        `Plan one uninterrupted hour on your main task first thing in the day.`,
      meta: { focus_minutes: t.focus_minutes, sessions: t.sessions },
    });
  }
  const reactive = t.interrupts + t.quick_fixes;
  const reactiveHeavy = t.switches >= FRAGILE_MIN_SWITCHES && reactive >= t.switches * FRAGILE_REACTIVE_SHARE;
  if (reactiveHeavy || t.short_sessions >= FRAGILE_SHORT_SESSIONS) {
    out.push({
      code: "FRAGILE_WORKFLOW",
      level: "WARN",
      message: reactiveHeavy
        ? `${reactive} of ${t.switches} switches were interrupts or quick fixes. ` +
          `Route urgent requests through one on-call channel and answer them at set times.`
        : `${t.short_sessions} sessions lasted under 15 minutes. ` +
          `Finish or park a task before starting the next, and keep a notes file for half-done work.`,
      meta: { switches: t.switches, interrupts: t.interrupts, quick_fixes: t.quick_fixes, short_sessions: t.short_sessions },
    });
  }
  if (t.focus_minutes >= DEEP_WORK_MIN_FOCUS && t.longest_stretch_minutes < DEEP_WORK_STRETCH) {
    out.push({
      code: "DEEP_WORK_OPPORTUNITY",
      level: "INFO",
      message:
        `You focused ${t.focus_minutes} minutes but never for ${DEEP_WORK_STRETCH} in a row (longest: ${t.longest_stretch_minutes}). ` +
        `Merge two of tomorrow's sessions into one uninterrupted block.`,
      meta: { focus_minutes: t.focus_minutes, longest_stretch_minutes: t.longest_stretch_minutes },
    });
  }
  return out;
}
