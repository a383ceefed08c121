import { z } from "@hono/zod-openapi";
import { asc, desc, getTableColumns, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { KEY_ID_SPAN, KEY_VALUE_LIMIT } from "../db/schema";
import { invalid } from "./errors";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/**
 * An ordering whose ties are many (an enum rank, a small count): its keyset walks `keyColumn`, the generated
 * column that folds `column` and the id into one integer (KEY_ID_SPAN in db/schema.ts), indexed per list scope.
 */
export interface KeyedField {
  column: SQLiteColumn;
  keyColumn: SQLiteColumn;
}

/** An allow-list of `ordering` values for one resource: API field name → column (or a keyed column). */
export type OrderFields = Record<string, SQLiteColumn | KeyedField>;

export interface Ordering {
  /** The ordering as the client wrote it, e.g. "-created_at". */
  raw: string;
  key: string;
  column: SQLiteColumn;
  /** The column's property name on a selected row, to read the cursor value from. */
  prop: string;
  descending: boolean;
  /** A keyed field's key column (KeyedField). */
  keyColumn?: SQLiteColumn;
}

/** Query schema for a paginated list: page_size, cursor and an ordering from the allow-list. */
export function listQuery<F extends OrderFields>(fields: F, defaultOrdering: string) {
  const keys = Object.keys(fields);
  const allowed = [...keys, ...keys.map((k) => `-${k}`)] as [string, ...string[]];
  return z.object({
    page_size: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE).openapi({
      description: `Rows per page (1–${MAX_PAGE_SIZE}).`,
      example: DEFAULT_PAGE_SIZE,
    }),
    cursor: z.string().max(2048).optional().openapi({ description: "Opaque cursor from a previous page's `next`." }),
    ordering: z
      .enum(allowed)
      .default(defaultOrdering)
      .openapi({ description: `One of ${allowed.join(", ")}; ties are broken by id.` }),
  });
}

export function parseOrdering(fields: OrderFields, raw: string): Ordering {
  const descending = raw.startsWith("-");
  const key = descending ? raw.slice(1) : raw;
  const field = fields[key];
  if (!field) throw invalid("ordering", `Unknown ordering "${raw}".`);
  const { column, keyColumn } = "keyColumn" in field ? field : { column: field, keyColumn: undefined };
  const prop = Object.entries(getTableColumns(column.table)).find(([, c]) => c === column)![0];
  return { raw, key, column, prop, descending, ...(keyColumn ? { keyColumn } : {}) };
}

type CursorValue = string | number;
interface Cursor {
  o: string;
  v: CursorValue;
  id: number;
}

// Nullable columns sort as "" so that keyset comparisons never meet NULL.
const sortExpr = (col: SQLiteColumn): SQL => (col.notNull ? sql`${col}` : sql`coalesce(${col}, '')`);

function decodeCursor(raw: string, ordering: Ordering): Cursor {
  let parsed: unknown;
  try {
    const bytes = Uint8Array.from(atob(raw.replace(/-/g, "+").replace(/_/g, "/")), (ch) => ch.charCodeAt(0));
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    throw invalid("cursor", "Malformed cursor.");
  }
  const c = parsed as Partial<Cursor>;
  if (
    !c ||
    typeof c !== "object" ||
    (typeof c.v !== "string" && typeof c.v !== "number") ||
    typeof c.id !== "number" ||
    !Number.isSafeInteger(c.id)
  ) {
    throw invalid("cursor", "Malformed cursor.");
  }
  if (c.o !== ordering.raw) throw invalid("cursor", "This cursor belongs to another ordering.");
  // A keyed ordering's key is exact only for the values and ids db/schema.ts allows (KEY_ID_SPAN).
  if (
    ordering.keyColumn &&
    !(Number.isSafeInteger(c.v) && Math.abs(c.v as number) < KEY_VALUE_LIMIT && c.id >= 0 && c.id < KEY_ID_SPAN)
  ) {
    throw invalid("cursor", "Malformed cursor.");
  }
  return c as Cursor;
}

