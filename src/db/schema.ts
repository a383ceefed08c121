import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex, type AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import { ROLES } from "./roles.ts";

/** Every enum of the API lives here once (ROLES in the leaf db/roles.ts, which the dashboard imports too); zod schemas and the OpenAPI document derive from these. */
export { ROLES };
export const WEEK_STARTS = ["MON", "SUN"] as const;
export const TASK_TYPES = ["BUG", "FEATURE", "REFACTOR"] as const;
export const TASK_PRIORITIES = ["LOW", "MED", "HIGH"] as const;
export const TASK_STATUSES = ["TODO", "IN_PROGRESS", "DONE"] as const;
export const EXTERNAL_SOURCES = ["MANUAL", "GITHUB", "JIRA"] as const;
export const SESSION_STATUSES = ["OPEN", "PAUSED", "DONE"] as const;
export const SESSION_TASK_ROLES = ["MAIN", "SIDE"] as const;
export const SWITCH_REASONS = ["INTERRUPT", "QUICK_FIX", "MEETING", "OTHER"] as const;
export const RESOURCE_TYPES = ["PR", "ISSUE", "DOC", "ARTICLE", "TOOL", "OTHER"] as const;
export const REPORT_TYPES = ["DAILY", "WEEKLY", "SESSION"] as const;
export const REPORT_REQUEST_TYPES = ["DAILY", "WEEKLY"] as const;
export const JOB_STATUSES = ["PENDING", "RUNNING", "DONE", "FAILED"] as const;
export const INSIGHT_LEVELS = ["INFO", "WARN"] as const;
export const INSIGHT_CODES = [
  "HIGH_CONTEXT_SWITCHING",
  "LOW_FOCUS_TIME",
  "FRAGILE_WORKFLOW",
  "DEEP_WORK_OPPORTUNITY",
] as const;
export const GITHUB_STATES = ["open", "closed", "all"] as const;
/**
 * What a credential is: an API token (Bearer, `dfk_…`), a browser session (the devfocus_session cookie), or an
 * editor key (`waka_<uuid4>`, for wakatime-cli: it opens only the WakaTime-compatible API).
 */
export const CREDENTIAL_KINDS = ["API", "SESSION", "EDITOR"] as const;
/** The credentials `POST /api/auth/tokens/` issues, by `scope`: an API token or an editor key. */
export const TOKEN_SCOPES = ["API", "EDITOR"] as const satisfies readonly (typeof CREDENTIAL_KINDS)[number][];

/**
 * Where a session or a switch came from: the API or the dashboard (MANUAL), the CLI, the git hook (GIT), or
 * derived from editor heartbeats (EDITOR, which only the server writes).
 */
export const SOURCES = ["MANUAL", "CLI", "GIT", "EDITOR"] as const;
/** The sources a client may claim (EDITOR is derivation's own). */
export const CLIENT_SOURCES = ["MANUAL", "CLI", "GIT"] as const satisfies readonly (typeof SOURCES)[number][];
/** wakatime-cli's entity types (a heartbeat's `type`). */
export const HEARTBEAT_TYPES = ["file", "domain", "url", "event", "app"] as const;

export type Role = (typeof ROLES)[number];

/**
 * Keyset keys: an integer ordering value and the row id folded into one integer, `value * KEY_ID_SPAN + id`,
 * a VIRTUAL generated column with its own index. A tie-heavy ordering's keyset is then one range, `key < ?`,
 * that starts at the cursor itself: SQLite serves a row-value range `(value, id) < (?, ?)` only by its first
 * column when id is the rowid, so a deep page re-read every tie before its cursor.
 * Exact while 0 ≤ id < 2^32 (AUTOINCREMENT ids count inserts: 4.29 billion of them, far beyond the rows a 10 GB
 * D1 holds) and |value| < 2^31 (no 64-bit overflow). The keys of these columns stay below 2^53 (exact as JS
 * numbers too) while the value is below 2^21: a priority rank is 0–2, a session's switch count is far below.
 */
