import { eq, sql } from "drizzle-orm";
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { apiTokens, memberships, ROLES, users, type Role } from "../db/schema";
import type { Actor, AppEnv, Db } from "../env";
import { sha256Hex, timingSafeEqual } from "./crypto";
import { ApiError } from "./errors";

/**
 * last_used_at is refreshed at most this often. The stamp is a background write (waitUntil) that the
 * response never waits for, sent on the unmetered binding: Server-Timing counts the round trips a request
 * waits for, and this one happens at most once per token per 5 minutes.
 */
const LAST_USED_RESOLUTION_MS = 5 * 60 * 1000;

const unauthorized = (message: string) => new ApiError("UNAUTHORIZED", message);
const enc = new TextEncoder();

/** The token with its user and the user's memberships (as JSON), by the token's SHA-256: one statement. */
export function tokenQuery(db: Db, hash: string) {
  return db
    .select({
      tokenId: apiTokens.id,
      tokenHash: apiTokens.tokenHash,
      expiresAt: apiTokens.expiresAt,
      revokedAt: apiTokens.revokedAt,
      lastUsedAt: apiTokens.lastUsedAt,
      kind: apiTokens.kind,
      id: users.id,
      email: users.email,
      timezone: users.timezone,
      dayStartHour: users.dayStartHour,
      weekStart: users.weekStart,
      teams: sql<string>`(SELECT json_group_array(json_array(${memberships.teamId}, ${memberships.role})) FROM ${memberships} WHERE ${memberships.userId} = ${users.id})`,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, hash))
    .limit(1);
}

/** The browser session cookie: HttpOnly, SameSite=Lax, Path=/ (see sessionCookie in modules/auth/routes.ts). */
export const SESSION_COOKIE = "devfocus_session";

/**
 * Resolves the request's credential to the caller, or throws 401: a Bearer API token (`Authorization`),
 * else the browser session cookie. A token's kind must match how it came (a session value is no Bearer
 * token, an API token no cookie). One D1 query: the credential joined with its user and that user's
 * memberships, so that role checks and team scopes need no round trip of their own. Nothing is cached
 * across requests: a revoked credential or a removed membership takes effect on the next request.
 */
export async function authenticate(c: Context<AppEnv>): Promise<Actor> {
  const header = c.req.header("Authorization");
  let value: string;
  let kind: "API" | "SESSION";
  if (header !== undefined) {
    const match = header.match(/^Bearer\s+(\S+)\s*$/i);
    if (!match) throw unauthorized("Malformed Authorization header: send `Authorization: Bearer <token>`.");
    value = match[1]!;
    kind = "API";
  } else {
    const cookie = getCookie(c, SESSION_COOKIE);
    if (!cookie) throw unauthorized("Missing credentials: send `Authorization: Bearer <token>`, or sign in (session cookie).");
    value = cookie;
    kind = "SESSION";
  }
  const hash = await sha256Hex(value);
  const [row] = await tokenQuery(c.var.db, hash);
  if (!row || row.kind !== kind || !timingSafeEqual(enc.encode(row.tokenHash), enc.encode(hash))) {
    throw unauthorized(kind === "API" ? "Invalid token." : "Invalid session: sign in again.");
  }
  if (row.revokedAt) throw unauthorized(kind === "API" ? "This token has been revoked." : "This session has ended: sign in again.");
  const now = Date.now();
  if (row.expiresAt && Date.parse(row.expiresAt) <= now) {
    throw unauthorized(kind === "API" ? "This token has expired." : "This session has expired: sign in again.");
  }
  if (!row.lastUsedAt || now - Date.parse(row.lastUsedAt) > LAST_USED_RESOLUTION_MS) {
    c.executionCtx.waitUntil(
      c.env.DB.prepare("UPDATE api_tokens SET last_used_at = ? WHERE id = ?")
        .bind(new Date(now).toISOString(), row.tokenId)
        .run()
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
    credential: kind,
    teams: parseTeams(row.teams),
  };
}

function parseTeams(json: string | null): Map<number, Role> {
  const teams = new Map<number, Role>();
  for (const [teamId, role] of JSON.parse(json ?? "[]") as [number, Role][]) {
    if (ROLES.includes(role)) teams.set(teamId, role);
  }
  return teams;
}
