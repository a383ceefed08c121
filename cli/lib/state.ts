// Local state: the current session (so `switch` knows the task you are on, and `pause`/`stop` which
// session to act on, even offline), the last finished session, a branch → task cache for the hook, and
// the user's calendar (time zone, day start) for showing times.
//
// `session.id` is null (and `local` set) while the session exists only in the offline journal.
import type { Schemas } from "../../client/index.ts";
import { focusSummary, type Pause } from "../../src/modules/sessions/focus.ts";
import { acquireLock, isRecord, readJson, writeJson, type Paths } from "./files.ts";
import type { TaskRef } from "./tasks.ts";

export type SessionStatus = Schemas["DevSession"]["status"];
export type TaskRole = Schemas["AttachTaskRequest"]["role"];

/** A pause as kept locally (ISO times; `to` null while it lasts). The API does not list a session's pauses. */
export interface LocalPause {
  from: string;
  to: string | null;
}

export interface LocalSession {
  id: number | null;
  local: string | null;
  title: string;
  team: number | string | null;
  started_at: string;
  status: SessionStatus;
  pauses: LocalPause[];
  /** the task you are on now: the last one started or switched to (null after a switch to no task) */
  task: TaskRef | null;
  tasks: (TaskRef & { role?: TaskRole })[];
}

export interface LastSession {
  id: number | null;
  local: string | null;
  title: string;
  ended_at: string | null;
  focus_minutes?: number;
  switch_count?: number;
}

/** The user's calendar, cached per API and token (`key`), from GET /api/auth/me/. */
export interface CachedCalendar {
  key: string;
  timezone: string;
  day_start_hour: number;
  fetched_at: string;
}

export interface StateData {
  session: LocalSession | null;
  last: LastSession | null;
  branches: Record<string, { id: number; title: string }>;
  calendar: CachedCalendar | null;
}

const EMPTY = (): StateData => ({ session: null, last: null, branches: {}, calendar: null });
const KEEP_BRANCHES = 200;

export class State {
  readonly file: string;

  constructor(files: Paths) {
    this.file = files.state;
  }

  read(): StateData {
    const s = readJson(this.file);
    // Our own file: its shape is what this module writes.
    return isRecord(s) ? { ...EMPTY(), ...(s as Partial<StateData>) } : EMPTY();
  }

  /** Read-modify-write under a lock, so the background hook and a command never overwrite each other. */
  update<T = void>(fn: (s: StateData) => T): T {
    const release = acquireLock(`${this.file}.lock`, { waitMs: 3000 });
    try {
      const s = this.read();
      const out = fn(s);
      const keys = Object.keys(s.branches);
      for (const k of keys.slice(0, Math.max(0, keys.length - KEEP_BRANCHES))) delete s.branches[k];
      writeJson(this.file, s);
      return out;
    } finally {
      if (release) release();
    }
  }
}

/** The local record of a session the API returned. */
export function sessionFromApi(detail: Schemas["DevSessionDetail"]): LocalSession {
  const tasks = detail.tasks.map((t) => ({ id: t.task, title: t.title, role: t.role, label: `#${t.task}`, candidates: [{ id: t.task }] }));
  return {
    id: detail.id,
    local: null,
    title: detail.title,
    team: detail.team,
    started_at: detail.started_at,
    status: detail.status,
    pauses: detail.status === "PAUSED" ? [{ from: detail.updated_at, to: null }] : [],
    task: tasks.find((t) => t.role === "MAIN") ?? tasks[0] ?? null,
    tasks,
  };
}

export interface FocusNow {
  focusMinutes: number;
  /** minutes since the current stretch began (the latest start, switch or resume); 0 while paused */
  stretchMinutes: number;
}

/**
 * Focus so far, by the Worker's own arithmetic (sessions/focus.ts): elapsed time minus pauses, an open
 * pause running until `now`; stretches cut at every switch, pause and resume.
 */
export function focusNow(session: Pick<LocalSession, "started_at" | "pauses">, switchedAt: (string | null)[], now = Date.now()): FocusNow {
  const start = Date.parse(session.started_at);
  if (Number.isNaN(start)) return { focusMinutes: 0, stretchMinutes: 0 };
  const pauses: Pause[] = session.pauses
    .map((p) => ({ from: Date.parse(p.from), to: p.to === null ? null : Date.parse(p.to) }))
    .filter((p) => !Number.isNaN(p.from) && !Number.isNaN(p.to ?? 0));
  const switches = switchedAt.map((s) => (s ? Date.parse(s) : NaN)).filter((n) => !Number.isNaN(n));
  const summary = focusSummary({ start, end: Math.max(start, now), switches, pauses });
  const last = summary.stretches[summary.stretches.length - 1];
  const running = last !== undefined && last.end >= now;
  return { focusMinutes: Math.max(0, summary.focusMinutes), stretchMinutes: running ? Math.floor(last.minutes) : 0 };
}
