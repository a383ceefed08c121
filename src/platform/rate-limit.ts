import { and, eq, gt, sql } from "drizzle-orm";
import { rateLimits } from "../db/schema";
import type { Db } from "../env";
import { ApiError } from "./errors";

export interface Limit {
  key: string;
  max: number;
  windowSeconds: number;
}

/**
 * Fixed-window counters in D1, all keys in one batch (one round trip).
 * Throws 429 with Retry-After when any key is over its limit.
 */
export async function enforceRateLimits(db: Db, limits: Limit[], now = Date.now()): Promise<void> {
  const statements = limits.map((l) => {
    const windowStart = Math.floor(now / 1000 / l.windowSeconds) * l.windowSeconds;
    return db
      .insert(rateLimits)
      .values({ key: l.key, windowStart, count: 1 })
      .onConflictDoUpdate({
        target: rateLimits.key,
        set: {
          count: sql`CASE WHEN ${rateLimits.windowStart} = excluded.window_start THEN ${rateLimits.count} + 1 ELSE 1 END`,
          windowStart: sql`excluded.window_start`,
        },
      })
      .returning({ count: rateLimits.count, windowStart: rateLimits.windowStart });
  });
  if (statements.length === 0) return;
  const results = await db.batch(statements as [(typeof statements)[number], ...typeof statements]);
  limits.forEach((l, i) => {
    const row = results[i]![0]!;
    if (row.count > l.max) {
      const retryAfter = Math.max(1, row.windowStart + l.windowSeconds - Math.floor(now / 1000));
      throw new ApiError("RATE_LIMITED", "Too many attempts; try again later.", [], { "Retry-After": String(retryAfter) });
    }
  });
}

/**
 * One limit checked inside the caller's own batch, for writes that cannot afford a round trip of their own:
 * the first statement counts the request, the second aborts the whole batch (a NOT NULL violation, so
 * nothing the batch writes stays, the count included) once the count is past the limit. Catch the batch's
 * error with `isLimitAbort` and throw `limitExceeded`.
 */
export function limitInBatch(db: Db, l: Limit, now = Date.now()) {
  const windowStart = Math.floor(now / 1000 / l.windowSeconds) * l.windowSeconds;
  return [
    db
      .insert(rateLimits)
      .values({ key: l.key, windowStart, count: 1 })
      .onConflictDoUpdate({
        target: rateLimits.key,
        set: {
          count: sql`CASE WHEN ${rateLimits.windowStart} = excluded.window_start THEN ${rateLimits.count} + 1 ELSE 1 END`,
          windowStart: sql`excluded.window_start`,
        },
      }),
    db
      .update(rateLimits)
      .set({ count: sql`NULL` })
      .where(and(eq(rateLimits.key, l.key), gt(rateLimits.count, l.max))),
  ] as const;
}

export const isLimitAbort = (err: unknown) =>
  err instanceof Error && /NOT NULL constraint failed: rate_limits\.count/.test(String(err.message) + String(err.cause ?? ""));

/** The 429 of a limit checked with limitInBatch, with its Retry-After. */
export function limitExceeded(l: Limit, message: string, now = Date.now()) {
  const windowStart = Math.floor(now / 1000 / l.windowSeconds) * l.windowSeconds;
  const retryAfter = Math.max(1, windowStart + l.windowSeconds - Math.floor(now / 1000));
  return new ApiError("RATE_LIMITED", message, [], { "Retry-After": String(retryAfter) });
}
