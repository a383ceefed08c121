import { and, eq, inArray, isNull, or, type SQL } from "drizzle-orm";
import { tasks } from "../../db/schema";
import type { Actor, Db } from "../../env";
import { notFound } from "../../platform/errors";
import { actorTeamIds, requireRole, teamIdsOf } from "../teams/access";

/** Tasks the caller may see: their personal tasks and every task of a team they belong to. */
export function visibleTasks(db: Db, actor: Actor): SQL {
  return or(and(isNull(tasks.teamId), eq(tasks.createdBy, actor.id)), inArray(tasks.teamId, teamIdsOf(db, actor.id)))!;
}

/** A task the caller may see, or 404 (never revealing that another user's task exists). */
export async function getVisibleTask(db: Db, actor: Actor, id: number) {
  const [task] = await db.select().from(tasks).where(and(eq(tasks.id, id), visibleTasks(db, actor))).limit(1);
  if (!task) throw notFound("Task");
  return task;
}

/**
 * A scope the caller reads team-shared objects (tasks, resource links) in: null for their personal
 * objects, or a team id.
 */
export type Scope = number | null;

/** The scopes a list covers: one team (the caller must be a member, else 404), or personal + every team. */
export async function readableScopes(db: Db, actor: Actor, team?: number): Promise<Scope[]> {
  if (team !== undefined) {
    await requireRole(db, actor, team, "read");
    return [team];
  }
  return [null, ...(await actorTeamIds(db, actor))];
}
