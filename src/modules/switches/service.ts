import type { z } from "@hono/zod-openapi";
import { and, count, eq, gte, inArray, lt, max, sql, type SQL } from "drizzle-orm";
import { contextSwitches, devSessions } from "../../db/schema";
import type { Actor, Ctx, Db } from "../../env";
import { conflict, notFound } from "../../platform/errors";
import { keyset, parseOrdering, toPage } from "../../platform/pagination";
import { dayBounds } from "../../platform/time";
import { eventTime, taskInScope } from "../sessions/service";
import { getOwnSession, readableSessions } from "../sessions/visibility";
import { serializeSwitch, SWITCH_ORDERING, type CreateSwitchBody, type SwitchListQuery } from "./schemas";

/**
 * The session's counters recomputed from its switch rows, in the same batch as the write that changed them:
 * switch_count can never drift from the rows, whatever runs concurrently.
 */
export function recountSwitches(db: Db, sessionId: number) {
  const rows = db.select({ n: count() }).from(contextSwitches).where(eq(contextSwitches.sessionId, sessionId));
  const last = db.select({ at: max(contextSwitches.happenedAt) }).from(contextSwitches).where(eq(contextSwitches.sessionId, sessionId));
  return db
    .update(devSessions)
    .set({ switchCount: sql`(${rows})`, lastSwitchAt: sql`(${last})`, updatedAt: new Date().toISOString() })
    .where(eq(devSessions.id, sessionId));
}

export async function createSwitch({ db, actor }: Ctx, input: z.infer<typeof CreateSwitchBody>) {
  const session = await getOwnSession(db, actor, input.dev_session);
  if (session.status === "DONE") throw conflict("This session is closed; it takes no new switches.");
  // Inside the session: not before its start (it has no end yet: a DONE session takes no switch).
  const happenedAt = eventTime(input.happened_at, { at: session.startedAt, what: "the session's started_at" }, "happened_at");
  await Promise.all([
    input.from_task != null ? taskInScope(db, actor, session, input.from_task, "from_task") : undefined,
    input.to_task != null ? taskInScope(db, actor, session, input.to_task, "to_task") : undefined,
  ]);
  const [[row]] = await db
    .batch([
      db
        .insert(contextSwitches)
        .values({
          // NULL (and so a failed batch) if the session was closed since it was read.
          sessionId: sql`(SELECT ${devSessions.id} FROM ${devSessions} WHERE ${devSessions.id} = ${session.id} AND ${devSessions.status} != 'DONE')`,
          userId: actor.id,
          fromTaskId: input.from_task ?? null,
          toTaskId: input.to_task ?? null,
          reason: input.reason,
          source: input.source,
          happenedAt,
          note: input.note,
        })
        .returning(),
      recountSwitches(db, session.id),
    ])
    .catch((err: unknown) => {
      if (/NOT NULL constraint failed/.test(String((err as Error)?.message) + String((err as Error)?.cause ?? ""))) {
        throw conflict("This session is closed; it takes no new switches.");
      }
      throw err;
    });
  return serializeSwitch(row!);
}

/**
 * Switches of one session, if the caller may read it (their own; members' in teams they administer). The
 * session is named (an id, or a scalar subquery giving it), so the check is one primary-key lookup, evaluated
 * once — not a list of every session the caller may read.
 */
const inReadableSession = (db: Db, actor: Actor, sessionId: number | SQL) =>
  inArray(
    contextSwitches.sessionId,
    db.select({ id: devSessions.id }).from(devSessions).where(and(eq(devSessions.id, sessionId), readableSessions(db, actor))),
  );

/** One switch the caller may read, as a query: exported so a test can EXPLAIN it. */
export function switchQuery(db: Db, actor: Actor, id: number) {
  const itsSession = sql`(SELECT cs.session_id FROM context_switches cs WHERE cs.id = ${id})`;
  return db
    .select()
    .from(contextSwitches)
    .where(and(eq(contextSwitches.id, id), inReadableSession(db, actor, itsSession)))
    .limit(1);
}

export async function getSwitch({ db, actor }: Ctx, id: number) {
  const [row] = await switchQuery(db, actor, id);
  if (!row) throw notFound("Context switch");
  return serializeSwitch(row);
}

export async function listSwitches({ db, actor }: Ctx, q: SwitchListQuery & { url: string }) {
  const ordering = parseOrdering(SWITCH_ORDERING, q.ordering);
  const rows = await switchListQuery(db, actor, q);
  return toPage(rows, { pageSize: q.page_size, ordering, url: q.url, serialize: serializeSwitch });
}

/** One page of the list (page_size + 1 rows), as a query: exported so a test can EXPLAIN it. */
export function switchListQuery(db: Db, actor: Actor, q: SwitchListQuery) {
  const ordering = parseOrdering(SWITCH_ORDERING, q.ordering);
  const ks = keyset(ordering, contextSwitches.id, q.cursor);
  const scope = q.dev_session
    ? and(eq(contextSwitches.sessionId, q.dev_session), inReadableSession(db, actor, q.dev_session))
    : eq(contextSwitches.userId, actor.id);
  return db
    .select()
    .from(contextSwitches)
    .where(
      and(
        scope,
        q.reason ? eq(contextSwitches.reason, q.reason) : undefined,
        q.source ? eq(contextSwitches.source, q.source) : undefined,
        q.date_from ? gte(contextSwitches.happenedAt, new Date(dayBounds(q.date_from, actor).start).toISOString()) : undefined,
        q.date_to ? lt(contextSwitches.happenedAt, new Date(dayBounds(q.date_to, actor).end).toISOString()) : undefined,
        ks.where,
      ),
    )
    .orderBy(...ks.orderBy)
    .limit(q.page_size + 1);
}

export async function deleteSwitch({ db, actor }: Ctx, id: number) {
  const [row] = await db
    .select()
    .from(contextSwitches)
    .where(and(eq(contextSwitches.id, id), eq(contextSwitches.userId, actor.id)))
    .limit(1);
  if (!row) throw notFound("Context switch");
  await db.batch([db.delete(contextSwitches).where(eq(contextSwitches.id, id)), recountSwitches(db, row.sessionId)]);
}
