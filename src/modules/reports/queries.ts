import type { z } from "@hono/zod-openapi";
import { and, eq, gte, lte } from "drizzle-orm";
import { reports } from "../../db/schema";
import type { Actor, Db } from "../../env";
import { notFound } from "../../platform/errors";
import { keysetPages } from "../../platform/export";
import { keyset, parseOrdering, toPage, type OrderFields } from "../../platform/pagination";
import { REPORT_FILTERS, serializeReport } from "./schemas";
import { ownedScope } from "./visibility";

export const REPORT_ORDERING: OrderFields = { period_start: reports.periodStart, created_at: reports.createdAt, updated_at: reports.updatedAt };

type Filters = z.infer<typeof REPORT_FILTERS>;

async function reportWhere(db: Db, actor: Actor, f: Filters) {
  return and(
    await ownedScope(db, actor, reports, f.team),
    f.type ? eq(reports.type, f.type) : undefined,
    f.date_from ? gte(reports.periodStart, f.date_from) : undefined,
    f.date_to ? lte(reports.periodStart, f.date_to) : undefined,
  );
}

/** A page query over the caller's visible reports, shared by the list and the export. */
export async function reportPages(db: Db, actor: Actor, f: Filters & { ordering: string }) {
  const ordering = parseOrdering(REPORT_ORDERING, f.ordering);
  const where = await reportWhere(db, actor, f);
  const query = (cursor: string | undefined, limit: number) => {
    const ks = keyset(ordering, reports.id, cursor);
    return db.select().from(reports).where(and(where, ks.where)).orderBy(...ks.orderBy).limit(limit);
  };
  return { ordering, query, pages: keysetPages(ordering, query) };
}

export async function listReports(db: Db, actor: Actor, q: Filters & { page_size: number; cursor?: string; ordering: string }, url: string) {
  const { ordering, query } = await reportPages(db, actor, q);
  return toPage(await query(q.cursor, q.page_size + 1), { pageSize: q.page_size, ordering, url, serialize: serializeReport });
}

export async function getReport(db: Db, actor: Actor, id: number) {
  const [row] = await db
    .select()
    .from(reports)
    .where(and(eq(reports.id, id), await ownedScope(db, actor, reports, undefined)))
    .limit(1);
  if (!row) throw notFound("Report");
  return row;
}
