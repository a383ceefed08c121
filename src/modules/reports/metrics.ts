/** Report metrics: pure functions over plain data, shared by daily, weekly, team and scheduled reports. */
import { focusSummary, type Pause } from "../sessions/focus";
import type { SWITCH_REASONS, TASK_TYPES } from "../../db/schema";

/** Sessions shorter than this (in focus minutes) count as short for FRAGILE_WORKFLOW. */
export const SHORT_SESSION_MINUTES = 15;
export const TOP_TASKS = 5;

export interface SessionInput {
  id: number;
  title: string;
  status: string;
  startedAt: number;
  /** ended_at, or the moment the report is computed for a session still running */
  end: number;
  pauses: Pause[];
  switches: { at: number; reason: (typeof SWITCH_REASONS)[number]; fromTask: number | null; toTask: number | null }[];
}

export interface TaskInput {
  id: number;
  title: string;
  type: (typeof TASK_TYPES)[number];
  /** sessions this task is attached to (within the report's sessions) */
  sessionIds: number[];
}

export interface Totals {
  sessions: number;
  focus_minutes: number;
  switches: number;
  switches_per_hour: number;
  interrupts: number;
  quick_fixes: number;
  short_sessions: number;
  deep_work_blocks: number;
  longest_stretch_minutes: number;
  tasks_by_type: Record<(typeof TASK_TYPES)[number], number>;
  top_tasks: { id: number; title: string; type: string; sessions: number; switches: number }[];
}

export interface SessionLine {
  id: number;
  title: string;
  status: string;
  switch_count: number;
  total_focus_minutes: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export function computeTotals(sessions: SessionInput[], tasks: TaskInput[]): { totals: Totals; lines: SessionLine[] } {
  let focus = 0;
  let switches = 0;
  let interrupts = 0;
  let quickFixes = 0;
  let deep = 0;
  let longest = 0;
  let short = 0;
  const switchesByTask = new Map<number, number>();
  const lines: SessionLine[] = [];
  for (const s of sessions) {
    const f = focusSummary({ start: s.startedAt, end: s.end, switches: s.switches.map((w) => w.at), pauses: s.pauses });
    focus += f.focusMinutes;
    deep += f.deepWorkBlocks;
    longest = Math.max(longest, f.longestStretchMinutes);
    if (f.focusMinutes < SHORT_SESSION_MINUTES) short++;
    switches += s.switches.length;
    for (const w of s.switches) {
      if (w.reason === "INTERRUPT") interrupts++;
      if (w.reason === "QUICK_FIX") quickFixes++;
      for (const t of new Set([w.fromTask, w.toTask])) if (t !== null) switchesByTask.set(t, (switchesByTask.get(t) ?? 0) + 1);
    }
    lines.push({ id: s.id, title: s.title, status: s.status, switch_count: s.switches.length, total_focus_minutes: f.focusMinutes });
  }
  const tasksByType = { BUG: 0, FEATURE: 0, REFACTOR: 0 };
  for (const t of tasks) tasksByType[t.type]++;
  const topTasks = tasks
    .map((t) => ({ id: t.id, title: t.title, type: t.type, sessions: t.sessionIds.length, switches: switchesByTask.get(t.id) ?? 0 }))
    .sort((a, b) => b.sessions - a.sessions || b.switches - a.switches || a.id - b.id)
    .slice(0, TOP_TASKS);
  return {
    lines,
    totals: {
      sessions: sessions.length,
      focus_minutes: focus,
      switches,
      switches_per_hour: focus > 0 ? round2(switches / (focus / 60)) : 0,
      interrupts,
      quick_fixes: quickFixes,
      short_sessions: short,
      deep_work_blocks: deep,
      longest_stretch_minutes: longest,
      tasks_by_type: tasksByType,
      top_tasks: topTasks,
    },
  };
}

const hm = (minutes: number) => (minutes >= 60 ? `${Math.floor(minutes / 60)}h ${minutes % 60}m` : `${minutes}m`);

export function summarize(subject: string, period: string, t: Totals): string {
  if (t.sessions === 0) return `${subject} recorded no sessions ${period}.`;
  return (
    `${subject} had ${t.sessions} session${t.sessions === 1 ? "" : "s"} ${period} with ${hm(t.focus_minutes)} of focus, ` +
    `${t.switches} context switch${t.switches === 1 ? "" : "es"} (${t.switches_per_hour} per focus hour, ${t.interrupts} interrupt${t.interrupts === 1 ? "" : "s"}), ` +
    `${t.deep_work_blocks} deep-work block${t.deep_work_blocks === 1 ? "" : "s"}; the longest stretch was ${hm(t.longest_stretch_minutes)}.`
  );
}

/** Week-over-week change of the headline totals (this week minus the week before). */
export function change(current: Totals, previous: Totals) {
  return {
    sessions: current.sessions - previous.sessions,
    focus_minutes: current.focus_minutes - previous.focus_minutes,
    switches: current.switches - previous.switches,
    switches_per_hour: round2(current.switches_per_hour - previous.switches_per_hour),
    interrupts: current.interrupts - previous.interrupts,
    deep_work_blocks: current.deep_work_blocks - previous.deep_work_blocks,
  };
}
