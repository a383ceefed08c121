#!/usr/bin/env node
// Seeded dataset generator for `npm run bench`.
//
//   node bench/generate.ts small|large [persist-dir]
//
// Applies migrations/ to a fresh local D1 (`wrangler d1 migrations apply --local --persist-to <dir>/state`),
// then writes rows straight into the SQLite file miniflare keeps that D1 in (node:sqlite, built into the
// Node ≥ 22.13 that `npm run` uses — no native module to build), in one transaction. Tables, columns and
// enum values come from the drizzle schema (src/db/schema.ts), as the migrations do. The same seed gives
// the same rows, ids, tokens and timestamps every time. Users get real PBKDF2 password hashes and
// API tokens stored as SHA-256, exactly as the API makes them, so `wrangler dev` over that state
// authenticates them. A meta.json next to the state tells the load generator what is where.
//
// Shape (both sizes): 1 team ("platform") with 20 members; every task is a team task. User 1 (the bench user,
// OWNER, UTC, weeks from Monday) has, on REPORT_DAY, 40 sessions with 10 switches each (400) and, on each other
// day of that week and the week before, 8 sessions — the rows a daily and a weekly report aggregate. Each user
// also has one OPEN session (for switch creation). Everything else is spread at random over the year before.
import { createHash, pbkdf2Sync } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { count, getTableColumns, getTableName, or, type SQL, sql } from "drizzle-orm";
import { QueryBuilder, type SQLiteTable } from "drizzle-orm/sqlite-core";
import {
  apiTokens,
  contextSwitches,
  devSessions,
  EXTERNAL_SOURCES,
  memberships,
  type Role,
  sessionPauses,
  sessionTasks,
  SWITCH_REASONS,
  TASK_PRIORITIES,
  TASK_STATUSES,
  TASK_TYPES,
  tasks,
  teams,
  users,
} from "../src/db/schema.ts";
import { d1File, migrate, root, snapshotSources } from "./lib/server.ts";

export const SIZES = {
  small: { users: 20, tasks: 1_000, sessions: 500, switches: 5_000 },
  large: { users: 20, tasks: 100_000, sessions: 50_000, switches: 500_000 },
};
export type Size = keyof typeof SIZES;
const isSize = (s: string): s is Size => Object.hasOwn(SIZES, s);

export const PASSWORD = "bench password 123";
export const REPORT_DAY = "2026-11-10"; // a Tuesday; its week (from Monday) is 11-09 … 11-15
const WEEK_FIRST = "2026-11-09";
const PREV_WEEK_FIRST = "2026-11-02";
const REPORT_DAY_SESSIONS = 40;
const REPORT_DAY_SWITCHES_EACH = 10;
const OTHER_WINDOW_DAY_SESSIONS = 8;
/** A phrase planted in exactly NEEDLE_TASKS tasks at every size: the "find that one task" search. */
export const NEEDLE = "oauth redirect";
const NEEDLE_TASKS = 12;
/** A word of the vocabulary: about 2 % of tasks, so its match count grows with the data. */
export const BROAD = "webhook";

const DAY_MS = 86_400_000;
const day = (s: string) => Date.parse(`${s}T00:00:00.000Z`);
const iso = (ms: number) => new Date(ms).toISOString();
const DATA_FROM = day("2025-11-28");
const DATA_TO = day("2026-11-27");
const TASKS_FROM = day("2024-01-01");
/** The days the rows are spread over (what bench/lib/storage.ts scales to a year): sessions and switches, tasks. */
export const SPANS_DAYS = { sessions: (DATA_TO - DATA_FROM) / DAY_MS, tasks: (DATA_TO - TASKS_FROM) / DAY_MS };

/** Relative weights over every value of a schema enum (a value added to the schema fails to compile here). */
type Weights<T extends string> = Record<T, number>;
type Of<E extends readonly string[]> = E[number];

