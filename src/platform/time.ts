/**
 * The calendar: what a user's day and week are, as intervals of instants. The one implementation every
 * caller uses (reports, list filters, the cron, the CLI). Time-zone rules come from temporal-polyfill
 * (workerd has no native Temporal), which reads the zone data of the runtime's Intl.
 *
 * The rule: a user's day D starts at the first instant at which their wall clock (their `timezone`) reads
 * D at `day_start_hour`:00 or later, and ends where D+1 starts. In a skipped hour (spring forward) the day
 * starts at the first valid instant after the jump; in a repeated hour (fall back), at its first
 * occurrence. A week is the 7 days from its first day (`week_start`).
 */
import { Temporal } from "temporal-polyfill";

export interface DayPrefs {
  timezone: string;
  dayStartHour: number;
}

export interface CalendarPrefs extends DayPrefs {
  weekStart: "MON" | "SUN";
}

export function isValidTimeZone(tz: string): boolean {
  // Intl and Temporal also take UTC offsets ("+05:30") as zones; they are not IANA names and have no DST rules.
  if (/^[+-]/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(tz);
    return true;
  } catch {
    return false;
  }
}

// Day starts are asked for again and again (every session of a report, every cron tick): memoize them.
const START_CACHE_MAX = 10_000;
const startCache = new Map<string, number>();

/** The first instant of the user's day `day` (YYYY-MM-DD), in epoch ms. */
export function dayStart(day: string, prefs: DayPrefs): number {
  const key = `${prefs.timezone}|${prefs.dayStartHour}|${day}`;
  const hit = startCache.get(key);
  if (hit !== undefined) return hit;
  const wall = Temporal.PlainDate.from(day).toPlainDateTime({ hour: prefs.dayStartHour });
  // "earlier": in a repeated hour, its first occurrence; in a skipped one, an instant just before the jump.
  const earlier = wall.toZonedDateTime(prefs.timezone, { disambiguation: "earlier" });
  const start =
    Temporal.PlainDateTime.compare(earlier.toPlainDateTime(), wall) === 0
      ? earlier.epochMilliseconds
      : // The wall clock never reads D at that hour: the day starts where the clock jumps past it.
        earlier.getTimeZoneTransition("next")!.epochMilliseconds;
  if (startCache.size >= START_CACHE_MAX) startCache.clear();
  startCache.set(key, start);
  return start;
}

/** [start, end) of the user's day as epoch ms: end is where the next day starts. */
export function dayBounds(day: string, prefs: DayPrefs): { start: number; end: number } {
  return { start: dayStart(day, prefs), end: dayStart(addDays(day, 1), prefs) };
}

/** The user's day an instant belongs to: the D with dayStart(D) ≤ ms < dayStart(D + 1). */
export function dayOf(ms: number, prefs: DayPrefs): string {
  const local = Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(prefs.timezone);
  // A first guess from the wall clock, then settled by the day starts themselves (the one definition).
  let day = local.toPlainDate().toString();
  if (local.hour < prefs.dayStartHour) day = addDays(day, -1);
  while (ms < dayStart(day, prefs)) day = addDays(day, -1);
  while (ms >= dayStart(addDays(day, 1), prefs)) day = addDays(day, 1);
  return day;
}

/** The calendar day `n` days after `day` (n may be negative). */
export const addDays = (day: string, n: number): string => Temporal.PlainDate.from(day).add({ days: n }).toString();

/** ISO weekday of a calendar day: 1 = Monday … 7 = Sunday. */
export const isoWeekday = (day: string): number => Temporal.PlainDate.from(day).dayOfWeek;

/** First day of the week containing `day`, for a week starting on MON or SUN. */
export function weekStartDay(day: string, weekStart: "MON" | "SUN"): string {
  const wd = isoWeekday(day);
  return addDays(day, -(weekStart === "MON" ? wd - 1 : wd % 7));
}

/** The 7 days of the week that contains `day`. */
export function weekDays(day: string, weekStart: "MON" | "SUN"): string[] {
  const first = weekStartDay(day, weekStart);
  return Array.from({ length: 7 }, (_, i) => addDays(first, i));
}

/** [start, end) of the user's week containing `day`: from its first day's start to the next week's. */
export function weekBounds(day: string, prefs: CalendarPrefs): { first: string; last: string; start: number; end: number } {
  const first = weekStartDay(day, prefs.weekStart);
  const last = addDays(first, 6);
  return { first, last, start: dayStart(first, prefs), end: dayStart(addDays(first, 7), prefs) };
}

/** The wall-clock time of an instant in a zone, "HH:MM" (for people: the CLI and pages). */
export function wallTime(ms: number, timezone: string): string {
  const t = Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(timezone);
  return `${String(t.hour).padStart(2, "0")}:${String(t.minute).padStart(2, "0")}`;
}

export const iso = (ms: number) => new Date(ms).toISOString();
