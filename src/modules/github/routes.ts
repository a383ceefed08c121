import { createRoute, z } from "@hono/zod-openapi";
import { commonErrors, writeErrors } from "../../platform/errors";
import { pageSchema } from "../../platform/pagination";
import { bearer, createRouter, ctx, jsonBody, jsonContent } from "../../platform/router";
import { IdParam } from "../../platform/validators";
import { ImportGithubBody, ImportJob, ImportListQuery } from "./schemas";
import * as svc from "./service";

const tags = ["imports"];


const start = createRoute({
  method: "post",
  path: "/",
  tags,
  security: bearer,
  summary: "Import a repository's GitHub issues as team tasks (ADMIN or OWNER), in the background",
  description:
    "Creates an import job and queues it; each queue message imports one page of 100 issues and queues the next. " +
    "Pull requests are skipped and counted. Re-importing updates the tasks, never duplicates them. " +
    "Poll the `Location` or listen for `import.updated` events.",
  request: jsonBody(ImportGithubBody),
  responses: {
    202: {
      ...jsonContent(ImportJob, "Queued; the job is PENDING."),
      headers: z.object({ Location: z.string().openapi({ example: "/api/imports/1/" }) }),
    },
    ...writeErrors,
  },
});

const list = createRoute({
  method: "get",
  path: "/",
  tags,
  security: bearer,
  summary: "Import jobs of the caller's teams",
  request: { query: ImportListQuery },
  responses: { 200: jsonContent(pageSchema(ImportJob, "ImportJobPage"), "Import jobs."), ...commonErrors },
});

const get = createRoute({
  method: "get",
  path: "/{id}",
  tags,
  security: bearer,
  summary: "An import job and its progress (any member of its team)",
  request: { params: IdParam },
  responses: { 200: jsonContent(ImportJob, "The import job."), ...commonErrors },
});

/** Mounted at /api/tasks/import_github. */
export const importGithubRouter = createRouter().openapi(start, async (c) => {
  const input = c.req.valid("json");
  c.set("logTeam", input.team_id);
  const job = await svc.startImport(ctx(c), input);
  return c.json(job, 202, { Location: `/api/imports/${job.id}/` });
});

/** Mounted at /api/imports. */
export const importsRouter = createRouter()
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    if (q.team !== undefined) c.set("logTeam", q.team);
    return c.json(await svc.listImports(ctx(c), { ...q, url: c.req.url }), 200);
  })
  .openapi(get, async (c) => c.json(await svc.getImport(ctx(c), c.req.valid("param").id), 200));