export const KEY_ID_SPAN = 2 ** 32;
export const KEY_VALUE_LIMIT = 2 ** 31;
const keyOf = (column: string) => sql.raw(`("${column}" * ${KEY_ID_SPAN} + "id")`);

// Timestamps are ISO 8601 UTC strings: they sort correctly as text and are returned as-is.
const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;
const timestamps = {
  createdAt: text("created_at").notNull().default(now),
  updatedAt: text("updated_at").notNull().default(now),
};

export const users = sqliteTable("users", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  email: text("email").notNull().unique(),
  name: text("name").notNull().default(""),
  passwordHash: text("password_hash").notNull(),
  timezone: text("timezone").notNull().default("UTC"),
  dayStartHour: integer("day_start_hour").notNull().default(0),
  weekStart: text("week_start", { enum: WEEK_STARTS }).notNull().default("MON"),
  // Editor activity (modules/editors): a gap this long or longer between heartbeats is idle time.
  idleTimeoutMinutes: integer("idle_timeout_minutes").notNull().default(15),
  // Store a heartbeat's project, branch, language and category, never its entity (file path, URL).
  hideFileNames: integer("hide_file_names", { mode: "boolean" }).notNull().default(true),
  // Raw heartbeats are kept this many days (sessions, pauses and switches derived from them stay).
  heartbeatRetentionDays: integer("heartbeat_retention_days").notNull().default(30),
  ...timestamps,
});

export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    kind: text("kind", { enum: CREDENTIAL_KINDS }).notNull().default("API"),
    tokenHash: text("token_hash").notNull().unique(),
    prefix: text("prefix").notNull(),
    expiresAt: text("expires_at"),
    lastUsedAt: text("last_used_at"),
    revokedAt: text("revoked_at"),
    createdAt: timestamps.createdAt,
  },
  (t) => [index("api_tokens_user_idx").on(t.userId, t.id)],
);

export const rateLimits = sqliteTable("rate_limits", {
  key: text("key").primaryKey(),
  windowStart: integer("window_start").notNull(),
  count: integer("count").notNull(),
});

export const teams = sqliteTable("teams", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  slug: text("slug").notNull().unique(),
  createdBy: integer("created_by").references(() => users.id, { onDelete: "set null" }),
  ...timestamps,
});

export const memberships = sqliteTable(
  "memberships",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    teamId: integer("team_id")
      .notNull()
      .references(() => teams.id, { onDelete: "cascade" }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text("role", { enum: ROLES }).notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex("memberships_team_user_uq").on(t.teamId, t.userId), index("memberships_user_idx").on(t.userId)],
);

export const tasks = sqliteTable(
  "tasks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    teamId: integer("team_id").references(() => teams.id, { onDelete: "cascade" }),
    title: text("title").notNull(),
    description: text("description").notNull().default(""),
    type: text("type", { enum: TASK_TYPES }).notNull().default("FEATURE"),
    priority: text("priority", { enum: TASK_PRIORITIES }).notNull().default("MED"),
    // Semantic order LOW < MED < HIGH for ?ordering=priority, kept by SQLite itself so it cannot drift.
    priorityRank: integer("priority_rank")
      .notNull()
      .generatedAlwaysAs(sql`(CASE "priority" WHEN 'LOW' THEN 0 WHEN 'MED' THEN 1 ELSE 2 END)`, { mode: "virtual" }),
    // ?ordering=priority's keyset key (see KEY_ID_SPAN): priority_rank, then id.
    priorityKey: integer("priority_key").notNull().generatedAlwaysAs(keyOf("priority_rank"), { mode: "virtual" }),
    status: text("status", { enum: TASK_STATUSES }).notNull().default("TODO"),
    externalSource: text("external_source", { enum: EXTERNAL_SOURCES }).notNull().default("MANUAL"),
    externalId: text("external_id"),
    externalKey: text("external_key"),
    externalUrl: text("external_url"),
    createdBy: integer("created_by")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("tasks_external_uq").on(t.teamId, t.externalSource, t.externalId),
    index("tasks_team_created_idx").on(t.teamId, t.createdAt, t.id),
    index("tasks_team_updated_idx").on(t.teamId, t.updatedAt, t.id),
    index("tasks_team_priority_key_idx").on(t.teamId, t.priorityKey),
    index("tasks_team_title_idx").on(t.teamId, t.title, t.id),
    index("tasks_team_type_idx").on(t.teamId, t.type, t.createdAt, t.id),
    index("tasks_team_status_idx").on(t.teamId, t.status, t.createdAt, t.id),
    index("tasks_team_prio_created_idx").on(t.teamId, t.priority, t.createdAt, t.id),
    // ?external_source= (GITHUB is a third of a team's tasks or more): the default page is an index range.
    index("tasks_team_source_created_idx").on(t.teamId, t.externalSource, t.createdAt, t.id),
    index("tasks_team_key_idx").on(t.teamId, t.externalKey),
    index("tasks_creator_created_idx").on(t.createdBy, t.teamId, t.createdAt, t.id),
    // The personal scope (team_id NULL, created_by = caller) under the other orderings: without these the
    // planner walks (team_id IS NULL) of tasks_team_*_idx, i.e. every user's personal tasks.
    index("tasks_creator_updated_idx").on(t.createdBy, t.teamId, t.updatedAt, t.id),
    index("tasks_creator_priority_key_idx").on(t.createdBy, t.teamId, t.priorityKey),
    index("tasks_creator_title_idx").on(t.createdBy, t.teamId, t.title, t.id),
  ],
);

