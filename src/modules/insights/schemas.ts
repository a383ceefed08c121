import { z } from "@hono/zod-openapi";
import { INSIGHT_CODES, INSIGHT_LEVELS, insights } from "../../db/schema";
import { listQuery, type OrderFields } from "../../platform/pagination";
import { Day, Id } from "../../platform/validators";

export const Insight = z
  .object({
    id: z.number().int(),
    code: z.enum(INSIGHT_CODES),
    level: z.enum(INSIGHT_LEVELS),
    message: z.string(),
    meta: z.record(z.string(), z.number()),
    report: z.number().int().nullable(),
    dev_session: z.number().int().nullable(),
    user: z.number().int().nullable(),
    team: z.number().int().nullable(),
    period_start: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Insight");

export const serializeInsight = (r: typeof insights.$inferSelect) => ({
  id: r.id,
  code: r.code,
  level: r.level,
  message: r.message,
  meta: r.meta as Record<string, number>,
  report: r.reportId,
  dev_session: r.sessionId,
  user: r.userId,
  team: r.teamId,
  period_start: r.periodStart,
  created_at: r.createdAt,
  updated_at: r.updatedAt,
});

export const INSIGHT_CSV_COLUMNS = ["id", "code", "level", "message", "meta", "report", "dev_session", "user", "team", "period_start", "created_at", "updated_at"] as const;

export const INSIGHT_FILTERS = z.object({
  code: z.enum(INSIGHT_CODES).optional(),
  level: z.enum(INSIGHT_LEVELS).optional(),
  team: Id.optional(),
  date_from: Day.optional(),
  date_to: Day.optional(),
});
export type InsightFilters = z.infer<typeof INSIGHT_FILTERS>;

export const INSIGHT_ORDERING: OrderFields = { period_start: insights.periodStart, created_at: insights.createdAt };
export const InsightListQuery = listQuery(INSIGHT_ORDERING, "-period_start").extend(INSIGHT_FILTERS.shape);
export type InsightListQuery = z.infer<typeof InsightListQuery>;
