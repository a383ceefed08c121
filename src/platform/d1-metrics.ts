import { ApiError } from "./errors";

/** D1 work done for one request: its statements, the rows they read and wrote, the time they took. */
export interface D1Usage {
  queries: number;
  rowsRead: number;
  rowsWritten: number;
  durationMs: number;
}

/**
 * D1 with a meter: every round trip adds its statements, rows read/written (from D1's result meta) and
 * time to a per-request D1Usage, which becomes the Server-Timing header and request-log doubles.
 *
 * Public D1 APIs only. drizzle reads selects through `raw()`, whose result drops D1's meta, so the meter
 * answers `raw()` with `all()` — which keeps it — and turns the row objects into arrays, as drizzle's own
 * batch path does. A SELECT is sent as `SELECT * FROM (<it>)`: SQLite then names duplicate columns apart
 * (`id`, `id:1` for a join), which objects would otherwise collapse; the subquery is flattened, its plan and
 * order unchanged. Only a result with a column named like an array index ("0", "1", …), whose object key
 * order JavaScript would change, is read again through `raw()` (counted as a second query).
 */
export function newUsage(): D1Usage {
  return { queries: 0, rowsRead: 0, rowsWritten: 0, durationMs: 0 };
}

interface Meta {
  rows_read?: number;
  rows_written?: number;
}

function record(usage: D1Usage, started: number, metas: (Meta | undefined)[]) {
  usage.queries += 1;
  usage.durationMs += performance.now() - started;
  for (const m of metas) {
    usage.rowsRead += m?.rows_read ?? 0;
    usage.rowsWritten += m?.rows_written ?? 0;
  }
}

const READS = /^\s*(select|with)\b/i;
const INDEX_LIKE = /^(0|[1-9][0-9]*)$/;

class MeteredStatement {
  constructor(
    private readonly db: Pick<D1Database, "prepare">,
    readonly inner: D1PreparedStatement,
    private readonly usage: D1Usage,
    private readonly query: string,
    private readonly values: unknown[] = [],
  ) {}

  bind(...values: unknown[]) {
    return new MeteredStatement(this.db, this.inner.bind(...values), this.usage, this.query, values);
  }

  async first<T>(column?: string): Promise<T | null> {
    const started = performance.now();
    const res = await this.inner.all<Record<string, unknown>>();
    record(this.usage, started, [res.meta]);
    const row = res.results[0];
    if (!row) return null;
    return (column ? row[column] : row) as T;
  }

  async run<T>() {
    const started = performance.now();
    const res = await this.inner.run<T>();
    record(this.usage, started, [res.meta]);
    return res;
  }

  async all<T>() {
    const started = performance.now();
    const res = await this.inner.all<T>();
    record(this.usage, started, [res.meta]);
    return res;
  }

  async raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<T[]> {
    const started = performance.now();
    const stmt = READS.test(this.query) ? this.db.prepare(`SELECT * FROM (${this.query})`).bind(...this.values) : this.inner;
    const res = await stmt.all<Record<string, unknown>>();
    record(this.usage, started, [res.meta]);
    const columns = res.results[0] ? Object.keys(res.results[0]) : [];
    if (columns.some((c) => INDEX_LIKE.test(c))) {
      const again = performance.now();
      const rows = options?.columnNames ? await this.inner.raw<T>({ columnNames: true }) : await this.inner.raw<T>();
      record(this.usage, again, []);
      return rows as T[];
    }
    const rows = res.results.map((r) => columns.map((c) => r[c])) as T[];
    return options?.columnNames ? [columns as T, ...rows] : rows;
  }
}

/** The request header a client sends its last bookmark in, and the response header that gives the new one. */
export const BOOKMARK_HEADER = "X-D1-Bookmark";

/**
 * A D1 bookmark as D1 issues them: four dash-separated groups of hex digits (local D1 accepts any string
 * and production refuses a malformed one with an error, so the API checks the form itself: a 400, not a 500).
 */
const BOOKMARK = /^[0-9a-f]{1,64}(-[0-9a-f]{1,64}){2,5}$/i;

/**
 * Where a request's D1 session starts. Anything that may write: the primary (its checks then read the
 * newest rows). A read (GET, HEAD): a replica at least as new as the client's bookmark — so a client reads
 * its own writes — or, without one, the nearest replica.
 */
export function d1SessionStart(method: string, bookmark: string | undefined): string {
  if (bookmark !== undefined && (bookmark.length > 256 || !BOOKMARK.test(bookmark))) {
    throw new ApiError("VALIDATION_FAILED", "The request has invalid fields.", [
      { path: BOOKMARK_HEADER, message: "Must be a bookmark from a previous answer's X-D1-Bookmark header." },
    ]);
  }
  if (method !== "GET" && method !== "HEAD") return "first-primary";
  return bookmark ?? "first-unconstrained";
}

/** A D1 database or session whose work is added to `usage` (drizzle only prepares and batches). */
export function meteredD1(db: Pick<D1Database, "prepare" | "batch">, usage: D1Usage): D1Database {
  const metered = {
    prepare: (query: string) => new MeteredStatement(db, db.prepare(query), usage, query),
    async batch<T>(statements: MeteredStatement[]) {
      const started = performance.now();
      const res = await db.batch<T>(statements.map((s) => (s instanceof MeteredStatement ? s.inner : (s as D1PreparedStatement))));
      record(usage, started, res.map((r) => r.meta));
      return res;
    },
  };
  return metered as unknown as D1Database;
}

/** `Server-Timing: d1;dur=…;desc="…"` plus one metric per counter, for browsers and the benchmark. */
export function serverTiming(usage: D1Usage, totalMs: number): string {
  return [
    `total;dur=${totalMs.toFixed(2)}`,
    `d1;dur=${usage.durationMs.toFixed(2)};desc="${usage.queries} queries, ${usage.rowsRead} rows read, ${usage.rowsWritten} rows written"`,
    `d1-queries;desc="${usage.queries}"`,
    `d1-rows-read;desc="${usage.rowsRead}"`,
    `d1-rows-written;desc="${usage.rowsWritten}"`,
  ].join(", ");
}
