import { and, eq, ne, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { reportRequests, reports, users } from "../../db/schema";
import type { Bindings, Ctx, Db } from "../../env";
import { notFound } from "../../platform/errors";
import { keyset, parseOrdering, toPage } from "../../platform/pagination";
import { eventPublisher } from "../events/publisher";
import type { InsightsMessage, ReportMessage } from "../../platform/queue-messages";
import { REQUEST_ORDERING, serializeReportRequest, type ReportRequestListQuery } from "./schemas";
import { generateDaily, generateWeekly, prefsOf, today } from "./generate";

export async function createReportRequest({ db, env, actor }: Ctx, input: { type: "DAILY" | "WEEKLY"; day?: string }) {
  const [row] = await db
    .insert(reportRequests)
    .values({ userId: actor.id, type: input.type, day: input.day ?? today(prefsOf(actor)) })
    .returning();
  const message: ReportMessage = { kind: "report_request", requestId: row!.id };
  try {
    await env.REPORTS_QUEUE.send(message);
  } catch (err) {
    // A request nobody will ever run must not stay PENDING forever (as for imports).
    await db
      .update(reportRequests)
      .set({ status: "FAILED", errorMessage: "The report could not be queued; try again.", updatedAt: new Date().toISOString() })
      .where(eq(reportRequests.id, row!.id));
    throw err;
  }
  return serializeReportRequest(row!);
}

export async function getReportRequest({ db, actor }: Ctx, id: number) {
  const [row] = await db
    .select()
    .from(reportRequests)
    .where(and(eq(reportRequests.id, id), eq(reportRequests.userId, actor.id)))
    .limit(1);
  if (!row) throw notFound("Report request");
  return serializeReportRequest(row);
}

export async function listReportRequests({ db, actor }: Ctx, q: ReportRequestListQuery & { url: string }) {
  const ordering = parseOrdering(REQUEST_ORDERING, q.ordering);
  const ks = keyset(ordering, reportRequests.id, q.cursor);
  const rows = await db
    .select()
    .from(reportRequests)
    .where(and(eq(reportRequests.userId, actor.id), ks.where))
    .orderBy(...ks.orderBy)
    .limit(q.page_size + 1);
  return toPage(rows, { pageSize: q.page_size, ordering, url: q.url, serialize: serializeReportRequest });
}

/** Attempts a report message gets in all (wrangler.toml max_retries = 3, plus the first delivery). */
export const REPORT_MAX_ATTEMPTS = 4;

async function setRequest(env: Bindings, db: Db, id: number, patch: Partial<typeof reportRequests.$inferInsert>) {
  const [row] = await db
    .update(reportRequests)
    .set({ ...patch, updatedAt: new Date().toISOString() })
    .where(and(eq(reportRequests.id, id), ne(reportRequests.status, "DONE")))
    .returning();
  if (row) await eventPublisher(env).publish([`user:${row.userId}`], "report_request.updated", serializeReportRequest(row));
  return row;
}

/**
 * Runs one report request: PENDING → RUNNING → DONE with result_report. A redelivered message for a DONE
 * request does nothing; regenerating replaces the same report, so no second report can appear.
 */
export async function runReportRequest(env: Bindings, requestId: number, attempts: number) {
  const db = drizzle(env.DB);
  const [req] = await db
    .select({ request: reportRequests, user: users })
    .from(reportRequests)
    .innerJoin(users, eq(users.id, reportRequests.userId))
    .where(eq(reportRequests.id, requestId))
    .limit(1);
  if (!req || req.request.status === "DONE") return;
  await setRequest(env, db, requestId, { status: "RUNNING", attempts });
  const report = await generateUserReport(env, db, req.user, req.request.type, req.request.day);
  await setRequest(env, db, requestId, { status: "DONE", resultReportId: report.id, errorMessage: null });
  await queueInsights(env, report);
}

/** A user's DAILY or WEEKLY report for the period containing `day`, in their own calendar. */
function generateUserReport(env: Bindings, db: Db, user: typeof users.$inferSelect, type: "DAILY" | "WEEKLY", day: string) {
  const generate = type === "DAILY" ? generateDaily : generateWeekly;
  return generate(env, db, { kind: "user", id: user.id }, prefsOf(user), day);
}

/** Insights are derived from daily reports, by the insights queue's consumer. */
async function queueInsights(env: Bindings, report: { id: number; type: string }) {
  if (report.type === "DAILY") await env.INSIGHTS_QUEUE.send({ kind: "insights", reportId: report.id } satisfies InsightsMessage);
}

/** Records a failed attempt; on the last one the request is FAILED. */
export async function recordRequestFailure(env: Bindings, requestId: number, attempts: number, error: string, final: boolean) {
  const db = drizzle(env.DB);
  await setRequest(env, db, requestId, {
    status: final ? "FAILED" : "RUNNING",
    attempts,
    errorMessage: error.slice(0, 1000),
  });
}

/** From the dead-letter queue: FAILED, keeping the last attempt's error when there was one. */
export async function failRequest(env: Bindings, requestId: number, fallback: string) {
  const db = drizzle(env.DB);
  await setRequest(env, db, requestId, {
    status: "FAILED",
    errorMessage: sql`coalesce(${reportRequests.errorMessage}, ${fallback})` as unknown as string,
  });
}

export async function runScheduledReport(env: Bindings, msg: Extract<ReportMessage, { kind: "scheduled_report" }>) {
  const db = drizzle(env.DB);
  const [user] = await db.select().from(users).where(eq(users.id, msg.userId)).limit(1);
  if (!user) return; // deleted since: nothing to report
  await queueInsights(env, await generateUserReport(env, db, user, msg.type, msg.day));
}

export async function reportById(env: Bindings, id: number) {
  const db = drizzle(env.DB);
  const [row] = await db.select().from(reports).where(eq(reports.id, id)).limit(1);
  return { db, report: row };
}
