import { z } from "@hono/zod-openapi";
import { GITHUB_STATES, importJobs, JOB_STATUSES } from "../../db/schema";
import { listQuery, type OrderFields } from "../../platform/pagination";
import { Id } from "../../platform/validators";

// GitHub's own rules: owners are alphanumerics and single dashes (≤ 39), repositories [A-Za-z0-9._-] (≤ 100).
const Owner = z
  .string()
  .trim()
  .min(1)
  .max(39)
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*$/, "A GitHub user or organization name.")
  .openapi({ example: "acme" });
const Repo = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^(?!\.{1,2}$)[A-Za-z0-9._-]+$/, "A GitHub repository name.")
  .openapi({ example: "widgets" });

export const ImportGithubBody = z
  .object({
    owner: Owner,
    repo: Repo,
    team_id: Id.openapi({ example: 1, description: "The team the tasks are imported into (ADMIN or OWNER)." }),
    state: z.enum(GITHUB_STATES).default("open").openapi({ description: "Which issues to import." }),
    token: z.string().min(1).max(512).optional().openapi({
      description:
        "A GitHub token for private repositories; defaults to the server's GITHUB_TOKEN. It travels only in the queue " +
        "message: never stored, logged or returned.",
    }),
  })
  .openapi("ImportGithubRequest");

export const ImportJob = z
  .object({
    id: z.number().int(),
    team: z.number().int(),
    owner: z.string(),
    repo: z.string(),
    state: z.enum(GITHUB_STATES),
    status: z.enum(JOB_STATUSES),
    pages_done: z.number().int().openapi({ description: "Pages of up to 100 issues imported so far." }),
    created_count: z.number().int().openapi({ description: "Issues that became new tasks." }),
    updated_count: z.number().int().openapi({ description: "Issues whose task already existed and was refreshed." }),
    skipped_pull_requests: z.number().int().openapi({ description: "Pull requests in the issue list, not imported." }),
    error_message: z.string().nullable().openapi({
      description: "Why the job failed, or what it is waiting for while it retries.",
    }),
    finished_at: z.string().nullable(),
    created_by: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("ImportJob");

export type ImportJobJson = z.infer<typeof ImportJob>;

export const serializeImportJob = (j: typeof importJobs.$inferSelect): ImportJobJson => ({
  id: j.id,
  team: j.teamId,
  owner: j.owner,
  repo: j.repo,
  state: j.state,
  status: j.status,
  pages_done: j.pagesDone,
  created_count: j.createdCount,
  updated_count: j.updatedCount,
  skipped_pull_requests: j.skippedPullRequests,
  error_message: j.errorMessage,
  finished_at: j.finishedAt,
  created_by: j.createdBy,
  created_at: j.createdAt,
  updated_at: j.updatedAt,
});

export const IMPORT_ORDERING: OrderFields = { created_at: importJobs.createdAt };
export const ImportListQuery = listQuery(IMPORT_ORDERING, "-created_at").extend({
  team: Id.optional().openapi({ description: "Only this team's jobs." }),
  status: z.enum(JOB_STATUSES).optional(),
});
export type ImportListQuery = z.infer<typeof ImportListQuery>;
