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
 * drizzle reads selects through `raw()`, whose public result drops D1's meta. When the statement exposes
 * workerd's internal session (`dbSession._sendOrThrow`), the same single query is sent through it to keep
 * the meta; otherwise (a runtime without it) the plain `raw()` is used and only time is counted.
 */
export function newUsage(): D1Usage {
  return { queries: 0, rowsRead: 0, rowsWritten: 0, durationMs: 0 };
}

interface Meta {
  rows_read?: number;
  rows_written?: number;
}
interface InternalStatement {
  dbSession?: {
    _sendOrThrow?: (
      endpoint: string,
      sql: string,
      params: unknown[],
      format: string,
      span: typeof NO_SPAN,
    ) => Promise<{ meta?: Meta; results?: { columns: string[]; rows: unknown[][] } }[]>;
  };
  statement?: string;
  params?: unknown[];
}

function record(usage: D1Usage, started: number, metas: (Meta | undefined)[]) {
  usage.queries += 1;
  usage.durationMs += performance.now() - started;
  for (const m of metas) {
    usage.rowsRead += m?.rows_read ?? 0;
    usage.rowsWritten += m?.rows_written ?? 0;
  }
}

class MeteredStatement {
  constructor(
    readonly inner: D1PreparedStatement,
    private readonly usage: D1Usage,
  ) {}

  bind(...values: unknown[]) {
    return new MeteredStatement(this.inner.bind(...values), this.usage);
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
    const internal = this.inner as unknown as InternalStatement;
    const send = internal.dbSession?._sendOrThrow;
    if (typeof send === "function" && typeof internal.statement === "string") {
      let res: Awaited<ReturnType<NonNullable<typeof send>>>[number] | undefined;
      try {
        [res] = await send.call(internal.dbSession, "/query", internal.statement, internal.params ?? [], "ROWS_AND_COLUMNS", NO_SPAN);
      } catch (err) {
        // A D1 error (constraint, syntax…) is the statement's own: rethrow it as raw() would.
        if (err instanceof Error && err.message.startsWith("D1_ERROR")) throw err;
        res = undefined; // the internal path is not usable here: fall back to the public API below
      }
      if (res) {
        record(this.usage, started, [res.meta]);
        const body = res.results as unknown;
        const rows = (Array.isArray(body) ? body.map((r) => Object.values(r as object)) : (res.results?.rows ?? [])) as T[];
        const columns = Array.isArray(body) ? Object.keys((body[0] as object) ?? {}) : res.results?.columns;
        return options?.columnNames ? [columns as T, ...rows] : rows;
      }
    }
    const rows = options?.columnNames ? await this.inner.raw<T>({ columnNames: true }) : await this.inner.raw<T>();
    record(this.usage, started, []);
    return rows as T[];
  }
}

/** The tracing span workerd's internal query path expects; metrics need none. */
const NO_SPAN = { setAttribute() {}, setAttributes() {} };

/** A D1Database whose work is added to `usage`. */
export function meteredD1(db: D1Database, usage: D1Usage): D1Database {
  const metered = {
    prepare: (query: string) => new MeteredStatement(db.prepare(query), usage),
    async batch<T>(statements: MeteredStatement[]) {
      const started = performance.now();
      const res = await db.batch<T>(statements.map((s) => (s instanceof MeteredStatement ? s.inner : (s as D1PreparedStatement))));
      record(usage, started, res.map((r) => r.meta));
      return res;
    },
    exec: (query: string) => db.exec(query),
    dump: () => (db as unknown as { dump(): Promise<ArrayBuffer> }).dump(),
    withSession: (constraint?: string) => db.withSession(constraint),
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
