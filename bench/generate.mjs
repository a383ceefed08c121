#!/usr/bin/env node
// Seeded dataset generator for `npm run bench`.
//
//   node bench/generate.mjs small|large [persist-dir]
//
// Applies migrations/ to a fresh local D1 (`wrangler d1 migrations apply --local --persist-to <dir>/state`),
// then writes rows straight into the SQLite file miniflare keeps that D1 in (node:sqlite, built into the
// Node ≥ 22.13 that `npm run` uses — no native module to build), in one transaction. The same seed gives
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
import { DatabaseSync } from "node:sqlite";
import { d1File, migrate, root, snapshotSources } from "./lib/server.mjs";

export const SIZES = {
  small: { users: 20, tasks: 1_000, sessions: 500, switches: 5_000 },
  large: { users: 20, tasks: 100_000, sessions: 50_000, switches: 500_000 },
};

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
const day = (s) => Date.parse(`${s}T00:00:00.000Z`);
const iso = (ms) => new Date(ms).toISOString();
const DATA_FROM = day("2025-11-28");
const DATA_TO = day("2026-11-27");
const TASKS_FROM = day("2024-01-01");

/** mulberry32: small, fast, seeded. */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = (arr) => arr[Math.floor(next() * arr.length)];
  const weighted = (pairs) => {
    let r = next() * pairs.reduce((s, [, w]) => s + w, 0);
    for (const [v, w] of pairs) if ((r -= w) < 0) return v;
    return pairs.at(-1)[0];
  };
  return { next, int, pick, weighted };
}

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
const SENTENCES = [
  (r) => `Users report that the ${r.pick(NOUNS)} is ${r.pick(ADJ)} after the last deploy.`,
  (r) => `Steps: open the ${r.pick(COMPONENTS)}, trigger the ${r.pick(NOUNS)}, then reload.`,
  (r) => `Expected the ${r.pick(NOUNS)} to stay ${r.pick(ADJ)}-free; got a ${r.pick(ADJ)} ${r.pick(NOUNS)} instead.`,
  (r) => `Related to the ${r.pick(NOUNS)} work in the ${r.pick(COMPONENTS)}.`,
  (r) => `Acceptance: the ${r.pick(NOUNS)} handles ${r.int(2, 500)} concurrent requests without errors.`,
  (r) => `Needs a test for the ${r.pick(ADJ)} case and a note in the changelog.`,
  (r) => `Seen ${r.int(1, 90)} times this week in production logs.`,
];
const REASONS = [["INTERRUPT", 30], ["QUICK_FIX", 20], ["MEETING", 20], ["OTHER", 30]];
const NOTES = ["", "", "", "prod alert", "review request", "standup", "question in chat", "build broke", "pairing"];

function passwordHash() {
  // The API's own format (src/platform/crypto.ts): pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>.
  const salt = Buffer.alloc(16, 7);
  const hash = pbkdf2Sync(PASSWORD, salt, 100_000, 32, "sha256");
  return `pbkdf2_sha256$100000$${salt.toString("base64")}$${hash.toString("base64")}`;
}
const sha256Hex = (s) => createHash("sha256").update(s).digest("hex");

