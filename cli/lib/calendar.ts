// Times for people, in the user's own calendar (time zone and day start from GET /api/auth/me/, cached
// in state.json), by the Worker's calendar module (src/platform/time.ts) — never the machine's.
import { createHash } from "node:crypto";
import type { Schemas } from "../../client/index.ts";
import { dayOf, isValidTimeZone, wallTime, type DayPrefs } from "../../src/platform/time.ts";
import type { CachedCalendar } from "./state.ts";

/** A cached calendar is refreshed after a day, so a change made elsewhere (PATCH /api/auth/me/) shows. */
export const CALENDAR_MAX_AGE_MS = 24 * 60 * 60_000;

/** When the user's own calendar is unknown: the machine's time zone, days starting at midnight. */
export function machineCalendar(): DayPrefs {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return { timezone: tz && isValidTimeZone(tz) ? tz : "UTC", dayStartHour: 0 };
}

/** Which API and token a cached calendar belongs to (a digest: the token itself is never stored there). */
export const calendarKey = (url: string, token: string) => createHash("sha256").update(`${url}\n${token}`).digest("hex").slice(0, 16);

export function cachedCalendar(user: Pick<Schemas["User"], "timezone" | "day_start_hour">, key: string, now = Date.now()): CachedCalendar {
  return { key, timezone: user.timezone, day_start_hour: user.day_start_hour, fetched_at: new Date(now).toISOString() };
}

export function prefsOf(c: CachedCalendar | null): DayPrefs | null {
  return c && isValidTimeZone(c.timezone) ? { timezone: c.timezone, dayStartHour: c.day_start_hour } : null;
}

/** Formats instants: "09:15" within the user's current day, else "2026-01-30 09:15" (the wall-clock date). */
export type Clock = (iso: string | null | undefined) => string;

export function clockFor(prefs: DayPrefs, now = Date.now()): Clock {
  const today = dayOf(now, prefs);
  const wallDate: DayPrefs = { timezone: prefs.timezone, dayStartHour: 0 };
  return (iso) => {
    if (!iso) return "";
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return iso;
    const hm = wallTime(ms, prefs.timezone);
    return dayOf(ms, prefs) === today ? hm : `${dayOf(ms, wallDate)} ${hm}`;
  };
}