/** mulberry32: small, fast, seeded. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(arr: readonly T[]): T => {
    const v = arr[Math.floor(next() * arr.length)];
    if (v === undefined) throw new Error("pick from an empty list");
    return v;
  };
  const weighted = <T extends string>(weights: Weights<T>): T => {
    const pairs = Object.entries(weights) as [T, number][];
    let r = next() * pairs.reduce((s, [, w]) => s + w, 0);
    for (const [v, w] of pairs) if ((r -= w) < 0) return v;
    const last = pairs.at(-1);
    if (!last) throw new Error("no weights");
    return last[0];
  };
  return { next, int, pick, weighted };
}
type Prng = ReturnType<typeof prng>;

const VERBS = ["Fix", "Add", "Refactor", "Update", "Remove", "Improve", "Investigate", "Document", "Migrate", "Optimize", "Support", "Handle", "Retry", "Validate", "Cache", "Split"];
const ADJ = ["flaky", "slow", "broken", "missing", "duplicate", "stale", "legacy", "async", "partial", "nested", "empty", "invalid", "large", "concurrent", "expired", "unicode"];
const NOUNS = [
  "login form", "session cookie", "rate limiter", "search index", "CSV export", "billing invoice", "user avatar", "email digest",
  "webhook", "feature flag", "audit log", "retry queue", "cron job", "payment intent", "image upload", "dark mode",
  "settings page", "API client", "error banner", "password reset", "team invite", "notification badge", "date picker", "pagination",
  "timezone offset", "report chart", "SSO callback", "access token", "database migration", "health check", "dashboard widget", "mobile layout",
  "keyboard shortcut", "tooltip", "file preview", "markdown renderer", "spam filter", "GraphQL resolver", "metrics endpoint", "onboarding flow",
  "dependency bump", "build cache", "test fixture", "memory leak", "connection pool", "translation string", "PDF receipt", "sidebar",
];
const COMPONENTS = [
  "billing service", "web app", "mobile app", "admin console", "public API", "worker", "auth service", "search service",
  "notifications", "reporting", "importer", "CLI", "SDK", "data pipeline", "design system", "docs site",
];
const SENTENCES: ((r: Prng) => string)[] = [
  (r) => `Users report that the ${r.pick(NOUNS)} is ${r.pick(ADJ)} after the last deploy.`,
  (r) => `Steps: open the ${r.pick(COMPONENTS)}, trigger the ${r.pick(NOUNS)}, then reload.`,
  (r) => `Expected the ${r.pick(NOUNS)} to stay ${r.pick(ADJ)}-free; got a ${r.pick(ADJ)} ${r.pick(NOUNS)} instead.`,
  (r) => `Related to the ${r.pick(NOUNS)} work in the ${r.pick(COMPONENTS)}.`,
  (r) => `Acceptance: the ${r.pick(NOUNS)} handles ${r.int(2, 500)} concurrent requests without errors.`,
  (r) => `Needs a test for the ${r.pick(ADJ)} case and a note in the changelog.`,
  (r) => `Seen ${r.int(1, 90)} times this week in production logs.`,
];
// The shares of each enum value (the insertion order is the draw order: keep it, or the dataset changes).
const TYPE_WEIGHTS: Weights<Of<typeof TASK_TYPES>> = { BUG: 30, FEATURE: 50, REFACTOR: 20 };
const PRIORITY_WEIGHTS: Weights<Of<typeof TASK_PRIORITIES>> = { LOW: 25, MED: 50, HIGH: 25 };
const STATUS_WEIGHTS: Weights<Of<typeof TASK_STATUSES>> = { TODO: 40, IN_PROGRESS: 20, DONE: 40 };
const SOURCE_WEIGHTS: Weights<Of<typeof EXTERNAL_SOURCES>> = { MANUAL: 60, GITHUB: 35, JIRA: 5 };
const REASON_WEIGHTS: Weights<Of<typeof SWITCH_REASONS>> = { INTERRUPT: 30, QUICK_FIX: 20, MEETING: 20, OTHER: 30 };
const NOTES = ["", "", "", "prod alert", "review request", "standup", "question in chat", "build broke", "pairing"];

function passwordHash(): string {
  // The API's own format (src/platform/crypto.ts hashPassword, which uses WebCrypto typed for workerd):
  // pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>, with a fixed salt so the dataset is reproducible.
  const salt = Buffer.alloc(16, 7);
  const hash = pbkdf2Sync(PASSWORD, salt, 100_000, 32, "sha256");
  return `pbkdf2_sha256$100000$${salt.toString("base64")}$${hash.toString("base64")}`;
}
const sha256Hex = (s: string) => createHash("sha256").update(s).digest("hex");

const sqlValue = (v: unknown): SQLInputValue => {
  if (v === null || v === undefined) return null;
  if (typeof v === "string" || typeof v === "number" || typeof v === "bigint") return v;
  throw new Error(`no SQLite value for ${typeof v}`);
};

/**
 * A prepared INSERT into a drizzle table: a row is the table's own insert type (property names as in
 * src/db/schema.ts), its SQL column names come from the schema. Every row of one inserter sets the same
 * properties (those of its first row); the rest take their column defaults.
 */
