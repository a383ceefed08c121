import { createRoute } from "@hono/zod-openapi";
import { commonErrors, writeErrors } from "../../platform/errors";
import { pageSchema } from "../../platform/pagination";
import { bearer, createRouter, ctx, jsonBody, jsonContent } from "../../platform/router";
import { IdParam } from "../../platform/validators";
import { ContextSwitch, CreateSwitchBody, SwitchListQuery } from "./schemas";
import * as svc from "./service";

const tags = ["context-switches"];

const list = createRoute({
  method: "get", path: "/", tags, security: bearer,
  summary: "Your context switches (or, with ?dev_session=, those of a session you may read)",
  request: { query: SwitchListQuery },
  responses: { 200: jsonContent(pageSchema(ContextSwitch, "ContextSwitchPage"), "Switches."), ...commonErrors },
});
const create = createRoute({
  method: "post", path: "/", tags, security: bearer,
  summary: "Record a switch in one of your open sessions (increments switch_count in the same batch)",
  request: jsonBody(CreateSwitchBody),
  responses: { 201: jsonContent(ContextSwitch, "Recorded."), ...writeErrors },
});
const get = createRoute({
  method: "get", path: "/{id}", tags, security: bearer, summary: "A context switch",
  request: { params: IdParam },
  responses: { 200: jsonContent(ContextSwitch, "The switch."), ...commonErrors },
});
const remove = createRoute({
  method: "delete", path: "/{id}", tags, security: bearer, summary: "Delete one of your switches (decrements switch_count)",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted." }, ...writeErrors },
});

export const switchesRouter = createRouter()
  .openapi(list, async (c) => c.json(await svc.listSwitches(ctx(c), { ...c.req.valid("query"), url: c.req.url }), 200))
  .openapi(create, async (c) => c.json(await svc.createSwitch(ctx(c), c.req.valid("json")), 201))
  .openapi(get, async (c) => c.json(await svc.getSwitch(ctx(c), c.req.valid("param").id), 200))
  .openapi(remove, async (c) => {
    await svc.deleteSwitch(ctx(c), c.req.valid("param").id);
    return c.body(null, 204);
  });
