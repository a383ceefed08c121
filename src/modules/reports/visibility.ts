import { eq, inArray, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Actor, Db } from "../../env";
import { requireRole, teamIdsOf } from "../teams/access";

/**
 * Reports and insights the caller may read: their own (owner user:<id>; team_id null) and those of the
 * teams they belong to. With `team`, only that team's, after checking membership (404 for an outsider).
 */
export async function ownedScope(
  db: Db,
  actor: Actor,
  cols: { ownerKey: SQLiteColumn; teamId: SQLiteColumn },
  team: number | undefined,
): Promise<SQL> {
  if (team !== undefined) {
    await requireRole(db, actor, team, "read");
    return eq(cols.ownerKey, `team:${team}`);
  }
  return or(eq(cols.ownerKey, `user:${actor.id}`), inArray(cols.teamId, teamIdsOf(db, actor.id)))!;
}
