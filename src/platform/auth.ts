import { eq } from "drizzle-orm";
import type { Context } from "hono";
import { apiTokens, users } from "../db/schema";
import type { Actor, AppEnv } from "../env";
import { sha256Hex, timingSafeEqual } from "./crypto";
import { ApiError } from "./errors";

/** last_used_at is refreshed at most this often, so reads stay at one D1 round trip for auth. */
const LAST_USED_RESOLUTION_MS = 5 * 60 * 1000;

const unauthorized = (message: string) => new ApiError("UNAUTHORIZED", message);
const enc = new TextEncoder();

/** Resolves the bearer token to the caller, or throws 401. One D1 query (token joined with its user). */
export async function authenticate(c: Context<AppEnv>): Promise<Actor> {
  const header = c.req.header("Authorization");
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match) throw unauthorized("Missing bearer token: send `Authorization: Bearer <token>`.");
  const hash = await sha256Hex(match[1]!);
  const db = c.var.db;
  const [row] = await db
    .select({
      tokenId: apiTokens.id,
      tokenHash: apiTokens.tokenHash,
      expiresAt: apiTokens.expiresAt,
      revokedAt: apiTokens.revokedAt,
      lastUsedAt: apiTokens.lastUsedAt,
      id: users.id,
      email: users.email,
      timezone: users.timezone,
      dayStartHour: users.dayStartHour,
      weekStart: users.weekStart,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, hash))
    .limit(1);
  if (!row || !timingSafeEqual(enc.encode(row.tokenHash), enc.encode(hash))) throw unauthorized("Invalid token.");
  if (row.revokedAt) throw unauthorized("This token has been revoked.");
  const now = Date.now();
  if (row.expiresAt && Date.parse(row.expiresAt) <= now) throw unauthorized("This token has expired.");
  if (!row.lastUsedAt || now - Date.parse(row.lastUsedAt) > LAST_USED_RESOLUTION_MS) {
    c.executionCtx.waitUntil(
      db
        .update(apiTokens)
        .set({ lastUsedAt: new Date(now).toISOString() })
        .where(eq(apiTokens.id, row.tokenId))
        .then(() => undefined),
    );
  }
  return {
    id: row.id,
    email: row.email,
    timezone: row.timezone,
    dayStartHour: row.dayStartHour,
    weekStart: row.weekStart,
    tokenId: row.tokenId,
  };
}
