import { z } from "@hono/zod-openapi";
import { CLIENT_SOURCES, contextSwitches, SOURCES, SWITCH_REASONS } from "../../db/schema";
import { listQuery, type OrderFields } from "../../platform/pagination";
import { Day, Id, PastTimestamp } from "../../platform/validators";

export const CreateSwitchBody = z
  .object({
    dev_session: Id,
    from_task: Id.nullable().optional(),
    to_task: Id.nullable().optional(),
    reason: z.enum(SWITCH_REASONS).default("OTHER"),
    happened_at: PastTimestamp.optional().openapi({ description: "Defaults to now; inside the session." }),
    note: z.string().max(2000).default(""),
    source: z.enum(CLIENT_SOURCES).default("MANUAL").openapi({ description: "Who records it: MANUAL, CLI or GIT (the hook). EDITOR switches are derived from editor heartbeats." }),
  })
  .openapi("CreateContextSwitchRequest");

export const SWITCH_FILTERS = z.object({
  dev_session: Id.optional(),
  reason: z.enum(SWITCH_REASONS).optional(),
  source: z.enum(SOURCES).optional(),
  date_from: Day.optional(),
  date_to: Day.optional(),
});

export const ContextSwitch = z
  .object({
    id: z.number().int(),
    dev_session: z.number().int(),
    user: z.number().int(),
    from_task: z.number().int().nullable(),
    to_task: z.number().int().nullable(),
    reason: z.enum(SWITCH_REASONS),
    source: z.enum(SOURCES),
    happened_at: z.string(),
    note: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("ContextSwitch");

export const serializeSwitch = (s: typeof contextSwitches.$inferSelect) => ({
  id: s.id,
  dev_session: s.sessionId,
  user: s.userId,
  from_task: s.fromTaskId,
  to_task: s.toTaskId,
  reason: s.reason,
  source: s.source,
  happened_at: s.happenedAt,
  note: s.note,
  created_at: s.createdAt,
  updated_at: s.updatedAt,
});

export const SWITCH_ORDERING: OrderFields = { happened_at: contextSwitches.happenedAt, created_at: contextSwitches.createdAt };
export const SwitchListQuery = listQuery(SWITCH_ORDERING, "-happened_at").extend(SWITCH_FILTERS.shape);
export type SwitchListQuery = z.infer<typeof SwitchListQuery>;
