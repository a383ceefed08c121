import { z } from "@hono/zod-openapi";
import { JOB_STATUSES, REPORT_REQUEST_TYPES, REPORT_TYPES, reportRequests, reports } from "../../db/schema";
import { listQuery, type OrderFields } from "../../platform/pagination";
import { Day, Id } from "../../platform/validators";

export const Report = z
  .object({
    id: z.number().int(),
    type: z.enum(REPORT_TYPES),
    user: z.number().int().nullable(),
    team: z.number().int().nullable(),
    period_start: z.string().openapi({ description: "First day of the period (YYYY-MM-DD, in the owner's calendar)." }),
    period_end: z.string().openapi({ description: "Last day of the period, inclusive." }),
    timezone: z.string(),
    payload: z.record(z.string(), z.unknown()).openapi({ description: "The metrics: sessions, totals (and for weekly reports days, previous_week, change)." }),
    summary: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Report");

export const serializeReport = (r: typeof reports.$inferSelect) => ({
  id: r.id,
  type: r.type,
  user: r.userId,
  team: r.teamId,
  period_start: r.periodStart,
  period_end: r.periodEnd,
  timezone: r.timezone,
  payload: r.payload as Record<string, unknown>,
  summary: r.summary,
  created_at: r.createdAt,
  updated_at: r.updatedAt,
});

export const REPORT_CSV_COLUMNS = ["id", "type", "user", "team", "period_start", "period_end", "timezone", "payload", "summary", "created_at", "updated_at"] as const;

export const DailyBody = z
  .object({
    date: Day.optional().openapi({ description: "Defaults to today in your time zone." }),
    team: Id.optional().openapi({ description: "Generate the team's report (ADMIN+)." }),
  })
  .openapi("DailyReportRequest");

export const WeeklyBody = z
  .object({
    week_of: Day.optional().openapi({ description: "Any day of the week; defaults to this week." }),
    team: Id.optional(),
  })
  .openapi("WeeklyReportRequest");

export const AsyncDailyBody = z.object({ date: Day.optional() }).openapi("AsyncDailyReportRequest");

export const REPORT_FILTERS = z.object({
  type: z.enum(REPORT_TYPES).optional(),
  team: Id.optional(),
  date_from: Day.optional().openapi({ description: "Reports whose period starts on or after this day." }),
  date_to: Day.optional().openapi({ description: "Reports whose period starts on or before this day." }),
});

export const CreateReportRequestBody = z
  .object({ type: z.enum(REPORT_REQUEST_TYPES), day: Day.optional().openapi({ description: "Defaults to today." }) })
  .openapi("CreateReportRequestRequest");

export const ReportRequest = z
  .object({
    id: z.number().int(),
    type: z.enum(REPORT_REQUEST_TYPES),
    day: z.string(),
    status: z.enum(JOB_STATUSES),
    error_message: z.string().nullable(),
    result_report: z.number().int().nullable(),
    attempts: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("ReportRequest");

export const serializeReportRequest = (r: typeof reportRequests.$inferSelect) => ({
  id: r.id,
  type: r.type,
  day: r.day,
  status: r.status,
  error_message: r.errorMessage,
  result_report: r.resultReportId,
  attempts: r.attempts,
  created_at: r.createdAt,
  updated_at: r.updatedAt,
});

export type ReportFilters = z.infer<typeof REPORT_FILTERS>;
export const REPORT_ORDERING: OrderFields = { period_start: reports.periodStart, created_at: reports.createdAt, updated_at: reports.updatedAt };
export const ReportListQuery = listQuery(REPORT_ORDERING, "-period_start").extend(REPORT_FILTERS.shape);
export type ReportListQuery = z.infer<typeof ReportListQuery>;

export const REQUEST_ORDERING: OrderFields = { created_at: reportRequests.createdAt };
export const ReportRequestListQuery = listQuery(REQUEST_ORDERING, "-created_at");
export type ReportRequestListQuery = z.infer<typeof ReportRequestListQuery>;
