import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { ROLES, type CREDENTIAL_KINDS, type Role } from "../db/schema";
import type { Actor, AppEnv } from "../env";
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

/**
 * The credential with its user and the user's memberships (as JSON), by the credential's SHA-256: one
 * statement, every column named apart (it travels in a batch, whose rows come as objects).
 */
export function tokenQuery(hash: string) {
  const statement = {
    sql: `SELECT api_tokens.id AS token_id, api_tokens.token_hash, api_tokens.expires_at, api_tokens.revoked_at,
        api_tokens.last_used_at, api_tokens.kind, users.id AS user_id, users.email, users.timezone, users.day_start_hour,
        users.week_start, users.idle_timeout_minutes, users.hide_file_names, users.heartbeat_retention_days,
        (SELECT json_group_array(json_array(memberships.team_id, memberships.role)) FROM memberships
          WHERE memberships.user_id = users.id) AS teams
      FROM api_tokens JOIN users ON users.id = api_tokens.user_id
      WHERE api_tokens.token_hash = ? LIMIT 1`,
    params: [hash] as unknown[],
  };
  return { ...statement, toSQL: () => statement };
}

interface TokenRow {
  token_id: number;
  token_hash: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  kind: CredentialKind;
  user_id: number;
  email: string;
  timezone: string;
  day_start_hour: number;
  week_start: "MON" | "SUN";
  idle_timeout_minutes: number;
  hide_file_names: number;
  heartbeat_retention_days: number;
  teams: string | null;
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
 * The actors this isolate last saw per credential hash — a guess, never an answer: a read is built for the
 * guessed actor and sent in one batch with the credential check, and its results are handed out only when
 * the check finds that very actor (see authenticate). Bounded; the oldest entry goes first.
 */
const KNOWN_ACTORS = new Map<string, Actor>();
const KNOWN_ACTORS_MAX = 1024;

function remember(hash: string, actor: Actor) {
  KNOWN_ACTORS.delete(hash);
  KNOWN_ACTORS.set(hash, actor);
  if (KNOWN_ACTORS.size > KNOWN_ACTORS_MAX) KNOWN_ACTORS.delete(KNOWN_ACTORS.keys().next().value!);
}

/** Everything a handler may read of an actor, in one comparable string (teams in id order). */
const actorKey = (a: Actor) => JSON.stringify({ ...a, teams: [...(a.teams ?? new Map()).entries()].sort(([x], [y]) => x - y) });

/**
 * The check found a valid credential whose actor is not the guess the request ran as (a role, a team or a
 * setting changed since this isolate last saw it): the request must run again as `actor` (router.ts does).
 */
export class StaleActor extends Error {
  constructor(readonly actor: Actor) {
    super("The request ran as a stale actor; it runs again as the current one.");
  }
}

/**
 * Resolves the request's credential to the caller, or throws 401. On the WakaTime-compatible API
 * (`compat`): an editor key or an API token, however wakatime-cli sends it (compatCredential). Elsewhere: a
 * Bearer API token (`Authorization`), else the browser session cookie. A credential's kind must match how
 * it came (a session value is no Bearer token, an API token no cookie, an editor key nothing but an editor
 * key). One D1 statement: the credential joined with its user and that user's memberships, so role checks
 * and team scopes need no round trip of their own.
 *
 * With `speculate` (reads), a credential this isolate has seen costs no round trip of its own: the caller
 * runs as the actor it had last time, and the check travels in one batch with the request's first read
 * (RequestD1.lead: one snapshot). Nothing is handed out before the check has passed, and nothing is trusted
 * from the last time: a revoked or expired credential is refused (401) by that same batch, and if the actor
 * changed (a removed membership, a new role) the check throws StaleActor and the handler runs again as the
 * actor it found. Without a guess — or without `speculate` — the check is a round trip before the handler.
 */
export async function authenticate(c: Context<AppEnv>, { compat = false, speculate = false }: { compat?: boolean; speculate?: boolean } = {}): Promise<Actor> {
  const presented = compat ? compatCredential(c) : apiCredential(c);
  const hash = await sha256Hex(presented.value);
  const guess = speculate ? KNOWN_ACTORS.get(hash) : undefined;
  let found: Actor | undefined;
  c.var.d1.lead({
    ...tokenQuery(hash),
    check: (rows) => {
      try {
        found = verify(c, presented, hash, rows[0] as TokenRow | undefined);
      } catch (err) {
        KNOWN_ACTORS.delete(hash);
        throw err;
      }
      remember(hash, found);
      if (guess && actorKey(guess) !== actorKey(found)) throw new StaleActor(found);
    },
  });
  if (guess) return guess;
  await c.var.d1.settle();
  return found!;
}

/** The caller the credential row names, or a 401 saying why not; refreshes last_used_at in the background. */
function verify(c: Context<AppEnv>, presented: Presented, hash: string, row: TokenRow | undefined): Actor {
  if (!row || !timingSafeEqual(enc.encode(row.token_hash), enc.encode(hash))) throw unauthorized(invalidMessage(presented.kinds));
  if (!presented.kinds.includes(row.kind)) {
    // A key that sits in a plain-text dotfile (~/.wakatime.cfg) must not open the whole API.
    if (row.kind === "EDITOR") throw unauthorized(`An editor key opens only the WakaTime-compatible API (${COMPAT_PREFIX}/): use an API token here.`);
    throw unauthorized(invalidMessage(presented.kinds));
  }
  const session = row.kind === "SESSION";
  if (row.revoked_at) throw unauthorized(session ? "This session has ended: sign in again." : "This token has been revoked.");
  const now = Date.now();
  if (row.expires_at && Date.parse(row.expires_at) <= now) {
    throw unauthorized(session ? "This session has expired: sign in again." : "This token has expired.");
  }
  if (!row.last_used_at || now - Date.parse(row.last_used_at) > LAST_USED_RESOLUTION_MS) {
    c.executionCtx.waitUntil(
      c.env.DB.prepare("UPDATE api_tokens SET last_used_at = ? WHERE id = ?")
        .bind(new Date(now).toISOString(), row.token_id)
        .run()
        .then(() => undefined),
    );
  }
  return {
    id: row.user_id,
    email: row.email,
    timezone: row.timezone,
    dayStartHour: row.day_start_hour,
    weekStart: row.week_start,
    editor: { idleTimeoutMinutes: row.idle_timeout_minutes, hideFileNames: Boolean(row.hide_file_names), heartbeatRetentionDays: row.heartbeat_retention_days },
    tokenId: row.token_id,
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
