import { eq, inArray, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Actor, Db } from "../../env";
import { actorTeamIds, requireRole } from "../teams/access";

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
  // Every report and insight is keyed by its owner ("user:<id>" or "team:<id>", the team's id being its
  // team_id): one IN list on owner_key reads the caller's rows through the owner index, where
  // `owner_key = ? OR team_id IN (…)` scanned the whole table (team_id has no index).
  const owners = [`user:${actor.id}`, ...(await actorTeamIds(db, actor)).map((t) => `team:${t}`)];
  return inArray(cols.ownerKey, owners);
}
