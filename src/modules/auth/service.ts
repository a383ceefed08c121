import { and, eq, gt, inArray, isNull, or, sql } from "drizzle-orm";
import { apiTokens, TOKEN_SCOPES, users, type CREDENTIAL_KINDS } from "../../db/schema";
import type { Ctx, Db, PublicCtx } from "../../env";
import { dummyPasswordHash, hashPassword, newEditorKey, newToken, SESSION_PREFIX, TOKEN_PREFIX, verifyPassword } from "../../platform/crypto";
import { ApiError, conflict, notFound } from "../../platform/errors";
import { enforceRateLimits } from "../../platform/rate-limit";
import { keptHeartbeatEffects } from "../editors/retention";
import { closeStreams, type Channel } from "../events/publisher";
import { actorTeamIds } from "../teams/access";
import { serializeBrowserSession, serializeToken, serializeUser } from "./schemas";

type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

/** A browser session lasts 7 days from sign-in (not extended by use); signing in again starts a new one. */
export const SESSION_TTL_SECONDS = 7 * 24 * 60 * 60;
const sessionExpiry = () => new Date(Date.now() + SESSION_TTL_SECONDS * 1000).toISOString();
/** What a session is called in the list of sessions: the browser's User-Agent, shortened. */
const sessionName = (userAgent: string | undefined) => (userAgent ?? "").slice(0, 120) || "browser";

/** Login/register attempts allowed per minute, per client IP and per email. */
export const AUTH_LIMIT_PER_IP = 30;
export const AUTH_LIMIT_PER_EMAIL = 10;
const AUTH_WINDOW_SECONDS = 60;

/** Throws 429 once an IP or an email has used up its attempts (the request that asks counts as one). */
async function limitAuthAttempts(db: Db, kind: "login" | "register", ip: string, email: string) {
  await enforceRateLimits(db, [
    { key: `${kind}:ip:${ip}`, max: AUTH_LIMIT_PER_IP, windowSeconds: AUTH_WINDOW_SECONDS },
    { key: `${kind}:email:${email}`, max: AUTH_LIMIT_PER_EMAIL, windowSeconds: AUTH_WINDOW_SECONDS },
  ]);
}

async function issueToken(db: Db, userId: number, name: string, expiresAt?: string, kind: CredentialKind = "API") {
  const t = kind === "EDITOR" ? await newEditorKey() : await newToken(kind === "SESSION" ? SESSION_PREFIX : TOKEN_PREFIX);
  const [row] = await db
    .insert(apiTokens)
    .values({ userId, name, kind, tokenHash: t.hash, prefix: t.prefix, expiresAt: expiresAt ?? null })
    .returning();
  return { row: row!, value: t.value };
}

/**
 * `ip` is the client's address (CF-Connecting-IP), for the rate limit. With `session` (sign-up from the
 * dashboard), the first credential is a browser session — its value goes in the cookie — instead of an API token.
 */
export async function register(
  { db }: PublicCtx,
  input: { email: string; password: string; name?: string; timezone?: string; session?: boolean; ip: string; userAgent?: string },
) {
  await limitAuthAttempts(db, "register", input.ip, input.email);
  const existing = await db.select({ id: users.id }).from(users).where(eq(users.email, input.email)).limit(1);
  if (existing.length) throw conflict("An account with this email already exists.");
  const passwordHash = await hashPassword(input.password);
  const kind: CredentialKind = input.session ? "SESSION" : "API";
  const t = await newToken(input.session ? SESSION_PREFIX : TOKEN_PREFIX);
  // User and first credential in one batch: no account without a way in.
  const [[user]] = await db.batch([
    db
      .insert(users)
      .values({ email: input.email, passwordHash, name: input.name ?? "", timezone: input.timezone ?? "UTC" })
      .returning(),
    // The credential refers to the user inserted just before, in the same transaction.
    db.insert(apiTokens).values({
      userId: sql`(SELECT ${users.id} FROM ${users} WHERE ${users.email} = ${input.email})`,
      name: input.session ? sessionName(input.userAgent) : "default",
      kind,
      tokenHash: t.hash,
      prefix: t.prefix,
      expiresAt: input.session ? sessionExpiry() : null,
    }),
  ]);
  return { user: serializeUser(user!), kind, value: t.value };
}

/** Checks email and password (rate limited per IP and email); throws 401 without saying which was wrong. */
async function checkPassword(db: Db, input: { email: string; password: string; ip: string }) {
  await limitAuthAttempts(db, "login", input.ip, input.email);
  const [user] = await db.select().from(users).where(eq(users.email, input.email)).limit(1);
  const ok = await verifyPassword(input.password, user?.passwordHash ?? (await dummyPasswordHash()));
  if (!user || !ok) throw new ApiError("UNAUTHORIZED", "Email or password is wrong.");
  return user;
}

export async function login({ db }: PublicCtx, input: { email: string; password: string; ip: string }) {
  const user = await checkPassword(db, input);
  const { value } = await issueToken(db, user.id, "login");
  return { user: serializeUser(user), token: value };
}

