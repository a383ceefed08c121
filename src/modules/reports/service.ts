import { and, eq, gte, lte } from "drizzle-orm";
import { reports } from "../../db/schema";
import type { Actor, Ctx, Db } from "../../env";
import { notFound } from "../../platform/errors";
import { exportFile, keysetPages } from "../../platform/export";
import { keyset, parseOrdering, toPage } from "../../platform/pagination";
import { serializeInsight } from "../insights/schemas";
import { requireRole } from "../teams/access";
import { generateDaily, generateInsights, generateWeekly, prefsOf, today, type ReportOwner } from "./generate";
import { REPORT_CSV_COLUMNS, REPORT_ORDERING, serializeReport, type ReportFilters, type ReportListQuery } from "./schemas";
import { ownedScope } from "./visibility";

async function reportWhere(db: Db, actor: Actor, f: ReportFilters) {
  return and(
    await ownedScope(db, actor, reports, f.team),
    f.type ? eq(reports.type, f.type) : undefined,
    f.date_from ? gte(reports.periodStart, f.date_from) : undefined,
    f.date_to ? lte(reports.periodStart, f.date_to) : undefined,
  );
}

/** A page query over the caller's visible reports, shared by the list and the export. */
export async function reportPages(db: Db, actor: Actor, f: ReportFilters & { ordering: string }) {
  const ordering = parseOrdering(REPORT_ORDERING, f.ordering);
  const where = await reportWhere(db, actor, f);
  const query = (cursor: string | undefined, limit: number) => {
    const ks = keyset(ordering, reports.id, cursor);
    return db.select().from(reports).where(and(where, ks.where)).orderBy(...ks.orderBy).limit(limit);
  };
  return { ordering, query, pages: keysetPages(ordering, query) };
}

export async function listReports({ db, actor }: Ctx, q: ReportListQuery & { url: string }) {
  const { ordering, query } = await reportPages(db, actor, q);
  return toPage(await query(q.cursor, q.page_size + 1), { pageSize: q.page_size, ordering, url: q.url, serialize: serializeReport });
}

/** Every report the list would return for the same filters and ordering, streamed as CSV or JSON. */
export async function exportReports({ db, actor }: Ctx, q: ReportFilters & { ordering: string; format: string }) {
  const { pages } = await reportPages(db, actor, q);
  return exportFile({ filename: "reports", format: q.format, fetchPage: pages, serialize: serializeReport, columns: REPORT_CSV_COLUMNS });
}

export async function getReport({ db, actor }: Ctx, id: number) {
  const [row] = await db
    .select()
    .from(reports)
    .where(and(eq(reports.id, id), await ownedScope(db, actor, reports, undefined)))
    .limit(1);
  if (!row) throw notFound("Report");
  return serializeReport(row);
}

/** The owner a generation request is for: the caller, or a team they administer. */
async function ownerFor({ db, actor }: Ctx, team: number | undefined): Promise<ReportOwner> {
  if (team === undefined) return { kind: "user", id: actor.id };
  await requireRole(db, actor, team, "administer");
  return { kind: "team", id: team };
}

/** Generates (or regenerates) a daily report and its insights now, in the caller's calendar. */
export async function createDailyReport(ctx: Ctx, input: { date?: string; team?: number }) {
  const prefs = prefsOf(ctx.actor);
  const owner = await ownerFor(ctx, input.team);
  const report = await generateDaily(ctx.env, ctx.db, owner, prefs, input.date ?? today(prefs));
  const insights = await generateInsights(ctx.env, ctx.db, report);
  return { ...serializeReport(report), insights: insights.map(serializeInsight) };
}

/** Generates (or regenerates) the weekly report of the week containing `week_of` (default: this week). */
export async function createWeeklyReport(ctx: Ctx, input: { week_of?: string; team?: number }) {
  const prefs = prefsOf(ctx.actor);
  const owner = await ownerFor(ctx, input.team);
  const report = await generateWeekly(ctx.env, ctx.db, owner, prefs, input.week_of ?? today(prefs));
  return { ...serializeReport(report), insights: [] };
}
