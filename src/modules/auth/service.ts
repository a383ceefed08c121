import { and, eq, isNull, sql } from "drizzle-orm";
import { apiTokens, users } from "../../db/schema";
import type { Ctx, Db, PublicCtx } from "../../env";
import { dummyPasswordHash, hashPassword, newToken, verifyPassword } from "../../platform/crypto";
import { ApiError, conflict, notFound } from "../../platform/errors";
import { enforceRateLimits } from "../../platform/rate-limit";
import { serializeToken, serializeUser } from "./schemas";

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

async function issueToken(db: Db, userId: number, name: string, expiresAt?: string) {
  const t = await newToken();
  const [row] = await db
    .insert(apiTokens)
    .values({ userId, name, tokenHash: t.hash, prefix: t.prefix, expiresAt: expiresAt ?? null })
    .returning();
  return { row: row!, value: t.value };
}

/** `ip` is the client's address (CF-Connecting-IP), for the rate limit. */
export async function register(
  { db }: PublicCtx,
  input: { email: string; password: string; name?: string; timezone?: string; ip: string },
) {
  await limitAuthAttempts(db, "register", input.ip, input.email);
  const existing = await db.select({ id: users.id }).from(users).where(eq(users.email, input.email)).limit(1);
  if (existing.length) throw conflict("An account with this email already exists.");
  const passwordHash = await hashPassword(input.password);
  const t = await newToken();
  // User and first token in one batch: no account without a way in.
  const [[user]] = await db.batch([
    db
      .insert(users)
      .values({ email: input.email, passwordHash, name: input.name ?? "", timezone: input.timezone ?? "UTC" })
      .returning(),
    // The token refers to the user inserted just before, in the same transaction.
    db.insert(apiTokens).values({
      userId: sql`(SELECT ${users.id} FROM ${users} WHERE ${users.email} = ${input.email})`,
      name: "default",
      tokenHash: t.hash,
      prefix: t.prefix,
    }),
  ]);
  return { user: serializeUser(user!), token: t.value };
}

export async function login({ db }: PublicCtx, input: { email: string; password: string; ip: string }) {
  await limitAuthAttempts(db, "login", input.ip, input.email);
  const [user] = await db.select().from(users).where(eq(users.email, input.email)).limit(1);
  const ok = await verifyPassword(input.password, user?.passwordHash ?? (await dummyPasswordHash()));
  if (!user || !ok) throw new ApiError("UNAUTHORIZED", "Email or password is wrong.");
  const { value } = await issueToken(db, user.id, "login");
  return { user: serializeUser(user), token: value };
}

export async function getMe({ db, actor }: Ctx) {
  const [user] = await db.select().from(users).where(eq(users.id, actor.id)).limit(1);
  if (!user) throw notFound("User");
  return serializeUser(user);
}

export async function updateMe(
  { db, actor }: Ctx,
  input: { name?: string; timezone?: string; day_start_hour?: number; week_start?: "MON" | "SUN" },
) {
  const [user] = await db
    .update(users)
    .set({
      name: input.name,
      timezone: input.timezone,
      dayStartHour: input.day_start_hour,
      weekStart: input.week_start,
      updatedAt: new Date().toISOString(),
    })
    .where(eq(users.id, actor.id))
    .returning();
  return serializeUser(user!);
}

const activeTokens = (userId: number) => and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt));

/** Every active token of the caller (one page: a user holds a handful). */
export async function listTokens({ db, actor }: Ctx) {
  const rows = await db.select().from(apiTokens).where(activeTokens(actor.id)).orderBy(apiTokens.id);
  return { results: rows.map(serializeToken), next: null };
}

/** A new named token: its value is in this answer only (D1 keeps its hash). */
export async function createToken({ db, actor }: Ctx, input: { name: string; expires_at?: string }) {
  const expiresAt = input.expires_at ? new Date(input.expires_at).toISOString() : undefined;
  const { row, value } = await issueToken(db, actor.id, input.name, expiresAt);
  return { ...serializeToken(row), token: value };
}

export async function revokeToken({ db, actor }: Ctx, tokenId: number) {
  const revoked = await db
    .update(apiTokens)
    .set({ revokedAt: new Date().toISOString() })
    .where(and(eq(apiTokens.id, tokenId), activeTokens(actor.id)))
    .returning({ id: apiTokens.id });
  if (!revoked.length) throw notFound("Token");
}

/** Revokes the token this request came with. */
export const logout = (ctx: Ctx) => revokeToken(ctx, ctx.actor.tokenId);
