import { createRoute } from "@hono/zod-openapi";
import { commonErrors, writeErrors } from "../../platform/errors";
import { pageSchema } from "../../platform/pagination";
import { bearer, createRouter, ctx, jsonBody, jsonContent } from "../../platform/router";
import { IdParam } from "../../platform/validators";
import { CreateResourceBody, ResourceLink, ResourceListQuery, UpdateResourceBody } from "./schemas";
import * as svc from "./service";

const tags = ["resources"];

const list = createRoute({
  method: "get", path: "/", tags, security: bearer,
  summary: "Resource links the caller may see: their personal links and their teams' links",
  request: { query: ResourceListQuery },
  responses: { 200: jsonContent(pageSchema(ResourceLink, "ResourceLinkPage"), "Resource links."), ...commonErrors },
});
const create = createRoute({
  method: "post", path: "/", tags, security: bearer,
  summary: "Link a PR, issue, doc… to a task and/or one of the caller's sessions (team scope: MEMBER or above)",
  request: jsonBody(CreateResourceBody),
  responses: { 201: jsonContent(ResourceLink, "Created."), ...writeErrors },
});
const get = createRoute({
  method: "get", path: "/{id}", tags, security: bearer, summary: "A resource link the caller may see",
  request: { params: IdParam },
  responses: { 200: jsonContent(ResourceLink, "The resource link."), ...commonErrors },
});
const update = createRoute({
  method: "patch", path: "/{id}", tags, security: bearer,
  summary: "Edit a resource link (team scope: MEMBER or above; personal: its user)",
  request: { params: IdParam, ...jsonBody(UpdateResourceBody) },
  responses: { 200: jsonContent(ResourceLink, "Updated."), ...writeErrors },
});
const remove = createRoute({
  method: "delete", path: "/{id}", tags, security: bearer,
  summary: "Delete a resource link (team scope: ADMIN or above, or the MEMBER who made it; personal: its user)",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted." }, ...writeErrors },
});

export const resourcesRouter = createRouter()
  .openapi(list, async (c) => c.json(await svc.listResources(ctx(c), { ...c.req.valid("query"), url: c.req.url }), 200))
  .openapi(create, async (c) => {
    const link = await svc.createResource(ctx(c), c.req.valid("json"));
    if (link.team) c.set("logTeam", link.team);
    return c.json(link, 201);
  })
  .openapi(get, async (c) => {
    const link = await svc.getResource(ctx(c), c.req.valid("param").id);
    if (link.team) c.set("logTeam", link.team);
    return c.json(link, 200);
  })
  .openapi(update, async (c) => {
    const link = await svc.updateResource(ctx(c), { id: c.req.valid("param").id, ...c.req.valid("json") });
    if (link.team) c.set("logTeam", link.team);
    return c.json(link, 200);
  })
  .openapi(remove, async (c) => {
    const link = await svc.deleteResource(ctx(c), c.req.valid("param").id);
    if (link.teamId) c.set("logTeam", link.teamId);
    return c.body(null, 204);
  });
