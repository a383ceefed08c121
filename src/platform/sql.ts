import { sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

/**
 * Case-insensitive substring test, the one `search` filter every list uses (SQLite's lower() folds ASCII).
 * instr, unlike LIKE, needs no escaping and has no pattern-length limit (D1 caps LIKE patterns at 50 bytes).
 */
export const contains = (column: SQLiteColumn, needle: string) => sql`instr(lower(${column}), lower(${needle})) > 0`;
