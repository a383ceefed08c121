/**
 * Where derivation meets D1: the reads a derivation needs for a window of whole days, and the writes that
 * make the stored timeline what derive() says — only what differs, in one batch, guarded by the user's
 * editor_state version so that two derivations racing cannot both write (the loser reads again).
 *
 * A window is whole days of the user's calendar: derived sessions never span a day start, so a window's
 * sessions are derived from its own heartbeats alone, whatever else is stored.
 */
import { and, asc, eq, gte, inArray, isNull, lt, ne, or, sql, type SQL } from "drizzle-orm";
import { contextSwitches, devSessions, editorProjects, editorStates, heartbeats, memberships, sessionPauses, sessionTasks, tasks } from "../../db/schema";
import { ROLES } from "../../db/roles";
import type { Bindings, Db } from "../../env";
import { addDays, dayOf, dayStart, iso, type DayPrefs } from "../../platform/time";
import { channelsFor, eventPublisher } from "../events/publisher";
import { serializeSession, type SessionRow } from "../sessions/schemas";
import { recountSwitches } from "../switches/service";
import { atLeast, TEAM_ACTIONS } from "../teams/roles";
import { parseBranch, pickTask, type Candidate } from "./branches";
import { derive, type Absorber, type Derivation, type DerivedSession, type DerivedSwitch } from "./derive";

/** A session the user recorded absorbs editor activity for at most this long after its start. */
export const ABSORB_MAX_MS = 24 * 60 * 60_000;
/**
 * Attempts of a derivation that keeps losing races (each loss means another derivation was written), before
 * the request gives up: its heartbeats are stored, and the next bulk of those days derives them.
 */
export const DERIVE_ATTEMPTS = 20;

export interface Window {
  from: number;
  to: number;
}

/** The whole days (of the user's calendar) that hold these instants, as one range. */
export function windowOf(times: number[], prefs: DayPrefs): Window {
  const first = dayOf(Math.min(...times), prefs);
  const last = dayOf(Math.max(...times), prefs);
  return { from: dayStart(first, prefs), to: dayStart(addDays(last, 1), prefs) };
}

// ─── Reads ──────────────────────────────────────────────────────────────────────────────────────

const stateQuery = (db: Db, userId: number) => db.select({ version: editorStates.version }).from(editorStates).where(eq(editorStates.userId, userId));

export const ensureState = (db: Db, userId: number) => db.insert(editorStates).values({ userId }).onConflictDoNothing();

const beatsQuery = (db: Db, userId: number, w: Window) =>
  db
    .select({ time: heartbeats.timeMs, key: heartbeats.digest, project: heartbeats.project, branch: heartbeats.branch, category: heartbeats.category })
    .from(heartbeats)
    .where(and(eq(heartbeats.userId, userId), gte(heartbeats.timeMs, w.from), lt(heartbeats.timeMs, w.to)))
    .orderBy(asc(heartbeats.timeMs));

/** The derived sessions of the window, each with its pauses and attached tasks (correlated subqueries: one statement). */
const derivedQuery = (db: Db, userId: number, w: Window) =>
  db
    .select({
      id: devSessions.id,
      teamId: devSessions.teamId,
      startedAt: devSessions.startedAt,
      endedAt: devSessions.endedAt,
      title: devSessions.title,
      focus: devSessions.totalFocusMinutes,
      switchCount: devSessions.switchCount,
      lastSwitchAt: devSessions.lastSwitchAt,
      pauses: sql<string>`(SELECT json_group_array(json_array(sp.paused_at, sp.resumed_at)) FROM (SELECT paused_at, resumed_at FROM session_pauses WHERE session_id = dev_sessions.id ORDER BY paused_at) sp)`,
      tasks: sql<string>`(SELECT json_group_array(json_array(st.task_id, st.role)) FROM (SELECT task_id, role FROM session_tasks WHERE session_id = dev_sessions.id ORDER BY id) st)`,
    })
    .from(devSessions)
    .where(and(eq(devSessions.userId, userId), eq(devSessions.source, "EDITOR"), gte(devSessions.startedAt, iso(w.from)), lt(devSessions.startedAt, iso(w.to))));

