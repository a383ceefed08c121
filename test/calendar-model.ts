/**
 * A small model of the day rule, independent of the implementation (no Temporal, no offset arithmetic):
 * the wall clock of an instant comes from Intl alone, and a day's start is found by walking the minutes —
 * the first instant whose wall clock reads D at day_start_hour:00 or later.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string) {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    });
    formatters.set(tz, f);
  }
  return f;
}

/** "YYYY-MM-DDTHH:MM" on the wall clock of `tz` at instant `ms`: compares as wall-clock order. */
export function wall(ms: number, tz: string): string {
  const p = Object.fromEntries(formatter(tz).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

const utcDay = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 24 * HOUR).toISOString().slice(0, 10);

const starts = new Map<string, number>();

/** The first instant (on a whole minute: every 2026 offset is whole minutes) whose wall clock reads ≥ D at h:00. */
export function modelDayStart(day: string, hour: number, tz: string): number {
  const key = `${tz}|${hour}|${day}`;
  const hit = starts.get(key);
  if (hit !== undefined) return hit;
  const target = `${day}T${String(hour).padStart(2, "0")}:00`;
  const nominal = Date.parse(`${target}:00Z`);
  // UTC offsets lie within −12 h … +14 h: the answer lies within [nominal − 14 h, nominal + 12 h], plus a gap.
  for (let t = nominal - 15 * HOUR; t <= nominal + 14 * HOUR; t += MINUTE) {
    if (wall(t, tz) >= target) {
      starts.set(key, t);
      return t;
    }
  }
  throw new Error(`no start found for ${key}`);
}

/** The model's day of an instant: the D with start(D) ≤ t < start(D + 1), found by trying the nearby dates. */
export function modelDayOf(ms: number, hour: number, tz: string): string {
  const guess = wall(ms, tz).slice(0, 10);
  for (const n of [-2, -1, 0, 1]) {
    const d = utcDay(guess, n);
    if (modelDayStart(d, hour, tz) <= ms && ms < modelDayStart(utcDay(d, 1), hour, tz)) return d;
  }
  throw new Error(`no day found for ${new Date(ms).toISOString()} in ${tz} at ${hour}`);
}

export const nextDay = (day: string) => utcDay(day, 1);

/** Instants at which the zone's UTC offset changes during 2026 (found by hourly steps, refined to the minute). */
export function transitions2026(tz: string): number[] {
  const offset = (ms: number) => Date.parse(`${wall(ms, tz)}:00Z`) - Math.floor(ms / MINUTE) * MINUTE;
  const out: number[] = [];
  const end = Date.parse("2027-01-01T00:00:00Z");
  let prev = offset(Date.parse("2026-01-01T00:00:00Z"));
  for (let t = Date.parse("2026-01-01T00:00:00Z") + HOUR; t <= end; t += HOUR) {
    const o = offset(t);
    if (o !== prev) {
      let m = t - HOUR;
      while (offset(m) === prev) m += MINUTE;
      out.push(m);
      prev = o;
    }
  }
  return out;
}

/** Zones with every kind of 2026 offset and rule: whole, half and quarter hours, 30-minute DST, midnight transitions, none. */
export const ZONES = [
  "UTC",
  "America/New_York",
  "America/Los_Angeles",
  "America/St_Johns", // −03:30 / −02:30
  "America/Santiago", // southern DST, transitions at 24:00
  "America/Havana", // transitions at 00:00 and 01:00
  "America/Sao_Paulo", // no DST
  "Europe/Paris",
  "Europe/London",
  "Europe/Chisinau",
  "Africa/Cairo", // DST starting at 00:00
  "Asia/Beirut", // transitions at 00:00
  "Asia/Kolkata", // +05:30
  "Asia/Kathmandu", // +05:45
  "Australia/Sydney",
  "Australia/Adelaide", // +09:30 / +10:30
  "Australia/Lord_Howe", // +10:30 / +11:00: a 30-minute DST
  "Pacific/Auckland",
  "Pacific/Chatham", // +12:45 / +13:45
  "Pacific/Kiritimati", // +14:00
  "Pacific/Pago_Pago", // −11:00
] as const;
