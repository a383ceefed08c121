import type { z } from "@hono/zod-openapi";
import { and, eq, getTableColumns, isNull, or, sql, type SQL } from "drizzle-orm";
import { unionAll } from "drizzle-orm/sqlite-core";
import { contains } from "../../platform/sql";
import { tasks } from "../../db/schema";
import type { Actor, Ctx, Db } from "../../env";
import { forbidden, notFound } from "../../platform/errors";
import { exportFile, keysetPages } from "../../platform/export";
import { keyset, mergeOrdered, parseOrdering, toPage, type Ordering } from "../../platform/pagination";
import { atLeast, requireRole, TEAM_ACTIONS } from "../teams/access";
import {
  serializeTask,
  TASK_CSV_COLUMNS,
  TASK_ORDERING,
  type CreateTaskBody,
  type TaskFilters,
  type TaskListQuery,
  type UpdateTaskBody,
} from "./schemas";
import { ftsPhrase, isIndexedSearch, rareSearch, tasksFts } from "./search";
import { getVisibleTask, readableScopes, visibleTasks, type Scope } from "./visibility";

export type TaskRow = typeof tasks.$inferSelect;

/**
 * D1 refuses a compound SELECT of more than 5 terms (seen: "too many terms in compound SELECT"). Five scopes'
 * queries with every filter and a search's LIMIT bind at most 50 parameters, under D1's 100 per statement.
 */
const D1_MAX_COMPOUND_TERMS = 5;

/*
 * Lists run one keyset query per readable scope, joined by UNION ALL under the ordering's ORDER BY and LIMIT,
 * instead of one query with `team_id IN (…) OR (personal)`: SQLite answers that OR with a multi-index union
 * and a sort of every visible row on every page, while it runs the compound as a merge of the scopes' index
 * walks (MERGE (UNION ALL)), each read only as far as the merge takes rows from it: a page reads its rows
 * plus about one per scope. (Separate statements merged in memory read up to a page from every scope.)
 */
const scopeCondition = (actor: Actor, scope: Scope): SQL =>
  scope === null ? and(isNull(tasks.teamId), eq(tasks.createdBy, actor.id))! : eq(tasks.teamId, scope);

function filterConditions(f: TaskFilters): (SQL | undefined)[] {
  return [
    f.type ? eq(tasks.type, f.type) : undefined,
    f.priority ? eq(tasks.priority, f.priority) : undefined,
    f.status ? eq(tasks.status, f.status) : undefined,
    f.external_source ? eq(tasks.externalSource, f.external_source) : undefined,
    f.external_key ? eq(tasks.externalKey, f.external_key) : undefined,
    f.search ? or(contains(tasks.title, f.search), contains(tasks.description, f.search)) : undefined,
  ];
}

/**
 * The list's statements (exported so a test can EXPLAIN each of them), run in one D1 batch and merged:
 * - the scopes' keyset queries merged by UNION ALL (above), one statement per 5 scopes (D1's limit on a
 *   compound's terms), each in the ordering;
 * - with `external_key` (a unique key per team), one query per scope that reads the key's rows through its
 *   index and sorts them (`sortInMemory`) rather than walk the whole ordering index looking for them (a
 *   compound's ORDER BY can only name result columns, not the `+column` that keeps the index out);
 * - with a `search` of 3+ characters, one more statement reads the matches after the cursor from the trigram
 *   index (tasks_fts), each with its task by id, unsorted: the merge sorts them (sorting in SQL would read
 *   every match a third time). Each statement's LIMIT is guarded by the index's own estimate of the matches
 *   (a few vocabulary rows): when the term is rare (≤ SEARCH_INDEX_MAX_MATCHES) the index statement runs and
 *   the walks stop at once (LIMIT 0); when it is common the walks run (a page of matches comes soon) and the
 *   index statement does not. `instr` re-checks every candidate, so both give the same rows.
 */
export function taskListQueries(
  db: Db,
  actor: Actor,
  scopes: Scope[],
  filters: TaskFilters,
  ordering: Ordering,
  cursor: string | undefined,
  limit: number,
) {
  const inMemory = filters.external_key !== undefined;
  const ks = keyset(ordering, tasks.id, cursor, { sortInMemory: inMemory });
  const common = [...filterConditions(filters), ks.where];
  const scoped = (scope: Scope) => db.select().from(tasks).where(and(scopeCondition(actor, scope), ...common));
  // drizzle types LIMIT as a number; an SQL expression is rendered as-is (see viaIndex below).
  const merged = (group: Scope[], rows: number | SQL) => {
    const [first, second, ...rest] = group.map(scoped);
    return (second ? unionAll(first!, second, ...rest) : first!).orderBy(...ks.orderBy).limit(rows as number);
  };
  const groups = inMemory
    ? scopes.map((scope) => [scope])
    : Array.from({ length: Math.ceil(scopes.length / D1_MAX_COMPOUND_TERMS) }, (_, i) => scopes.slice(i * D1_MAX_COMPOUND_TERMS, (i + 1) * D1_MAX_COMPOUND_TERMS));
  const walks = (rows: number | SQL) => groups.map((group) => merged(group, rows));
  if (!isIndexedSearch(filters.search) || !scopes.length) return walks(limit);
  const rare = rareSearch(filters.search);
  const viaIndex = db
    .select(getTableColumns(tasks))
    .from(tasksFts)
    .crossJoin(tasks) // CROSS JOIN keeps this order: the matches first, then each one's task by id
    .where(
      and(
        sql`${tasks.id} = ${tasksFts.rowid}`,
        sql`${tasksFts} MATCH ${ftsPhrase(filters.search)}`,
        or(...scopes.map((scope) => scopeCondition(actor, scope))),
        ...common,
      ),
    )
    // An SQL expression as LIMIT: SQLite evaluates it once, before reading anything. LIMIT -1 is no limit: at
    // most SEARCH_INDEX_MAX_MATCHES rows can match.
    .limit(sql`CASE WHEN ${rare} THEN -1 ELSE 0 END` as unknown as number);
  return [viaIndex, ...walks(sql`CASE WHEN ${rare} THEN 0 ELSE ${limit} END`)];
}

