/** Calendar arithmetic in IANA time zones, with nothing but Intl (which workerd ships). */

export function isValidTimeZone(tz: string): boolean {
  // Intl also takes UTC offsets ("+05:30") as zones; they are not IANA names and have no DST rules.
  if (/^[+-]/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string) {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(tz, f);
  }
  return f;
}

/** The wall-clock fields of an instant in a zone. */
export function wallClock(ms: number, tz: string) {
  const parts = Object.fromEntries(formatter(tz).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

/** Offset of the zone from UTC at an instant, in ms. */
function offsetAt(ms: number, tz: string): number {
  const w = wallClock(ms, tz);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The instant at which the wall clock in `tz` shows `day` at `hour`:00 (the later offset wins in a gap). */
export function zonedInstant(day: string, hour: number, tz: string): number {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const guess = Date.UTC(y, m - 1, d, hour);
  let ms = guess - offsetAt(guess, tz);
  const second = guess - offsetAt(ms, tz);
  if (second !== ms) ms = second;
  return ms;
}

export const addDays = (day: string, n: number): string => {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
};

/** ISO weekday of a calendar day: 1 = Monday … 7 = Sunday. */
export const isoWeekday = (day: string): number => {
  const wd = new Date(`${day}T00:00:00Z`).getUTCDay();
  return wd === 0 ? 7 : wd;
};

export interface DayPrefs {
  timezone: string;
  dayStartHour: number;
}

/** The user's "day" an instant belongs to: their local date, shifted back by day_start_hour. */
export function localDay(ms: number, prefs: DayPrefs): string {
  const w = wallClock(ms - 0, prefs.timezone);
  const day = `${String(w.year).padStart(4, "0")}-${String(w.month).padStart(2, "0")}-${String(w.day).padStart(2, "0")}`;
  return w.hour < prefs.dayStartHour ? addDays(day, -1) : day;
}

/** [start, end) of a user's day as UTC instants. */
export function dayBounds(day: string, prefs: DayPrefs): { start: number; end: number } {
  return {
    start: zonedInstant(day, prefs.dayStartHour, prefs.timezone),
    end: zonedInstant(addDays(day, 1), prefs.dayStartHour, prefs.timezone),
  };
}

/** First day of the week containing `day`, for a week starting on MON or SUN. */
export function weekStartDay(day: string, weekStart: "MON" | "SUN"): string {
  const wd = isoWeekday(day);
  const back = weekStart === "MON" ? wd - 1 : wd % 7;
  return addDays(day, -back);
}

export const iso = (ms: number) => new Date(ms).toISOString();
