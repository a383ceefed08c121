import { and, eq, gte, lte } from "drizzle-orm";
import { insights } from "../../db/schema";
import type { Actor, Ctx, Db } from "../../env";
import { notFound } from "../../platform/errors";
import { exportFile, keysetPages } from "../../platform/export";
import { keyset, parseOrdering, toPage } from "../../platform/pagination";
import { ownedScope } from "../reports/visibility";
import { INSIGHT_CSV_COLUMNS, INSIGHT_ORDERING, serializeInsight, type InsightFilters, type InsightListQuery } from "./schemas";

/** A page query over the caller's visible insights, shared by the list and the export. */
export async function insightPages(db: Db, actor: Actor, f: InsightFilters & { ordering: string }) {
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

export async function listInsights({ db, actor }: Ctx, q: InsightListQuery & { url: string }) {
  const { ordering, query } = await insightPages(db, actor, q);
  return toPage(await query(q.cursor, q.page_size + 1), { pageSize: q.page_size, ordering, url: q.url, serialize: serializeInsight });
}

/** Every insight the list would return for the same filters and ordering, streamed as CSV or JSON. */
export async function exportInsights({ db, actor }: Ctx, q: InsightFilters & { ordering: string; format: string }) {
  const { pages } = await insightPages(db, actor, q);
  return exportFile({ filename: "insights", format: q.format, fetchPage: pages, serialize: serializeInsight, columns: INSIGHT_CSV_COLUMNS });
}

export async function getInsight({ db, actor }: Ctx, id: number) {
  const [row] = await db
    .select()
    .from(insights)
    .where(and(eq(insights.id, id), await ownedScope(db, actor, insights, undefined)))
    .limit(1);
  if (!row) throw notFound("Insight");
  return serializeInsight(row);
}
