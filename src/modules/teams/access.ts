import { and, eq, sql } from "drizzle-orm";
import { memberships, ROLES, type Role } from "../../db/schema";
import { atLeast, TEAM_ACTIONS, type TeamAction } from "./roles";
import type { Actor, Db } from "../../env";
import { forbidden, notFound } from "../../platform/errors";

export { atLeast, roleRank, TEAM_ACTIONS, type TeamAction } from "./roles";

export interface Membership {
  teamId: number;
  userId: number;
  role: Role;
}

/** The caller's membership of a team: from the memberships read with their token, else from D1. */
export async function actorMembership(db: Db, actor: Actor, teamId: number): Promise<Membership | undefined> {
  if (actor.teams) {
    const role = actor.teams.get(teamId);
    return role ? { teamId, userId: actor.id, role } : undefined;
  }
  return findMembership(db, actor.id, teamId);
}

export async function findMembership(db: Db, userId: number, teamId: number): Promise<Membership | undefined> {
  const [m] = await db
    .select({ teamId: memberships.teamId, userId: memberships.userId, role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.teamId, teamId), eq(memberships.userId, userId)))
    .limit(1);
  return m;
}

/**
 * The caller's membership if their role allows `action` in the team.
 * A non-member gets 404, as if the team did not exist; a member whose role is too low gets 403.
 */
export async function requireRole(db: Db, actor: Actor, teamId: number, action: TeamAction): Promise<Membership> {
  const m = await actorMembership(db, actor, teamId);
  if (!m) throw notFound("Team");
  if (!atLeast(m.role, TEAM_ACTIONS[action])) throw forbidden();
  return m;
}

/** Ids of the caller's teams (with at least `min` role): from the memberships read with their token, else from D1. */
export async function actorTeamIds(db: Db, actor: Actor, min: Role = "VIEWER"): Promise<number[]> {
  if (actor.teams) return [...actor.teams].filter(([, role]) => atLeast(role, min)).map(([id]) => id);
  return (await teamIdsOf(db, actor.id, min)).map((t) => t.id);
}

/** SQL subquery: ids of the teams the user belongs to (with at least `min` role). */
export function teamIdsOf(db: Db, userId: number, min: Role = "VIEWER") {
  const roles = ROLES.filter((r) => atLeast(r, min));
  return db
    .select({ id: memberships.teamId })
    .from(memberships)
    .where(and(eq(memberships.userId, userId), sql`${memberships.role} IN ${roles}`));
}
