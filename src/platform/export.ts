import { z } from "@hono/zod-openapi";
import Papa from "papaparse";
import { invalid } from "./errors";
import { cursorAfter, type Ordering } from "./pagination";

/**
 * The one exporter behind every `/export/` endpoint: rows are read page by page (keyset) and written to a
 * streamed response as they arrive, so an export has no row cap and never holds the whole table.
 */

export const EXPORT_FORMATS = ["csv", "json"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Rows per D1 query while exporting: large enough for few round trips, small enough to stream early. */
export const EXPORT_PAGE_SIZE = 500;

export const ExportFormatQuery = z.object({
  format: z
    .enum(EXPORT_FORMATS, { message: "Must be csv or json." })
    .default("csv")
    .openapi({ description: "csv (with a header row) or json (one array of the list's objects)." }),
});

export interface ExportPage<R> {
  rows: R[];
  /** Where the next page starts, or null after the last page. */
  nextCursor: string | null;
}
export type FetchPage<R> = (cursor: string | null) => Promise<ExportPage<R>>;

/**
 * A page fetcher over a keyset query: `query(cursor, limit)` returns rows in `ordering`;
 * one row more than the page is asked for, to know whether another page follows.
 */
export function keysetPages<R extends { id: number }>(
  ordering: Ordering,
  query: (cursor: string | undefined, limit: number) => Promise<R[]>,
  pageSize = EXPORT_PAGE_SIZE,
): FetchPage<R> {
  return async (cursor) => {
    const rows = await query(cursor ?? undefined, pageSize + 1);
    if (rows.length <= pageSize) return { rows, nextCursor: null };
    const page = rows.slice(0, pageSize);
    return { rows: page, nextCursor: cursorAfter(page[page.length - 1]!, ordering) };
  };
}

/**
 * Spreadsheet formula injection: a cell starting with = + - @ tab or CR is prefixed with a quote.
 * Papaparse's own default pattern ends in `.*$` without the s flag, so a cell like "=CMD()\nx" slipped
 * through it; this one only looks at the first character.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

const MEDIA_TYPES: Record<ExportFormat, string> = {
  csv: "text/csv; charset=utf-8",
  json: "application/json; charset=utf-8",
};

export interface ExportSpec<R, T extends object> {
  /** File name without extension: "tasks" → tasks.csv / tasks.json. */
  filename: string;
  format: string;
  fetchPage: FetchPage<R>;
  /** The same serializer the list uses, so JSON exports equal the list's objects. */
  serialize: (row: R) => T;
  /** CSV column order; every field to export. */
  columns: readonly (keyof T & string)[];
}

function csvCell(v: unknown): unknown {
  // Nested values (report payloads, insight meta) go into one cell as JSON.
  return v !== null && typeof v === "object" ? JSON.stringify(v) : v;
}

/** A streamed download; a handler sends it with `c.body(file.body, 200, file.headers)`, so the app's own headers (X-Request-Id) stay. */
export interface ExportFile {
  body: ReadableStream<Uint8Array>;
  headers: Record<string, string>;
}

/**
 * A streamed file download. The first page is read before the response starts, so a failing query is
 * still answered with the usual error envelope; a failure after that aborts the stream (a JSON client
 * sees an unterminated array) and is logged.
 */
export async function exportFile<R, T extends object>(spec: ExportSpec<R, T>): Promise<ExportFile> {
  const format = spec.format as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) throw invalid("format", "Must be csv or json.");

  const encoder = new TextEncoder();
  /** The text for one page, given whether it is the first page and how many rows came before it. */
  const chunk = (rows: R[], first: boolean, before: number, last: boolean): string => {
    const items = rows.map(spec.serialize);
    if (format === "json") {
      const body = items.map((item) => JSON.stringify(item)).join(",");
      return (first ? "[" : "") + (body && before ? "," : "") + body + (last ? "]" : "");
    }
    if (!first && !items.length) return "";
    const data = items.map((item) => spec.columns.map((col) => csvCell((item as Record<string, unknown>)[col])));
    const csv = Papa.unparse(
      { fields: [...spec.columns], data },
      { header: first, escapeFormulae: FORMULA_START, newline: "\r\n" },
    );
    // Papaparse ends a header-only output with a line break and a data output without one: end each chunk with exactly one.
    return csv ? `${csv.replace(/\r\n$/, "")}\r\n` : "";
  };

  let page = await spec.fetchPage(null);
  let first = true;
  let rowsWritten = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const last = page.nextCursor === null;
        const text = chunk(page.rows, first, rowsWritten, last);
        first = false;
        rowsWritten += page.rows.length;
        if (text) controller.enqueue(encoder.encode(text));
        if (last) {
          controller.close();
          return;
        }
        page = await spec.fetchPage(page.nextCursor);
      } catch (err) {
        if (cancelled) return; // the client went away: nothing to report
        console.error(
          JSON.stringify({ level: "error", msg: "export aborted", file: spec.filename, rows_written: rowsWritten, error: String(err) }),
        );
        controller.error(err);
      }
    },
    cancel() {
      cancelled = true;
    },
  });

  return {
    body: stream,
    headers: {
      "Content-Type": MEDIA_TYPES[format],
      "Content-Disposition": `attachment; filename=${spec.filename}.${format}`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  };
}
