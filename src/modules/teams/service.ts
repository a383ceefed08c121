import { and, eq, gt, sql } from "drizzle-orm";
import { memberships, teams, users, type Role } from "../../db/schema";
import type { Actor, Ctx, Db } from "../../env";
import { ApiError, conflict, forbidden, notFound } from "../../platform/errors";
import { keyset, parseOrdering, toPage } from "../../platform/pagination";
import { closeStreams } from "../events/publisher";
import { requireRole } from "./access";
import { manageAction, may } from "./roles";
import { serializeTeam, slugify, TEAM_ORDERING, type MemberListQuery, type TeamListQuery } from "./schemas";

export async function listTeams({ db, actor }: Ctx, q: TeamListQuery & { url: string }) {
  const ordering = parseOrdering(TEAM_ORDERING, q.ordering);
  const ks = keyset(ordering, teams.id, q.cursor);
  const rows = await db
    .select({ team: teams, role: memberships.role })
    .from(memberships)
    .innerJoin(teams, eq(teams.id, memberships.teamId))
    .where(and(eq(memberships.userId, actor.id), ks.where))
    .orderBy(...ks.orderBy)
    .limit(q.page_size + 1);
  const flat = rows.map((r) => ({ ...r.team, role: r.role }));
  return toPage(flat, { pageSize: q.page_size, ordering, url: q.url, serialize: (r) => serializeTeam(r, r.role) });
}

async function slugTaken(db: Db, slug: string, exceptTeam?: number) {
  const [row] = await db.select({ id: teams.id }).from(teams).where(eq(teams.slug, slug)).limit(1);
  return !!row && row.id !== exceptTeam;
}

export async function createTeam({ db, actor }: Ctx, input: { name: string; slug?: string }) {
  let slug = input.slug;
  if (slug) {
    if (await slugTaken(db, slug)) throw conflict(`The slug "${slug}" is taken.`);
  } else {
    slug = slugify(input.name);
    // A derived slug that is taken gets a short random suffix instead of failing.
    if (await slugTaken(db, slug)) slug = `${slug}-${crypto.randomUUID().slice(0, 6)}`;
  }
  // Team and its first OWNER in one batch: a team never exists without an owner.
  const insert = (slug: string) =>
    db.batch([
      db.insert(teams).values({ name: input.name, slug, createdBy: actor.id }).returning(),
      db.insert(memberships).values({
        teamId: sql`(SELECT ${teams.id} FROM ${teams} WHERE ${teams.slug} = ${slug})`,
        userId: actor.id,
        role: "OWNER",
      }),
    ]);
  let created;
  try {
    created = await insert(slug);
  } catch (err) {
    // A concurrent request took the derived slug after the check above: suffix it, as if it had been taken.
    const unique = /UNIQUE constraint failed/.test(String((err as Error)?.message) + String((err as Error)?.cause ?? ""));
    if (input.slug || !unique) throw err;
    created = await insert(`${slug}-${crypto.randomUUID().slice(0, 6)}`);
  }
  const [[team]] = created;
  return serializeTeam(team!, "OWNER");
}

export async function getTeam({ db, actor }: Ctx, teamId: number) {
  const m = await requireRole(db, actor, teamId, "read");
  const [team] = await db.select().from(teams).where(eq(teams.id, teamId)).limit(1);
  if (!team) throw notFound("Team");
  return serializeTeam(team, m.role);
}

export async function updateTeam({ db, actor }: Ctx, { id: teamId, ...input }: { id: number; name?: string; slug?: string }) {
  const m = await requireRole(db, actor, teamId, "own");
  if (input.slug && (await slugTaken(db, input.slug, teamId))) throw conflict(`The slug "${input.slug}" is taken.`);
  const [team] = await db
    .update(teams)
    .set({ name: input.name, slug: input.slug, updatedAt: new Date().toISOString() })
    .where(eq(teams.id, teamId))
    .returning();
  return serializeTeam(team!, m.role);
}

/** Deleting a team removes its memberships and all its team-scoped data (ON DELETE CASCADE, one statement). */
export async function deleteTeam({ db, env, actor }: Ctx, teamId: number) {
  await requireRole(db, actor, teamId, "own");
  await db.delete(teams).where(eq(teams.id, teamId));
  await closeStreams(env, [`team:${teamId}`], {});
}

export async function listMembers({ db, actor }: Ctx, { team: teamId, url, ...q }: MemberListQuery & { team: number; url: string }) {
  await requireRole(db, actor, teamId, "read");
  const ordering = parseOrdering({ created_at: memberships.createdAt }, "created_at");
  const ks = keyset(ordering, memberships.id, q.cursor);
  const rows = await db
    .select({
      id: memberships.id,
      createdAt: memberships.createdAt,
      role: memberships.role,
      userId: users.id,
      email: users.email,
      name: users.name,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.teamId, teamId), ks.where))
    .orderBy(...ks.orderBy)
    .limit(q.page_size + 1);
  return toPage(rows, {
    pageSize: q.page_size,
    ordering,
    url,
    serialize: (r) => ({ user: { id: r.userId, email: r.email, name: r.name }, role: r.role, created_at: r.createdAt }),
  });
}

