import { Octokit } from "@octokit/core";
import { and, eq, getTableColumns, inArray, SQL, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { SQLiteAsyncDialect, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import * as schema from "../../db/schema";
import { importJobPages, importJobs, tasks, type GITHUB_STATES, type JOB_STATUSES } from "../../db/schema";
import type { Actor, Bindings, Db } from "../../env";
import { notFound } from "../../platform/errors";
import { keyset, parseOrdering, toPage, type OrderFields } from "../../platform/pagination";
import { channelsFor, eventPublisher } from "../events/publisher";
import { requireRole, teamIdsOf } from "../teams/access";
import type { ImportPageMessage } from "../../platform/queue-messages";
import { hasNextPage, isPullRequest, issueToTask, type GithubIssue, type ImportedTask } from "./mapping";
import { serializeImportJob } from "./schemas";

type GithubState = (typeof GITHUB_STATES)[number];
type JobStatus = (typeof JOB_STATUSES)[number];
type ImportJobRow = typeof importJobs.$inferSelect;

export const PER_PAGE = 100;
/** How long one GitHub request may take before the page is retried ("GitHub could not be reached"). */
export const GITHUB_TIMEOUT_MS = 30_000;
/** The longest a queue message may be delayed (Cloudflare Queues' limit). */
export const MAX_DELAY_SECONDS = 12 * 60 * 60;
/** What a user reads when GitHub will not show the repository: no distinction, as GitHub itself makes none. */
export const NOT_FOUND_MESSAGE = "repository not found or token lacks access";
/**
 * A JSON parameter of one upsert holds at most this many bytes of issues: D1 caps a value at 2 MB,
 * and a page of 100 issues whose bodies are near GitHub's 65,536-character limit would exceed it.
 */
export const UPSERT_CHUNK_BYTES = 512 * 1024;

const nowSql = sql`strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;

// ─── HTTP-facing service ────────────────────────────────────────────────────────────────────────

export const IMPORT_ORDERING: OrderFields = { created_at: importJobs.createdAt };

export interface StartImportInput {
  owner: string;
  repo: string;
  team_id: number;
  state: GithubState;
  token?: string;
}

/** Creates the job (PENDING) and queues its first page; the token goes into the message only. */
export async function startImport(db: Db, queue: Queue<ImportPageMessage>, actor: Actor, input: StartImportInput) {
  await requireRole(db, actor, input.team_id, "administer");
  const [job] = await db
    .insert(importJobs)
    .values({ teamId: input.team_id, createdBy: actor.id, owner: input.owner, repo: input.repo, state: input.state })
    .returning();
  const first: ImportPageMessage = { kind: "import_page", jobId: job!.id, page: 1 };
  if (input.token) first.token = input.token;
  try {
    await queue.send(first);
  } catch (err) {
    // A job nobody will ever run must not stay PENDING forever.
    await db
      .update(importJobs)
      .set({ status: "FAILED", errorMessage: "The import could not be queued; try again.", finishedAt: new Date().toISOString() })
      .where(eq(importJobs.id, job!.id));
    throw err;
  }
  return serializeImportJob(job!);
}

export interface ListImportsQuery {
  page_size: number;
  cursor?: string;
  ordering: string;
  team?: number;
  status?: JobStatus;
}

/** Jobs of the teams the caller belongs to; a team filter for a team they are not in matches nothing. */
export async function listImports(db: Db, actor: Actor, q: ListImportsQuery, url: string) {
  const ordering = parseOrdering(IMPORT_ORDERING, q.ordering);
  const ks = keyset(ordering, importJobs.id, q.cursor);
  const rows = await db
    .select()
    .from(importJobs)
    .where(
      and(
        inArray(importJobs.teamId, teamIdsOf(db, actor.id)),
        q.team === undefined ? undefined : eq(importJobs.teamId, q.team),
        q.status === undefined ? undefined : eq(importJobs.status, q.status),
        ks.where,
      ),
    )
    .orderBy(...ks.orderBy)
    .limit(q.page_size + 1);
  return toPage(rows, { pageSize: q.page_size, ordering, url, serialize: serializeImportJob });
}

export async function getImport(db: Db, actor: Actor, id: number) {
  const [job] = await db
    .select()
    .from(importJobs)
    .where(and(eq(importJobs.id, id), inArray(importJobs.teamId, teamIdsOf(db, actor.id))))
    .limit(1);
  if (!job) throw notFound("Import job");
  return serializeImportJob(job);
}

// ─── GitHub ─────────────────────────────────────────────────────────────────────────────────────

export interface IssuesPage {
  items: GithubIssue[];
  hasNext: boolean;
  /** Seconds until the rate limit resets when this response used up the last request, else 0. */
  exhaustedForSeconds: number;
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * One page of a repository's issues (pull requests included, as GitHub lists them), oldest first:
 * issues opened while an import runs land on later pages instead of shifting earlier ones.
 */
export async function fetchIssuesPage(
  env: Bindings,
  job: Pick<ImportJobRow, "owner" | "repo" | "state">,
  page: number,
  token: string | undefined,
): Promise<IssuesPage> {
  const octokit = new Octokit({
    baseUrl: String(env.GITHUB_API_URL).replace(/\/+$/, ""),
    auth: token,
    userAgent: "devfocus-github-import",
    log: quiet,
    // Looked up at call time, so the test suite's spy on globalThis.fetch sees every request. Bounded in
    // time: a GitHub that never answers would otherwise hold the consumer until the platform kills it.
    request: {
      fetch: (input: RequestInfo | URL, init?: RequestInit) =>
        globalThis.fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(GITHUB_TIMEOUT_MS) }),
    },
  });
  const res = await octokit.request("GET /repos/{owner}/{repo}/issues", {
    owner: job.owner,
    repo: job.repo,
    state: job.state,
    sort: "created",
    direction: "asc",
    per_page: PER_PAGE,
    page,
  });
  const headers = res.headers as Record<string, string | undefined>;
  return {
    items: res.data as unknown as GithubIssue[],
    hasNext: hasNextPage(headers.link),
    exhaustedForSeconds: headers["x-ratelimit-remaining"] === "0" ? (rateLimitDelay(headers, Date.now()) ?? 0) : 0,
  };
}

/** Seconds to wait before GitHub accepts requests again, from its headers; null when they say nothing. */
export function rateLimitDelay(headers: Record<string, string | undefined>, nowMs: number): number | null {
  const retryAfter = Number(headers["retry-after"]);
  if (headers["retry-after"] !== undefined && Number.isFinite(retryAfter)) {
    return Math.min(Math.max(Math.ceil(retryAfter), 1), MAX_DELAY_SECONDS);
  }
  const reset = Number(headers["x-ratelimit-reset"]);
  if (headers["x-ratelimit-remaining"] === "0" && Number.isFinite(reset)) {
    // +1: the reset is a whole epoch second, and arriving a moment early costs a whole retry.
    return Math.min(Math.max(Math.ceil(reset - nowMs / 1000) + 1, 1), MAX_DELAY_SECONDS);
  }
  return null;
}

/** The shape of @octokit/request's RequestError (not imported: it is a dependency of a dependency). */
interface GithubError extends Error {
  status: number;
  response?: { headers: Record<string, string | undefined> };
}
const isGithubError = (err: unknown): err is GithubError =>
  err instanceof Error && err.name === "HttpError" && typeof (err as Partial<GithubError>).status === "number";

export type PageFailure =
  | { action: "fail"; message: string }
  | { action: "retry"; message: string; delaySeconds?: number; rateLimited?: boolean };

/**
 * What to do about an error while importing a page. GitHub's answer decides: 401/404 (and a 403 that is
 * not a rate limit) will not change by retrying; rate limits wait for the reset; 5xx, network and
 * database errors retry with the queue's backoff (delaySeconds left to the caller).
 */
export function classifyPageError(err: unknown, nowMs: number): PageFailure {
  if (!isGithubError(err)) {
    return { action: "retry", message: "an internal error occurred while importing the page" };
  }
  const status = err.status;
  const headers = err.response?.headers ?? {};
  if (status === 401 || status === 404) return { action: "fail", message: `GitHub answered ${status}: ${NOT_FOUND_MESSAGE}.` };
  if (status === 403 || status === 429) {
    const delay = rateLimitDelay(headers, nowMs);
    if (delay !== null) return { action: "retry", rateLimited: true, delaySeconds: delay, message: "rate limited by GitHub" };
    // A secondary rate limit may come without headers: GitHub asks to wait at least a minute.
    if (status === 429 || /rate limit/i.test(err.message)) {
      return { action: "retry", rateLimited: true, delaySeconds: 60, message: "rate limited by GitHub" };
    }
    return { action: "fail", message: `GitHub answered 403: ${NOT_FOUND_MESSAGE}.` };
  }
  // @octokit/request reports a failed fetch (DNS, connection reset, timeout) as status 500 without a response.
  if (!err.response) return { action: "retry", message: "GitHub could not be reached" };
  if (status >= 500) return { action: "retry", message: `GitHub answered ${status}` };
  return { action: "fail", message: `GitHub refused the request (HTTP ${status}).` };
}

// ─── One page of one import ─────────────────────────────────────────────────────────────────────

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
  const db = drizzle(env.DB, { schema });
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
  const db = drizzle(env.DB, { schema });
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
  const db = drizzle(env.DB, { schema });
  const [job] = await db
    .update(importJobs)
    .set({ errorMessage: message, updatedAt: sql`${nowSql}` })
    .where(and(eq(importJobs.id, jobId), inArray(importJobs.status, ["PENDING", "RUNNING"])))
    .returning();
  if (job) await publishJob(env, job);
  return job;
}

export async function getJobRow(env: Bindings, jobId: number) {
  const db = drizzle(env.DB, { schema });
  const [job] = await db.select().from(importJobs).where(eq(importJobs.id, jobId)).limit(1);
  return job;
}
