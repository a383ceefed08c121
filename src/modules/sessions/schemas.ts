import { z } from "@hono/zod-openapi";
import { CLIENT_SOURCES, devSessions, SESSION_STATUSES, SESSION_TASK_ROLES, SOURCES } from "../../db/schema";
import { listQuery, type OrderFields } from "../../platform/pagination";
import { Day, Id, PastTimestamp } from "../../platform/validators";


export const CreateSessionBody = z
  .object({
    title: z.string().max(255).default(""),
    description: z.string().max(10_000).default(""),
    team: Id.nullable().optional().openapi({ description: "Team id; omit or null for a personal session." }),
    started_at: PastTimestamp.optional().openapi({ description: "Defaults to now; never in the future." }),
    source: z.enum(CLIENT_SOURCES).default("MANUAL").openapi({ description: "Who records it: MANUAL (API, dashboard), CLI or GIT. EDITOR sessions are derived from editor heartbeats." }),
  })
  .openapi("CreateSessionRequest");

export const UpdateSessionBody = z
  .object({ title: z.string().max(255).optional(), description: z.string().max(10_000).optional() })
  .strict()
  .openapi("UpdateSessionRequest");

export const AtBody = z
  .object({ at: PastTimestamp.optional().openapi({ description: "When it happened; defaults to now." }) })
  .openapi("SessionActionRequest");

export const CloseBody = z
  .object({ ended_at: PastTimestamp.optional().openapi({ description: "Defaults to now; not before started_at." }) })
  .openapi("CloseSessionRequest");

export const AttachTaskBody = z
  .object({ task_id: Id, role: z.enum(SESSION_TASK_ROLES).default("MAIN") })
  .openapi("AttachTaskRequest");

export const SESSION_FILTERS = z.object({
  status: z.enum(SESSION_STATUSES).optional(),
  source: z.enum(SOURCES).optional().openapi({ description: "Only sessions from there: EDITOR for those derived from editor heartbeats." }),
  team: Id.optional(),
  search: z.string().min(1).max(100).optional(),
  date_from: Day.optional().openapi({ description: "First day (of started_at, in your time zone and day_start_hour)." }),
  date_to: Day.optional().openapi({ description: "Last day, inclusive." }),
});
export type SessionFilters = z.infer<typeof SESSION_FILTERS>;

export const SESSION_ORDERING: OrderFields = {
  created_at: devSessions.createdAt,
  updated_at: devSessions.updatedAt,
  started_at: devSessions.startedAt,
  ended_at: devSessions.endedAt,
  // A small count: thousands of sessions share each value, so it pages by its keyset key.
  switch_count: { column: devSessions.switchCount, keyColumn: devSessions.switchKey },
  total_focus_minutes: devSessions.totalFocusMinutes,
};

export const SessionListQuery = listQuery(SESSION_ORDERING, "-started_at").extend(SESSION_FILTERS.shape);
export type SessionListQuery = z.infer<typeof SessionListQuery>;

export const Session = z
  .object({
    id: z.number().int(),
    user: z.number().int(),
    team: z.number().int().nullable(),
    title: z.string(),
    description: z.string(),
    status: z.enum(SESSION_STATUSES),
    source: z.enum(SOURCES),
    started_at: z.string(),
    ended_at: z.string().nullable(),
    switch_count: z.number().int(),
    last_switch_at: z.string().nullable(),
    total_focus_minutes: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("DevSession");

export const SessionDetail = Session.extend({
  tasks: z.array(z.object({ task: z.number().int(), role: z.enum(SESSION_TASK_ROLES), title: z.string() })),
  pauses: z
    .array(z.object({ paused_at: z.string(), resumed_at: z.string().nullable().openapi({ description: "null while paused." }) }))
    .openapi({ description: "The session's pauses, in time order." }),
}).openapi("DevSessionDetail");

export type SessionRow = typeof devSessions.$inferSelect;

export const serializeSession = (s: SessionRow) => ({
  id: s.id,
  user: s.userId,
  team: s.teamId,
  title: s.title,
  description: s.description,
  status: s.status,
  source: s.source,
  started_at: s.startedAt,
  ended_at: s.endedAt,
  switch_count: s.switchCount,
  last_switch_at: s.lastSwitchAt,
  total_focus_minutes: s.totalFocusMinutes,
  created_at: s.createdAt,
  updated_at: s.updatedAt,
});

/** CSV columns: the original's first, then the new fields. */
export const SESSION_CSV_COLUMNS = [
  "id", "title", "status", "started_at", "ended_at", "switch_count", "total_focus_minutes", "created_at", "updated_at",
  "user", "team", "description", "last_switch_at", "source",
] as const;
