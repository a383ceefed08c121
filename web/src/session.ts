/** Who is signed in: the user the session cookie belongs to (GET /api/auth/me/), shared by every view. */
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Schemas } from "../../client/index.ts";
import { api, ok } from "./api.ts";
import { closeAll } from "./live.ts";

export type User = Schemas["User"];

export interface Me {
  user: User;
  /** After PATCH /api/auth/me/: the new calendar applies everywhere. */
  setUser: (u: User) => void;
  signOut: () => Promise<void>;
}

export const MeContext = createContext<Me | null>(null);

/** The signed-in user; views under the signed-in shell only. */
export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error("useMe outside the signed-in shell");
  return me;
}

/** The user of the current cookie, or null when there is none (401). */
export async function currentUser(): Promise<User | null> {
  const answer = await api.GET("/api/auth/me");
  if (answer.response.status === 401) return null;
  return ok(Promise.resolve(answer));
}

/** Ends the browser session: the cookie is cleared and the server closes its streams; ours close now. */
export async function endSession() {
  closeAll();
  await ok(api.DELETE("/api/auth/session"));
}
