import type { z } from "@hono/zod-openapi";
import { and, eq, inArray, isNull, or, type SQL } from "drizzle-orm";
import { resourceLinks } from "../../db/schema";
import type { Actor, Ctx, Db } from "../../env";
import { ApiError, forbidden, notFound } from "../../platform/errors";
import { keyset, mergeOrdered, parseOrdering, toPage } from "../../platform/pagination";
import { getOwnSession } from "../sessions/visibility";
import { contains } from "../../platform/sql";
import { getVisibleTask, readableScopes, type Scope } from "../tasks/visibility";
import { atLeast, requireRole, TEAM_ACTIONS, teamIdsOf } from "../teams/access";
import {
  RESOURCE_ORDERING,
  serializeResource,
  type CreateResourceBody,
  type ResourceFilters,
  type ResourceListQuery,
  type UpdateResourceBody,
} from "./schemas";

/**
 * A resource link lives in one scope (`team_id`): its task's or its session's team, or null = personal.
 * Personal links are visible to their user only; team links to every member of the team.
 */
export function visibleResources(db: Db, actor: Actor): SQL {
  return or(
    and(isNull(resourceLinks.teamId), eq(resourceLinks.userId, actor.id)),
    inArray(resourceLinks.teamId, teamIdsOf(db, actor.id)),
  )!;
}

async function getVisibleResource(db: Db, actor: Actor, id: number) {
  const [row] = await db
    .select()
    .from(resourceLinks)
    .where(and(eq(resourceLinks.id, id), visibleResources(db, actor)))
    .limit(1);
  if (!row) throw notFound("Resource link");
  return row;
}

const scopeCondition = (actor: Actor, scope: Scope): SQL =>
  scope === null
    ? and(isNull(resourceLinks.teamId), eq(resourceLinks.userId, actor.id))!
    : eq(resourceLinks.teamId, scope);

export async function listResources({ db, actor }: Ctx, q: ResourceListQuery & { url: string }) {
  const ordering = parseOrdering(RESOURCE_ORDERING, q.ordering);
  const ks = keyset(ordering, resourceLinks.id, q.cursor);
  const f: ResourceFilters = q;
  const common = [
    f.type ? eq(resourceLinks.type, f.type) : undefined,
    f.task ? eq(resourceLinks.taskId, f.task) : undefined,
    f.dev_session ? eq(resourceLinks.sessionId, f.dev_session) : undefined,
    f.search ? or(contains(resourceLinks.title, f.search), contains(resourceLinks.url, f.search)) : undefined,
    ks.where,
  ];
  const limit = q.page_size + 1;
  // One keyset query per scope, merged: see tasks/service.ts for why not one OR query.
  const [head, ...rest] = (await readableScopes(db, actor)).map((scope) =>
    db
      .select()
      .from(resourceLinks)
      .where(and(scopeCondition(actor, scope), ...common))
      .orderBy(...ks.orderBy)
      .limit(limit),
  );
  const rows = rest.length ? mergeOrdered(await db.batch([head!, ...rest]), ordering, limit) : await head!;
  return toPage(rows, { pageSize: q.page_size, ordering, url: q.url, serialize: serializeResource });
}

const notVisible = (field: "task" | "dev_session", what: string) =>
  new ApiError("NOT_FOUND", `${what} not found.`, [{ path: field, message: `No ${what.toLowerCase()} with this id that you may use.` }]);

/** The scope of a task the caller may see, or 404 naming `task`. */
async function taskScope(db: Db, actor: Actor, taskId: number): Promise<Scope> {
  try {
    return (await getVisibleTask(db, actor, taskId)).teamId;
  } catch (err) {
    if (err instanceof ApiError && err.code === "NOT_FOUND") throw notVisible("task", "Task");
    throw err;
  }
}

/** The scope of one of the caller's own sessions (only its user links resources to it), or 404 naming `dev_session`. */
async function sessionScope(db: Db, actor: Actor, sessionId: number): Promise<Scope> {
  try {
    return (await getOwnSession(db, actor, sessionId)).teamId;
  } catch (err) {
    if (err instanceof ApiError && err.code === "NOT_FOUND") throw notVisible("dev_session", "Session");
    throw err;
  }
}

