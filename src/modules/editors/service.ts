import { eq } from "drizzle-orm";
import { users } from "../../db/schema";
import type { Ctx } from "../../env";
import { notFound } from "../../platform/errors";
import { serializeCurrentUser } from "./schemas";

/** `GET …/users/current`: who the key belongs to, in WakaTime's shape. */
export async function currentUser({ db, actor }: Ctx) {
  const [user] = await db.select().from(users).where(eq(users.id, actor.id)).limit(1);
  if (!user) throw notFound("User");
  return serializeCurrentUser(user);
}
