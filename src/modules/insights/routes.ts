import { createRoute, type z } from "@hono/zod-openapi";
import { and, eq, gte, lte } from "drizzle-orm";
import { insights } from "../../db/schema";
import type { Actor, Db } from "../../env";
import { commonErrors, notFound } from "../../platform/errors";
import { exportFile, ExportFormatQuery, keysetPages } from "../../platform/export";
import { keyset, listQuery, pageSchema, parseOrdering, toPage, type OrderFields } from "../../platform/pagination";
import { bearer, createRouter, jsonContent } from "../../platform/router";
import { IdParam } from "../../platform/validators";
import { ownedScope } from "../reports/visibility";
import { Insight, INSIGHT_CSV_COLUMNS, INSIGHT_FILTERS, serializeInsight } from "./schemas";

const INSIGHT_ORDERING: OrderFields = { period_start: insights.periodStart, created_at: insights.createdAt };
const InsightListQuery = listQuery(INSIGHT_ORDERING, "-period_start").extend(INSIGHT_FILTERS.shape);
type Filters = z.infer<typeof INSIGHT_FILTERS> & { ordering: string };

async function insightPages(db: Db, actor: Actor, f: Filters) {
  const ordering = parseOrdering(INSIGHT_ORDERING, f.ordering);
  const where = and(
    await ownedScope(db, actor, insights, f.team),
    f.code ? eq(insights.code, f.code) : undefined,
    f.level ? eq(insights.level, f.level) : undefined,
    f.date_from ? gte(insights.periodStart, f.date_from) : undefined,
    f.date_to ? lte(insights.periodStart, f.date_to) : undefined,
  );
  const query = (cursor: string | undefined, limit: number) => {
    const ks = keyset(ordering, insights.id, cursor);
    return db.select().from(insights).where(and(where, ks.where)).orderBy(...ks.orderBy).limit(limit);
  };
  return { ordering, query, pages: keysetPages(ordering, query) };
}

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
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    const { ordering, query } = await insightPages(c.var.db, c.var.actor, q);
    return c.json(toPage(await query(q.cursor, q.page_size + 1), { pageSize: q.page_size, ordering, url: c.req.url, serialize: serializeInsight }), 200);
  })
  .openapi(exportRoute, async (c) => {
    const q = c.req.valid("query");
    const { pages } = await insightPages(c.var.db, c.var.actor, q);
    const file = await exportFile({ filename: "insights", format: q.format, fetchPage: pages, serialize: serializeInsight, columns: INSIGHT_CSV_COLUMNS });
    return c.body(file.body, 200, file.headers);
  })
  .openapi(get, async (c) => {
    const [row] = await c.var.db
      .select()
      .from(insights)
      .where(and(eq(insights.id, c.req.valid("param").id), await ownedScope(c.var.db, c.var.actor, insights, undefined)))
      .limit(1);
    if (!row) throw notFound("Insight");
    return c.json(serializeInsight(row), 200);
  });
