import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv, Ctx, PublicCtx } from "../env";
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
  return new OpenAPIHono<AppEnv>({
    strict: false,
    defaultHook: (result) => {
      if (!result.success) {
        throw new ApiError("VALIDATION_FAILED", "The request has invalid fields.", zodDetails(result.error));
      }
    },
  });
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
