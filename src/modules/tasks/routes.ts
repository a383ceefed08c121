import { createRoute, z } from "@hono/zod-openapi";
import { commonErrors, writeErrors } from "../../platform/errors";
import { ExportFormatQuery } from "../../platform/export";
import { pageSchema } from "../../platform/pagination";
import { bearer, createRouter, ctx, jsonBody, jsonContent } from "../../platform/router";
import { IdParam } from "../../platform/validators";
import { CreateTaskBody, Task, TaskListQuery, UpdateTaskBody } from "./schemas";
import * as svc from "./service";

const tags = ["tasks"];
const TaskExportQuery = TaskListQuery.omit({ page_size: true, cursor: true }).extend(ExportFormatQuery.shape);

const list = createRoute({
  method: "get", path: "/", tags, security: bearer,
  summary: "Tasks the caller may see: their personal tasks and their teams' tasks",
  request: { query: TaskListQuery },
  responses: { 200: jsonContent(pageSchema(Task, "TaskPage"), "Tasks."), ...commonErrors },
});
const create = createRoute({
  method: "post", path: "/", tags, security: bearer,
  summary: "Create a personal task, or a team task (MEMBER or above)",
  request: jsonBody(CreateTaskBody),
  responses: { 201: jsonContent(Task, "Created."), ...writeErrors },
});
const exportTasks = createRoute({
  method: "get", path: "/export", tags, security: bearer,
  summary: "Every task matching the list's filters, streamed as CSV or JSON",
  request: { query: TaskExportQuery },
  responses: {
    200: {
      description: "A file download (Content-Disposition: attachment; filename=tasks.csv|json).",
      content: {
        "text/csv": { schema: z.string().openapi({ description: "Header row id,title,type,priority,external_id,created_at,updated_at,…" }) },
        "application/json": { schema: z.array(Task) },
      },
    },
    ...commonErrors,
  },
});
const get = createRoute({
  method: "get", path: "/{id}", tags, security: bearer, summary: "A task the caller may see",
  request: { params: IdParam },
  responses: { 200: jsonContent(Task, "The task."), ...commonErrors },
});
const update = createRoute({
  method: "patch", path: "/{id}", tags, security: bearer,
  summary: "Edit a task (team tasks: MEMBER or above; personal: its creator)",
  request: { params: IdParam, ...jsonBody(UpdateTaskBody) },
  responses: { 200: jsonContent(Task, "Updated."), ...writeErrors },
});
const remove = createRoute({
  method: "delete", path: "/{id}", tags, security: bearer,
  summary: "Delete a task (team tasks: ADMIN or above, or the MEMBER who created it; personal: its creator)",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted." }, ...writeErrors },
});

// /export is registered before /{id}, so it is never read as a task id.
export const tasksRouter = createRouter()
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    if (q.team) c.set("logTeam", q.team);
    return c.json(await svc.listTasks(ctx(c), { ...q, url: c.req.url }), 200);
  })
  .openapi(create, async (c) => {
    const task = await svc.createTask(ctx(c), c.req.valid("json"));
    if (task.team) c.set("logTeam", task.team);
    return c.json(task, 201);
  })
  .openapi(exportTasks, async (c) => {
    const q = c.req.valid("query");
    if (q.team) c.set("logTeam", q.team);
    const file = await svc.exportTasks(ctx(c), q);
    return c.body(file.body, 200, file.headers);
  })
  .openapi(get, async (c) => {
    const task = await svc.getTask(ctx(c), c.req.valid("param").id);
    if (task.team) c.set("logTeam", task.team);
    return c.json(task, 200);
  })
  .openapi(update, async (c) => {
    const task = await svc.updateTask(ctx(c), { id: c.req.valid("param").id, ...c.req.valid("json") });
    if (task.team) c.set("logTeam", task.team);
    return c.json(task, 200);
  })
  .openapi(remove, async (c) => {
    const task = await svc.deleteTask(ctx(c), c.req.valid("param").id);
    if (task.teamId) c.set("logTeam", task.teamId);
    return c.body(null, 204);
  });