export const devSessions = sqliteTable(
  "dev_sessions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    teamId: integer("team_id").references(() => teams.id, { onDelete: "cascade" }),
    title: text("title").notNull().default(""),
    description: text("description").notNull().default(""),
    status: text("status", { enum: SESSION_STATUSES }).notNull().default("OPEN"),
    source: text("source", { enum: SOURCES }).notNull().default("MANUAL"),
    startedAt: text("started_at").notNull(),
    endedAt: text("ended_at"),
    switchCount: integer("switch_count").notNull().default(0),
    // ?ordering=switch_count's keyset key (see KEY_ID_SPAN): switch_count, then id.
    switchKey: integer("switch_key").notNull().generatedAlwaysAs(keyOf("switch_count"), { mode: "virtual" }),
    lastSwitchAt: text("last_switch_at"),
    totalFocusMinutes: integer("total_focus_minutes").notNull().default(0),
    ...timestamps,
  },
  (t) => [
    index("sessions_user_started_idx").on(t.userId, t.startedAt, t.id),
    index("sessions_team_started_idx").on(t.teamId, t.startedAt, t.id),
    index("sessions_user_switch_key_idx").on(t.userId, t.switchKey),
    index("sessions_team_switch_key_idx").on(t.teamId, t.switchKey),
    // A MEMBER's (or VIEWER's) list of a team's sessions is their own there: both equalities, then the ordering.
    index("sessions_user_team_started_idx").on(t.userId, t.teamId, t.startedAt, t.id),
    index("sessions_user_team_switch_key_idx").on(t.userId, t.teamId, t.switchKey),
    // A derived session is known by its start: derivation updates it in place, and its pauses, switches and
    // tasks refer to it by (user, started_at) inside the batch that creates it.
    uniqueIndex("sessions_editor_start_uq").on(t.userId, t.startedAt).where(sql`source = 'EDITOR'`),
  ],
);

export const sessionPauses = sqliteTable(
  "session_pauses",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    sessionId: integer("session_id")
      .notNull()
      .references(() => devSessions.id, { onDelete: "cascade" }),
    pausedAt: text("paused_at").notNull(),
    resumedAt: text("resumed_at"),
  },
  (t) => [index("session_pauses_session_idx").on(t.sessionId, t.pausedAt)],
);

export const sessionTasks = sqliteTable(
  "session_tasks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    sessionId: integer("session_id")
      .notNull()
      .references(() => devSessions.id, { onDelete: "cascade" }),
    taskId: integer("task_id")
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    role: text("role", { enum: SESSION_TASK_ROLES }).notNull().default("MAIN"),
    createdAt: timestamps.createdAt,
  },
  (t) => [uniqueIndex("session_tasks_uq").on(t.sessionId, t.taskId), index("session_tasks_task_idx").on(t.taskId)],
);

