import { sql } from "drizzle-orm";
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
