import { z } from "@hono/zod-openapi";
import { RESOURCE_TYPES, resourceLinks } from "../../db/schema";
import { listQuery } from "../../platform/pagination";
import { HttpUrl, Id } from "../../platform/validators";

export const RESOURCE_ORDERING = {
  created_at: resourceLinks.createdAt,
  updated_at: resourceLinks.updatedAt,
  title: resourceLinks.title,
};

export const ResourceLink = z
  .object({
    id: z.number().int(),
    dev_session: z.number().int().nullable(),
    task: z.number().int().nullable(),
    type: z.enum(RESOURCE_TYPES),
    title: z.string(),
    url: z.string(),
    team: z.number().int().nullable().openapi({ description: "The scope: its task's or session's team; null = personal." }),
    user: z.number().int().openapi({ description: "Who linked it." }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("ResourceLink");

export const serializeResource = (r: typeof resourceLinks.$inferSelect): z.infer<typeof ResourceLink> => ({
  id: r.id,
  dev_session: r.sessionId,
  task: r.taskId,
  type: r.type,
  title: r.title,
  url: r.url,
  team: r.teamId,
  user: r.userId,
  created_at: r.createdAt,
  updated_at: r.updatedAt,
});

const Url = HttpUrl.openapi({ example: "https://github.com/acme/widgets/pull/7" });
const Title = z.string().trim().max(255).openapi({ example: "Fix redirect loop (PR #7)" });

export const CreateResourceBody = z
  .object({
    dev_session: Id.nullable().optional().openapi({ description: "A session of the caller's own." }),
    task: Id.nullable().optional().openapi({ description: "A task the caller may see; with a session, in its scope." }),
    type: z.enum(RESOURCE_TYPES).default("OTHER"),
    title: Title.default(""),
    url: Url,
  })
  .openapi("CreateResourceRequest");

export const UpdateResourceBody = z
  .object({
    dev_session: Id.nullable().optional(),
    task: Id.nullable().optional(),
    type: z.enum(RESOURCE_TYPES).optional(),
    title: Title.optional(),
    url: Url.optional(),
  })
  .strict()
  .openapi("UpdateResourceRequest");

export const ResourceFilters = z.object({
  type: z.enum(RESOURCE_TYPES).optional(),
  task: Id.optional(),
  dev_session: Id.optional(),
  search: z.string().trim().max(200).optional().openapi({ description: "Case-insensitive substring of the title or the URL." }),
});
export type ResourceFilters = z.infer<typeof ResourceFilters>;

export const ResourceListQuery = listQuery(RESOURCE_ORDERING, "-created_at").extend(ResourceFilters.shape);
export type ResourceListQuery = z.infer<typeof ResourceListQuery>;
