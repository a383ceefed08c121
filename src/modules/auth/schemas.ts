import { z } from "@hono/zod-openapi";
import { TOKEN_SCOPES, WEEK_STARTS, type apiTokens, type users } from "../../db/schema";
import { isValidTimeZone } from "../../platform/time";

export const TimeZone = z
  .string()
  .max(64)
  .refine(isValidTimeZone, { message: "Must be an IANA time zone, e.g. Europe/Paris." })
  .openapi({ example: "Europe/Paris" });

const Email = z
  .email()
  .max(254)
  .transform((e) => e.toLowerCase())
  .openapi({ example: "ada@example.com" });

export const RegisterBody = z
  .object({
    email: Email,
    password: z.string().min(10, "Must be at least 10 characters.").max(256).openapi({ example: "correct horse battery" }),
    name: z.string().max(255).optional().openapi({ example: "Ada" }),
    timezone: TimeZone.optional(),
  })
  .openapi("RegisterRequest");

export const LoginBody = z
  .object({ email: Email, password: z.string().min(1).max(256) })
  .openapi("LoginRequest");

export const UpdateMeBody = z
  .object({
    name: z.string().max(255).optional(),
    timezone: TimeZone.optional(),
    day_start_hour: z.number().int("Must be a whole hour.").min(0, "Must be 0–23.").max(23, "Must be 0–23.").optional().openapi({ description: "Hour (0–23) at which the user's day starts." }),
    week_start: z.enum(WEEK_STARTS).optional(),
    idle_timeout_minutes: z
      .number()
      .int("Must be a whole number of minutes.")
      .min(1, "Must be 1–60 minutes.")
      .max(60, "Must be 1–60 minutes.")
      .optional()
      .openapi({ description: "Editor activity: a gap between heartbeats this long or longer is a pause (default 15)." }),
    hide_file_names: z
      .boolean()
      .optional()
      .openapi({ description: "Editor activity: keep project, branch, language and category but never the file path (default true). Turning it on erases the paths kept so far." }),
    heartbeat_retention_days: z
      .number()
      .int("Must be a whole number of days.")
      .min(1, "Must be 1–365 days.")
      .max(365, "Must be 1–365 days.")
      .optional()
      .openapi({ description: "Editor activity: raw heartbeats are kept this many days (default 30); older ones are refused." }),
  })
  .strict()
  .openapi("UpdateMeRequest");

export const User = z
  .object({
    id: z.number().int(),
    email: z.string(),
    name: z.string(),
    timezone: z.string(),
    day_start_hour: z.number().int(),
    week_start: z.enum(WEEK_STARTS),
    idle_timeout_minutes: z.number().int(),
    hide_file_names: z.boolean(),
    heartbeat_retention_days: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("User");

export const AuthResult = z
  .object({
    user: User,
    token: z.string().openapi({ description: "API token; shown only in this response." }),
  })
  .openapi("AuthResult");

export const SessionResult = z.object({ user: User }).openapi("SessionResult");

export const BrowserSession = z
  .object({
    id: z.number().int(),
    name: z.string().openapi({ description: "The browser that signed in (its User-Agent, shortened)." }),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    last_used_at: z.string().nullable(),
    current: z.boolean().openapi({ description: "The session of this request." }),
  })
  .openapi("BrowserSession");

export const Token = z
  .object({
    id: z.number().int(),
    name: z.string(),
    prefix: z.string().openapi({ description: "First characters of the token, to recognise it." }),
    scope: z.enum(TOKEN_SCOPES).openapi({
      description: "API: the whole API (`dfk_…`, Bearer). EDITOR: an editor key (`waka_<uuid4>`) that opens only /api/compat/wakatime/.",
    }),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    last_used_at: z.string().nullable(),
  })
  .openapi("ApiToken");

export const CreatedToken = Token.extend({
  token: z.string().openapi({ description: "The token value; shown once, never again." }),
}).openapi("CreatedApiToken");

export const CreateTokenBody = z
  .object({
    name: z.string().min(1).max(100).openapi({ example: "laptop CLI" }),
    scope: z.enum(TOKEN_SCOPES).default("API").openapi({
      description:
        "API (default): a `dfk_…` token for the whole API. EDITOR: a `waka_<uuid4>` key for wakatime-cli's `api_key` (~/.wakatime.cfg), valid only on /api/compat/wakatime/.",
    }),
    expires_at: z.iso
      .datetime({ offset: true })
      .optional()
      .refine((v) => v === undefined || Date.parse(v) > Date.now(), { message: "Must be in the future." }),
  })
  .openapi("CreateTokenRequest");

export const serializeUser = (u: typeof users.$inferSelect) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  timezone: u.timezone,
  day_start_hour: u.dayStartHour,
  week_start: u.weekStart,
  idle_timeout_minutes: u.idleTimeoutMinutes,
  hide_file_names: u.hideFileNames,
  heartbeat_retention_days: u.heartbeatRetentionDays,
  created_at: u.createdAt,
  updated_at: u.updatedAt,
});

export const serializeToken = (t: typeof apiTokens.$inferSelect) => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  scope: t.kind === "EDITOR" ? ("EDITOR" as const) : ("API" as const),
  created_at: t.createdAt,
  expires_at: t.expiresAt,
  last_used_at: t.lastUsedAt,
});

export const serializeBrowserSession = (t: typeof apiTokens.$inferSelect, currentId: number) => ({
  id: t.id,
  name: t.name,
  created_at: t.createdAt,
  expires_at: t.expiresAt,
  last_used_at: t.lastUsedAt,
  current: t.id === currentId,
});
