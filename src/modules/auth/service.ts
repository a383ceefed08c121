import { and, eq, isNull, sql } from "drizzle-orm";
import { apiTokens, users } from "../../db/schema";
import type { Actor, Db } from "../../env";
import { dummyPasswordHash, hashPassword, newToken, verifyPassword } from "../../platform/crypto";
import { ApiError, conflict, notFound } from "../../platform/errors";
import { enforceRateLimits } from "../../platform/rate-limit";

/** Login/register attempts allowed per minute, per client IP and per email. */
export const AUTH_LIMIT_PER_IP = 30;
export const AUTH_LIMIT_PER_EMAIL = 10;
const AUTH_WINDOW_SECONDS = 60;

export async function limitAuthAttempts(db: Db, kind: "login" | "register", ip: string, email: string) {
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

export async function register(
  db: Db,
  input: { email: string; password: string; name?: string; timezone?: string },
) {
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
  return { user: user!, token: t.value };
}

export async function login(db: Db, input: { email: string; password: string }) {
  const [user] = await db.select().from(users).where(eq(users.email, input.email)).limit(1);
  const ok = await verifyPassword(input.password, user?.passwordHash ?? (await dummyPasswordHash()));
  if (!user || !ok) throw new ApiError("UNAUTHORIZED", "Email or password is wrong.");
  const { value } = await issueToken(db, user.id, "login");
  return { user, token: value };
}

export async function getMe(db: Db, actor: Actor) {
  const [user] = await db.select().from(users).where(eq(users.id, actor.id)).limit(1);
  if (!user) throw notFound("User");
  return user;
}

export async function updateMe(
  db: Db,
  actor: Actor,
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
  return user!;
}

const activeTokens = (userId: number) => and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt));

export async function listTokens(db: Db, actor: Actor) {
  return db.select().from(apiTokens).where(activeTokens(actor.id)).orderBy(apiTokens.id);
}

export async function createToken(db: Db, actor: Actor, input: { name: string; expires_at?: string }) {
  const expiresAt = input.expires_at ? new Date(input.expires_at).toISOString() : undefined;
  return issueToken(db, actor.id, input.name, expiresAt);
}

export async function revokeToken(db: Db, actor: Actor, tokenId: number) {
  const revoked = await db
    .update(apiTokens)
    .set({ revokedAt: new Date().toISOString() })
    .where(and(eq(apiTokens.id, tokenId), activeTokens(actor.id)))
    .returning({ id: apiTokens.id });
  if (!revoked.length) throw notFound("Token");
}