/** Fills `<dir>/state` with a dataset of `size`; returns the meta it also writes to `<dir>/meta.json`. */
export function generate(size, dir, { appDir, seed = 20261128, log = console.log } = {}) {
  const spec = SIZES[size];
  if (!spec) throw new Error(`unknown size ${size}; use small or large`);
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
  const triggers = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'tasks'").all();
  const ftsTables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%USING fts5(%'")
    .all()
    .map((t) => t.name);
  db.exec("BEGIN");
  for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`);

  // Users, one team, memberships, tokens.
  const pw = passwordHash();
  const created = iso(DATA_FROM - 30 * DAY_MS);
  const insUser = db.prepare(
    "INSERT INTO users (id, email, name, password_hash, timezone, day_start_hour, week_start, created_at, updated_at) VALUES (?, ?, ?, ?, 'UTC', 0, 'MON', ?, ?)",
  );
  const insToken = db.prepare("INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at) VALUES (?, ?, 'bench', ?, ?, ?)");
  const insMember = db.prepare("INSERT INTO memberships (id, team_id, user_id, role, created_at, updated_at) VALUES (?, 1, ?, ?, ?, ?)");
  db.prepare("INSERT INTO teams (id, name, slug, created_by, created_at, updated_at) VALUES (1, 'Platform', 'platform', 1, ?, ?)").run(created, created);
  const tokens = [];
  for (let u = 1; u <= spec.users; u++) {
    insUser.run(u, `bench${u}@example.com`, `Bench User ${u}`, pw, created, created);
    const token = `dfk_bench_${size}_${u}_${Math.floor(r.next() * 2 ** 48).toString(36)}`;
    tokens.push(token);
    insToken.run(u, u, sha256Hex(token), token.slice(0, 8), created);
    const role = u === 1 ? "OWNER" : u === 2 ? "ADMIN" : u === spec.users ? "VIEWER" : "MEMBER";
    insMember.run(u, u, role, created, created);
  }

  // Tasks: all in the team, created in id order over three years.
  const insTask = db.prepare(
    `INSERT INTO tasks (id, team_id, title, description, type, priority, status, external_source, external_id, external_key, external_url, created_by, created_at, updated_at)
     VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const needleIds = new Set(Array.from({ length: NEEDLE_TASKS }, (_, k) => 1 + Math.floor(((k + 0.5) * spec.tasks) / NEEDLE_TASKS)));
  const taskTitles = new Array(spec.tasks + 1);
  let githubKey = null;
  const span = DATA_TO - TASKS_FROM;
  for (let id = 1; id <= spec.tasks; id++) {
    const createdAt = TASKS_FROM + Math.floor(((id - 1 + r.next() * 0.9) * span) / spec.tasks);
    const updatedAt = Math.min(DATA_TO, createdAt + Math.floor(r.next() * r.next() * 60 * DAY_MS));
    const title = needleIds.has(id)
      ? `Fix OAuth redirect loop in ${r.pick(COMPONENTS)}`
      : `${r.pick(VERBS)} ${r.next() < 0.5 ? `${r.pick(ADJ)} ` : ""}${r.pick(NOUNS)} in ${r.pick(COMPONENTS)}`;
    const description = Array.from({ length: r.int(1, 3) }, () => r.pick(SENTENCES)(r)).join(" ");
    const source = r.weighted([["MANUAL", 60], ["GITHUB", 35], ["JIRA", 5]]);
    const ext =
      source === "GITHUB"
        ? [String(100_000_000 + id), `acme/widgets#${id}`, `https://github.com/acme/widgets/issues/${id}`]
        : source === "JIRA"
          ? [String(id), `PLAT-${id}`, `https://acme.atlassian.net/browse/PLAT-${id}`]
          : [null, null, null];
    if (source === "GITHUB" && !githubKey && id > spec.tasks / 2) githubKey = ext[1];
    taskTitles[id] = title;
    insTask.run(
      id, title, description,
      r.weighted([["BUG", 30], ["FEATURE", 50], ["REFACTOR", 20]]),
      r.weighted([["LOW", 25], ["MED", 50], ["HIGH", 25]]),
      r.weighted([["TODO", 40], ["IN_PROGRESS", 20], ["DONE", 40]]),
      source, ...ext,
      r.int(1, spec.users), iso(createdAt), iso(updatedAt),
    );
  }

  // Sessions: plan them all first (start, length, owner), then give them switches.
  const plans = [];
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
  const open = [];
  for (let u = 1; u <= spec.users; u++) open.push({ user: u, start: DATA_TO + 8 * 3600_000, len: 0, switches: 0, pause: false, open: true });
  const windowStart = day(PREV_WEEK_FIRST);
  const windowEnd = day(WEEK_FIRST) + 7 * DAY_MS;
  const rest = spec.sessions - plans.length - open.length;
  if (rest < 0) throw new Error("too few sessions for the report window");
  const restPlans = [];
  for (let i = 0; i < rest; i++) {
    const user = r.int(1, spec.users);
    let start;
    do start = DATA_FROM + Math.floor(r.next() * (DATA_TO - DATA_FROM - 4 * 3600_000));
    while (user === 1 && start >= windowStart - 4 * 3600_000 && start < windowEnd);
    restPlans.push({ user, start, len: r.int(10, 180) * 60_000, switches: 0, pause: r.next() < 0.2 });
  }
  // The remaining switches fall on the other sessions uniformly at random: exact total, mean ≈ 10.
  let switchesLeft = spec.switches - plans.reduce((s, p) => s + p.switches, 0);
  for (; switchesLeft > 0; switchesLeft--) restPlans[Math.floor(r.next() * restPlans.length)].switches++;
  const all = [...plans, ...restPlans, ...open];
  all.sort((a, b) => a.start - b.start);

  const insSession = db.prepare(
    `INSERT INTO dev_sessions (id, user_id, team_id, title, description, status, started_at, ended_at, switch_count, last_switch_at, total_focus_minutes, created_at, updated_at)
     VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insPause = db.prepare("INSERT INTO session_pauses (session_id, paused_at, resumed_at) VALUES (?, ?, ?)");
  const insSessionTask = db.prepare("INSERT INTO session_tasks (session_id, task_id, role, created_at) VALUES (?, ?, ?, ?)");
  const insSwitch = db.prepare(
    `INSERT INTO context_switches (id, session_id, user_id, from_task_id, to_task_id, reason, happened_at, note, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const agg = { daily: { sessions: 0, switches: 0, pauses: 0, session_tasks: 0 }, weekly: { sessions: 0, switches: 0, pauses: 0, session_tasks: 0 } };
  const openSessions = {};
  const benchUserSessions = [];
  let switchId = 0;
  let pauses = 0;
  let sessionTasks = 0;
  const someTask = () => r.int(1, spec.tasks);
  all.forEach((p, i) => {
    const id = i + 1;
    const end = p.start + p.len;
    const main = someTask();
    const title = p.open ? "Open bench session" : `Work on ${taskTitles[main]}`.slice(0, 255);
    let paused = 0;
    let pauseRow = null;
    if (p.pause && p.len >= 20 * 60_000) {
      const from = p.start + Math.floor(p.len / 2);
      paused = r.int(5, 15) * 60_000;
      pauseRow = [iso(from), iso(from + paused)];
    }
    const times = Array.from({ length: p.switches }, () => p.start + 60_000 + Math.floor(r.next() * Math.max(1, p.len - 120_000))).sort((a, b) => a - b);
    const last = times.length ? iso(times.at(-1)) : null;
    insSession.run(
      id, p.user, p.user === 1 && !p.window && r.next() < 0.5 ? null : 1, title,
      p.open ? "OPEN" : "DONE", iso(p.start), p.open ? null : iso(end), p.switches, last,
      p.open ? 0 : Math.floor((p.len - paused) / 60_000), iso(p.start), iso(p.open ? p.start : end),
    );
    if (p.open) openSessions[p.user] = id;
    else if (p.window && benchUserSessions.length < 100) benchUserSessions.push(id);
    if (pauseRow) {
      insPause.run(id, ...pauseRow);
      pauses++;
    }
    const attached = p.open ? [] : r.next() < 0.5 ? [main] : [main, someTask()].filter((t, k, a) => a.indexOf(t) === k);
    attached.forEach((t, k) => insSessionTask.run(id, t, k ? "SIDE" : "MAIN", iso(p.start)));
    sessionTasks += attached.length;
    for (const at of times) {
      const a = iso(at);
      insSwitch.run(++switchId, id, p.user, r.next() < 0.8 ? someTask() : null, r.next() < 0.8 ? someTask() : null, r.weighted(REASONS), a, r.pick(NOTES), a, a);
    }
    if (p.window) {
      const rows = { sessions: 1, switches: p.switches, pauses: pauseRow ? 1 : 0, session_tasks: attached.length };
      for (const k of Object.keys(rows)) {
        agg.weekly[k] += rows[k];
        if (p.window === REPORT_DAY) agg.daily[k] += rows[k];
      }
    }
  });

  for (const t of triggers) db.exec(t.sql);
  for (const name of ftsTables) db.exec(`INSERT INTO "${name}"("${name}") VALUES ('rebuild')`);
  db.exec("COMMIT");
  const tInserted = performance.now();
  const count = (sql, ...args) => Number(Object.values(db.prepare(sql).get(...args))[0]);
  const broadMatches = count("SELECT count(*) FROM tasks WHERE instr(lower(title), ?) > 0 OR instr(lower(description), ?) > 0", BROAD, BROAD);
  const needleMatches = count("SELECT count(*) FROM tasks WHERE instr(lower(title), ?) > 0 OR instr(lower(description), ?) > 0", NEEDLE, NEEDLE);
  const counts = {
    users: count("SELECT count(*) FROM users"),
    teams: count("SELECT count(*) FROM teams"),
    tasks: count("SELECT count(*) FROM tasks"),
    sessions: count("SELECT count(*) FROM dev_sessions"),
    switches: count("SELECT count(*) FROM context_switches"),
    session_pauses: pauses,
    session_tasks: sessionTasks,
  };
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();

  const meta = {
    size,
    seed,
    persistTo,
    counts,
    tokens,
    teamId: 1,
    benchUser: 1,
    reportDay: REPORT_DAY,
    weekOf: REPORT_DAY,
    /** The rows a daily / weekly report of the bench user aggregates (the weekly loads its week and the one before). */
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

if (import.meta.url === `file://${process.argv[1]}`) {
  const size = process.argv[2] ?? "small";
  const dir = process.argv[3] ?? path.join(root, "bench", "data", size);
  generate(size, path.resolve(dir));
}
