/**
 * The WakaTime-compatible API's wire format (wakatime-cli's own: its pkg/api and pkg/summary), as zod schemas.
 * Field names and types are WakaTime's, not DevFocus's conventions: strings stay strings ("2.28"), times are
 * float Unix seconds, and every answer is wrapped in `data`.
 */
import { z } from "@hono/zod-openapi";

export const CurrentUser = z
  .object({
    data: z.object({
      id: z.string().openapi({ description: "The DevFocus user id, as a string (WakaTime ids are strings)." }),
      email: z.string(),
      username: z.string(),
      display_name: z.string(),
      timezone: z.string(),
      created_at: z.string(),
    }),
  })
  .openapi("WakaTimeCurrentUser");

export const serializeCurrentUser = (u: { id: number; email: string; name: string; timezone: string; createdAt: string }) => ({
  data: {
    id: String(u.id),
    email: u.email,
    username: u.email,
    display_name: u.name || u.email,
    timezone: u.timezone,
    created_at: u.createdAt,
  },
});
