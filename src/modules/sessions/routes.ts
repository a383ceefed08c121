import { createRoute, z } from "@hono/zod-openapi";
import { commonErrors, writeErrors } from "../../platform/errors";
import { ExportFormatQuery } from "../../platform/export";
import { pageSchema } from "../../platform/pagination";
import { bearer, createRouter, ctx, jsonBody, jsonContent } from "../../platform/router";
import { IdParam } from "../../platform/validators";
import {
  AtBody,
  AttachTaskBody,
  CloseBody,
  CreateSessionBody,
  Session,
  SessionDetail,
  SessionListQuery,
  UpdateSessionBody,
} from "./schemas";
import * as svc from "./service";

const tags = ["sessions"];
const detail = (description: string) => jsonContent(SessionDetail, description);

const list = createRoute({
  method: "get", path: "/", tags, security: bearer,
  summary: "Your sessions; with ?team= a team ADMIN/OWNER sees every member's sessions in that team",
  request: { query: SessionListQuery },
  responses: { 200: jsonContent(pageSchema(Session, "DevSessionPage"), "Sessions."), ...commonErrors },
});
const exportRoute = createRoute({
  method: "get", path: "/export", tags, security: bearer, summary: "Every matching session as CSV or JSON (streamed)",
  request: { query: SessionListQuery.omit({ page_size: true, cursor: true }).extend(ExportFormatQuery.shape) },
  responses: { 200: { description: "A file download (text/csv or application/json)." }, ...commonErrors },
});
const create = createRoute({
  method: "post", path: "/", tags, security: bearer, summary: "Open a session (personal, or in a team as MEMBER+)",
  request: jsonBody(CreateSessionBody),
  responses: { 201: detail("Opened."), ...writeErrors },
});
const get = createRoute({
  method: "get", path: "/{id}", tags, security: bearer, summary: "A session with its attached tasks",
  request: { params: IdParam },
  responses: { 200: detail("The session."), ...commonErrors },
});
const update = createRoute({
  method: "patch", path: "/{id}", tags, security: bearer, summary: "Edit title or description (its user only)",
  request: { params: IdParam, ...jsonBody(UpdateSessionBody) },
  responses: { 200: detail("Updated."), ...writeErrors },
});
const remove = createRoute({
  method: "delete", path: "/{id}", tags, security: bearer, summary: "Delete a session with its switches (its user only)",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted." }, ...writeErrors },
});
const action = (path: string, summary: string, body: z.ZodType) =>
  createRoute({
    method: "post", path: `/{id}/${path}`, tags, security: bearer, summary,
    request: { params: IdParam, ...jsonBody(body, false) },
    responses: { 200: detail("The session after the transition."), ...writeErrors },
  });
const pause = action("pause", "OPEN → PAUSED (409 otherwise); optional {at}", AtBody);
const resume = action("resume", "PAUSED → OPEN (409 otherwise); optional {at}", AtBody);
const close = action("close", "OPEN or PAUSED → DONE, computing total_focus_minutes (409 otherwise); optional {ended_at}", CloseBody);
const attach = createRoute({
  method: "post", path: "/{id}/attach_task", tags, security: bearer,
  summary: "Attach a task in the session's scope as MAIN or SIDE (409 if already attached)",
  request: { params: IdParam, ...jsonBody(AttachTaskBody) },
  responses: { 201: detail("The session with the task attached."), ...writeErrors },
});

export const sessionsRouter = createRouter()
  .openapi(list, async (c) => c.json(await svc.listSessions(ctx(c), { ...c.req.valid("query"), url: c.req.url }), 200))
  .openapi(exportRoute, async (c) => {
    const q = c.req.valid("query");
    const file = await svc.exportSessions(ctx(c), q);
    return c.body(file.body, 200, file.headers);
  })
  .openapi(create, async (c) => {
    return c.json(await svc.createSession(ctx(c), c.req.valid("json")), 201);
  })
  .openapi(get, async (c) => c.json(await svc.getSession(ctx(c), c.req.valid("param").id), 200))
  .openapi(update, async (c) =>
    c.json(await svc.updateSession(ctx(c), { id: c.req.valid("param").id, ...c.req.valid("json") }), 200),
  )
  .openapi(remove, async (c) => {
    await svc.deleteSession(ctx(c), c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(pause, async (c) => {
    const body = (c.req.valid("json") ?? {}) as z.infer<typeof AtBody>;
    return c.json(await svc.pauseSession(ctx(c), { id: c.req.valid("param").id, at: body.at }), 200);
  })
  .openapi(resume, async (c) => {
    const body = (c.req.valid("json") ?? {}) as z.infer<typeof AtBody>;
    return c.json(await svc.resumeSession(ctx(c), { id: c.req.valid("param").id, at: body.at }), 200);
  })
  .openapi(close, async (c) => {
    const body = (c.req.valid("json") ?? {}) as z.infer<typeof CloseBody>;
    return c.json(await svc.closeSession(ctx(c), { id: c.req.valid("param").id, ended_at: body.ended_at }), 200);
  })
  .openapi(attach, async (c) =>
    c.json(await svc.attachTask(ctx(c), { id: c.req.valid("param").id, ...c.req.valid("json") }), 201),
  );