const needsALink = () =>
  new ApiError("VALIDATION_FAILED", "A resource link needs a task, a dev_session, or both.", [
    { path: "task", message: "Give a task, a dev_session, or both." },
    { path: "dev_session", message: "Give a task, a dev_session, or both." },
  ]);

const SCOPE_MISMATCH =
  "The task must be in the session's scope: a task of the session's team, or a personal task for a personal session.";

/** Links to objects the caller may use; with both, in the same scope (else 400 naming `task`). */
export async function createResource({ db, actor }: Ctx, input: z.infer<typeof CreateResourceBody>) {
  const taskId = input.task ?? null;
  const sessionId = input.dev_session ?? null;
  if (taskId === null && sessionId === null) throw needsALink();
  const fromTask = taskId === null ? undefined : await taskScope(db, actor, taskId);
  const fromSession = sessionId === null ? undefined : await sessionScope(db, actor, sessionId);
  if (fromTask !== undefined && fromSession !== undefined && fromTask !== fromSession) {
    throw new ApiError("VALIDATION_FAILED", SCOPE_MISMATCH, [{ path: "task", message: SCOPE_MISMATCH }]);
  }
  const teamId = (fromTask !== undefined ? fromTask : fromSession) ?? null;
  if (teamId !== null) await requireRole(db, actor, teamId, "write");
  const [row] = await db
    .insert(resourceLinks)
    .values({ userId: actor.id, teamId, taskId, sessionId, type: input.type, title: input.title, url: input.url })
    .returning();
  return serializeResource(row!);
}

export async function getResource({ db, actor }: Ctx, id: number) {
  return serializeResource(await getVisibleResource(db, actor, id));
}

/**
 * Team links: MEMBER and above; personal links: their user. A link may be re-pointed to another task or
 * session of the same scope; it never moves between scopes (400 naming the field): link anew instead.
 */
export async function updateResource({ db, actor }: Ctx, { id, ...input }: { id: number } & z.infer<typeof UpdateResourceBody>) {
  const current = await getVisibleResource(db, actor, id);
  if (current.teamId !== null) await requireRole(db, actor, current.teamId, "write");

  const taskId = input.task === undefined ? current.taskId : input.task;
  const sessionId = input.dev_session === undefined ? current.sessionId : input.dev_session;
  if (taskId === null && sessionId === null) throw needsALink();
  // Unchanged links are in the current scope already; only a new target is checked (it may be someone
  // else's session on a team link, which the editor could not "use" themselves).
  for (const [field, changed, scopeOf] of [
    ["task", taskId !== null && taskId !== current.taskId, () => taskScope(db, actor, taskId!)],
    ["dev_session", sessionId !== null && sessionId !== current.sessionId, () => sessionScope(db, actor, sessionId!)],
  ] as const) {
    if (changed && (await scopeOf()) !== current.teamId) {
      const message = "A resource link stays in its scope (its team, or personal); link the resource anew instead.";
      throw new ApiError("VALIDATION_FAILED", message, [{ path: field, message }]);
    }
  }

  const set = {
    ...(input.type !== undefined && { type: input.type }),
    ...(input.title !== undefined && { title: input.title }),
    ...(input.url !== undefined && { url: input.url }),
    ...(input.task !== undefined && { taskId: input.task }),
    ...(input.dev_session !== undefined && { sessionId: input.dev_session }),
  };
  if (!Object.keys(set).length) return serializeResource(current);
  const [row] = await db
    .update(resourceLinks)
    .set({ ...set, updatedAt: new Date().toISOString() })
    .where(and(eq(resourceLinks.id, id), visibleResources(db, actor)))
    .returning();
  if (!row) throw notFound("Resource link");
  return serializeResource(row);
}

/** As for tasks: ADMIN and above delete any team link, a MEMBER the links they made; personal: their user. */
export async function deleteResource({ db, actor }: Ctx, id: number) {
  const current = await getVisibleResource(db, actor, id);
  if (current.teamId !== null) {
    const m = await requireRole(db, actor, current.teamId, "write");
    if (current.userId !== actor.id && !atLeast(m.role, TEAM_ACTIONS.administer)) {
      throw forbidden("Only an ADMIN or OWNER may delete a link another member made.");
    }
  }
  await db.delete(resourceLinks).where(eq(resourceLinks.id, id));
  return current;
}