export function inserter<T extends SQLiteTable>(db: DatabaseSync, table: T): (row: T["$inferInsert"]) => void {
  const columns: Record<string, { name: string }> = getTableColumns(table);
  let keys: string[] = [];
  let stmt: StatementSync | undefined;
  return (row) => {
    const fields: Record<string, unknown> = row;
    if (!stmt) {
      keys = Object.keys(fields);
      const names = keys.map((k) => {
        const column = columns[k];
        if (!column) throw new Error(`${getTableName(table)} has no column ${k}`);
        return `"${column.name}"`;
      });
      stmt = db.prepare(`INSERT INTO "${getTableName(table)}" (${names.join(", ")}) VALUES (${keys.map(() => "?").join(", ")})`);
    }
    stmt.run(...keys.map((k) => sqlValue(fields[k])));
  };
}

/** The first column of the first row of a drizzle query, as a number. */
function scalar(db: DatabaseSync, query: { toSQL(): { sql: string; params: unknown[] } }): number {
  const { sql: text, params } = query.toSQL();
  const row = db.prepare(text).get(...params.map(sqlValue));
  return Number(row ? Object.values(row)[0] : NaN);
}

interface Plan {
  user: number;
  start: number;
  len: number;
  switches: number;
  pause: boolean;
  window?: string;
  open?: boolean;
}

export interface Aggregated {
  sessions: number;
  switches: number;
  pauses: number;
  session_tasks: number;
}

export interface Meta {
  size: Size;
  seed: number;
  persistTo: string;
  counts: { users: number; teams: number; tasks: number; sessions: number; switches: number; session_pauses: number; session_tasks: number };
  tokens: string[];
  teamId: number;
  benchUser: number;
  reportDay: string;
  weekOf: string;
  /** The rows a daily / weekly report of the bench user aggregates (the weekly loads its week and the one before). */
  aggregated: { daily: Aggregated; weekly: Aggregated };
  /** The OPEN session of each user, by user id. */
  openSessions: Record<number, number>;
  benchUserSessions: number[];
  search: { needle: string; needleMatches: number; broad: string; broadMatches: number };
  externalKey: string | null;
  sessionRange: { date_from: string; date_to: string };
  ftsTables: string[];
  timings_ms: { migrate: number; insert: number; total: number };
}

export interface GenerateOptions {
  appDir?: string;
  seed?: number;
  log?: (line: string) => void;
}