/** Signs a browser in: the same check and rate limits as login; the value is for the session cookie only. */
export async function startSession({ db }: PublicCtx, input: { email: string; password: string; ip: string; userAgent?: string }) {
  const user = await checkPassword(db, input);
  const { value } = await issueToken(db, user.id, sessionName(input.userAgent), sessionExpiry(), "SESSION");
  return { user: serializeUser(user), value };
}

export async function getMe({ db, actor }: Ctx) {
  const [user] = await db.select().from(users).where(eq(users.id, actor.id)).limit(1);
  if (!user) throw notFound("User");
  return serializeUser(user);
}

export async function updateMe(
  { db, actor }: Ctx,
  input: {
    name?: string;
    timezone?: string;
    day_start_hour?: number;
    week_start?: "MON" | "SUN";
    idle_timeout_minutes?: number;
    hide_file_names?: boolean;
    heartbeat_retention_days?: number;
  },
) {
  const update = db
    .update(users)
    .set({
      name: input.name,
      timezone: input.timezone,
      dayStartHour: input.day_start_hour,
      weekStart: input.week_start,
      idleTimeoutMinutes: input.idle_timeout_minutes,
      hideFileNames: input.hide_file_names,
      heartbeatRetentionDays: input.heartbeat_retention_days,
      updatedAt: new Date().toISOString(),
    })
    .where(eq(users.id, actor.id))
    .returning();
  // The privacy settings take effect on what is already kept, in the same batch.
  const [[user]] = await db.batch([update, ...keptHeartbeatEffects(db, actor.id, { hideFileNames: input.hide_file_names, retentionDays: input.heartbeat_retention_days })]);
  return serializeUser(user!);
}

const activeCredentials = (userId: number, kinds: readonly CredentialKind[]) =>
  and(
    eq(apiTokens.userId, userId),
    inArray(apiTokens.kind, [...kinds]),
    isNull(apiTokens.revokedAt),
    or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, new Date().toISOString())),
  );

/** Every active token and editor key of the caller (one page: a user holds a handful). */
export async function listTokens({ db, actor }: Ctx) {
  const rows = await db.select().from(apiTokens).where(activeCredentials(actor.id, TOKEN_SCOPES)).orderBy(apiTokens.id);
  return { results: rows.map(serializeToken), next: null };
}

/** A new named token (scope API) or editor key (scope EDITOR): its value is in this answer only (D1 keeps its hash). */
export async function createToken({ db, actor }: Ctx, input: { name: string; scope?: (typeof TOKEN_SCOPES)[number]; expires_at?: string }) {
  const expiresAt = input.expires_at ? new Date(input.expires_at).toISOString() : undefined;
  const { row, value } = await issueToken(db, actor.id, input.name, expiresAt, input.scope ?? "API");
  return { ...serializeToken(row), token: value };
}

/** The channels a user's streams can be open on: their own and each of their teams'. */
async function channelsOf(db: Db, actor: Ctx["actor"]): Promise<Channel[]> {
  return [`user:${actor.id}`, ...(await actorTeamIds(db, actor)).map((t): Channel => `team:${t}`)];
}

/** Revokes one of the caller's credentials of some kinds (404 if it is not theirs, not of those kinds, or gone), and ends its streams. */
async function revoke({ db, env, actor }: Ctx, id: number, kinds: readonly CredentialKind[]) {
  const revoked = await db
    .update(apiTokens)
    .set({ revokedAt: new Date().toISOString() })
    .where(and(eq(apiTokens.id, id), inArray(apiTokens.kind, [...kinds]), eq(apiTokens.userId, actor.id), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  if (!revoked.length) throw notFound(kinds.includes("SESSION") ? "Session" : "Token");
  await closeStreams(env, await channelsOf(db, actor), { tokenId: id });
}

/** Revokes an API token or an editor key (both are listed at /api/auth/tokens/). */
export const revokeToken = (ctx: Ctx, tokenId: number) => revoke(ctx, tokenId, TOKEN_SCOPES);

/** Revokes the credential this request came with (token or session). */
export const logout = (ctx: Ctx) => revoke(ctx, ctx.actor.tokenId, [ctx.actor.credential ?? "API"]);

/** The caller's active browser sessions, the current one marked. */
export async function listSessions({ db, actor }: Ctx) {
  const rows = await db.select().from(apiTokens).where(activeCredentials(actor.id, ["SESSION"])).orderBy(apiTokens.id);
  return { results: rows.map((r) => serializeBrowserSession(r, actor.tokenId)), next: null };
}

export const revokeSession = (ctx: Ctx, sessionId: number) => revoke(ctx, sessionId, ["SESSION"]);

/** Ends the browser session this request came with; a request signed with a token has none to end. */
export async function endSession(ctx: Ctx) {
  if (ctx.actor.credential !== "SESSION") throw notFound("Browser session");
  await revoke(ctx, ctx.actor.tokenId, ["SESSION"]);
}
