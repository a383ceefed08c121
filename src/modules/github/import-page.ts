import { and, eq, getTableColumns, inArray, SQL, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { SQLiteAsyncDialect, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import { importJobPages, importJobs, tasks } from "../../db/schema";
import type { Bindings, Db } from "../../env";
import type { ImportPageMessage } from "../../platform/queue-messages";
import { channelsFor, eventPublisher } from "../events/publisher";
import { fetchIssuesPage } from "./github-api";
import { isPullRequest, issueToTask, type ImportedTask } from "./mapping";
import { serializeImportJob } from "./schemas";

/** One page of one import: the issues upserted as tasks, the job's counters and events, idempotently. */

type ImportJobRow = typeof importJobs.$inferSelect;

/**
 * A JSON parameter of one upsert holds at most this many bytes of issues: D1 caps a value at 2 MB,
 * and a page of 100 issues whose bodies are near GitHub's 65,536-character limit would exceed it.
 */
export const UPSERT_CHUNK_BYTES = 512 * 1024;

const nowSql = sql`strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;

export interface PageReport {
  /** False when the message was a duplicate of a page already recorded, or its job is gone or failed. */
  imported: boolean;
  issues: number;
  pullRequests: number;
  /** D1 statements this page ran, and milliseconds spent on GitHub and on D1. */
  statements: number;
  rowsWritten: number;
  githubMs: number;
  d1Ms: number;
}

const col = (c: SQLiteColumn) => sql.identifier(c.name);
const dialect = new SQLiteAsyncDialect();

/**
 * A D1 statement from a drizzle query. The page's batch goes to D1 directly because drizzle's D1 batch
 * cannot run raw SQL that has parameters (it looks for a prepared statement that raw queries lack).
 */
function prepare(d1: D1Database, query: SQL | { toSQL(): { sql: string; params: unknown[] } }) {
  const q = query instanceof SQL ? dialect.sqlToQuery(query) : query.toSQL();
  return d1.prepare(q.sql).bind(...q.params);
}

/** A raw D1 row (column names) as drizzle would return it (property names). */
function fromRow<T>(table: typeof importJobs, raw: Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(getTableColumns(table)).map(([prop, c]) => [prop, raw[c.name]])) as T;
}
const cols = (cs: SQLiteColumn[]) => sql.join(cs.map(col), sql`, `);

/** Imported tasks of one team whose external id is in the JSON array `idsJson`. */
const existingTasks = (teamId: number, idsJson: string) => sql`
  SELECT count(*) AS n FROM ${tasks}
  WHERE ${col(tasks.teamId)} = ${teamId} AND ${col(tasks.externalSource)} = 'GITHUB'
    AND ${col(tasks.externalId)} IN (SELECT value FROM json_each(${idsJson}))`;

/**
 * The page's row, with created = issues that had no task yet. It runs first in the page's batch (one
 * transaction), so the count is exact; OR IGNORE keeps the first delivery's numbers if a copy raced it.
 */
function recordPage(job: ImportJobRow, page: number, rows: ImportedTask[], skipped: number): SQL {
  const ids = JSON.stringify(rows.map((r) => r.externalId));
  return sql`
    INSERT OR IGNORE INTO ${importJobPages}
      (${cols([importJobPages.jobId, importJobPages.page, importJobPages.createdCount, importJobPages.updatedCount, importJobPages.skippedPullRequests])})
    SELECT ${job.id}, ${page}, ${rows.length} - existing.n, existing.n, ${skipped}
    FROM (${existingTasks(job.teamId, ids)}) AS existing`;
}

const UPSERT_FIELDS = [
  [tasks.title, "title"],
  [tasks.description, "description"],
  [tasks.type, "type"],
  [tasks.priority, "priority"],
  [tasks.status, "status"],
  [tasks.externalId, "externalId"],
  [tasks.externalKey, "externalKey"],
  [tasks.externalUrl, "externalUrl"],
] as const satisfies readonly (readonly [SQLiteColumn, keyof ImportedTask])[];
/** What a re-import refreshes; the identity (team, source, external id) and created_by stay. */
const REFRESHED = UPSERT_FIELDS.map(([c]) => c).filter((c) => c !== tasks.externalId);

/**
 * Inserts or refreshes a chunk of tasks in one statement with 3 bound parameters: the rows travel as one
 * JSON array and are unpacked by json_each, so the 100-parameter limit never splits a page. Rows whose
 * fields did not change are left alone, so their updated_at keeps meaning "last changed".
 */
function upsertTasks(job: ImportJobRow, rows: ImportedTask[]): SQL {
  // The JSON paths are constants of this module, inlined so that they take no bound parameter.
  const values = UPSERT_FIELDS.map(([, key]) => sql`json_extract(r.value, ${sql.raw(`'$.${key}'`)})`);
  const changed = sql.join(
    REFRESHED.map((c) => sql`${tasks}.${col(c)} IS NOT excluded.${col(c)}`),
    sql` OR `,
  );
  return sql`
    INSERT INTO ${tasks} (${cols([tasks.teamId, tasks.externalSource, tasks.createdBy, ...UPSERT_FIELDS.map(([c]) => c)])})
    SELECT ${job.teamId}, 'GITHUB', ${job.createdBy}, ${sql.join(values, sql`, `)}
    FROM json_each(${JSON.stringify(rows)}) AS r WHERE true
    ON CONFLICT (${cols([tasks.teamId, tasks.externalSource, tasks.externalId])}) DO UPDATE SET
      ${sql.join(REFRESHED.map((c) => sql`${col(c)} = excluded.${col(c)}`), sql`, `)},
      ${col(tasks.updatedAt)} = ${nowSql}
    WHERE ${changed}`;
}

/** Splits rows so that each chunk's JSON stays under UPSERT_CHUNK_BYTES (one row per chunk at worst). */
export function chunkByBytes<T>(rows: T[], maxBytes: number): T[][] {
  const enc = new TextEncoder();
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = 2;
  for (const row of rows) {
    const bytes = enc.encode(JSON.stringify(row)).length + 1;
    if (current.length && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 2;
    }
    current.push(row);
    size += bytes;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

const pageSum = (c: SQLiteColumn): SQL =>
  sql`(SELECT coalesce(sum(${col(c)}), 0) FROM ${importJobPages} WHERE ${col(importJobPages.jobId)} = ${importJobs.id})`;

/** The job's counters, recomputed from its page rows (never incremented), so a page counts once however often it runs. */
function refreshCounters(db: Db, jobId: number, last: boolean) {
  return db
    .update(importJobs)
    .set({
      pagesDone: sql`(SELECT count(*) FROM ${importJobPages} WHERE ${col(importJobPages.jobId)} = ${importJobs.id})`,
      createdCount: pageSum(importJobPages.createdCount),
      updatedCount: pageSum(importJobPages.updatedCount),
      skippedPullRequests: pageSum(importJobPages.skippedPullRequests),
      status: last ? sql`CASE WHEN ${importJobs.status} = 'FAILED' THEN 'FAILED' ELSE 'DONE' END` : undefined,
      finishedAt: last ? sql`coalesce(${importJobs.finishedAt}, ${nowSql})` : undefined,
      errorMessage: sql`CASE WHEN ${importJobs.status} = 'FAILED' THEN ${importJobs.errorMessage} ELSE NULL END`,
      updatedAt: sql`${nowSql}`,
    })
    .where(eq(importJobs.id, jobId))
    .returning();
}

export const publishJob = (env: Bindings, job: ImportJobRow) =>
  eventPublisher(env).publish(channelsFor({ teamId: job.teamId }), "import.updated", serializeImportJob(job));

/**
 * Imports one page: fetch it, queue the next one, then in one D1 batch record the page, upsert its
 * issues and recompute the job's counters. A redelivered page whose row exists is a no-op.
 *
 * The next page is queued before the batch commits: if the batch then fails, the retry queues it again
 * (a duplicate the next page's own check absorbs), whereas queueing after the commit could lose it for
 * good on a crash in between, leaving the job RUNNING forever.
 */
export async function importPage(env: Bindings, msg: ImportPageMessage): Promise<PageReport> {
  const db = drizzle(env.DB);
  const report: PageReport = { imported: false, issues: 0, pullRequests: 0, statements: 0, rowsWritten: 0, githubMs: 0, d1Ms: 0 };
  const timed = async <T>(what: "githubMs" | "d1Ms", statements: number, run: () => Promise<T>) => {
    const started = performance.now();
    try {
      return await run();
    } finally {
      report[what] += performance.now() - started;
      report.statements += statements;
    }
  };

  const [found] = await timed("d1Ms", 1, () =>
    db
      .select({
        job: importJobs,
        pageDone: sql<number>`EXISTS (SELECT 1 FROM ${importJobPages} WHERE ${col(importJobPages.jobId)} = ${importJobs.id} AND ${col(importJobPages.page)} = ${msg.page})`,
      })
      .from(importJobs)
      .where(eq(importJobs.id, msg.jobId))
      .limit(1),
  );
  if (!found || found.job.status === "FAILED" || found.pageDone) return report;
  let job = found.job;

  if (job.status === "PENDING") {
    const [running] = await timed("d1Ms", 1, () =>
      db
        .update(importJobs)
        .set({ status: "RUNNING", updatedAt: sql`${nowSql}` })
        .where(and(eq(importJobs.id, job.id), eq(importJobs.status, "PENDING")))
        .returning(),
    );
    if (running) {
      job = running;
      await publishJob(env, job);
    }
  }

  const page = await timed("githubMs", 0, () => fetchIssuesPage(env, job, msg.page, msg.token ?? env.GITHUB_TOKEN));
  const issues = page.items.filter((item) => !isPullRequest(item));
  const rows = [...new Map(issues.map((i) => [String(i.id), issueToTask(i, job)])).values()];
  report.issues = rows.length;
  report.pullRequests = page.items.length - issues.length;

  if (page.hasNext) {
    const next: ImportPageMessage = { kind: "import_page", jobId: job.id, page: msg.page + 1 };
    if (msg.token) next.token = msg.token;
    // The last request of the hour was just spent: wait for the reset instead of failing into a retry.
    await env.GITHUB_IMPORT_QUEUE.send(next, page.exhaustedForSeconds ? { delaySeconds: page.exhaustedForSeconds } : undefined);
  }

  const statements = [
    recordPage(job, msg.page, rows, report.pullRequests),
    ...chunkByBytes(rows, UPSERT_CHUNK_BYTES).map((chunk) => upsertTasks(job, chunk)),
    refreshCounters(db, job.id, !page.hasNext),
  ].map((q) => prepare(env.DB, q));
  const results = await timed("d1Ms", statements.length, () => env.DB.batch<Record<string, unknown>>(statements));
  const raw = results[results.length - 1]!.results[0];
  const updated = raw ? fromRow<ImportJobRow>(importJobs, raw) : undefined;
  report.rowsWritten = results.reduce((n, r) => n + (r.meta.rows_written ?? 0), 0);
  report.imported = true;
  if (updated) await publishJob(env, updated);
  return report;
}

/** Ends a job as FAILED (unless it already finished) and tells the team. */
export async function failJob(env: Bindings, jobId: number, message: string) {
  const db = drizzle(env.DB);
  const [job] = await db
    .update(importJobs)
    .set({ status: "FAILED", errorMessage: message, finishedAt: sql`${nowSql}`, updatedAt: sql`${nowSql}` })
    .where(and(eq(importJobs.id, jobId), inArray(importJobs.status, ["PENDING", "RUNNING"])))
    .returning();
  if (job) await publishJob(env, job);
  return job;
}

/** While a page waits for a retry, its job says why (cleared by the next page that succeeds). */
export async function noteRetry(env: Bindings, jobId: number, message: string) {
  const db = drizzle(env.DB);
  const [job] = await db
    .update(importJobs)
    .set({ errorMessage: message, updatedAt: sql`${nowSql}` })
    .where(and(eq(importJobs.id, jobId), inArray(importJobs.status, ["PENDING", "RUNNING"])))
    .returning();
  if (job) await publishJob(env, job);
  return job;
}

export async function getJobRow(env: Bindings, jobId: number) {
  const db = drizzle(env.DB);
  const [job] = await db.select().from(importJobs).where(eq(importJobs.id, jobId)).limit(1);
  return job;
}
