import { desc, eq } from "drizzle-orm";
import { insights, reports } from "../../db/schema";
import type { Actor, Bindings, Db } from "../../env";
import { requireRole } from "../teams/access";
import type { ConnectRequest } from "./hub";
import { hubFor, type Channel } from "./publisher";

/** How many of the latest reports and insights a new stream starts with. */
export const SNAPSHOT_SIZE = 5;

/** The caller's personal channel, or a team's once the caller is known to be allowed to read it. */
export async function channelFor(db: Db, actor: Actor, teamId: number | undefined): Promise<Channel> {
  if (teamId === undefined) return `user:${actor.id}`;
  await requireRole(db, actor, teamId, "read");
  return `team:${teamId}`;
}

type ReportRow = typeof reports.$inferSelect;
type InsightRow = typeof insights.$inferSelect;

const reportJson = (r: ReportRow) => ({
  id: r.id,
  type: r.type,
  user: r.userId,
  team: r.teamId,
  period_start: r.periodStart,
  period_end: r.periodEnd,
  timezone: r.timezone,
  payload: r.payload,
  summary: r.summary,
  created_at: r.createdAt,
  updated_at: r.updatedAt,
});

const insightJson = (i: InsightRow) => ({
  id: i.id,
  code: i.code,
  level: i.level,
  message: i.message,
  meta: i.meta,
  report: i.reportId,
  dev_session: i.sessionId,
  team: i.teamId,
  period_start: i.periodStart,
  created_at: i.createdAt,
  updated_at: i.updatedAt,
});

/** The latest reports and insights of a channel, newest first, in one D1 round trip (both use the owner index). */
export async function loadSnapshot(db: Db, channel: Channel): Promise<Pick<ConnectRequest, "reports" | "insights">> {
  const [reportRows, insightRows] = await db.batch([
    db.select().from(reports).where(eq(reports.ownerKey, channel)).orderBy(desc(reports.createdAt), desc(reports.id)).limit(SNAPSHOT_SIZE),
    db.select().from(insights).where(eq(insights.ownerKey, channel)).orderBy(desc(insights.createdAt), desc(insights.id)).limit(SNAPSHOT_SIZE),
  ]);
  return { reports: reportRows.map(reportJson), insights: insightRows.map(insightJson) };
}

/**
 * Opens the channel's stream on its hub. The snapshot travels in the body of the internal request,
 * so the hub never queries D1 and a large report payload never meets a header size limit.
 */
export async function openStream(env: Bindings, db: Db, channel: Channel, lastEventId: number | null): Promise<Response> {
  const connect: ConnectRequest = { ...(await loadSnapshot(db, channel)), last_event_id: lastEventId };
  return hubFor(env, channel).fetch("https://event-hub/connect", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(connect),
  });
}