/** Sessions the user recorded that may absorb activity of the window (started up to ABSORB_MAX_MS before it). */
const absorbersQuery = (db: Db, userId: number, w: Window) =>
  db
    .select({ id: devSessions.id, teamId: devSessions.teamId, startedAt: devSessions.startedAt, endedAt: devSessions.endedAt })
    .from(devSessions)
    .where(
      and(
        eq(devSessions.userId, userId),
        gte(devSessions.startedAt, iso(w.from - ABSORB_MAX_MS)),
        lt(devSessions.startedAt, iso(w.to)),
        ne(devSessions.source, "EDITOR"),
        or(isNull(devSessions.endedAt), gte(devSessions.endedAt, iso(w.from))),
      ),
    );

/** Every derived switch of the window: in derived sessions, and in recorded sessions that absorbed activity. */
const editorSwitchesQuery = (db: Db, userId: number, w: Window) =>
  db
    .select({
      sessionId: contextSwitches.sessionId,
      happenedAt: contextSwitches.happenedAt,
      reason: contextSwitches.reason,
      note: contextSwitches.note,
      fromTask: contextSwitches.fromTaskId,
      toTask: contextSwitches.toTaskId,
    })
    .from(contextSwitches)
    .where(and(eq(contextSwitches.userId, userId), gte(contextSwitches.happenedAt, iso(w.from)), lt(contextSwitches.happenedAt, iso(w.to)), eq(contextSwitches.source, "EDITOR")))
    .orderBy(asc(contextSwitches.happenedAt), asc(contextSwitches.id));

/** The roles that may open sessions in a team (DESIGN.md's role table). */
const SESSION_ROLES = ROLES.filter((r) => atLeast(r, TEAM_ACTIONS.write));

/** The user's project → team mappings in force: those of teams where they may open sessions (MEMBER and up). */
const mappingsQuery = (db: Db, userId: number) =>
  db
    .select({ project: editorProjects.project, teamId: editorProjects.teamId })
    .from(editorProjects)
    .innerJoin(memberships, and(eq(memberships.teamId, editorProjects.teamId), eq(memberships.userId, editorProjects.userId)))
    .where(and(eq(editorProjects.userId, userId), inArray(memberships.role, SESSION_ROLES)));

/** The statements a derivation reads, in this order; put them in any batch (after the inserts they must see). */
export const windowReads = (db: Db, userId: number, w: Window) =>
  [
    stateQuery(db, userId),
    beatsQuery(db, userId, w),
    derivedQuery(db, userId, w),
    absorbersQuery(db, userId, w),
    editorSwitchesQuery(db, userId, w),
    mappingsQuery(db, userId),
  ] as const;

type Results<T extends readonly unknown[]> = { -readonly [K in keyof T]: Awaited<T[K]> };
/** The results of windowReads, in its order. */
export type WindowData = Results<ReturnType<typeof windowReads>>;

// ─── Tasks from branch names ────────────────────────────────────────────────────────────────────

/** Candidates per lookup statement: each binds one or two parameters, and D1 takes 100. */
const CANDIDATES_PER_QUERY = 40;

/**
 * The tasks the branches of the window may name, among those a derived session may hold: the user's personal
 * tasks, and the tasks of the teams their projects are mapped to. One statement per 40 candidates, all in one
 * batch; none when no branch names a task.
 */
