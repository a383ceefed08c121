/**
 * The WakaTime-compatible API's wire format (wakatime-cli's own: its pkg/api, pkg/heartbeat and pkg/summary),
 * as zod schemas. Field names and types are WakaTime's, not DevFocus's conventions: durations are strings
 * where WakaTime's are ("2.28", "2:17"), times are float Unix seconds, answers are wrapped in `data`.
 */
import { z } from "@hono/zod-openapi";
import { HEARTBEAT_TYPES, type editorProjects } from "../../db/schema";
import { Day, Id } from "../../platform/validators";

export const CurrentUser = z
  .object({
    data: z.object({
      id: z.string().openapi({ description: "The DevFocus user id, as a string (WakaTime ids are strings)." }),
      email: z.string(),
      username: z.string(),
      display_name: z.string(),
      timezone: z.string(),
      created_at: z.string(),
    }),
  })
  .openapi("WakaTimeCurrentUser");

export const serializeCurrentUser = (u: { id: number; email: string; name: string; timezone: string; createdAt: string }) => ({
  data: {
    id: String(u.id),
    email: u.email,
    username: u.email,
    display_name: u.name || u.email,
    timezone: u.timezone,
    created_at: u.createdAt,
  },
});

/**
 * A heartbeat as wakatime-cli sends it. Only these fields are read; every other one (lines, lineno,
 * cursorpos, is_write, dependencies, project_root_count, line changes, AI fields, …) is accepted and ignored.
 */
export const Heartbeat = z
  .object({
    entity: z.string().min(1).max(4096).openapi({ description: "A file path, domain, URL or app. Not stored while hide_file_names is on (the default)." }),
    type: z.enum(HEARTBEAT_TYPES).default("file"),
    time: z.number().openapi({ description: "Float Unix seconds.", example: 1769764500.123 }),
    category: z.string().min(1).max(64).default("coding").openapi({ description: "coding, debugging, building, code reviewing, meeting, …" }),
    project: z.string().max(255).nullish(),
    branch: z.string().max(255).nullish(),
    language: z.string().max(64).nullish(),
    user_agent: z.string().max(512).nullish().openapi({ description: "The plugin's user agent; the editor is read from it." }),
  })
  .openapi("Heartbeat");
export type HeartbeatInput = z.infer<typeof Heartbeat>;

/** What a stored heartbeat is answered with (its entity only when kept: null under hide_file_names). */
export const StoredHeartbeat = z
  .object({
    entity: z.string().nullable(),
    type: z.enum(HEARTBEAT_TYPES),
    time: z.number(),
    category: z.string(),
    project: z.string().nullable(),
    branch: z.string().nullable(),
    language: z.string().nullable(),
    user_agent: z.string().nullable(),
  })
  .openapi("StoredHeartbeat");

const HeartbeatError = z
  .object({
    error: z.string(),
    errors: z.record(z.string(), z.array(z.string())).optional(),
  })
  .openapi("HeartbeatError");

/**
 * The bulk body: an array of heartbeat objects. Each is checked on its own (an invalid one gets its own 400
 * in the answer, never the batch: wakatime-cli would send that batch again forever), so the request schema
 * takes any object; an element that is no object at all (no cli sends one) is the request's 400.
 */
export const BulkBody = z
  .array(z.union([Heartbeat, z.looseObject({})]))
  .min(1)
  .openapi("HeartbeatBulk", { description: "wakatime-cli sends at most 25 (older releases) or 10 per request; up to 100 are taken." });

export const BulkResult = z
  .object({
    responses: z.array(z.tuple([z.union([z.object({ data: StoredHeartbeat }), HeartbeatError]), z.number().int()])).openapi({
      description: "One [object, status] pair per heartbeat, in request order: 201 stored, 202 already stored (a re-send), 400 invalid (dropped by the cli), 429 over the per-request cap (queued again by the cli).",
    }),
  })
  .openapi("HeartbeatBulkResult");

export const SingleResult = z.object({ data: StoredHeartbeat }).openapi("HeartbeatResult");

/** One line of a WakaTime summary (statusbar, summaries): a name and its time, in every format WakaTime gives. */
export const SummaryItem = z
  .object({
    name: z.string(),
    total_seconds: z.number(),
    percent: z.number(),
    digital: z.string(),
    decimal: z.string(),
    text: z.string(),
    hours: z.number().int(),
    minutes: z.number().int(),
    seconds: z.number().int(),
  })
  .openapi("WakaTimeSummaryItem");

export const GrandTotal = z
  .object({
    decimal: z.string(),
    digital: z.string(),
    hours: z.number().int(),
    minutes: z.number().int(),
    text: z.string(),
    total_seconds: z.number(),
  })
  .openapi("WakaTimeGrandTotal");

export const SummaryRange = z
  .object({ date: z.string(), start: z.string(), end: z.string(), text: z.string(), timezone: z.string() })
  .openapi("WakaTimeRange");

export const DaySummary = z
  .object({
    grand_total: GrandTotal,
    categories: z.array(SummaryItem),
    projects: z.array(SummaryItem),
    languages: z.array(SummaryItem),
    editors: z.array(SummaryItem),
    dependencies: z.array(SummaryItem),
    machines: z.array(SummaryItem),
    operating_systems: z.array(SummaryItem),
    range: SummaryRange,
  })
  .openapi("WakaTimeDaySummary");

export const Statusbar = z
  .object({
    cached_at: z.string(),
    data: DaySummary,
    has_team_features: z.boolean(),
  })
  .openapi("WakaTimeStatusbar");

export const SummariesQuery = z.object({
  start: Day.openapi({ description: "First day (your calendar)." }),
  end: Day.openapi({ description: "Last day, inclusive; at most 92 days after start." }),
  project: z.string().min(1).max(255).optional().openapi({ description: "Only this project's time." }),
});

const CumulativeTotal = z
  .object({ seconds: z.number(), text: z.string(), decimal: z.string(), digital: z.string() })
  .openapi("WakaTimeCumulativeTotal");

export const Summaries = z
  .object({
    data: z.array(DaySummary),
    cumulative_total: CumulativeTotal,
    daily_average: z.object({
      seconds: z.number(),
      text: z.string(),
      days_including_holidays: z.number().int(),
      days_minus_holidays: z.number().int(),
      holidays: z.number().int(),
    }),
    start: z.string(),
    end: z.string(),
  })
  .openapi("WakaTimeSummaries");

export const serializeStoredHeartbeat = (h: {
  entity: string | null;
  type: (typeof HEARTBEAT_TYPES)[number];
  time: number;
  category: string;
  project: string | null;
  branch: string | null;
  language: string | null;
  userAgent: string | null;
}) => ({
  entity: h.entity,
  type: h.type,
  time: h.time,
  category: h.category,
  project: h.project,
  branch: h.branch,
  language: h.language,
  user_agent: h.userAgent,
});

// ─── Project → team mappings (DevFocus's own API, Bearer) ─────────────────────────────────────────

export const EditorProject = z
  .object({
    id: z.number().int(),
    project: z.string().openapi({ description: "A heartbeat's `project`, exactly as the editor sends it." }),
    team: z.number().int(),
    created_at: z.string(),
  })
  .openapi("EditorProject");

export const MapProjectBody = z
  .object({
    project: z.string().min(1).max(255).openapi({ example: "billing-service" }),
    team: Id.openapi({ description: "One of your teams, where you are MEMBER or above." }),
  })
  .openapi("MapEditorProjectRequest");

export const serializeEditorProject = (p: typeof editorProjects.$inferSelect) => ({ id: p.id, project: p.project, team: p.teamId, created_at: p.createdAt });
