// What D1 stores for the bench's data, and what one active user adds per year (the README's "Going global":
// D1 holds 10 GB per database). Measured on the SQLite file miniflare keeps the local D1 in, with SQLite's own
// accounting: the file is page_count × page_size bytes, and the dbstat table gives each table's and each
// index's pages, so every table is charged its indexes (and tasks its full-text index).
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { getTableColumns, getTableName } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { contextSwitches, devSessions, heartbeats, insights, reports, sessionPauses, sessionTasks, tasks, users } from "../../src/db/schema.ts";
import { inserter, type Meta, SPANS_DAYS } from "../generate.ts";

const DAY_MS = 86_400_000;
const YEAR_DAYS = 365;
/** D1's limit per database (10 GB, decimal). */
export const D1_DATABASE_BYTES = 10e9;

export interface TableBytes {
  /** A table, with its indexes (and, for an external-content FTS5 index, the table it indexes). */
  table: string;
  rows: number;
  /** Pages × page size: what the table and its indexes occupy in the file. */
  bytes: number;
  /** The records' own bytes (dbstat payload): no page headers, no free space in pages. */
  payload: number;
}

export interface Storage {
  page_size: number;
  page_count: number;
  freelist_count: number;
  /** page_count × page_size: the database's size. */
  bytes: number;
  file_bytes: number;
  tables: TableBytes[];
}

const int = (v: unknown): number => Number(v);

