/**
 * The WakaTime-compatible API, mounted at /api/compat/wakatime: wakatime-cli's `api_url` is
 * `https://<host>/api/compat/wakatime/v1`. An editor key (`waka_…`, sent as Basic, Bearer or ?api_key=) or an
 * API token authenticates here (platform/auth.ts, compatCredential); an editor key opens nothing else.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { commonErrors, errorResponse, writeErrors } from "../../platform/errors";
import { bearer, createRouter, ctx, jsonBody, jsonContent } from "../../platform/router";
import { IdParam } from "../../platform/validators";
import { BulkBody, BulkResult, CurrentUser, EditorProject, Heartbeat, MapProjectBody, SingleResult, Statusbar, Summaries, SummariesQuery } from "./schemas";
import * as svc from "./service";

const tags = ["wakatime"];
/** Editor key (Basic base64(key), Bearer or ?api_key=) or API token. */
export const editorAuth: Record<string, string[]>[] = [{ editorKey: [] }, { bearer: [] }];
const rateLimited = { 429: errorResponse(`Over ${svc.EDITOR_REQUESTS_PER_MINUTE} requests a minute for this key; see Retry-After.`) };

const currentUser = createRoute({
  method: "get", path: "/v1/users/current", tags, security: editorAuth,
  summary: "The key's user, in WakaTime's shape",
  responses: { 200: jsonContent(CurrentUser, "The user."), ...commonErrors },
});
const bulk = createRoute({
  method: "post", path: "/v1/users/current/heartbeats.bulk", tags, security: editorAuth,
  summary: "Editor heartbeats, as wakatime-cli sends them: each is answered on its own (an invalid one is its own 400, never the batch's)",
  request: jsonBody(BulkBody),
  responses: { 202: jsonContent(BulkResult, "One [object, status] pair per heartbeat, in order."), ...writeErrors, ...rateLimited },
});
const single = createRoute({
  method: "post", path: "/v1/users/current/heartbeats", tags, security: editorAuth,
  summary: "One editor heartbeat (an invalid one is a 400)",
  request: jsonBody(Heartbeat),
  responses: {
    201: jsonContent(SingleResult, "Stored."),
    202: jsonContent(SingleResult, "Already stored (a re-send): nothing changed."),
    ...writeErrors,
    ...rateLimited,
  },
});
const statusbar = createRoute({
  method: "get", path: "/v1/users/current/statusbar/today", tags, security: editorAuth,
  summary: "Today's editor time (your day, by the day rule) in WakaTime's shape: what wakatime-cli --today prints",
  responses: { 200: jsonContent(Statusbar, "Today."), ...commonErrors, ...rateLimited },
});

const summaries = createRoute({
  method: "get", path: "/v1/users/current/summaries", tags, security: editorAuth,
  summary: "Editor time per day of your calendar, in WakaTime's shape (for the tools that read summaries)",
  request: { query: SummariesQuery },
  responses: { 200: jsonContent(Summaries, "One summary per day, with the total and the daily average."), ...commonErrors, ...rateLimited },
});

export const editorsRouter = createRouter()
  .openapi(currentUser, async (c) => c.json(await svc.currentUser(ctx(c)), 200))
  .openapi(bulk, async (c) => {
    const { responses } = await svc.ingest(ctx(c), { items: c.req.valid("json"), userAgent: c.req.header("User-Agent") });
    return c.json({ responses }, 202);
  })
  .openapi(single, async (c) => {
    const { body, status } = await svc.ingestOne(ctx(c), { item: c.req.valid("json"), userAgent: c.req.header("User-Agent") });
    return c.json(body, status);
  })
  .openapi(statusbar, async (c) => c.json(await svc.statusbarToday(ctx(c)), 200))
  .openapi(summaries, async (c) => c.json(await svc.summaries(ctx(c), c.req.valid("query")), 200));

// ─── /api/editor-projects: which editor projects open sessions in which team (a token, not an editor key) ──

const projectTags = ["editor-projects"];
const listProjects = createRoute({
  method: "get", path: "/", tags: projectTags, security: bearer,
  summary: "Your editor projects mapped to teams (the others' derived sessions are personal)",
  responses: { 200: jsonContent(z.object({ results: z.array(EditorProject), next: z.string().nullable() }), "Mappings."), ...commonErrors },
});
const mapProject = createRoute({
  method: "post", path: "/", tags: projectTags, security: bearer,
  summary: "Map an editor project to one of your teams (MEMBER+): its derived sessions open there",
  request: jsonBody(MapProjectBody),
  responses: { 201: jsonContent(EditorProject, "Mapped."), ...writeErrors },
});
const unmapProject = createRoute({
  method: "delete", path: "/{id}", tags: projectTags, security: bearer,
  summary: "Remove a mapping: that project's sessions are personal again (from the next derivation of a day)",
  request: { params: IdParam },
  responses: { 204: { description: "Removed." }, ...commonErrors },
});

export const editorProjectsRouter = createRouter()
  .openapi(listProjects, async (c) => c.json(await svc.listProjects(ctx(c)), 200))
  .openapi(mapProject, async (c) => c.json(await svc.mapProject(ctx(c), c.req.valid("json")), 201))
  .openapi(unmapProject, async (c) => {
    await svc.unmapProject(ctx(c), c.req.valid("param").id);
    return c.body(null, 204);
  });
