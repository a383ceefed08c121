/**
 * A day's sessions as one timeline each: focus stretches, pauses, switches and the end, computed by the
 * Worker's own focus arithmetic (src/modules/sessions/focus.ts) so the page and the reports agree.
 */
import type { Schemas } from "../../../client/index.ts";
import { focusSummary, type Pause, type Stretch } from "../../../src/modules/sessions/focus.ts";

export type Session = Schemas["DevSessionDetail"];
export type Switch = Schemas["ContextSwitch"];

/**
 * A session's pause intervals, if its detail carries them (`pauses: [{paused_at, resumed_at}]`); a server
 * that does not send them yet gives none, and the timeline shows no pause.
 */
export function pausesOf(s: Session): Pause[] {
  const raw: unknown = (s as { pauses?: unknown }).pauses;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((p: { paused_at?: unknown; resumed_at?: unknown }) => {
    if (typeof p?.paused_at !== "string") return [];
    return [{ from: Date.parse(p.paused_at), to: typeof p.resumed_at === "string" ? Date.parse(p.resumed_at) : null }];
  });
}

export interface SessionTimeline {
  session: Session;
  start: number;
  /** ended_at, or now for a session still running */
  end: number;
  running: boolean;
  stretches: Stretch[];
  pauses: { from: number; to: number }[];
  switches: Switch[];
  focusMinutes: number;
  deepWorkBlocks: number;
}

export function timelineOf(session: Session, switches: Switch[], now: number): SessionTimeline {
  const start = Date.parse(session.started_at);
  const running = session.status !== "DONE";
  const end = Math.max(start, session.ended_at ? Date.parse(session.ended_at) : now);
  const pauses = pausesOf(session);
  const f = focusSummary({ start, end, switches: switches.map((w) => Date.parse(w.happened_at)), pauses });
  return {
    session,
    start,
    end,
    running,
    stretches: f.stretches,
    pauses: pauses.map((p) => ({ from: Math.max(p.from, start), to: Math.min(p.to ?? end, end) })).filter((p) => p.to > p.from),
    switches: [...switches].sort((a, b) => Date.parse(a.happened_at) - Date.parse(b.happened_at)),
    // A closed session's own number is the API's; a running one's is computed to the minute.
    focusMinutes: running ? f.focusMinutes : session.total_focus_minutes,
    deepWorkBlocks: f.deepWorkBlocks,
  };
}

/** The task a running session is on now: the last switch's target, else its MAIN task. */
export function currentTask(session: Session, switches: Switch[]): number | null {
  const last = [...switches].sort((a, b) => Date.parse(a.happened_at) - Date.parse(b.happened_at)).at(-1);
  if (last) return last.to_task;
  return session.tasks.find((t) => t.role === "MAIN")?.task ?? session.tasks[0]?.task ?? null;
}

export type TimelineEntry =
  | { at: number; kind: "start" }
  | { at: number; kind: "pause"; until: number | null }
  | { at: number; kind: "resume" }
  | { at: number; kind: "switch"; item: Switch }
  | { at: number; kind: "end"; focusMinutes: number };

/** The same timeline as a list of events in time order (what the chart draws, in words). */
export function entriesOf(t: SessionTimeline): TimelineEntry[] {
  const raw = pausesOf(t.session);
  const entries: TimelineEntry[] = [{ at: t.start, kind: "start" }];
  for (const p of raw) {
    entries.push({ at: p.from, kind: "pause", until: p.to });
    if (p.to !== null) entries.push({ at: p.to, kind: "resume" });
  }
  for (const item of t.switches) entries.push({ at: Date.parse(item.happened_at), kind: "switch", item });
  if (!t.running) entries.push({ at: t.end, kind: "end", focusMinutes: t.focusMinutes });
  const order = { start: 0, resume: 1, switch: 2, pause: 3, end: 4 };
  return entries.sort((a, b) => a.at - b.at || order[a.kind] - order[b.kind]);
}