/** The pages of every table and index of the SQLite file `file`, grouped by the table they serve. */
export function measureStorage(file: string): Storage {
  const db = new DatabaseSync(file);
  try {
    const pragma = (name: string) => int(Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0]);
    const master = db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master").all().map((r) => ({ type: String(r.type), name: String(r.name), tbl: String(r.tbl_name), sql: String(r.sql ?? "") }));
    // An FTS5 table stores itself in shadow tables named after it; an external-content one indexes another table.
    const fts = master.filter((m) => m.type === "table" && /USING\s+fts5\s*\(/i.test(m.sql)).map((m) => ({ name: m.name, content: /content\s*=\s*'([^']+)'/i.exec(m.sql)?.[1] ?? m.name }));
    const ownerOf = (name: string): string => {
      const shadow = fts.find((f) => name.startsWith(`${f.name}_`));
      if (shadow) return shadow.content;
      return master.find((m) => m.name === name)?.tbl ?? name;
    };
    const grouped = new Map<string, { bytes: number; payload: number }>();
    for (const r of db.prepare("SELECT name, sum(pgsize) AS bytes, sum(payload) AS payload FROM dbstat GROUP BY name").all()) {
      const owner = ownerOf(String(r.name));
      const g = grouped.get(owner) ?? { bytes: 0, payload: 0 };
      g.bytes += int(r.bytes);
      g.payload += int(r.payload);
      grouped.set(owner, g);
    }
    const real = new Set(master.filter((m) => m.type === "table" && !/^CREATE VIRTUAL/i.test(m.sql)).map((m) => m.name));
    const tables = [...grouped].map(([table, g]) => ({ table, rows: real.has(table) ? int(Object.values(db.prepare(`SELECT count(*) FROM "${table}"`).get() ?? {})[0]) : 0, ...g }));
    tables.sort((a, b) => b.bytes - a.bytes);
    const [pageSize, pageCount] = [pragma("page_size"), pragma("page_count")];
    return { page_size: pageSize, page_count: pageCount, freelist_count: pragma("freelist_count"), bytes: pageSize * pageCount, file_bytes: statSync(file).size, tables };
  } finally {
    db.close();
  }
}

/** The editor bench's day (bench/editors.ts): 2 editors, a heartbeat every 2 minutes each, 8 hours a working day. */
export const EDITOR_DAY = { editors: 2, everyMinutes: 2, hours: 8, workingDaysPerWeek: 5 };

/**
 * The bytes one user's kept heartbeats take: a copy of `templateFile` (a dataset's D1, migrated) gets the
 * heartbeats of one retention period (the schema's default heartbeat_retention_days) of working days, in the
 * editor bench's shape with file names hidden (the default: no entity stored); their table and index are
 * measured, and the copy is deleted.
 */
export function heartbeatWindow(templateFile: string): { retention_days: number; rows: number; bytes: number; bytes_per_row: number } {
  const retentionDays = Number(getTableColumns(users).heartbeatRetentionDays.default);
  const scratch = mkdtempSync(path.join(os.tmpdir(), "benchwork-heartbeats-"));
  try {
    const file = path.join(scratch, "d1.sqlite");
    copyFileSync(templateFile, file);
    const db = new DatabaseSync(file);
    const insert = inserter(db, heartbeats);
    const perEditorDay = (EDITOR_DAY.hours * 60) / EDITOR_DAY.everyMinutes;
    const start = Date.UTC(2026, 10, 2, 9);
    let rows = 0;
    db.exec("BEGIN");
    for (let d = 0; d < retentionDays; d++) {
      if (new Date(start + d * DAY_MS).getUTCDay() % 6 === 0) continue; // weekends
      for (let e = 0; e < EDITOR_DAY.editors; e++) {
        const editor = e ? "Vim" : "VS Code";
        const digest = createHash("sha256").update(JSON.stringify([1, `src/file${e}.ts`, "file", "coding", "devfocus-api", "main", "TypeScript"])).digest("hex").slice(0, 32);
        for (let i = 0; i < perEditorDay; i++) {
          const timeMs = start + d * DAY_MS + e * 60_000 + i * EDITOR_DAY.everyMinutes * 60_000;
          insert({ userId: 1, timeMs, digest, entity: null, type: "file", category: "coding", project: "devfocus-api", branch: "main", language: "TypeScript", editor, createdAt: new Date(timeMs + 30_000).toISOString() });
          rows++;
        }
      }
    }
    db.exec("COMMIT");
    db.close();
    const bytes = measureStorage(file).tables.find((t) => t.table === getTableName(heartbeats))?.bytes ?? NaN;
    return { retention_days: retentionDays, rows, bytes, bytes_per_row: bytes / rows };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export interface SizingLine {
  table: string;
  /** Rows one active user adds per year (or keeps, for heartbeats). */
  rows_per_user: number;
  bytes_per_row: number;
  bytes_per_user: number;
  basis: string;
}

export interface Sizing {
  dataset_bytes: number;
  dataset_file_bytes: number;
  tables: TableBytes[];
  /** Bytes per page over payload bytes, over the whole dataset: what pages cost beyond the records. */
  page_overhead: number;
  lines: SizingLine[];
  per_user_year_bytes: number;
  /** Kept once per user, not per year: one retention period of heartbeats. */
  per_user_kept_bytes: number;
  users_per_database: { years: number; users: number }[];
  assumptions: string[];
}

const BIG_TABLE_ROWS = 1000;

/**
 * Bytes per active user per year: each table's bytes per row on the large dataset (pages, indexes included)
 * times the rows a year of one user adds at the dataset's own rates; reports and insights (a few rows after the
 * bench's writes: their records' bytes times the dataset's page overhead) at the hourly cron's rate; heartbeats
 * as one retention period, kept and not growing.
 */
export function sizing(meta: Meta, dataset: Storage, end: Storage, hb: ReturnType<typeof heartbeatWindow>): Sizing {
  const users = meta.counts.users;
  const total = dataset.tables.reduce((s, t) => ({ bytes: s.bytes + t.bytes, payload: s.payload + t.payload }), { bytes: 0, payload: 0 });
  const overhead = total.bytes / total.payload;
  const lines: SizingLine[] = [];
  const perYear = (rows: number, days: number) => (rows / users) * (YEAR_DAYS / days);
  const fromDataset = (table: SQLiteTable, days: number, what: string) => {
    const name = getTableName(table);
    const t = dataset.tables.find((x) => x.table === name);
    if (!t || t.rows < BIG_TABLE_ROWS) throw new Error(`${name}: too few rows in the dataset to size`);
    const rows = perYear(t.rows, days);
    lines.push({ table: name, rows_per_user: rows, bytes_per_row: t.bytes / t.rows, bytes_per_user: (rows * t.bytes) / t.rows, basis: `${t.rows} ${what} of ${users} users over ${Math.round(days)} days` });
  };
  fromDataset(tasks, SPANS_DAYS.tasks, "tasks");
  fromDataset(devSessions, SPANS_DAYS.sessions, "sessions");
  fromDataset(contextSwitches, SPANS_DAYS.sessions, "switches");
  fromDataset(sessionPauses, SPANS_DAYS.sessions, "pauses");
  fromDataset(sessionTasks, SPANS_DAYS.sessions, "session-task links");
  // The hourly cron makes a DAILY report every day and a WEEKLY one every week, per user.
  const reportsPerYear = YEAR_DAYS + 52;
  const few = (name: string) => end.tables.find((x) => x.table === name);
  const r = few(getTableName(reports));
  const reportRows = r?.rows ?? 0;
  if (r && reportRows) {
    lines.push({ table: r.table, rows_per_user: reportsPerYear, bytes_per_row: (r.payload * overhead) / reportRows, bytes_per_user: (reportsPerYear * r.payload * overhead) / reportRows, basis: `the bench's ${reportRows} reports (a 40-session day, two 8-session weeks): records × page overhead` });
    const i = few(getTableName(insights));
    if (i?.rows) {
      const rows = (reportsPerYear * i.rows) / reportRows;
      lines.push({ table: i.table, rows_per_user: rows, bytes_per_row: (i.payload * overhead) / i.rows, bytes_per_user: (rows * i.payload * overhead) / i.rows, basis: `${i.rows} insights of the bench's ${reportRows} reports: records × page overhead` });
    }
  }
  const perUserYear = lines.reduce((s, l) => s + l.bytes_per_user, 0);
  const kept = hb.bytes;
  const usersFor = (years: number) => Math.floor(D1_DATABASE_BYTES / (perUserYear * years + kept));
  const workingDays = Math.round((hb.retention_days * EDITOR_DAY.workingDaysPerWeek) / 7);
  return {
    dataset_bytes: dataset.bytes,
    dataset_file_bytes: dataset.file_bytes,
    tables: dataset.tables,
    page_overhead: overhead,
    lines: [...lines, { table: getTableName(heartbeats), rows_per_user: hb.rows, bytes_per_row: hb.bytes_per_row, bytes_per_user: hb.bytes, basis: `kept, not per year: ${hb.retention_days} days' retention (~${workingDays} working days) × ${EDITOR_DAY.editors} editors × a heartbeat per ${EDITOR_DAY.everyMinutes} min × ${EDITOR_DAY.hours} h, file names hidden` }],
    per_user_year_bytes: perUserYear,
    per_user_kept_bytes: kept,
    users_per_database: [1, 3].map((years) => ({ years, users: usersFor(years) })),
    assumptions: [
      `An active user adds, per year, what one of the large dataset's ${users} users adds at its rates: ${Math.round(perYear(meta.counts.sessions, SPANS_DAYS.sessions))} sessions and ${Math.round(perYear(meta.counts.switches, SPANS_DAYS.sessions))} context switches (the sessions and switches span ${Math.round(SPANS_DAYS.sessions)} days), and ${Math.round(perYear(meta.counts.tasks, SPANS_DAYS.tasks))} tasks (the tasks span ${Math.round(SPANS_DAYS.tasks)} days). That is a heavy user: ~10 sessions and ~100 switches per working day.`,
      `Reports: a DAILY one every day and a WEEKLY one every week (the hourly cron's), sized like the bench's, which cover a heavy day (40 sessions, 400 switches); insights in the bench's proportion to reports.`,
      `Heartbeats are kept ${hb.retention_days} days (the default heartbeat_retention_days), so they add a fixed window per user, not a yearly amount; the sessions and switches derived from them are counted with the others.`,
      "Not counted: users, tokens, memberships, teams (a few hundred bytes per user, once), resource links and GitHub import jobs (none in the dataset). Request logs go to Analytics Engine, not D1.",
      `Bytes per row include the table's indexes (tasks: also its trigram full-text index), as SQLite pages: ${Math.round((overhead - 1) * 100)} % over the records' own bytes across the dataset.`,
    ],
  };
}
