import { asc, gt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { users } from "../../db/schema";
import type { Bindings } from "../../env";
import { addDays, dayOf, dayStart, weekStartDay } from "../../platform/time";
import type { ReportMessage } from "../../platform/queue-messages";
import { prefsOf, type Prefs } from "./generate";

export const CRON_USER_PAGE = 500;
export const SEND_BATCH_MAX = 100;
const HOUR = 3600_000;

/**
 * The reports due for a user at `at`: the DAILY report of every day that ended within the past hour
 * (at − 1 h, at] — by the calendar's one day rule — and the WEEKLY one when that day closed their week.
 * The cron runs on the hour, so these windows tile time: each day is due exactly once.
 */
export function dueReports(prefs: Prefs, at: number): { type: "DAILY" | "WEEKLY"; day: string }[] {
  const due: { type: "DAILY" | "WEEKLY"; day: string }[] = [];
  // A day ended when the next one started; walk back from the day `at` is in (dayStart(next) ≤ at).
  // Usually one step, none most hours; a zone that skips a whole day ends two days in one hour.
  for (let next = dayOf(at, prefs); dayStart(next, prefs) > at - HOUR; next = addDays(next, -1)) {
    const ended = addDays(next, -1);
    if (weekStartDay(next, prefs.weekStart) === next) due.unshift({ type: "WEEKLY", day: ended });
    due.unshift({ type: "DAILY", day: ended });
  }
  return due;
}

/** Hourly: enqueue every due report, reading users page by page and sending in batches of ≤ 100. */
export async function runHourlyCron(env: Bindings, scheduledTime: number): Promise<number> {
  const db = drizzle(env.DB);
  let afterId = 0;
  let sent = 0;
  let pending: { body: ReportMessage }[] = [];
  const flush = async () => {
    while (pending.length) {
      const chunk = pending.splice(0, SEND_BATCH_MAX);
      await env.REPORTS_QUEUE.sendBatch(chunk);
      sent += chunk.length;
    }
  };
  for (;;) {
    const page = await db
      .select({ id: users.id, timezone: users.timezone, dayStartHour: users.dayStartHour, weekStart: users.weekStart })
      .from(users)
      .where(gt(users.id, afterId))
      .orderBy(asc(users.id))
      .limit(CRON_USER_PAGE);
    for (const u of page) {
      let due: ReturnType<typeof dueReports> = [];
      try {
        due = dueReports(prefsOf(u), scheduledTime);
      } catch (err) {
        // One user's broken calendar must not stop everyone else's reports.
        console.error(JSON.stringify({ level: "error", msg: "cron skipped user", user: u.id, error: String(err) }));
      }
      for (const r of due) pending.push({ body: { kind: "scheduled_report", userId: u.id, type: r.type, day: r.day } });
      if (pending.length >= SEND_BATCH_MAX) await flush();
    }
    if (page.length < CRON_USER_PAGE) break;
    afterId = page[page.length - 1]!.id;
  }
  await flush();
  console.log(JSON.stringify({ level: "info", msg: "hourly cron", scheduled_time: new Date(scheduledTime).toISOString(), enqueued: sent }));
  return sent;
}