/** ADMIN manages MEMBER and VIEWER; only OWNER grants, changes or revokes ADMIN and OWNER. */
function assertMayManage(actorRole: Role, targetRoles: Role[]) {
  const action = manageAction(targetRoles);
  if (!may(actorRole, action)) throw forbidden(action === "own" ? "Only an OWNER can grant or revoke ADMIN and OWNER." : undefined);
}

const serializeMember = (u: { id: number; email: string; name: string }, role: Role, createdAt: string) => ({
  user: { id: u.id, email: u.email, name: u.name },
  role,
  created_at: createdAt,
});

export async function addMember({ db, actor }: Ctx, { team: teamId, ...input }: { team: number; email: string; role: Role }) {
  const m = await requireRole(db, actor, teamId, "manageMembers");
  assertMayManage(m.role, [input.role]);
  const [user] = await db.select().from(users).where(eq(users.email, input.email)).limit(1);
  if (!user) throw new ApiError("NOT_FOUND", "No user with this email.", [{ path: "email", message: "No user with this email." }]);
  const [row] = await db
    .insert(memberships)
    .values({ teamId, userId: user.id, role: input.role })
    .onConflictDoNothing()
    .returning();
  if (!row) throw conflict("This user is already a member of the team.");
  return serializeMember(user, row.role, row.createdAt);
}

/** True when this statement would leave the team without an OWNER — checked inside the write itself, so races cannot. */
const otherOwnersExist = (teamId: number) =>
  gt(
    sql`(SELECT count(*) FROM ${memberships} WHERE ${memberships.teamId} = ${teamId} AND ${memberships.role} = 'OWNER')`,
    1,
  );

async function targetMembership(db: Db, teamId: number, userId: number) {
  const [row] = await db
    .select({ role: memberships.role, createdAt: memberships.createdAt, id: users.id, email: users.email, name: users.name })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.teamId, teamId), eq(memberships.userId, userId)))
    .limit(1);
  if (!row) throw notFound("Member");
  return row;
}

/**
 * The roles a membership change was decided on, re-checked inside its write (compare-and-set): a target
 * promoted to OWNER, or a caller demoted, between the read and the write makes the write match nothing.
 */
const rolesUnchanged = (teamId: number, target: { role: Role }, actor: Actor, actorRole: Role) =>
  and(
    eq(memberships.role, target.role),
    sql`EXISTS (SELECT 1 FROM ${memberships} WHERE ${memberships.teamId} = ${teamId} AND ${memberships.userId} = ${actor.id} AND ${memberships.role} = ${actorRole})`,
  );

export async function updateMember({ db, actor }: Ctx, { team: teamId, user: userId, role }: { team: number; user: number; role: Role }) {
  const m = await requireRole(db, actor, teamId, "manageMembers");
  const target = await targetMembership(db, teamId, userId);
  assertMayManage(m.role, [target.role, role]);
  const keepsOwner = target.role !== "OWNER" || role === "OWNER";
  const updated = await db
    .update(memberships)
    .set({ role, updatedAt: new Date().toISOString() })
    .where(
      and(
        eq(memberships.teamId, teamId),
        eq(memberships.userId, userId),
        rolesUnchanged(teamId, target, actor, m.role),
        keepsOwner ? undefined : otherOwnersExist(teamId),
      ),
    )
    .returning();
  if (!updated.length) throw conflict("A team must keep at least one OWNER (or a role changed meanwhile: try again).");
  return serializeMember(target, role, target.createdAt);
}

/** Removes a member (or the caller leaves); their open streams of the team's events end at once. */
export async function removeMember({ db, env, actor }: Ctx, { team: teamId, user: userId }: { team: number; user: number }) {
  // Anyone may leave; removing someone else needs the role that manages the target's role.
  const self = userId === actor.id;
  const m = await requireRole(db, actor, teamId, self ? "read" : "manageMembers");
  const target = self ? { role: m.role } : await targetMembership(db, teamId, userId);
  if (!self) assertMayManage(m.role, [target.role]);
  const deleted = await db
    .delete(memberships)
    .where(
      and(
        eq(memberships.teamId, teamId),
        eq(memberships.userId, userId),
        rolesUnchanged(teamId, target, actor, m.role),
        target.role === "OWNER" ? otherOwnersExist(teamId) : undefined,
      ),
    )
    .returning({ id: memberships.id });
  if (!deleted.length) throw conflict("A team must keep at least one OWNER; hand ownership over first (or a role changed meanwhile: try again).");
  await closeStreams(env, [`team:${teamId}`], { userId });
}
