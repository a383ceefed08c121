import { sql, type SQL } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The full-text index of tasks (migrations/0002_tasks_fts.sql): an FTS5 external-content table with the
 * trigram tokenizer, kept in step by triggers. Declared here rather than in db/schema.ts, which drizzle-kit
 * turns into plain tables.
 */
export const tasksFts = sqliteTable("tasks_fts", {
  rowid: integer("rowid").notNull(),
  title: text("title"),
  description: text("description"),
});

/** The trigram index finds substrings of at least 3 characters; shorter searches filter the ordered walk. */
export const MIN_INDEXED_SEARCH = 3;

/**
 * A search goes through the index when at most this many tasks can match; above that the term is common and
 * the list walks its ordering index instead, stopping after a page of matches. Rows read per page, p its size:
 * - through the index: 2 per task matching anywhere in the database (the match and its task, sorted into the
 *   page) plus a few vocabulary rows, so at most about 2 · SEARCH_INDEX_MAX_MATCHES;
 * - walking: each visible task in the ordering from the cursor until p + 1 match: about (p + 1) ÷ the share of
 *   them that match when matches do not cluster in the ordering, every visible task after the cursor at worst.
 * Neither meets p + 10 for a common term: that needs the matches in the ordering's order, and FTS5 keeps its
 * matches in rowid order only; an index of (term, ordering value) beside the tasks would cost 2 rows a result.
 */
export const SEARCH_INDEX_MAX_MATCHES = 1000;

/**
 * Trigrams sampled from the search (up to `max`, evenly spread, first and last included), folded as the
 * tokenizer folds ASCII. Each statement of a search list reads one vocabulary row per sampled trigram.
 */
export function sampleTrigrams(text: string, max = 3): string[] {
  const chars = Array.from(text.toLowerCase());
  if (chars.length < MIN_INDEXED_SEARCH) return [];
  const count = chars.length - 2;
  const picks = count <= max ? Array.from({ length: count }, (_, i) => i) : Array.from({ length: max }, (_, i) => Math.round((i * (count - 1)) / (max - 1)));
  return [...new Set(picks.map((i) => chars.slice(i, i + 3).join("")))];
}

/**
 * Whether a search can go through the index: 3+ characters, and no NUL (FTS5 reads its query as a C string,
 * so a NUL would cut the phrase short and fail to parse); the others filter the ordered walk.
 */
export const isIndexedSearch = (text: string | undefined): text is string =>
  text !== undefined && Array.from(text).length >= MIN_INDEXED_SEARCH && !text.includes("\u0000");

/** The search as an FTS5 phrase: the trigram tokenizer turns it into consecutive trigrams, i.e. a substring. */
export const ftsPhrase = (text: string) => `"${text.replace(/"/g, '""')}"`;

/**
 * SQL: whether at most SEARCH_INDEX_MAX_MATCHES tasks can match — some sampled trigram is in at most that many
 * rows (the fewest rows holding one of them bound the matches; a trigram in no row at all means no match).
 * One vocabulary row per trigram looked at (`term IN (…)` would read two). An OR, which SQLite stops at its
 * first true term: fts5vocab counts a term's rows by reading the term's whole doclist (1.4 ms for the 3
 * trigrams of "oauth redirect" at 100,000 tasks, one of them in 29,262 rows), so a common trigram is only
 * counted when the ones before it were common too.
 */
export function rareSearch(text: string): SQL {
  const rare = sampleTrigrams(text).map((g) => sql`coalesce((SELECT doc FROM tasks_fts_vocab WHERE term = ${g}), 0) <= ${SEARCH_INDEX_MAX_MATCHES}`);
  return sql`(${sql.join(rare, sql` OR `)})`;
}
