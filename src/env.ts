import type { DrizzleD1Database } from "drizzle-orm/d1";
import type { CREDENTIAL_KINDS, Role } from "./db/schema";
import type { D1Usage, RequestD1 } from "./platform/d1-metrics";

/** Secrets are optional: each feature that needs one answers 503 (or falls back) when it is unset. */
export interface Secrets {
  GITHUB_TOKEN?: string;
  CF_ACCOUNT_ID?: string;
  CF_ANALYTICS_API_TOKEN?: string;
}

export type Bindings = Env & Secrets;

/**
 * drizzle over D1 (a binding or a request's session), with or without a schema: the query builder is used,
 * never the relational `db.query` API, so none is given — drizzle builds a schema's relational config on
 * every drizzle() call, which was about 120 µs per request here (Node 24, measured for issue 16).
 */
export type Db = DrizzleD1Database<Record<string, unknown>>;

/** How the caller's editor activity is kept and cut (users columns; PATCH /api/auth/me/). */
export interface EditorPrefs {
  idleTimeoutMinutes: number;
  hideFileNames: boolean;
  heartbeatRetentionDays: number;
}

/** The authenticated caller, as every service function receives it. */
export interface Actor {
  id: number;
  email: string;
  timezone: string;
  dayStartHour: number;
  weekStart: "MON" | "SUN";
  /** Read with the credential; absent when an Actor is built by hand (the editors module then reads them). */
  editor?: EditorPrefs;
  /** The credential of this request: an API token's or a browser session's id (one table, api_tokens). */
  tokenId: number;
  /** Absent when an Actor is built by hand (tests, queue consumers): an API token. */
  credential?: (typeof CREDENTIAL_KINDS)[number];
  /**
   * The caller's teams and roles, read in the same statement as the token (so at the same instant as a
   * separate membership query would be): per request, never cached across requests. Absent when an Actor
   * is built by hand (tests, queue consumers): role checks then query D1.
   */
  teams?: ReadonlyMap<number, Role>;
}

/**
 * What every service function takes first — `verb(ctx, input)` — so a handler, a queue consumer or a test
 * calls a domain rule the same way. Public endpoints (register, login) have no actor yet.
 */
export interface Ctx {
  db: Db;
  env: Bindings;
  actor: Actor;
}
export type PublicCtx = Omit<Ctx, "actor">;

export interface AppEnv {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    db: Db;
    /** The same D1 session as `db`, for the credential check that travels with the first read (platform/auth.ts). */
    d1: RequestD1;
    actor: Actor;
    /** Team id the request concerns, recorded in the request log when known. */
    logTeam?: number;
    /** D1 work done for this request (Server-Timing and the request log). */
    d1Usage?: D1Usage;
  };
}
