import { createRoute } from "@hono/zod-openapi";
import { commonErrors } from "../../platform/errors";
import { ExportFormatQuery } from "../../platform/export";
import { pageSchema } from "../../platform/pagination";
import { bearer, createRouter, ctx, jsonContent } from "../../platform/router";
import { IdParam } from "../../platform/validators";
import { Insight, InsightListQuery } from "./schemas";
import * as svc from "./service";

const tags = ["insights"];
const list = createRoute({
  method: "get", path: "/", tags, security: bearer, summary: "Your insights and your teams' insights",
  request: { query: InsightListQuery },
  responses: { 200: jsonContent(pageSchema(Insight, "InsightPage"), "Insights."), ...commonErrors },
});
const exportRoute = createRoute({
  method: "get", path: "/export", tags, security: bearer, summary: "Every matching insight as CSV or JSON (streamed)",
  request: { query: InsightListQuery.omit({ page_size: true, cursor: true }).extend(ExportFormatQuery.shape) },
  responses: { 200: { description: "A file download (text/csv or application/json)." }, ...commonErrors },
});
const get = createRoute({
  method: "get", path: "/{id}", tags, security: bearer, summary: "An insight",
  request: { params: IdParam },
  responses: { 200: jsonContent(Insight, "The insight."), ...commonErrors },
});

export const insightsRouter = createRouter()
  .openapi(list, async (c) => c.json(await svc.listInsights(ctx(c), { ...c.req.valid("query"), url: c.req.url }), 200))
  .openapi(exportRoute, async (c) => {
    const file = await svc.exportInsights(ctx(c), c.req.valid("query"));
    return c.body(file.body, 200, file.headers);
  })
  .openapi(get, async (c) => c.json(await svc.getInsight(ctx(c), c.req.valid("param").id), 200));
