/**
 * Editor activity → sessions, pauses and context switches: a pure function of a user's heartbeats (and the
 * sessions they recorded themselves), so the same set of heartbeats derives the same timeline whatever order
 * and however many times they arrived. The service stores what this returns; nothing here reads a clock.
 *
 * The rules (README, "From your editor"):
 *   - heartbeats are sorted by time, and a re-sent one (same time and entity) counts once;
 *   - a gap of the idle timeout or more is a pause (from the heartbeat before it to the one after);
 *   - a gap of BREAK_MS or more, or the start of the user's day (the day rule), ends the session at its last
 *     heartbeat; the next heartbeat starts a new one. So a session never spans two days;
 *   - a change of project, of branch within a project, or into / out of the `meeting` category is a context
 *     switch at the first heartbeat of the new context: MEETING into a meeting, QUICK_FIX onto a hotfix branch,
 *     else OTHER, with a note naming the change (`billing-service ← devfocus-api`). A heartbeat without a
 *     project (or, in the same project, without a branch) continues the context it falls in;
 *   - heartbeats inside a session the user recorded (manual, CLI, git: from its start to its end, or on while it
 *     is open) belong to that session: no editor session is derived beside it, and the switches they show are
 *     recorded on it;
 *   - tasks come from branch names (branches.ts, the git hook's rule): a switch goes from the task of the
 *     context it leaves to the one it enters; a derived session has its contexts' tasks attached, the first as
 *     MAIN and the others as SIDE;
 *   - a project the user mapped to a team puts its sessions in that team; a change to a project of another
 *     scope (another team, or personal) ends the session and starts one there, so that no team sees time spent
 *     elsewhere.
 */
import { focusSummary } from "../sessions/focus";
import { isHotfixBranch } from "./branches";
import { dayOf, type DayPrefs } from "../../platform/time";

/** A gap this long or longer ends an editor session (shorter ones, from the idle timeout up, are pauses). */
export const BREAK_MS = 2 * 60 * 60_000;
/** Titles name at most this many projects, then "+N". */
const TITLE_PROJECTS = 3;
const TITLE_MAX = 255;

export type SwitchReason = "MEETING" | "QUICK_FIX" | "OTHER";

/** One heartbeat, as derivation sees it: `time` in epoch ms, `key` the entity's digest (its identity with time). */
export interface Beat {
  time: number;
  key: string;
  project: string | null;
  branch: string | null;
  category: string;
}

/** A session the user recorded (not derived): it absorbs the heartbeats from its start to its end (open: on). */
export interface Absorber {
  id: number;
  start: number;
  end: number | null;
  team?: number | null;
}

export interface DerivedSwitch {
  at: number;
  reason: SwitchReason;
  note: string;
  fromTask: number | null;
  toTask: number | null;
}

export interface DerivedSession {
  /** The team the session is in (its projects' mapping), or null: personal. */
  team: number | null;
  start: number;
  end: number;
  title: string;
  pauses: { from: number; to: number }[];
  switches: DerivedSwitch[];
  tasks: { task: number; role: "MAIN" | "SIDE" }[];
  focusMinutes: number;
}

export interface DeriveOptions {
  prefs: DayPrefs;
  idleMs: number;
  /** The task a branch names (branches.ts) among those a session of `team` may hold, or null. */
  taskOf: (branch: string | null, team: number | null) => number | null;
  /** The team a project's sessions go to (the user's mapping), or null: personal. Default: all personal. */
  scopeOf?: (project: string | null) => number | null;
  absorbers?: Absorber[];
}

export interface Derivation {
  sessions: DerivedSession[];
  /** Switches derived inside each recorded session, by its id (only sessions that have some). */
  absorbed: Map<number, DerivedSwitch[]>;
}

