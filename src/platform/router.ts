import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, Next } from "hono";
import type { AppEnv, Ctx, PublicCtx } from "../env";
import { StaleActor } from "./auth";
import { ApiError } from "./errors";

/** Turns zod issues into the error envelope's details: one entry per invalid field. */
export function zodDetails(error: z.ZodError) {
  return error.issues.map((issue) => ({
    path: issue.path.length ? issue.path.map(String).join(".") : "body",
    message: issue.message,
  }));
}

/** The service context of an authenticated request. */
export const ctx = (c: Context<AppEnv>): Ctx => ({ db: c.var.db, env: c.env, actor: c.var.actor });
/** The service context of a request that needs no token (register, login). */
export const publicCtx = (c: Context<AppEnv>): PublicCtx => ({ db: c.var.db, env: c.env });

/**
 * Every router is made here, so every validation failure has the same envelope.
 * `strict: false` makes `/api/tasks` and `/api/tasks/` the same route.
 */
export function createRouter() {
  const router = new OpenAPIHono<AppEnv>({
    strict: false,
    defaultHook: (result) => {
      if (!result.success) {
        throw new ApiError("VALIDATION_FAILED", "The request has invalid fields.", zodDetails(result.error));
      }
    },
  });
  const register = router.openapi;
  router.openapi = ((route, handler, hook) => register(route, checkedHandler(handler), hook)) as typeof register;
  return router;
}

type AnyHandler = (c: Context<AppEnv>, next: Next) => unknown;

/**
 * Every route's handler, with the credential check settled before its answer leaves (platform/auth.ts): a
 * read that ran as the actor this isolate last saw is answered only once the check has found that actor.
 * If it found another (StaleActor: a role or a membership changed), the handler runs again as that one —
 * a read has done nothing yet but read — and the first answer is dropped (a stream's body cancelled).
 */
function checkedHandler<H>(handler: H): H {
  const run = handler as unknown as AnyHandler;
  const checked: AnyHandler = async (c, next) => {
    let answer: unknown;
    try {
      answer = await run(c, next);
      if (c.var.d1) await c.var.d1.settle();
      return answer;
    } catch (err) {
      if (answer instanceof Response) await answer.body?.cancel().catch(() => undefined);
      // The check's verdict wins over what the handler made of it (a 401 stays a 401 whatever was caught).
      const refusal: unknown = c.var.d1 ? await c.var.d1.settle().then(() => null, (e: unknown) => e) : null;
      if (!(refusal instanceof StaleActor)) throw refusal ?? err;
      c.var.d1.clearFailure();
      c.set("actor", refusal.actor);
      return run(c, next);
    }
  };
  return checked as unknown as H;
}


export const bearer = [{ bearer: [] }];

/** A JSON response entry for a route's `responses`. */
export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** A route's JSON request body. Optional bodies (every field optional) accept an empty request. */
export const jsonBody = <T extends z.ZodType>(schema: T, required = true) => ({
  body: { content: { "application/json": { schema } }, required },
});
