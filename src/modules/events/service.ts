import { desc, eq } from "drizzle-orm";
import { insights, reports } from "../../db/schema";
import type { Actor, Ctx, Db } from "../../env";
import { serializeInsight } from "../insights/schemas";
import { serializeReport } from "../reports/schemas";
import { requireRole } from "../teams/access";
import type { ConnectRequest } from "./hub";
import { eventPublisher, hubFor, type Channel, type EventType } from "./publisher";

/** How many of the latest reports and insights a new stream starts with. */
export const SNAPSHOT_SIZE = 5;

/** The caller's personal channel, or a team's once the caller is known to be allowed to read it. */
export async function channelFor(db: Db, actor: Actor, teamId: number | undefined): Promise<Channel> {
  if (teamId === undefined) return `user:${actor.id}`;
  await requireRole(db, actor, teamId, "read");
  return `team:${teamId}`;
}

/**
 * The latest reports and insights of a channel, newest first, shaped as their own endpoints return them;
 * one D1 round trip, both queries on the (owner_key, created_at, id) indexes.
 */
export async function loadSnapshot(db: Db, channel: Channel): Promise<Pick<ConnectRequest, "reports" | "insights">> {
  const [reportRows, insightRows] = await db.batch([
    db.select().from(reports).where(eq(reports.ownerKey, channel)).orderBy(desc(reports.createdAt), desc(reports.id)).limit(SNAPSHOT_SIZE),
    db.select().from(insights).where(eq(insights.ownerKey, channel)).orderBy(desc(insights.createdAt), desc(insights.id)).limit(SNAPSHOT_SIZE),
  ]);
  return { reports: reportRows.map(serializeReport), insights: insightRows.map(serializeInsight) };
}

/**
 * Opens the channel's stream on its hub. The snapshot travels in the body of the internal request,
 * so the hub never queries D1 and a large report payload never meets a header size limit.
 */
export async function openStream({ db, env, actor }: Ctx, input: { team?: number; lastEventId: number | null }): Promise<Response> {
  const channel = await channelFor(db, actor, input.team);
  const lastEventId = input.lastEventId;
  const connect: ConnectRequest = {
    ...(await loadSnapshot(db, channel)),
    last_event_id: lastEventId,
    token_id: actor.tokenId,
    user_id: actor.id,
  };
  return hubFor(env, channel).fetch("https://event-hub/connect", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(connect),
  });
}

/** Publishes an event on a team's channel (the benchmark's route; OWNER only). */
export async function publishTeamEvent({ db, env, actor }: Ctx, input: { team: number; type: EventType; data: unknown }) {
  await requireRole(db, actor, input.team, "own");
  await eventPublisher(env).publish([`team:${input.team}`], input.type, input.data);
  return { ok: true as const };
}