/** Sorted by time (then entity, so ties are ordered too), each (time, entity) once. */
export function normalize<B extends Beat>(beats: B[]): B[] {
  const sorted = [...beats].sort((a, b) => a.time - b.time || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return sorted.filter((b, i) => i === 0 || b.time !== sorted[i - 1]!.time || b.key !== sorted[i - 1]!.key);
}

interface Context {
  project: string | null;
  branch: string | null;
  meeting: boolean;
}

const contextOf = (b: Beat, prev: Context | null): Context => {
  const meeting = b.category === "meeting";
  if (!prev) return { project: b.project, branch: b.branch, meeting };
  if (b.project === null) return { ...prev, meeting };
  if (b.project !== prev.project) return { project: b.project, branch: b.branch, meeting };
  return { project: b.project, branch: b.branch ?? prev.branch, meeting };
};

type TaskOf = (branch: string | null) => number | null;

/** The switch from `a` to `b`, or null when the context did not change (or only became known). */
function switchBetween(a: Context, b: Context, at: number, taskOf: TaskOf): DerivedSwitch | null {
  let note: string;
  if (a.project !== null && b.project !== a.project) note = `${b.project} ← ${a.project}`;
  else if (a.branch !== null && b.branch !== null && b.branch !== a.branch) note = `${b.project}: ${b.branch} ← ${a.branch}`;
  else if (a.meeting !== b.meeting) note = b.meeting ? `meeting ← ${a.project ?? "editor"}` : `${b.project ?? "editor"} ← meeting`;
  else return null;
  const branchChanged = b.branch !== a.branch || b.project !== a.project;
  const reason: SwitchReason = b.meeting && !a.meeting ? "MEETING" : branchChanged && isHotfixBranch(b.branch) ? "QUICK_FIX" : "OTHER";
  return { at, reason, note, fromTask: taskOf(a.branch), toTask: taskOf(b.branch) };
}

/** The context switches along a run of heartbeats (sorted), and the contexts it went through. */
function walk(run: Beat[], taskOf: TaskOf) {
  const switches: DerivedSwitch[] = [];
  const contexts: Context[] = [];
  let ctx: Context | null = null;
  for (const b of run) {
    const next = contextOf(b, ctx);
    if (ctx) {
      const sw = switchBetween(ctx, next, b.time, taskOf);
      if (sw) switches.push(sw);
    }
    ctx = next;
    contexts.push(next);
  }
  return { switches, contexts };
}

/** Cuts sorted heartbeats into runs: at a gap of BREAK_MS or more, at a day start, and where `cut(a, b)` says. */
function runs(beats: Beat[], prefs: DayPrefs, cut: (a: Beat, b: Beat) => boolean = () => false): Beat[][] {
  const out: Beat[][] = [];
  let day = "";
  for (const b of beats) {
    const prev = out.at(-1)?.at(-1);
    const d = dayOf(b.time, prefs);
    if (!prev || b.time - prev.time >= BREAK_MS || d !== day || cut(prev, b)) out.push([b]);
    else out.at(-1)!.push(b);
    day = d;
  }
  return out;
}

/** Cuts a run where its context moves to a project of another scope (a scope change is always a project change). */
function byScope(run: Beat[], scopeOf: (project: string | null) => number | null): { team: number | null; beats: Beat[] }[] {
  const parts: { team: number | null; beats: Beat[] }[] = [];
  let ctx: Context | null = null;
  for (const b of run) {
    ctx = contextOf(b, ctx);
    const team = scopeOf(ctx.project);
    const last = parts.at(-1);
    if (!last || last.team !== team) parts.push({ team, beats: [b] });
    else last.beats.push(b);
  }
  return parts;
}

function titleOf(contexts: Context[]): string {
  const projects = [...new Set(contexts.map((c) => c.project).filter((p): p is string => p !== null))];
  if (!projects.length) return "Editor activity";
  const shown = projects.slice(0, TITLE_PROJECTS).join(" · ");
  const title = projects.length > TITLE_PROJECTS ? `${shown} +${projects.length - TITLE_PROJECTS}` : shown;
  return title.length > TITLE_MAX ? `${title.slice(0, TITLE_MAX - 1)}…` : title;
}

export function derive(input: Beat[], opts: DeriveOptions): Derivation {
  const beats = normalize(input);
  const absorbers = [...(opts.absorbers ?? [])].sort((a, b) => a.start - b.start || a.id - b.id);
  const owner = (t: number) => absorbers.find((s) => t >= s.start && (s.end === null || t <= s.end));

  const free: Beat[] = [];
  const inside = new Map<number, Beat[]>();
  for (const b of beats) {
    const s = owner(b.time);
    if (!s) free.push(b);
    else inside.set(s.id, [...(inside.get(s.id) ?? []), b]);
  }

  // A recorded session between two free heartbeats cuts them apart; so does a change of scope.
  const recordedBetween = (a: Beat, b: Beat) => absorbers.some((s) => s.start > a.time && s.start < b.time);
  const scopeOf = opts.scopeOf ?? (() => null);
  const parts = runs(free, opts.prefs, recordedBetween).flatMap((run) => byScope(run, scopeOf));
  const sessions = parts.map(({ team, beats: run }): DerivedSession => {
    const pauses: DerivedSession["pauses"] = [];
    for (let i = 1; i < run.length; i++) {
      if (run[i]!.time - run[i - 1]!.time >= opts.idleMs) pauses.push({ from: run[i - 1]!.time, to: run[i]!.time });
    }
    const taskOf: TaskOf = (branch) => opts.taskOf(branch, team);
    const { switches, contexts } = walk(run, taskOf);
    const taskIds = [...new Set(contexts.map((c) => taskOf(c.branch)).filter((t): t is number => t !== null))];
    const start = run[0]!.time;
    const end = run.at(-1)!.time;
    return {
      team,
      start,
      end,
      title: titleOf(contexts),
      pauses,
      switches,
      tasks: taskIds.map((task, i) => ({ task, role: i === 0 ? "MAIN" : "SIDE" })),
      focusMinutes: focusSummary({ start, end, switches: switches.map((s) => s.at), pauses }).focusMinutes,
    };
  });

  const absorbed = new Map<number, DerivedSwitch[]>();
  for (const [id, list] of inside) {
    const team = absorbers.find((s) => s.id === id)?.team ?? null;
    const switches = runs(list, opts.prefs).flatMap((run) => walk(run, (branch) => opts.taskOf(branch, team)).switches);
    if (switches.length) absorbed.set(id, switches);
  }
  return { sessions, absorbed };
}

/**
 * Each heartbeat's share of the time: the gap to the next one when shorter than the idle timeout, else 0
 * (and 0 for the last). Summed, this is the focus time of the derived sessions: their stretches between
 * heartbeats, pauses excluded.
 */
export function durations<B extends Beat>(beats: B[], idleMs: number): { beat: B; ms: number }[] {
  const sorted = normalize(beats);
  return sorted.map((beat, i) => {
    const next = sorted[i + 1];
    const gap = next ? next.time - beat.time : 0;
    return { beat, ms: gap < idleMs ? gap : 0 };
  });
}