export const contextSwitches = sqliteTable(
  "context_switches",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    sessionId: integer("session_id")
      .notNull()
      .references(() => devSessions.id, { onDelete: "cascade" }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    fromTaskId: integer("from_task_id").references(() => tasks.id, { onDelete: "set null" }),
    toTaskId: integer("to_task_id").references(() => tasks.id, { onDelete: "set null" }),
    reason: text("reason", { enum: SWITCH_REASONS }).notNull().default("OTHER"),
    source: text("source", { enum: SOURCES }).notNull().default("MANUAL"),
    happenedAt: text("happened_at").notNull(),
    note: text("note").notNull().default(""),
    ...timestamps,
  },
  (t) => [
    index("switches_session_idx").on(t.sessionId, t.happenedAt),
    index("switches_user_happened_idx").on(t.userId, t.happenedAt, t.id),
  ],
);

export const resourceLinks = sqliteTable(
  "resource_links",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    // The scope the link lives in: its task's or session's team (null = personal).
    teamId: integer("team_id").references(() => teams.id, { onDelete: "cascade" }),
    sessionId: integer("session_id").references(() => devSessions.id, { onDelete: "cascade" }),
    taskId: integer("task_id").references(() => tasks.id, { onDelete: "cascade" }),
    type: text("type", { enum: RESOURCE_TYPES }).notNull().default("OTHER"),
    title: text("title").notNull().default(""),
    url: text("url").notNull(),
    ...timestamps,
  },
  (t) => [
    index("resources_team_created_idx").on(t.teamId, t.createdAt, t.id),
    index("resources_user_created_idx").on(t.userId, t.createdAt, t.id),
    index("resources_task_idx").on(t.taskId),
    index("resources_session_idx").on(t.sessionId),
  ],
);

export const reports = sqliteTable(
  "reports",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    type: text("type", { enum: REPORT_TYPES }).notNull(),
    userId: integer("user_id").references(() => users.id, { onDelete: "cascade" }),
    teamId: integer("team_id").references(() => teams.id, { onDelete: "cascade" }),
    // "user:<id>" or "team:<id>": one report per (owner, type, period).
    ownerKey: text("owner_key").notNull(),
    periodStart: text("period_start").notNull(),
    periodEnd: text("period_end").notNull(),
    timezone: text("timezone").notNull(),
    payload: text("payload", { mode: "json" }).notNull(),
    summary: text("summary").notNull(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("reports_owner_period_uq").on(t.ownerKey, t.type, t.periodStart),
    index("reports_owner_created_idx").on(t.ownerKey, t.createdAt, t.id),
  ],
);

export const reportRequests = sqliteTable(
  "report_requests",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    type: text("type", { enum: REPORT_REQUEST_TYPES }).notNull(),
    day: text("day").notNull(),
    status: text("status", { enum: JOB_STATUSES }).notNull().default("PENDING"),
    errorMessage: text("error_message"),
    resultReportId: integer("result_report_id").references((): AnySQLiteColumn => reports.id, {
      onDelete: "set null",
    }),
    attempts: integer("attempts").notNull().default(0),
    ...timestamps,
  },
  (t) => [index("report_requests_user_idx").on(t.userId, t.createdAt, t.id)],
);

export const insights = sqliteTable(
  "insights",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id").references(() => users.id, { onDelete: "cascade" }),
    teamId: integer("team_id").references(() => teams.id, { onDelete: "cascade" }),
    ownerKey: text("owner_key").notNull(),
    reportId: integer("report_id").references(() => reports.id, { onDelete: "cascade" }),
    sessionId: integer("session_id").references(() => devSessions.id, { onDelete: "set null" }),
    code: text("code", { enum: INSIGHT_CODES }).notNull(),
    level: text("level", { enum: INSIGHT_LEVELS }).notNull(),
    message: text("message").notNull(),
    meta: text("meta", { mode: "json" }).notNull(),
    periodStart: text("period_start").notNull(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("insights_report_code_uq").on(t.reportId, t.code),
    index("insights_owner_created_idx").on(t.ownerKey, t.createdAt, t.id),
  ],
);