/** Up to `limit` visible tasks after `cursor`, in `ordering`. */
async function fetchTasks(
  db: Db,
  actor: Actor,
  scopes: Scope[],
  filters: TaskFilters,
  ordering: Ordering,
  cursor: string | undefined,
  limit: number,
): Promise<TaskRow[]> {
  const [head, ...rest] = taskListQueries(db, actor, scopes, filters, ordering, cursor, limit);
  if (!head) return [];
  if (!rest.length) return await head;
  return mergeOrdered((await db.batch([head, ...rest])) as TaskRow[][], ordering, limit);
}

export async function listTasks({ db, actor }: Ctx, q: TaskListQuery & { url: string }) {
  const ordering = parseOrdering(TASK_ORDERING, q.ordering);
  const scopes = await readableScopes(db, actor, q.team);
  const rows = await fetchTasks(db, actor, scopes, q, ordering, q.cursor, q.page_size + 1);
  return toPage(rows, { pageSize: q.page_size, ordering, url: q.url, serialize: serializeTask });
}

/** Every task the list would return for the same filters and ordering, streamed as CSV or JSON. */
export async function exportTasks({ db, actor }: Ctx, q: TaskFilters & { ordering: string; format: string }) {
  const ordering = parseOrdering(TASK_ORDERING, q.ordering);
  const scopes = await readableScopes(db, actor, q.team);
  return exportFile({
    filename: "tasks",
    format: q.format,
    columns: TASK_CSV_COLUMNS,
    serialize: serializeTask,
    fetchPage: keysetPages(ordering, (cursor, limit) => fetchTasks(db, actor, scopes, q, ordering, cursor, limit)),
  });
}

export async function createTask({ db, actor }: Ctx, input: z.infer<typeof CreateTaskBody>) {
  const teamId = input.team ?? null;
  if (teamId !== null) await requireRole(db, actor, teamId, "write");
  const [row] = await db
    .insert(tasks)
    .values({
      teamId,
      title: input.title,
      description: input.description,
      type: input.type,
      priority: input.priority,
      status: input.status,
      externalSource: input.external_source,
      externalId: input.external_id ?? null,
      externalKey: input.external_key ?? null,
      externalUrl: input.external_url ?? null,
      createdBy: actor.id,
    })
    .returning();
  return serializeTask(row!);
}

export async function getTask({ db, actor }: Ctx, id: number) {
  return serializeTask(await getVisibleTask(db, actor, id));
}

const UPDATABLE = {
  title: "title",
  description: "description",
  type: "type",
  priority: "priority",
  status: "status",
  external_source: "externalSource",
  external_id: "externalId",
  external_key: "externalKey",
  external_url: "externalUrl",
} as const satisfies Record<keyof z.infer<typeof UpdateTaskBody>, keyof TaskRow>;

/** Team tasks: MEMBER and above. Personal tasks: their creator (the only one who can see them). */
export async function updateTask({ db, actor }: Ctx, { id, ...input }: { id: number } & z.infer<typeof UpdateTaskBody>) {
  const task = await getVisibleTask(db, actor, id);
  if (task.teamId !== null) await requireRole(db, actor, task.teamId, "write");
  const set: Partial<typeof tasks.$inferInsert> = {};
  for (const [field, prop] of Object.entries(UPDATABLE)) {
    const value = input[field as keyof typeof UPDATABLE];
    if (value !== undefined) (set as Record<string, unknown>)[prop] = value;
  }
  if (!Object.keys(set).length) return serializeTask(task);
  const [row] = await db
    .update(tasks)
    .set({ ...set, updatedAt: new Date().toISOString() })
    .where(and(eq(tasks.id, id), visibleTasks(db, actor)))
    .returning();
  if (!row) throw notFound("Task");
  return serializeTask(row);
}

/**
 * Team tasks: ADMIN and above delete any; a MEMBER deletes the tasks they created (VIEWER none).
 * Personal tasks: their creator. Resource links on the task go with it (ON DELETE CASCADE).
 */
export async function deleteTask({ db, actor }: Ctx, id: number) {
  const task = await getVisibleTask(db, actor, id);
  if (task.teamId !== null) {
    const m = await requireRole(db, actor, task.teamId, "write");
    if (task.createdBy !== actor.id && !atLeast(m.role, TEAM_ACTIONS.administer)) {
      throw forbidden("Only an ADMIN or OWNER may delete a task another member created.");
    }
  }
  await db.delete(tasks).where(eq(tasks.id, id));
  return task;
}