/** Fills `<dir>/state` with a dataset of `size`; returns the meta it also writes to `<dir>/meta.json`. */
export function generate(size: Size, dir: string, { appDir, seed = 20261128, log = console.log }: GenerateOptions = {}): Meta {
  const spec = SIZES[size];
  const t0 = performance.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const persistTo = path.join(dir, "state");
  const app = appDir ?? snapshotSources(path.join(dir, "app"));
  migrate(app, persistTo);
  const file = d1File(persistTo);
  const tMigrated = performance.now();

  const r = prng(seed);
  const db = new DatabaseSync(file, { enableForeignKeyConstraints: false });
  db.exec("PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;");
  // Triggers that keep derived tables (e.g. a full-text index) in step are dropped for the load and
  // re-created after it; each derived index is then rebuilt once, which is much faster than row by row.
  const triggers = db
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?")
    .all(getTableName(tasks))
    .map((t) => ({ name: String(t.name), sql: String(t.sql) }));
  const ftsTables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%USING fts5(%'")
    .all()
    .map((t) => String(t.name));
  db.exec("BEGIN");
  for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`);

  // Users, one team, memberships, tokens.
  const pw = passwordHash();
  const created = iso(DATA_FROM - 30 * DAY_MS);
  const insUser = inserter(db, users);
  const insToken = inserter(db, apiTokens);
  const insMember = inserter(db, memberships);
  const teamId = 1;
  inserter(db, teams)({ id: teamId, name: "Platform", slug: "platform", createdBy: 1, createdAt: created, updatedAt: created });
  const tokens: string[] = [];
  for (let u = 1; u <= spec.users; u++) {
    insUser({ id: u, email: `bench${u}@example.com`, name: `Bench User ${u}`, passwordHash: pw, timezone: "UTC", dayStartHour: 0, weekStart: "MON", createdAt: created, updatedAt: created });
    const token = `dfk_bench_${size}_${u}_${Math.floor(r.next() * 2 ** 48).toString(36)}`;
    tokens.push(token);
    insToken({ id: u, userId: u, name: "bench", tokenHash: sha256Hex(token), prefix: token.slice(0, 8), createdAt: created });
    const role: Role = u === 1 ? "OWNER" : u === 2 ? "ADMIN" : u === spec.users ? "VIEWER" : "MEMBER";
    insMember({ id: u, teamId, userId: u, role, createdAt: created, updatedAt: created });
  }

  // Tasks: all in the team, created in id order over three years.
  const insTask = inserter(db, tasks);
  const needleIds = new Set(Array.from({ length: NEEDLE_TASKS }, (_, k) => 1 + Math.floor(((k + 0.5) * spec.tasks) / NEEDLE_TASKS)));
  const taskTitles: string[] = new Array<string>(spec.tasks + 1);
  let githubKey: string | null = null;
  const span = DATA_TO - TASKS_FROM;
  for (let id = 1; id <= spec.tasks; id++) {
    const createdAt = TASKS_FROM + Math.floor(((id - 1 + r.next() * 0.9) * span) / spec.tasks);
    const updatedAt = Math.min(DATA_TO, createdAt + Math.floor(r.next() * r.next() * 60 * DAY_MS));
    const title = needleIds.has(id)
      ? `Fix OAuth redirect loop in ${r.pick(COMPONENTS)}`
      : `${r.pick(VERBS)} ${r.next() < 0.5 ? `${r.pick(ADJ)} ` : ""}${r.pick(NOUNS)} in ${r.pick(COMPONENTS)}`;
    const description = Array.from({ length: r.int(1, 3) }, () => r.pick(SENTENCES)(r)).join(" ");
    const externalSource = r.weighted(SOURCE_WEIGHTS);
    const ext =
      externalSource === "GITHUB"
        ? { externalId: String(100_000_000 + id), externalKey: `acme/widgets#${id}`, externalUrl: `https://github.com/acme/widgets/issues/${id}` }
        : externalSource === "JIRA"
          ? { externalId: String(id), externalKey: `PLAT-${id}`, externalUrl: `https://acme.atlassian.net/browse/PLAT-${id}` }
          : { externalId: null, externalKey: null, externalUrl: null };
    if (externalSource === "GITHUB" && !githubKey && id > spec.tasks / 2) githubKey = ext.externalKey;
    taskTitles[id] = title;
    insTask({
      id, teamId, title, description,
      type: r.weighted(TYPE_WEIGHTS),
      priority: r.weighted(PRIORITY_WEIGHTS),
      status: r.weighted(STATUS_WEIGHTS),
      externalSource, ...ext,
      createdBy: r.int(1, spec.users), createdAt: iso(createdAt), updatedAt: iso(updatedAt),
    });
  }

  // Sessions: plan them all first (start, length, owner), then give them switches.
  const plans: Plan[] = [];
  const windowDays = Array.from({ length: 14 }, (_, i) => iso(day(PREV_WEEK_FIRST) + i * DAY_MS).slice(0, 10));
  for (const d of windowDays) {
    const n = d === REPORT_DAY ? REPORT_DAY_SESSIONS : OTHER_WINDOW_DAY_SESSIONS;
    const slot = Math.floor(DAY_MS / n);
    for (let k = 0; k < n; k++) {
      const start = day(d) + k * slot + r.int(0, 5) * 60_000;
      const len = Math.min(slot - 6 * 60_000, r.int(20, 30) * 60_000 + (d === REPORT_DAY ? 0 : r.int(0, 60) * 60_000));
      plans.push({ user: 1, start, len, switches: d === REPORT_DAY ? REPORT_DAY_SWITCHES_EACH : r.int(4, 10), pause: k % 4 === 0, window: d });
    }
  }
  const open: Plan[] = [];
  for (let u = 1; u <= spec.users; u++) open.push({ user: u, start: DATA_TO + 8 * 3600_000, len: 0, switches: 0, pause: false, open: true });
  const windowStart = day(PREV_WEEK_FIRST);
  const windowEnd = day(WEEK_FIRST) + 7 * DAY_MS;
  const rest = spec.sessions - plans.length - open.length;
  if (rest < 0) throw new Error("too few sessions for the report window");
  const restPlans: Plan[] = [];
  for (let i = 0; i < rest; i++) {
    const user = r.int(1, spec.users);
    let start;
    do start = DATA_FROM + Math.floor(r.next() * (DATA_TO - DATA_FROM - 4 * 3600_000));
    while (user === 1 && start >= windowStart - 4 * 3600_000 && start < windowEnd);
    restPlans.push({ user, start, len: r.int(10, 180) * 60_000, switches: 0, pause: r.next() < 0.2 });
  }
  // The remaining switches fall on the other sessions uniformly at random: exact total, mean ≈ 10.
  let switchesLeft = spec.switches - plans.reduce((s, p) => s + p.switches, 0);
  for (; switchesLeft > 0; switchesLeft--) {
    const p = restPlans[Math.floor(r.next() * restPlans.length)];
    if (p) p.switches++;
  }
  const all = [...plans, ...restPlans, ...open];
  all.sort((a, b) => a.start - b.start);

  const insSession = inserter(db, devSessions);
  const insPause = inserter(db, sessionPauses);
  const insSessionTask = inserter(db, sessionTasks);
  const insSwitch = inserter(db, contextSwitches);
  const zero = (): Aggregated => ({ sessions: 0, switches: 0, pauses: 0, session_tasks: 0 });
  const agg = { daily: zero(), weekly: zero() };
  const openSessions: Record<number, number> = {};
  const benchUserSessions: number[] = [];
  let switchId = 0;
  let pauses = 0;
  let sessionTaskRows = 0;
  const someTask = () => r.int(1, spec.tasks);
  all.forEach((p, i) => {
    const id = i + 1;
    const end = p.start + p.len;
    const main = someTask();
    const title = p.open ? "Open bench session" : `Work on ${taskTitles[main]}`.slice(0, 255);
    let paused = 0;
    let pauseRow: { pausedAt: string; resumedAt: string } | null = null;
    if (p.pause && p.len >= 20 * 60_000) {
      const from = p.start + Math.floor(p.len / 2);
      paused = r.int(5, 15) * 60_000;
      pauseRow = { pausedAt: iso(from), resumedAt: iso(from + paused) };
    }
    const times = Array.from({ length: p.switches }, () => p.start + 60_000 + Math.floor(r.next() * Math.max(1, p.len - 120_000))).sort((a, b) => a - b);
    const last = times.at(-1);
    insSession({
      id, userId: p.user, teamId: p.user === 1 && !p.window && r.next() < 0.5 ? null : teamId, title, description: "",
      status: p.open ? "OPEN" : "DONE", startedAt: iso(p.start), endedAt: p.open ? null : iso(end), switchCount: p.switches,
      lastSwitchAt: last === undefined ? null : iso(last),
      totalFocusMinutes: p.open ? 0 : Math.floor((p.len - paused) / 60_000), createdAt: iso(p.start), updatedAt: iso(p.open ? p.start : end),
    });
    if (p.open) openSessions[p.user] = id;
    else if (p.window && benchUserSessions.length < 100) benchUserSessions.push(id);
    if (pauseRow) {
      insPause({ sessionId: id, ...pauseRow });
      pauses++;
    }
    const attached = p.open ? [] : r.next() < 0.5 ? [main] : [main, someTask()].filter((t, k, a) => a.indexOf(t) === k);
    attached.forEach((taskId, k) => insSessionTask({ sessionId: id, taskId, role: k ? "SIDE" : "MAIN", createdAt: iso(p.start) }));
    sessionTaskRows += attached.length;
    for (const at of times) {
      const a = iso(at);
      insSwitch({
        id: ++switchId, sessionId: id, userId: p.user,
        fromTaskId: r.next() < 0.8 ? someTask() : null, toTaskId: r.next() < 0.8 ? someTask() : null,
        reason: r.weighted(REASON_WEIGHTS), happenedAt: a, note: r.pick(NOTES), createdAt: a, updatedAt: a,
      });
    }
    if (p.window) {
      const rows: Aggregated = { sessions: 1, switches: p.switches, pauses: pauseRow ? 1 : 0, session_tasks: attached.length };
      for (const k of Object.keys(rows) as (keyof Aggregated)[]) {
        agg.weekly[k] += rows[k];
        if (p.window === REPORT_DAY) agg.daily[k] += rows[k];
      }
    }
  });

  for (const t of triggers) db.exec(t.sql);
  for (const name of ftsTables) db.exec(`INSERT INTO "${name}"("${name}") VALUES ('rebuild')`);
  db.exec("COMMIT");
  const tInserted = performance.now();

  const qb = new QueryBuilder();
  const rows = (table: SQLiteTable, where?: SQL) => scalar(db, qb.select({ n: count() }).from(table).where(where));
  // The API's `search` (src/platform/sql.ts contains): a substring of the title or the description, ASCII case-folded.
  const matching = (term: string) => or(sql`instr(lower(${tasks.title}), ${term}) > 0`, sql`instr(lower(${tasks.description}), ${term}) > 0`);
  const broadMatches = rows(tasks, matching(BROAD));
  const needleMatches = rows(tasks, matching(NEEDLE));
  const counts = {
    users: rows(users),
    teams: rows(teams),
    tasks: rows(tasks),
    sessions: rows(devSessions),
    switches: rows(contextSwitches),
    session_pauses: pauses,
    session_tasks: sessionTaskRows,
  };
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();

  const meta: Meta = {
    size,
    seed,
    persistTo,
    counts,
    tokens,
    teamId,
    benchUser: 1,
    reportDay: REPORT_DAY,
    weekOf: REPORT_DAY,
    aggregated: agg,
    openSessions,
    benchUserSessions,
    search: { needle: NEEDLE, needleMatches, broad: BROAD, broadMatches },
    externalKey: githubKey,
    sessionRange: { date_from: "2026-11-01", date_to: "2026-11-30" },
    ftsTables,
    timings_ms: { migrate: Math.round(tMigrated - t0), insert: Math.round(tInserted - tMigrated), total: Math.round(performance.now() - t0) },
  };
  writeFileSync(path.join(dir, "meta.json"), JSON.stringify(meta, null, 2));
  log(`${size}: ${JSON.stringify(counts)} in ${(meta.timings_ms.total / 1000).toFixed(1)} s (migrations ${(meta.timings_ms.migrate / 1000).toFixed(1)} s)`);
  return meta;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const size = process.argv[2] ?? "small";
  if (!isSize(size)) throw new Error(`unknown size ${size}; use ${Object.keys(SIZES).join(" or ")}`);
  const dir = process.argv[3] ?? path.join(root, "bench", "data", size);
  generate(size, path.resolve(dir));
}
