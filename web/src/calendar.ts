/**
 * Times for people, in the user's own calendar (their time zone and day start), by the Worker's calendar
 * module — the one day rule (src/platform/time.ts) — never the browser's clock settings.
 */
import type { Schemas } from "../../client/index.ts";
import { dayBounds, dayOf, wallTime, weekBounds, type CalendarPrefs } from "../../src/platform/time.ts";

export { addDays, isoWeekday } from "../../src/platform/time.ts";

export const prefsOf = (u: Schemas["User"]): CalendarPrefs => ({ timezone: u.timezone, dayStartHour: u.day_start_hour, weekStart: u.week_start });

/** The user's current day (YYYY-MM-DD). */
export const todayOf = (u: Schemas["User"], now = Date.now()) => dayOf(now, prefsOf(u));

/** [start, end) of a day of the user's, in epoch ms. */
export const boundsOf = (u: Schemas["User"], day: string) => dayBounds(day, prefsOf(u));

/** The user's week containing `day`: its first and last days and its bounds. */
export const weekOf = (u: Schemas["User"], day: string) => weekBounds(day, prefsOf(u));

/** "09:15" on the user's wall clock. */
export const clock = (u: Schemas["User"], at: string | number) => wallTime(typeof at === "number" ? at : Date.parse(at), u.timezone);

/** "2026-01-30 09:15": the date and time on the user's wall clock. */
export function when(u: Schemas["User"], at: string | number): string {
  const ms = typeof at === "number" ? at : Date.parse(at);
  return `${dayOf(ms, { timezone: u.timezone, dayStartHour: 0 })} ${wallTime(ms, u.timezone)}`;
}

/** "1h 05m", "12m". */
export function duration(minutes: number): string {
  const m = Math.max(0, Math.floor(minutes));
  return m >= 60 ? `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m` : `${m}m`;
}

/** "+1h 05m", "−6h 29m", "0m": a change of minutes. */
export const signedDuration = (minutes: number) => (minutes > 0 ? "+" : minutes < 0 ? "−" : "") + duration(Math.abs(minutes));

/** "+12", "−3", "0": a change against the week before. */
export const signed = (n: number) => (n > 0 ? `+${n}` : n < 0 ? `−${Math.abs(n)}` : "0");

const WEEKDAY = new Intl.DateTimeFormat("en", { weekday: "short", timeZone: "UTC" });
/** "Mon 27": a calendar day's label (the day is a date, not an instant: no time zone applies). */
export const dayLabel = (day: string) => `${WEEKDAY.format(new Date(`${day}T12:00:00Z`))} ${Number(day.slice(8))}`;
