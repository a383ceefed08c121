import { env } from "cloudflare:workers";

/**
 * The data invariants DevFocus promises, checked straight against D1 (never through the API under test).
 * Each check is one SQL query that returns the rows breaking it; `checkInvariants()` runs them all in one
 * batch and returns every violation found (an empty list when the database is sound).
 */
export interface Violation {
  invariant: string;
  row: Record<string, unknown>;
}

/** [name, query returning offending rows]. */
export const INVARIANTS: [string, string][] = [
  // ── Sessions and switches ────────────────────────────────────────────────────────────────
  [
    "switch_count = switch rows of the session",
    `SELECT s.id, s.switch_count, (SELECT count(*) FROM context_switches c WHERE c.session_id = s.id) AS rows
     FROM dev_sessions s WHERE s.switch_count != (SELECT count(*) FROM context_switches c WHERE c.session_id = s.id)`,
  ],
  [
    "last_switch_at = latest switch of the session",
    `SELECT s.id, s.last_switch_at, (SELECT max(happened_at) FROM context_switches c WHERE c.session_id = s.id) AS latest
     FROM dev_sessions s WHERE s.last_switch_at IS NOT (SELECT max(happened_at) FROM context_switches c WHERE c.session_id = s.id)`,
  ],
  [
    "a switch belongs to its session's user",
    `SELECT c.id, c.user_id, s.user_id AS session_user FROM context_switches c JOIN dev_sessions s ON s.id = c.session_id
     WHERE c.user_id != s.user_id`,
  ],
  [
    "DONE sessions have ended_at ≥ started_at; open ones none",
    `SELECT id, status, started_at, ended_at FROM dev_sessions
     WHERE (status = 'DONE' AND (ended_at IS NULL OR ended_at < started_at)) OR (status != 'DONE' AND ended_at IS NOT NULL)`,
  ],
  [
    "a PAUSED session has exactly one open pause, any other none",
    `SELECT s.id, s.status, (SELECT count(*) FROM session_pauses p WHERE p.session_id = s.id AND p.resumed_at IS NULL) AS open_pauses
     FROM dev_sessions s
     WHERE (SELECT count(*) FROM session_pauses p WHERE p.session_id = s.id AND p.resumed_at IS NULL) != (CASE WHEN s.status = 'PAUSED' THEN 1 ELSE 0 END)`,
  ],
  [
    "an attached task is in its session's scope (the session's team, or the session user's personal task)",
    `SELECT st.id, st.session_id, st.task_id FROM session_tasks st
     JOIN dev_sessions s ON s.id = st.session_id JOIN tasks t ON t.id = st.task_id
     WHERE NOT ((t.team_id IS NULL AND t.created_by = s.user_id) OR (t.team_id IS NOT NULL AND t.team_id = s.team_id))`,
  ],
  [
    "a switch's from/to tasks are in its session's scope",
    `SELECT c.id, c.session_id, t.id AS task_id FROM context_switches c
     JOIN dev_sessions s ON s.id = c.session_id JOIN tasks t ON t.id IN (c.from_task_id, c.to_task_id)
     WHERE NOT ((t.team_id IS NULL AND t.created_by = s.user_id) OR (t.team_id IS NOT NULL AND t.team_id = s.team_id))`,
  ],
  // ── Teams ─────────────────────────────────────────────────────────────────────────────────
  [
    "every team has at least one OWNER",
    `SELECT t.id FROM teams t WHERE NOT EXISTS (SELECT 1 FROM memberships m WHERE m.team_id = t.id AND m.role = 'OWNER')`,
  ],
  [
    "one membership per (team, user)",
    `SELECT team_id, user_id, count(*) AS n FROM memberships GROUP BY team_id, user_id HAVING n > 1`,
  ],
  // ── Reports and insights ──────────────────────────────────────────────────────────────────
  [
    "one report per (owner_key, type, period_start)",
    `SELECT owner_key, type, period_start, count(*) AS n FROM reports GROUP BY owner_key, type, period_start HAVING n > 1`,
  ],
  [
    "a report's owner_key names its user or its team, never both",
    `SELECT id, owner_key, user_id, team_id FROM reports
     WHERE NOT ((user_id IS NOT NULL AND team_id IS NULL AND owner_key = 'user:' || user_id)
             OR (team_id IS NOT NULL AND user_id IS NULL AND owner_key = 'team:' || team_id))`,
  ],
  [
    "one insight per (report, code)",
    `SELECT report_id, code, count(*) AS n FROM insights WHERE report_id IS NOT NULL GROUP BY report_id, code HAVING n > 1`,
  ],
  [
    "an insight has its report's owner and period",
    `SELECT i.id, i.owner_key, r.owner_key AS report_owner FROM insights i JOIN reports r ON r.id = i.report_id
     WHERE i.owner_key != r.owner_key OR i.period_start != r.period_start OR i.user_id IS NOT r.user_id OR i.team_id IS NOT r.team_id`,
  ],
  [
    "a DONE report request names its report",
    `SELECT id FROM report_requests WHERE status = 'DONE' AND result_report_id IS NULL`,
  ],
  // ── GitHub import jobs ────────────────────────────────────────────────────────────────────
  [
    "import job counters = sums of its page rows",
    `SELECT j.id, j.pages_done, j.created_count, j.updated_count, j.skipped_pull_requests,
            count(p.page) AS pages, coalesce(sum(p.created_count), 0) AS created, coalesce(sum(p.updated_count), 0) AS updated,
            coalesce(sum(p.skipped_pull_requests), 0) AS skipped
     FROM import_jobs j LEFT JOIN import_job_pages p ON p.job_id = j.id GROUP BY j.id
     HAVING j.pages_done != pages OR j.created_count != created OR j.updated_count != updated OR j.skipped_pull_requests != skipped`,
  ],
  [
    "a finished import job has finished_at",
    `SELECT id, status FROM import_jobs WHERE status IN ('DONE', 'FAILED') AND finished_at IS NULL`,
  ],
  [
    "one task per (team, external source, external id)",
    `SELECT team_id, external_source, external_id, count(*) AS n FROM tasks WHERE external_id IS NOT NULL
     GROUP BY team_id, external_source, external_id HAVING n > 1`,
  ],
  // ── Resource links ────────────────────────────────────────────────────────────────────────
  [
    "a resource link has a task or a session, in its own scope",
    `SELECT r.id FROM resource_links r
     LEFT JOIN tasks t ON t.id = r.task_id LEFT JOIN dev_sessions s ON s.id = r.session_id
     WHERE (r.task_id IS NULL AND r.session_id IS NULL)
        OR (r.task_id IS NOT NULL AND t.team_id IS NOT r.team_id)
        OR (r.session_id IS NOT NULL AND s.team_id IS NOT r.team_id)
        OR (r.team_id IS NULL AND r.task_id IS NOT NULL AND t.created_by != r.user_id)
        OR (r.team_id IS NULL AND r.session_id IS NOT NULL AND s.user_id != r.user_id)`,
  ],
  // ── No orphans: every reference points at a row that exists ───────────────────────────────
  ...(
    [
      ["api_tokens", "user_id", "users"],
      ["memberships", "team_id", "teams"],
      ["memberships", "user_id", "users"],
      ["tasks", "team_id", "teams"],
      ["tasks", "created_by", "users"],
      ["dev_sessions", "user_id", "users"],
      ["dev_sessions", "team_id", "teams"],
      ["session_pauses", "session_id", "dev_sessions"],
      ["session_tasks", "session_id", "dev_sessions"],
      ["session_tasks", "task_id", "tasks"],
      ["context_switches", "session_id", "dev_sessions"],
      ["context_switches", "user_id", "users"],
      ["context_switches", "from_task_id", "tasks"],
      ["context_switches", "to_task_id", "tasks"],
      ["resource_links", "user_id", "users"],
      ["resource_links", "team_id", "teams"],
      ["resource_links", "session_id", "dev_sessions"],
      ["resource_links", "task_id", "tasks"],
      ["reports", "user_id", "users"],
      ["reports", "team_id", "teams"],
      ["report_requests", "user_id", "users"],
      ["report_requests", "result_report_id", "reports"],
      ["insights", "user_id", "users"],
      ["insights", "team_id", "teams"],
      ["insights", "report_id", "reports"],
      ["insights", "session_id", "dev_sessions"],
      ["import_jobs", "team_id", "teams"],
      ["import_jobs", "created_by", "users"],
      ["import_job_pages", "job_id", "import_jobs"],
    ] as const
  ).map(([table, column, parent]): [string, string] => [
    `no orphan: ${table}.${column} → ${parent}`,
    `SELECT c.rowid AS rowid, c.${column} AS ref FROM ${table} c
     WHERE c.${column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${parent} p WHERE p.id = c.${column})`,
  ]),
];

/** How many invariant checks have run in this test file (for the README's figures). */
export const invariantStats = { runs: 0, checks: 0 };

/** Every violation of every invariant, in one D1 round trip. */
export async function checkInvariants(): Promise<Violation[]> {
  const results = await env.DB.batch(INVARIANTS.map(([, q]) => env.DB.prepare(q)));
  invariantStats.runs += 1;
  invariantStats.checks += INVARIANTS.length;
  const violations: Violation[] = [];
  results.forEach((r, i) => {
    for (const row of r.results as Record<string, unknown>[]) violations.push({ invariant: INVARIANTS[i]![0], row });
  });
  return violations;
}

/** Throws with every violation listed when the database breaks an invariant. */
export async function assertInvariants(context = ""): Promise<void> {
  const violations = await checkInvariants();
  if (violations.length) {
    throw new Error(`invariants broken${context ? ` after ${context}` : ""}:\n${violations.map((v) => `  ${v.invariant}: ${JSON.stringify(v.row)}`).join("\n")}`);
  }
}
