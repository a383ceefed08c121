import { and, eq, inArray, or, type SQL } from "drizzle-orm";
import { devSessions } from "../../db/schema";
import type { Actor, Db } from "../../env";
import { notFound } from "../../platform/errors";
import { teamIdsOf } from "../teams/access";

/** Sessions the caller may read: their own, and members' sessions in teams where they are ADMIN or OWNER. */
export function readableSessions(db: Db, actor: Actor): SQL {
  return or(eq(devSessions.userId, actor.id), inArray(devSessions.teamId, teamIdsOf(db, actor.id, "ADMIN")))!;
}

/** The query for one session the caller may read (no row if it does not exist or is not readable). */
export const readableSessionQuery = (db: Db, actor: Actor, id: number) =>
  db.select().from(devSessions).where(and(eq(devSessions.id, id), readableSessions(db, actor))).limit(1);

/** A session the caller owns (only its user records switches, resources and state changes on it), or 404. */
export async function getOwnSession(db: Db, actor: Actor, id: number) {
  const [s] = await db
    .select()
    .from(devSessions)
    .where(and(eq(devSessions.id, id), eq(devSessions.userId, actor.id)))
    .limit(1);
  if (!s) throw notFound("Session");
  return s;
}
