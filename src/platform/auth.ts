import { eq, sql } from "drizzle-orm";
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { apiTokens, memberships, ROLES, users, type CREDENTIAL_KINDS, type Role } from "../db/schema";
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
      idleTimeoutMinutes: users.idleTimeoutMinutes,
      hideFileNames: users.hideFileNames,
      heartbeatRetentionDays: users.heartbeatRetentionDays,
      teams: sql<string>`(SELECT json_group_array(json_array(${memberships.teamId}, ${memberships.role})) FROM ${memberships} WHERE ${memberships.userId} = ${users.id})`,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, hash))
    .limit(1);
}

/** The browser session cookie: HttpOnly, SameSite=Lax, Path=/ (see sessionCookie in modules/auth/routes.ts). */
export const SESSION_COOKIE = "devfocus_session";

/** The WakaTime-compatible API (modules/editors): the only paths an editor key opens. */
export const COMPAT_PREFIX = "/api/compat/wakatime";
export const isCompatPath = (path: string) => path === COMPAT_PREFIX || path.startsWith(`${COMPAT_PREFIX}/`);

type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

interface Presented {
  value: string;
  /** The kinds of credential this way of presenting one may carry. */
  kinds: readonly CredentialKind[];
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const BASIC = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i;

/**
 * The credential of a request to the WakaTime-compatible API, as wakatime-cli and other clients send it:
 * `Authorization: Basic base64(<key>)` (the bare key, no `user:`), `Bearer <key>`, or `?api_key=<key>`. An
 * editor key or an API token; never the session cookie, so no write there rides on a browser's ambient
 * credential (CSRF does not apply).
 */
function compatCredential(c: Context<AppEnv>): Presented {
  const header = c.req.header("Authorization");
  const kinds = ["EDITOR", "API"] as const;
  if (header !== undefined) {
    const bearer = header.match(BEARER);
    if (bearer) return { value: bearer[1]!, kinds };
    const basic = header.match(BASIC);
    if (basic) {
      let decoded: string;
      try {
        decoded = atob(basic[1]!.replace(/-/g, "+").replace(/_/g, "/"));
      } catch {
        throw unauthorized("Malformed Authorization header: Basic must carry base64(<editor key>).");
      }
      return { value: decoded.trim(), kinds };
    }
    throw unauthorized("Malformed Authorization header: send `Authorization: Basic base64(<editor key>)` or `Bearer <key>`.");
  }
  const key = c.req.query("api_key");
  if (key) return { value: key.trim(), kinds };
  throw unauthorized("Missing credentials: send `Authorization: Basic base64(<editor key>)`, `Bearer <key>` or `?api_key=<key>`.");
}

/** The credential of any other request: a Bearer API token, else the browser session cookie. */
function apiCredential(c: Context<AppEnv>): Presented {
  const header = c.req.header("Authorization");
  if (header !== undefined) {
    const match = header.match(BEARER);
    if (!match) throw unauthorized("Malformed Authorization header: send `Authorization: Bearer <token>`.");
    return { value: match[1]!, kinds: ["API"] };
  }
  const cookie = getCookie(c, SESSION_COOKIE);
  if (!cookie) throw unauthorized("Missing credentials: send `Authorization: Bearer <token>`, or sign in (session cookie).");
  return { value: cookie, kinds: ["SESSION"] };
}

const invalidMessage = (kinds: readonly CredentialKind[]) => (kinds.includes("SESSION") ? "Invalid session: sign in again." : "Invalid token.");

/**
 * Resolves the request's credential to the caller, or throws 401. On the WakaTime-compatible API
 * (`compat`): an editor key or an API token, however wakatime-cli sends it (compatCredential). Elsewhere: a
 * Bearer API token (`Authorization`), else the browser session cookie. A credential's kind must match how
 * it came (a session value is no Bearer token, an API token no cookie, an editor key nothing but an editor
 * key). One D1 query: the credential joined with its user and that user's memberships, so that role
 * checks and team scopes need no round trip of their own. Nothing is cached across requests: a revoked
 * credential or a removed membership takes effect on the next request.
 */
export async function authenticate(c: Context<AppEnv>, { compat = false }: { compat?: boolean } = {}): Promise<Actor> {
  const presented = compat ? compatCredential(c) : apiCredential(c);
  const hash = await sha256Hex(presented.value);
  const [row] = await tokenQuery(c.var.db, hash);
  if (!row || !timingSafeEqual(enc.encode(row.tokenHash), enc.encode(hash))) throw unauthorized(invalidMessage(presented.kinds));
  if (!presented.kinds.includes(row.kind)) {
    // A key that sits in a plain-text dotfile (~/.wakatime.cfg) must not open the whole API.
    if (row.kind === "EDITOR") throw unauthorized(`An editor key opens only the WakaTime-compatible API (${COMPAT_PREFIX}/): use an API token here.`);
    throw unauthorized(invalidMessage(presented.kinds));
  }
  const session = row.kind === "SESSION";
  if (row.revokedAt) throw unauthorized(session ? "This session has ended: sign in again." : "This token has been revoked.");
  const now = Date.now();
  if (row.expiresAt && Date.parse(row.expiresAt) <= now) {
    throw unauthorized(session ? "This session has expired: sign in again." : "This token has expired.");
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
    editor: { idleTimeoutMinutes: row.idleTimeoutMinutes, hideFileNames: row.hideFileNames, heartbeatRetentionDays: row.heartbeatRetentionDays },
    tokenId: row.tokenId,
    credential: row.kind,
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
