import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { ApiError } from "./errors";

/** Turns zod issues into the error envelope's details: one entry per invalid field. */
export function zodDetails(error: z.ZodError) {
  return error.issues.map((issue) => ({
    path: issue.path.length ? issue.path.map(String).join(".") : "body",
    message: issue.message,
  }));
}

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


/** Ids in paths and bodies: positive integers (a huge or non-numeric id is a 400, not a 500). */
export const Id = z.preprocess(
  (v) => (typeof v === "string" && /^[0-9]{1,16}$/.test(v) ? Number(v) : v),
  z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
);
export const IdParam = z.object({
  id: Id.openapi({ param: { name: "id", in: "path" }, example: 1 }),
});

export const Timestamp = z.iso
  .datetime({ offset: true })
  .transform((v) => new Date(v).toISOString())
  .openapi({ example: "2026-01-30T09:15:00.000Z" });

/**
 * A calendar day of a four-digit year whose neighbouring days and weeks are four-digit years too: day
 * arithmetic past 9999-12-31 yields "+010000-…" strings that parse to NaN (a 500), and JS maps years 0–99 to 1900s.
 */
export const Day = z.iso
  .date()
  .refine((d) => d >= "1000-01-01" && d <= "9998-12-31", { message: "Must be between 1000-01-01 and 9998-12-31." })
  .openapi({ example: "2026-01-30" });

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