async function tasksFor(db: Db, userId: number, branches: string[], teams: number[]) {
  const candidates = new Map<string, Candidate>();
  for (const b of branches) for (const c of parseBranch(b)?.candidates ?? []) candidates.set(JSON.stringify(c), c);
  const all = [...candidates.values()];
  if (!all.length) return [];
  const statements = [];
  for (let i = 0; i < all.length; i += CANDIDATES_PER_QUERY) {
    const conds: SQL[] = all.slice(i, i + CANDIDATES_PER_QUERY).map((c) =>
      "id" in c
        ? eq(tasks.id, c.id)
        : "external_key" in c
          ? eq(tasks.externalKey, c.external_key)
          : sql`(${tasks.externalSource} = 'GITHUB' AND substr(${tasks.externalKey}, -${`#${c.github_number}`.length}) = ${`#${c.github_number}`})`,
    );
    statements.push(
      db
        .select({ id: tasks.id, teamId: tasks.teamId, title: tasks.title, externalSource: tasks.externalSource, externalKey: tasks.externalKey })
        .from(tasks)
        .where(and(or(and(isNull(tasks.teamId), eq(tasks.createdBy, userId)), teams.length ? inArray(tasks.teamId, teams) : undefined), or(...conds))),
    );
  }
  const results = await db.batch(statements as [(typeof statements)[number], ...typeof statements]);
  const byId = new Map(results.flat().map((t) => [t.id, t]));
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

// ─── Derivation and the writes ──────────────────────────────────────────────────────────────────

const swKey = (s: DerivedSwitch) => JSON.stringify([iso(s.at), s.reason, s.note, s.fromTask, s.toTask]);
const storedSwKey = (s: WindowData[4][number]) => JSON.stringify([s.happenedAt, s.reason, s.note, s.fromTask, s.toTask]);
const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** What derive() makes of the window's data, and the titles of the tasks it names. */
export async function deriveWindow(db: Db, userId: number, prefs: DayPrefs, idleMs: number, data: WindowData): Promise<{ derivation: Derivation; titles: Map<number, string> }> {
  const [, beats, , recorded, , mappings] = data;
  const teamOf = new Map(mappings.map((m) => [m.project, m.teamId]));
  const branches = [...new Set(beats.map((b) => b.branch).filter((b): b is string => !!b))];
  const known = await tasksFor(db, userId, branches, [...new Set(teamOf.values())]);
  const cache = new Map<string, number | null>();
  // A session holds the user's personal tasks and its own team's (the rule of taskInScope).
  const taskOf = (branch: string | null, team: number | null) => {
    const key = `${team}\n${branch}`;
    if (!cache.has(key)) {
      const inScope = known.filter((t) => t.teamId === null || t.teamId === team);
      cache.set(key, pickTask(parseBranch(branch)?.candidates ?? [], inScope)?.id ?? null);
    }
    return cache.get(key)!;
  };
  const absorbers: Absorber[] = recorded.map((s) => {
    const start = Date.parse(s.startedAt);
    const cap = start + ABSORB_MAX_MS;
    return { id: s.id, team: s.teamId, start, end: s.endedAt ? Math.min(Date.parse(s.endedAt), cap) : cap };
  });
  const derivation = derive(beats, { prefs, idleMs, taskOf, absorbers, scopeOf: (project) => (project === null ? null : (teamOf.get(project) ?? null)) });
  return { derivation, titles: new Map(known.map((t) => [t.id, t.title])) };
}

/** Rows per multi-row insert, so that no statement binds more than D1's 100 parameters. */
const CHUNK = { pauses: 20, switches: 10, tasks: 20 };
const chunks = <T>(rows: T[], n: number) => Array.from({ length: Math.ceil(rows.length / n) }, (_, i) => rows.slice(i * n, (i + 1) * n));

/** A derived session's id inside the batch that creates it: by its natural key (user, EDITOR, started_at). */
const derivedId = (userId: number, startedAt: string) =>
  sql`(SELECT ${devSessions.id} FROM ${devSessions} WHERE ${devSessions.userId} = ${userId} AND ${devSessions.source} = 'EDITOR' AND ${devSessions.startedAt} = ${startedAt})`;

function childInserts(db: Db, userId: number, sessionId: number | SQL, d: { pauses: DerivedSession["pauses"]; switches: DerivedSwitch[]; tasks?: DerivedSession["tasks"] }) {
  const out = [];
  for (const rows of chunks(d.pauses, CHUNK.pauses)) {
    out.push(db.insert(sessionPauses).values(rows.map((p) => ({ sessionId, pausedAt: iso(p.from), resumedAt: iso(p.to) }))));
  }
  for (const rows of chunks(d.switches, CHUNK.switches)) {
    out.push(
      db.insert(contextSwitches).values(
        rows.map((s) => ({ sessionId, userId, fromTaskId: s.fromTask, toTaskId: s.toTask, reason: s.reason, source: "EDITOR" as const, happenedAt: iso(s.at), note: s.note })),
      ),
    );
  }
  for (const rows of chunks(d.tasks ?? [], CHUNK.tasks)) {
    out.push(db.insert(sessionTasks).values(rows.map((t) => ({ sessionId, taskId: t.task, role: t.role }))));
  }
  return out;
}

/**
 * The statements that turn the stored window into the derivation: derived sessions inserted, updated in place
 * (by their start) or deleted; their pauses, switches and tasks replaced where they differ; the switches derived
 * in recorded sessions replaced where they differ, and those sessions' counters recounted. Empty when the
 * stored timeline already is the derivation (a re-sent bulk writes nothing).
 */
export function timelineWrites(db: Db, userId: number, w: Window, data: WindowData, d: Derivation) {
  /** The derived sessions this batch creates, by the index of their insert (it returns the row). */
  const created: { index: number; session: DerivedSession }[] = [];
  const [, , stored, , storedSwitches] = data;
  const now = new Date().toISOString();
  const out = [];
  const switchesBySession = new Map<number, string[]>();
  for (const s of storedSwitches) switchesBySession.set(s.sessionId, [...(switchesBySession.get(s.sessionId) ?? []), storedSwKey(s)]);

  const existing = new Map(stored.map((s) => [s.startedAt, s]));
  const wanted = new Set<string>();
  for (const s of d.sessions) {
    const startedAt = iso(s.start);
    wanted.add(startedAt);
    const e = existing.get(startedAt);
    const lastSwitchAt = s.switches.length ? iso(s.switches.at(-1)!.at) : null;
    const core = { teamId: s.team, endedAt: iso(s.end), title: s.title, totalFocusMinutes: s.focusMinutes, switchCount: s.switches.length, lastSwitchAt };
    if (!e) {
      created.push({ index: out.length, session: s });
      out.push(db.insert(devSessions).values({ userId, source: "EDITOR", status: "DONE", startedAt, ...core }).returning());
      out.push(...childInserts(db, userId, derivedId(userId, startedAt), s));
      continue;
    }
    if (e.teamId !== core.teamId || e.endedAt !== core.endedAt || e.title !== core.title || e.focus !== core.totalFocusMinutes || e.switchCount !== core.switchCount || e.lastSwitchAt !== core.lastSwitchAt) {
      out.push(db.update(devSessions).set({ ...core, updatedAt: now }).where(eq(devSessions.id, e.id)));
    }
    const pauses = (JSON.parse(e.pauses) as [string, string | null][]).map((p) => JSON.stringify(p));
    if (!same(pauses, s.pauses.map((p) => JSON.stringify([iso(p.from), iso(p.to)])))) {
      out.push(db.delete(sessionPauses).where(eq(sessionPauses.sessionId, e.id)), ...childInserts(db, userId, e.id, { pauses: s.pauses, switches: [] }));
    }
    if (!same(switchesBySession.get(e.id) ?? [], s.switches.map(swKey))) {
      out.push(
        db.delete(contextSwitches).where(and(eq(contextSwitches.sessionId, e.id), eq(contextSwitches.source, "EDITOR"))),
        ...childInserts(db, userId, e.id, { pauses: [], switches: s.switches }),
      );
    }
    const taskRows = (JSON.parse(e.tasks) as [number, string][]).map((t) => JSON.stringify(t));
    if (!same(taskRows, s.tasks.map((t) => JSON.stringify([t.task, t.role])))) {
      out.push(db.delete(sessionTasks).where(eq(sessionTasks.sessionId, e.id)), ...childInserts(db, userId, e.id, { pauses: [], switches: [], tasks: s.tasks }));
    }
  }
  const gone = stored.filter((s) => !wanted.has(s.startedAt)).map((s) => s.id);
  // Pauses, switches and tasks go with them (ON DELETE CASCADE).
  if (gone.length) out.push(db.delete(devSessions).where(inArray(devSessions.id, gone)));

  // Switches derived inside recorded sessions: only this window's, replaced where they differ.
  const derivedIds = new Set(stored.map((s) => s.id));
  const recordedIds = new Set([...switchesBySession.keys()].filter((id) => !derivedIds.has(id)));
  for (const id of d.absorbed.keys()) recordedIds.add(id);
  for (const id of recordedIds) {
    const want = d.absorbed.get(id) ?? [];
    if (same(switchesBySession.get(id) ?? [], want.map(swKey))) continue;
    out.push(
      db
        .delete(contextSwitches)
        .where(and(eq(contextSwitches.sessionId, id), eq(contextSwitches.source, "EDITOR"), gte(contextSwitches.happenedAt, iso(w.from)), lt(contextSwitches.happenedAt, iso(w.to)))),
      ...childInserts(db, userId, id, { pauses: [], switches: want }),
      recountSwitches(db, id),
    );
  }
  return { statements: out, created };
}

/**
 * The guard that opens a derivation's write batch: bumps the version it read, or — when another derivation
 * wrote since — violates NOT NULL, which aborts the whole batch (nothing of it is written).
 */
export const versionGuard = (db: Db, userId: number, read: number) =>
  db
    .update(editorStates)
    .set({ version: sql`CASE WHEN ${editorStates.version} = ${read} THEN ${editorStates.version} + 1 ELSE NULL END` })
    .where(eq(editorStates.userId, userId));

export const isVersionConflict = (err: unknown) =>
  err instanceof Error && /NOT NULL constraint failed: editor_state\.version/.test(String(err.message) + String(err.cause ?? ""));

export interface DerivationResult {
  attempts: number;
  statements: number;
  sessions: number;
  /** False when every attempt lost a race: the heartbeats are stored and the next bulk of those days derives them. */
  settled: boolean;
}

/**
 * Derives the window and stores the result. `first` are the window's reads already made (inside the ingest
 * batch); after a lost race the reads are made again, in a batch of their own.
 */
/**
 * A new derived session is announced on the user's (and its team's) event stream as `session.closed`, as a
 * session is when it is done: derived sessions are DONE from the start, then grow in place. Its detail is
 * built from the insert's own row and the derivation: no round trip of its own.
 */
async function announce(env: Bindings, created: { row: SessionRow; session: DerivedSession }[], titles: Map<number, string>) {
  const publisher = eventPublisher(env);
  for (const { row, session } of created) {
    await publisher.publish(channelsFor({ userId: row.userId, teamId: row.teamId }), "session.closed", {
      ...serializeSession(row),
      tasks: session.tasks.map((t) => ({ task: t.task, role: t.role, title: titles.get(t.task) ?? "" })),
      pauses: session.pauses.map((p) => ({ paused_at: iso(p.from), resumed_at: iso(p.to) })),
    });
  }
}

export async function settleWindow(db: Db, env: Bindings, userId: number, prefs: DayPrefs, idleMs: number, w: Window, first: WindowData): Promise<DerivationResult> {
  let data = first;
  for (let attempt = 1; attempt <= DERIVE_ATTEMPTS; attempt++) {
    const { derivation, titles } = await deriveWindow(db, userId, prefs, idleMs, data);
    const { statements: writes, created } = timelineWrites(db, userId, w, data, derivation);
    if (!writes.length) return { attempts: attempt, statements: 0, sessions: derivation.sessions.length, settled: true };
    const version = data[0][0]?.version ?? 0;
    try {
      const results = await db.batch([versionGuard(db, userId, version), ...writes] as unknown as Parameters<typeof db.batch>[0]);
      await announce(env, created.map((c) => ({ row: (results[1 + c.index] as SessionRow[])[0]!, session: c.session })), titles);
      return { attempts: attempt, statements: writes.length, sessions: derivation.sessions.length, settled: true };
    } catch (err) {
      if (!isVersionConflict(err)) throw err;
    }
    // A short random wait, so that racers do not read and write in lockstep again.
    await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    data = (await db.batch(windowReads(db, userId, w) as unknown as Parameters<typeof db.batch>[0])) as unknown as WindowData;
  }
  return { attempts: DERIVE_ATTEMPTS, statements: 0, sessions: 0, settled: false };
}