function encodeCursor(c: Cursor): string {
  // Through UTF-8 bytes: btoa alone throws on any value outside Latin-1 (a title with an emoji).
  const bytes = new TextEncoder().encode(JSON.stringify(c));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Keyset pagination: the WHERE fragment that starts after the cursor and the ORDER BY that goes with it.
 * Ties on the ordered field are broken by id in the same direction, so pages never repeat or skip rows.
 *
 * A keyed ordering (KeyedField) orders by its key column alone, which is (value, id) folded into one integer:
 * the page after a cursor is one range of the key's index, `key < cursor key`, starting at the cursor itself.
 *
 * The ORDER BY names the columns themselves (not an expression) wherever it can, so that it also orders a
 * UNION ALL of several scopes' keyset queries (the task list, modules/tasks/service.ts).
 *
 * `sortInMemory`: for a filter so selective (a unique key) that reading its few rows and sorting them beats
 * walking an ordering index. The ordering is written `+column` (SQLite's no-op unary plus), which no index
 * can serve, so the planner uses the filter's index instead of walking the whole ordering index.
 */
export function keyset(ordering: Ordering, idColumn: SQLiteColumn, cursor: string | undefined, opts: { sortInMemory?: boolean } = {}) {
  const term = (col: SQLiteColumn): SQLiteColumn | SQL => (opts.sortInMemory ? sql`+${sortExpr(col)}` : col.notNull ? col : sortExpr(col));
  const dir = ordering.descending ? desc : asc;
  const c = cursor === undefined ? undefined : decodeCursor(cursor, ordering);
  const after = (left: SQL, right: SQL) => (ordering.descending ? sql`${left} < ${right}` : sql`${left} > ${right}`);
  if (ordering.keyColumn) {
    const key = term(ordering.keyColumn);
    // The cursor's key, computed as db/schema.ts computes the column; in SQLite's 64-bit integers, since D1
    // binds every JS number as a REAL (exact only below 2^53).
    const cursorKey = c && sql`(CAST(${c.v} AS INTEGER) * ${sql.raw(String(KEY_ID_SPAN))} + CAST(${c.id} AS INTEGER))`;
    return { where: cursorKey && after(sql`${key}`, cursorKey), orderBy: [dir(key)] };
  }
  const value = term(ordering.column);
  const id = term(idColumn);
  // A row-value comparison, (value, id) after (cursor value, cursor id). SQLite bounds the index range by its
  // first column only (id is the rowid, which a row-value range does not reach), so the range starts at the
  // cursor's value: fine where ties are few (timestamps, titles); a tie-heavy ordering is a KeyedField instead.
  return { where: c && after(sql`(${value}, ${id})`, sql`(${c.v}, ${c.id})`), orderBy: [dir(value), dir(id)] };
}

export interface Page<T> {
  results: T[];
  next: string | null;
}

/**
 * Given rows fetched with limit page_size + 1, cut the page and build `next` as a full URL
 * that keeps every other query parameter.
 */
export function toPage<R extends { id: number }, T>(
  rows: R[],
  opts: { pageSize: number; ordering: Ordering; url: string; serialize: (row: R) => T },
): Page<T> {
  const hasMore = rows.length > opts.pageSize;
  const pageRows = hasMore ? rows.slice(0, opts.pageSize) : rows;
  let next: string | null = null;
  if (hasMore) {
    const last = pageRows[pageRows.length - 1]!;
    const v = (last as Record<string, unknown>)[opts.ordering.prop];
    const url = new URL(opts.url);
    url.searchParams.set("cursor", encodeCursor({ o: opts.ordering.raw, v: (v ?? "") as CursorValue, id: last.id }));
    next = url.toString();
  }
  return { results: pageRows.map(opts.serialize), next };
}

/** The cursor that continues after `row`: for callers that page without a URL (exports). */
export function cursorAfter(row: { id: number }, ordering: Ordering): string {
  const v = (row as Record<string, unknown>)[ordering.prop];
  return encodeCursor({ o: ordering.raw, v: (v ?? "") as CursorValue, id: row.id });
}

// SQLite compares text as UTF-8 bytes (code point order); JS `<` compares UTF-16 units. Remapping the
// units makes them agree: surrogates (code points above U+FFFF) must sort after U+E000–U+FFFF.
const unitRank = (u: number) => (u >= 0xe000 ? u - 0x800 : u >= 0xd800 ? u + 0x2000 : u);
function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return unitRank(x) - unitRank(y);
  }
  return a.length - b.length;
}

/**
 * Merges rows fetched by several keyset queries over disjoint scopes (each already in `ordering`,
 * each limited to `limit`) into the first `limit` rows of their union, in the same order as SQL.
 */
export function mergeOrdered<R extends { id: number }>(arms: R[][], ordering: Ordering, limit: number): R[] {
  if (arms.length === 1) return arms[0]!.slice(0, limit);
  const sign = ordering.descending ? -1 : 1;
  const value = (r: R) => (r as Record<string, unknown>)[ordering.prop] ?? "";
  return arms
    .flat()
    .sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      const byValue =
        typeof va === "number" && typeof vb === "number" ? va - vb : compareText(String(va), String(vb));
      return sign * (byValue || a.id - b.id);
    })
    .slice(0, limit);
}

export function pageSchema<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      results: z.array(item),
      next: z.string().nullable().openapi({ description: "Full URL of the next page, or null." }),
    })
    .openapi(name);
}