export const importJobs = sqliteTable(
  "import_jobs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    teamId: integer("team_id")
      .notNull()
      .references(() => teams.id, { onDelete: "cascade" }),
    createdBy: integer("created_by")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    owner: text("owner").notNull(),
    repo: text("repo").notNull(),
    state: text("state", { enum: GITHUB_STATES }).notNull().default("open"),
    status: text("status", { enum: JOB_STATUSES }).notNull().default("PENDING"),
    pagesDone: integer("pages_done").notNull().default(0),
    createdCount: integer("created_count").notNull().default(0),
    updatedCount: integer("updated_count").notNull().default(0),
    skippedPullRequests: integer("skipped_pull_requests").notNull().default(0),
    errorMessage: text("error_message"),
    finishedAt: text("finished_at"),
    ...timestamps,
  },
  (t) => [index("import_jobs_team_idx").on(t.teamId, t.createdAt, t.id)],
);

/** One row per imported page: the job's counters are sums over these, so a redelivered page counts once. */
export const importJobPages = sqliteTable(
  "import_job_pages",
  {
    jobId: integer("job_id")
      .notNull()
      .references(() => importJobs.id, { onDelete: "cascade" }),
    page: integer("page").notNull(),
    createdCount: integer("created_count").notNull(),
    updatedCount: integer("updated_count").notNull(),
    skippedPullRequests: integer("skipped_pull_requests").notNull(),
  },
  (t) => [uniqueIndex("import_job_pages_uq").on(t.jobId, t.page)],
);

/**
 * Editor heartbeats (wakatime-cli's), one row per (user, instant, digest): a re-sent heartbeat hits the unique
 * key and is a no-op. `digest` stands for the heartbeat's content (entity, type, category, project, branch,
 * language) in that key, so the path itself is stored only when the user turned hide_file_names off, and
 * two heartbeats of one instant are the same one only when they say the same thing (whichever came first).
 * Kept heartbeat_retention_days.
 */
export const heartbeats = sqliteTable(
  "heartbeats",
  {
    id: integer("id").primaryKey(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The heartbeat's `time` (float Unix seconds) in epoch milliseconds. */
    timeMs: integer("time_ms").notNull(),
    digest: text("digest").notNull(),
    entity: text("entity"),
    type: text("type", { enum: HEARTBEAT_TYPES }).notNull(),
    category: text("category").notNull(),
    project: text("project"),
    branch: text("branch"),
    language: text("language"),
    /** The editor, from the plugin's user agent ("VS Code", "Vim", …). */
    editor: text("editor"),
    createdAt: timestamps.createdAt,
  },
  // Also the index every read uses: a user's heartbeats over a time range.
  (t) => [uniqueIndex("heartbeats_user_time_digest_uq").on(t.userId, t.timeMs, t.digest)],
);

/**
 * Per user, the version of their derived timeline: derivation reads it with the heartbeats and writes only if
 * it is unchanged (then bumps it), so of two derivations racing (two editors sending at once) the one that
 * read before the other wrote is refused and derives again (modules/editors/timeline.ts).
 */
export const editorStates = sqliteTable("editor_state", {
  userId: integer("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  version: integer("version").notNull().default(0),
});

/**
 * A user's editor project (a heartbeat's `project`) mapped to one of their teams: that project's derived
 * sessions open in the team while the user is MEMBER or above there; every other project's are personal.
 */
export const editorProjects = sqliteTable(
  "editor_projects",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    project: text("project").notNull(),
    teamId: integer("team_id")
      .notNull()
      .references(() => teams.id, { onDelete: "cascade" }),
    createdAt: timestamps.createdAt,
  },
  (t) => [uniqueIndex("editor_projects_user_project_uq").on(t.userId, t.project), index("editor_projects_team_idx").on(t.teamId)],
);
