import { and, asc, eq, gte, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import { contextSwitches, devSessions, sessionPauses, sessionTasks, tasks, type CLIENT_SOURCES } from "../../db/schema";
import type { Actor, Ctx, Db } from "../../env";
import { conflict, invalid, notFound } from "../../platform/errors";
import { exportFile, keysetPages } from "../../platform/export";
import { keyset, parseOrdering, toPage } from "../../platform/pagination";
import { contains } from "../../platform/sql";
import { dayBounds } from "../../platform/time";
import { channelsFor, eventPublisher } from "../events/publisher";
import { atLeast, requireRole } from "../teams/access";
import { getVisibleTask } from "../tasks/visibility";
import { focusSummary } from "./focus";
import { serializeSession, SESSION_CSV_COLUMNS, SESSION_ORDERING, type SessionFilters, type SessionListQuery, type SessionRow } from "./schemas";
import { getOwnSession, readableSessionQuery } from "./visibility";

const nowIso = () => new Date().toISOString();


/**
 * The WHERE clause of a session list: the caller's own sessions, or with ?team= every member's session
 * in that team for its ADMIN/OWNER (other members still see only their own there).
 */
export async function sessionListWhere(db: Db, actor: Actor, f: SessionFilters): Promise<SQL | undefined> {
  const conds: (SQL | undefined)[] = [];
  if (f.team !== undefined) {
    const m = await requireRole(db, actor, f.team, "read");
    conds.push(eq(devSessions.teamId, f.team));
    if (!atLeast(m.role, "ADMIN")) conds.push(eq(devSessions.userId, actor.id));
  } else {
    conds.push(eq(devSessions.userId, actor.id));
  }
  if (f.status) conds.push(eq(devSessions.status, f.status));
  if (f.source) conds.push(eq(devSessions.source, f.source));
  if (f.search) conds.push(or(contains(devSessions.title, f.search), contains(devSessions.description, f.search)));
  if (f.date_from) conds.push(gte(devSessions.startedAt, new Date(dayBounds(f.date_from, actor).start).toISOString()));
  if (f.date_to) conds.push(lt(devSessions.startedAt, new Date(dayBounds(f.date_to, actor).end).toISOString()));
  return and(...conds);
}

/** The keyset query behind both the list and the export. */
export async function sessionPages(db: Db, actor: Actor, f: SessionFilters & { ordering: string }) {
  const ordering = parseOrdering(SESSION_ORDERING, f.ordering);
  const where = await sessionListWhere(db, actor, f);
  const query = (cursor: string | undefined, limit: number) => {
    const ks = keyset(ordering, devSessions.id, cursor);
    return db.select().from(devSessions).where(and(where, ks.where)).orderBy(...ks.orderBy).limit(limit);
  };
  return { ordering, query, pages: keysetPages(ordering, query) };
}

export async function listSessions({ db, actor }: Ctx, q: SessionListQuery & { url: string }) {
  const { ordering, query } = await sessionPages(db, actor, q);
  return toPage(await query(q.cursor, q.page_size + 1), { pageSize: q.page_size, ordering, url: q.url, serialize: serializeSession });
}

/** Every session the list would return for the same filters and ordering, streamed as CSV or JSON. */
export async function exportSessions({ db, actor }: Ctx, q: SessionFilters & { ordering: string; format: string }) {
  const { pages } = await sessionPages(db, actor, q);
  return exportFile({ filename: "sessions", format: q.format, fetchPage: pages, serialize: serializeSession, columns: SESSION_CSV_COLUMNS });
}

export async function createSession(
  { db, actor }: Ctx,
  input: { title: string; description: string; team?: number | null; started_at?: string; source?: (typeof CLIENT_SOURCES)[number] },
) {
  if (input.team != null) await requireRole(db, actor, input.team, "write");
  const [row] = await db
    .insert(devSessions)
    .values({
      userId: actor.id,
      teamId: input.team ?? null,
      title: input.title,
      description: input.description,
      source: input.source ?? "MANUAL",
      startedAt: input.started_at ?? nowIso(),
    })
    .returning();
  return sessionDetail(db, row!);
}

/** The tasks attached to a session, in the order they were attached. */
export const attachedTasks = (db: Db, sessionId: number) =>
  db
    .select({ task: sessionTasks.taskId, role: sessionTasks.role, title: tasks.title })
    .from(sessionTasks)
    .innerJoin(tasks, eq(tasks.id, sessionTasks.taskId))
    .where(eq(sessionTasks.sessionId, sessionId))
    .orderBy(asc(sessionTasks.id));

/** The pauses of a session, in time order, as the detail shows them. */
export const sessionPauseRows = (db: Db, sessionId: number) =>
  db
    .select({ paused_at: sessionPauses.pausedAt, resumed_at: sessionPauses.resumedAt })
    .from(sessionPauses)
    .where(eq(sessionPauses.sessionId, sessionId))
    .orderBy(asc(sessionPauses.pausedAt), asc(sessionPauses.id));

/** A session with its attached tasks and pauses (both read in one D1 batch). */
export async function sessionDetail(db: Db, session: SessionRow) {
  const [tasks, pauses] = await db.batch([attachedTasks(db, session.id), sessionPauseRows(db, session.id)]);
  return { ...serializeSession(session), tasks, pauses };
}

/**
 * A readable session with its tasks and pauses: the reads in one D1 batch (one round trip). Tasks and pauses
 * are read before visibility is known and dropped with a 404 when the session is not readable.
 */
export async function getSession({ db, actor }: Ctx, id: number) {
  const [[session], tasks, pauses] = await db.batch([readableSessionQuery(db, actor, id), attachedTasks(db, id), sessionPauseRows(db, id)]);
  if (!session) throw notFound("Session");
  return { ...serializeSession(session), tasks, pauses };
}

export async function updateSession({ db, actor }: Ctx, { id, ...input }: { id: number } & { title?: string; description?: string }) {
  await getOwnSession(db, actor, id);
  const [row] = await db
    .update(devSessions)
    .set({ ...input, updatedAt: nowIso() })
    .where(eq(devSessions.id, id))
    .returning();
  return sessionDetail(db, row!);
}

export async function deleteSession({ db, actor }: Ctx, id: number) {
  await getOwnSession(db, actor, id);
  // Switches, pauses, attached tasks and resource links go with it (ON DELETE CASCADE).
  await db.delete(devSessions).where(eq(devSessions.id, id));
}

/**
 * A session's timeline stays in order: started_at ≤ every pause, resume and switch ≤ ended_at, pauses and
 * resumes alternating in time. `floor` is the latest instant already on it — the last pause or resume, and
 * for a close also the last switch; a new event may not go before it.
 */
async function timelineFloor(db: Db, s: SessionRow, withSwitches: boolean) {
  const [row] = await db
    .select({ edge: sql<string | null>`max(coalesce(${sessionPauses.resumedAt}, ${sessionPauses.pausedAt}))` })
    .from(sessionPauses)
    .where(eq(sessionPauses.sessionId, s.id));
  const candidates: { at: string; what: string }[] = [{ at: s.startedAt, what: "the session's started_at" }];
  if (row?.edge) candidates.push({ at: row.edge, what: "the session's last pause or resume" });
  if (withSwitches && s.lastSwitchAt) candidates.push({ at: s.lastSwitchAt, what: "the session's last context switch" });
  return candidates.reduce((a, b) => (b.at > a.at ? b : a));
}

/**
 * The instant of a new event: the one asked for, which must not go before the floor (a 400 naming the
 * field), or by default now — or the floor, when a client clock a moment ahead (PastTimestamp allows 1 s)
 * put the last event there.
 */
export function eventTime(requested: string | undefined, floor: { at: string; what: string }, field: string): string {
  if (requested === undefined) {
    const now = nowIso();
    return now > floor.at ? now : floor.at;
  }
  if (requested < floor.at) throw invalid(field, `Must not be before ${floor.what} (${floor.at}).`);
  return requested;
}

/** No pause or resume of the session lies after `at` (evaluated inside the batch that writes). */
const noPauseEdgeAfter = (id: number, at: string) =>
  sql`NOT EXISTS (SELECT 1 FROM ${sessionPauses} WHERE ${sessionPauses.sessionId} = ${id} AND coalesce(${sessionPauses.resumedAt}, ${sessionPauses.pausedAt}) > ${at})`;

const transitionConflict = (from: string, action: string) =>
  conflict(`Cannot ${action} a session that is ${from}.`);

/** OPEN → PAUSED: the status change and the pause row in one batch, guarded by the status it started from. */
export async function pauseSession({ db, actor }: Ctx, { id, at: requestedAt }: { id: number; at?: string }) {
  const s = await getOwnSession(db, actor, id);
  if (s.status !== "OPEN") throw transitionConflict(s.status, "pause");
  const at = eventTime(requestedAt, await timelineFloor(db, s, false), "at");
  const [updated] = await db.batch([
    db
      .update(devSessions)
      .set({ status: "PAUSED", updatedAt: nowIso() })
      .where(and(eq(devSessions.id, id), eq(devSessions.status, "OPEN")))
      .returning(),
    db.insert(sessionPauses).values({
      // NULL unless the guarded update above just happened: the NOT NULL constraint then aborts the batch.
      // (PAUSED alone is not enough: a concurrent pause may have paused it; then an open pause exists. And a
      // pause and resume that ran since this request read the timeline may have moved its floor past `at`.)
      sessionId: sql`(SELECT ${devSessions.id} FROM ${devSessions} WHERE ${devSessions.id} = ${id} AND ${devSessions.status} = 'PAUSED'
        AND NOT EXISTS (SELECT 1 FROM ${sessionPauses} WHERE ${sessionPauses.sessionId} = ${id} AND ${sessionPauses.resumedAt} IS NULL)
        AND ${noPauseEdgeAfter(id, at)})`,
      pausedAt: at,
    }),
  ]).catch(rethrowAsConflict("pause"));
  if (!updated.length) throw transitionConflict("no longer OPEN", "pause");
  return sessionDetail(db, updated[0]!);
}

export async function resumeSession({ db, actor }: Ctx, { id, at: requestedAt }: { id: number; at?: string }) {
  const s = await getOwnSession(db, actor, id);
  if (s.status !== "PAUSED") throw transitionConflict(s.status, "resume");
  const at = eventTime(requestedAt, await timelineFloor(db, s, false), "at");
  const [updated] = await db.batch([
    db
      .update(devSessions)
      .set({ status: "OPEN", updatedAt: nowIso() })
      .where(and(eq(devSessions.id, id), eq(devSessions.status, "PAUSED"), noPauseEdgeAfter(id, at)))
      .returning(),
    db
      .update(sessionPauses)
      .set({ resumedAt: at })
      // Only if the session is open now: a resume that lost a race must not end someone else's new pause.
      .where(and(eq(sessionPauses.sessionId, id), isNull(sessionPauses.resumedAt), statusIs(id, "OPEN"))),
  ]);
  if (!updated.length) throw transitionConflict("no longer PAUSED", "resume");
  return sessionDetail(db, updated[0]!);
}

/** True while the session's status (as the statement runs, inside its batch) is `status`. */
const statusIs = (id: number, status: "OPEN" | "DONE") =>
  sql`(SELECT ${devSessions.status} FROM ${devSessions} WHERE ${devSessions.id} = ${id}) = ${status}`;

/** Focus summary of a stored session, up to `end` (its ended_at, or now while it runs). */
export async function sessionFocus(db: Db, s: SessionRow, end: number) {
  const [pauses, switches] = await Promise.all([
    db.select().from(sessionPauses).where(eq(sessionPauses.sessionId, s.id)),
    db.select({ at: contextSwitches.happenedAt }).from(contextSwitches).where(eq(contextSwitches.sessionId, s.id)),
  ]);
  return focusSummary({
    start: Date.parse(s.startedAt),
    end,
    switches: switches.map((r) => Date.parse(r.at)),
    pauses: pauses.map((p) => ({ from: Date.parse(p.pausedAt), to: p.resumedAt ? Date.parse(p.resumedAt) : null })),
  });
}

/** OPEN or PAUSED → DONE: sets ended_at (not before any event of the timeline) and total_focus_minutes. */
export async function closeSession({ db, env, actor }: Ctx, { id, ended_at: requestedEnd }: { id: number; ended_at?: string }) {
  const s = await getOwnSession(db, actor, id);
  if (s.status === "DONE") throw transitionConflict("DONE", "close");
  const endedAt = eventTime(requestedEnd, await timelineFloor(db, s, true), "ended_at");
  const focus = await sessionFocus(db, s, Date.parse(endedAt));
  const [updated] = await db.batch([
    db
      .update(devSessions)
      .set({ status: "DONE", endedAt, totalFocusMinutes: focus.focusMinutes, updatedAt: nowIso() })
      .where(
        and(
          eq(devSessions.id, id),
          eq(devSessions.status, s.status),
          // A switch, pause or resume written since the timeline was read must still lie before the end.
          sql`coalesce(${devSessions.lastSwitchAt}, '') <= ${endedAt}`,
          noPauseEdgeAfter(id, endedAt),
        ),
      )
      .returning(),
    db
      .update(sessionPauses)
      .set({ resumedAt: endedAt })
      // Only if the session is closed now: a close that lost a race must not end the pause of a paused session.
      .where(and(eq(sessionPauses.sessionId, id), isNull(sessionPauses.resumedAt), statusIs(id, "DONE"))),
  ]);
  if (!updated.length) throw transitionConflict("no longer open (or its timeline changed meanwhile)", "close");
  const detail = await sessionDetail(db, updated[0]!);
  await eventPublisher(env).publish(channelsFor({ userId: s.userId, teamId: s.teamId }), "session.closed", detail);
  return detail;
}

/**
 * A task may join a session (attached, or as a switch's from/to) when the caller can see it and it is in
 * the session's scope: a task of the session's team, or one of the caller's personal tasks.
 */
export async function taskInScope(db: Db, actor: Actor, session: SessionRow, taskId: number, field: string) {
  const task = await getVisibleTask(db, actor, taskId);
  const personalOfCaller = task.teamId === null && task.createdBy === actor.id;
  if (!personalOfCaller && task.teamId !== session.teamId) {
    throw invalid(field, "The task is not in this session's scope (the session's team, or your personal tasks).");
  }
  return task;
}

export async function attachTask({ db, actor }: Ctx, { id, ...input }: { id: number } & { task_id: number; role: "MAIN" | "SIDE" }) {
  const s = await getOwnSession(db, actor, id);
  await taskInScope(db, actor, s, input.task_id, "task_id");
  const inserted = await db
    .insert(sessionTasks)
    .values({ sessionId: id, taskId: input.task_id, role: input.role })
    .onConflictDoNothing()
    .returning();
  if (!inserted.length) throw conflict("This task is already attached to the session.");
  return sessionDetail(db, s);
}

function rethrowAsConflict(action: string) {
  return (err: unknown): never => {
    if (/NOT NULL constraint failed/.test(String((err as Error)?.message) + String((err as Error)?.cause ?? ""))) {
      throw transitionConflict("no longer in the right state", action);
    }
    throw err;
  };
}
