/**
 * How long raw heartbeats are kept, and what the privacy settings do to those already kept: statements for
 * the batches that ingest heartbeats (modules/editors) and that change the settings (PATCH /api/auth/me/).
 */
import { and, eq, isNotNull, lt } from "drizzle-orm";
import { heartbeats } from "../../db/schema";
import type { Db } from "../../env";

export const DAY_MS = 24 * 60 * 60_000;
/**
 * Raw heartbeats are deleted this long after the user's retention period ends, so that a day holding any
 * heartbeat still accepted (one not older than the retention period) is always whole: derivation re-reads
 * whole days, and a day lasts at most 25 hours.
 */
export const PRUNE_MARGIN_MS = 2 * DAY_MS;

/** Deletes the user's heartbeats past their retention period (and its margin): an index range, usually empty. */
export const pruneStatement = (db: Db, userId: number, retentionDays: number, now: number) =>
  db.delete(heartbeats).where(and(eq(heartbeats.userId, userId), lt(heartbeats.timeMs, now - retentionDays * DAY_MS - PRUNE_MARGIN_MS)));

/**
 * What a change of the privacy settings means for the heartbeats already kept, in the batch that changes them:
 * hiding file names erases the paths kept so far; a shorter retention prunes at once.
 */
export function keptHeartbeatEffects(db: Db, userId: number, change: { hideFileNames?: boolean; retentionDays?: number }, now = Date.now()) {
  const effects = [];
  if (change.hideFileNames === true) {
    effects.push(db.update(heartbeats).set({ entity: null }).where(and(eq(heartbeats.userId, userId), isNotNull(heartbeats.entity))));
  }
  if (change.retentionDays !== undefined) effects.push(pruneStatement(db, userId, change.retentionDays, now));
  return effects;
}
