import { z } from "@hono/zod-openapi";
import { EXTERNAL_SOURCES, TASK_PRIORITIES, TASK_STATUSES, TASK_TYPES, tasks } from "../../db/schema";
import { listQuery, type OrderFields } from "../../platform/pagination";
import { HttpUrl, Id } from "../../platform/validators";

/**
 * `?ordering=` fields; priority sorts by the generated rank column, so LOW < MED < HIGH, and pages by its keyset
 * key (three values: every priority is a tie group of thousands).
 */
export const TASK_ORDERING = {
  created_at: tasks.createdAt,
  updated_at: tasks.updatedAt,
  priority: { column: tasks.priorityRank, keyColumn: tasks.priorityKey },
  title: tasks.title,
} satisfies OrderFields;

export const Task = z
  .object({
    id: z.number().int(),
    team: z.number().int().nullable().openapi({ description: "Team id, or null for a personal task." }),
    title: z.string(),
    description: z.string(),
    type: z.enum(TASK_TYPES),
    priority: z.enum(TASK_PRIORITIES),
    status: z.enum(TASK_STATUSES),
    external_source: z.enum(EXTERNAL_SOURCES),
    external_id: z.string().nullable(),
    external_key: z.string().nullable().openapi({ example: "acme/widgets#42" }),
    external_url: z.string().nullable(),
    created_by: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Task");

export type TaskJson = z.infer<typeof Task>;

export const serializeTask = (t: typeof tasks.$inferSelect): TaskJson => ({
  id: t.id,
  team: t.teamId,
  title: t.title,
  description: t.description,
  type: t.type,
  priority: t.priority,
  status: t.status,
  external_source: t.externalSource,
  external_id: t.externalId,
  external_key: t.externalKey,
  external_url: t.externalUrl,
  created_by: t.createdBy,
  created_at: t.createdAt,
  updated_at: t.updatedAt,
});

/** CSV columns: the original DevFocus export's first, so existing spreadsheets keep working, then the rest. */
const LEAD_COLUMNS = ["id", "title", "type", "priority", "external_id", "created_at", "updated_at"] as const;
export const TASK_CSV_COLUMNS: (keyof TaskJson)[] = [
  ...LEAD_COLUMNS,
  ...Task.keyof().options.filter((k) => !(LEAD_COLUMNS as readonly string[]).includes(k)),
];

const Title = z.string().trim().min(1).max(255).openapi({ example: "Fix login redirect loop" });
const Description = z.string().max(20_000);
const ExternalText = z.string().max(255);

export const CreateTaskBody = z
  .object({
    team: Id.nullable().optional().openapi({ description: "Team id (MEMBER or above); omit or null for a personal task." }),
    title: Title,
    description: Description.default(""),
    type: z.enum(TASK_TYPES).default("FEATURE"),
    priority: z.enum(TASK_PRIORITIES).default("MED"),
    status: z.enum(TASK_STATUSES).default("TODO"),
    external_source: z.enum(EXTERNAL_SOURCES).default("MANUAL"),
    external_id: ExternalText.nullable().optional(),
    external_key: ExternalText.nullable().optional(),
    external_url: HttpUrl.nullable().optional(),
  })
  .openapi("CreateTaskRequest");

/** A task's team is fixed at creation: moving it would strand its resource links and session links. */
export const UpdateTaskBody = z
  .object({
    title: Title.optional(),
    description: Description.optional(),
    type: z.enum(TASK_TYPES).optional(),
    priority: z.enum(TASK_PRIORITIES).optional(),
    status: z.enum(TASK_STATUSES).optional(),
    external_source: z.enum(EXTERNAL_SOURCES).optional(),
    external_id: ExternalText.nullable().optional(),
    external_key: ExternalText.nullable().optional(),
    external_url: HttpUrl.nullable().optional(),
  })
  .strict()
  .openapi("UpdateTaskRequest");

export const TaskFilters = z.object({
  type: z.enum(TASK_TYPES).optional(),
  priority: z.enum(TASK_PRIORITIES).optional(),
  status: z.enum(TASK_STATUSES).optional(),
  team: Id.optional().openapi({ description: "Only this team's tasks (the caller must be a member, else 404)." }),
  external_source: z.enum(EXTERNAL_SOURCES).optional(),
  external_key: ExternalText.optional().openapi({ example: "acme/widgets#42" }),
  search: z
    .string()
    .trim()
    .max(200)
    .optional()
    .openapi({ description: "Case-insensitive substring of the title or the description." }),
});
export type TaskFilters = z.infer<typeof TaskFilters>;

export const TaskListQuery = listQuery(TASK_ORDERING, "-created_at").extend(TaskFilters.shape);
export type TaskListQuery = z.infer<typeof TaskListQuery>;
