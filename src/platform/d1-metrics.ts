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
/** A statement that cannot write (no CTE, which may head an INSERT): what may ride in a lead's round trip. */
const PURE_READ = /^\s*select\b/i;
const INDEX_LIKE = /^(0|[1-9][0-9]*)$/;

/**
 * A statement that travels in front of a request's next D1 round trip (see RequestD1.lead): its rows are
 * handed to `check` before anything else of that round trip — or of any later one — reaches the caller.
 */
export interface Lead {
  sql: string;
  params: unknown[];
  /** Throws to refuse: the round trip, and every later one of the request, rejects with that error. */
  check(rows: Record<string, unknown>[]): void;
}

/** The D1 of one request: metered, and able to carry a lead (the credential check) with its first read. */
export interface RequestD1 {
  /**
   * Sends `lead` with the request's next round trip when that one only reads (one batch: one snapshot, one
   * round trip), or alone before it when it writes. Until the lead's check has passed, no result is handed out.
   */
  lead(lead: Lead): void;
  /** Sends a lead no round trip has carried yet, alone; resolves when the check has passed, rejects if it refused. */
  settle(): Promise<void>;
  /** Forgets a refusal (the caller has dealt with it, e.g. by running again as the actor the check found). */
  clearFailure(): void;
}

class RequestD1Impl implements RequestD1 {
  private pending: Lead | undefined;
  private gate: Promise<void> = Promise.resolve();

  constructor(
    readonly db: Pick<D1Database, "prepare" | "batch">,
    readonly usage: D1Usage,
  ) {}

  lead(lead: Lead) {
    this.pending = lead;
  }

  settle(): Promise<void> {
    const lead = this.pending;
    if (lead) {
      this.pending = undefined;
      const started = performance.now();
      this.hold(
        this.db
          .prepare(lead.sql)
          .bind(...lead.params)
          .all<Record<string, unknown>>()
          .then((res) => {
            record(this.usage, started, [res.meta]);
            lead.check(res.results);
          }),
      );
    }
    return this.gate;
  }

  clearFailure() {
    this.gate = Promise.resolve();
  }

  /** One round trip of `statements`, metered; behind the lead's check, or carrying the lead when they only read. */
  async send<T>(statements: D1PreparedStatement[], queries: string[], one: (s: D1PreparedStatement) => Promise<D1Result<T>>): Promise<D1Result<T>[]> {
    const lead = this.pending;
    if (lead && queries.every((q) => PURE_READ.test(q))) {
      this.pending = undefined;
      const started = performance.now();
      const sent = this.db.batch<T>([this.db.prepare(lead.sql).bind(...lead.params), ...statements]).then((res) => {
        record(this.usage, started, res.map((r) => r.meta));
        lead.check(res[0]!.results as Record<string, unknown>[]);
        return res.slice(1);
      });
      this.hold(sent);
      return sent;
    }
    await this.settle();
    const started = performance.now();
    const res = statements.length === 1 ? [await one(statements[0]!)] : await this.db.batch<T>(statements);
    record(this.usage, started, res.map((r) => r.meta));
    return res;
  }

  private hold(p: Promise<unknown>) {
    this.gate = p.then(() => undefined);
    this.gate.catch(() => undefined); // observed by whoever awaits it; not an unhandled rejection
  }
}

class MeteredStatement {
  constructor(
    private readonly d1: RequestD1Impl,
    readonly inner: D1PreparedStatement,
    readonly query: string,
    private readonly values: unknown[] = [],
  ) {}

  bind(...values: unknown[]) {
    return new MeteredStatement(this.d1, this.inner.bind(...values), this.query, values);
  }

  private async once<T>(stmt: D1PreparedStatement, query: string, how: "all" | "run"): Promise<D1Result<T>> {
    const [res] = await this.d1.send<T>([stmt], [query], (s) => (how === "all" ? s.all<T>() : s.run<T>()));
    return res!;
  }

  async first<T>(column?: string): Promise<T | null> {
    const res = await this.once<Record<string, unknown>>(this.inner, this.query, "all");
    const row = res.results[0];
    if (!row) return null;
    return (column ? row[column] : row) as T;
  }

  run<T>() {
    return this.once<T>(this.inner, this.query, "run");
  }

  all<T>() {
    return this.once<T>(this.inner, this.query, "all");
  }

  async raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<T[]> {
    const wrapped = READS.test(this.query) ? `SELECT * FROM (${this.query})` : this.query;
    const stmt = wrapped === this.query ? this.inner : this.d1.db.prepare(wrapped).bind(...this.values);
    const res = await this.once<Record<string, unknown>>(stmt, wrapped, "all");
    const columns = res.results[0] ? Object.keys(res.results[0]) : [];
    if (columns.some((c) => INDEX_LIKE.test(c))) {
      const again = performance.now();
      const rows = options?.columnNames ? await this.inner.raw<T>({ columnNames: true }) : await this.inner.raw<T>();
      record(this.d1.usage, again, []);
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

/**
 * A D1 database or session whose work is added to `usage` (drizzle only prepares and batches), as drizzle's
 * D1 driver takes it, and the same object as the request's RequestD1.
 */
export function meteredD1(db: Pick<D1Database, "prepare" | "batch">, usage: D1Usage): { d1: D1Database; request: RequestD1 } {
  const request = new RequestD1Impl(db, usage);
  const metered = {
    prepare: (query: string) => new MeteredStatement(request, db.prepare(query), query),
    async batch<T>(statements: MeteredStatement[]) {
      const inner = statements.map((s) => (s instanceof MeteredStatement ? s.inner : (s as D1PreparedStatement)));
      const queries = statements.map((s) => (s instanceof MeteredStatement ? s.query : ""));
      return request.send<T>(inner, queries, (s) => s.all<T>());
    },
  };
  return { d1: metered as unknown as D1Database, request };
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
