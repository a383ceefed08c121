import { and, eq, gte, lt, notInArray, sql, type SQL } from "drizzle-orm";
import { devSessions, insights, reports } from "../../db/schema";
import type { Bindings, Db } from "../../env";
import { addDays, dayBounds, dayOf, iso, weekBounds, type CalendarPrefs } from "../../platform/time";
import { channelsFor, eventPublisher } from "../events/publisher";
import { activityQuery, activitySeconds, editorTime } from "../editors/activity";
import { deriveInsights } from "../insights/rules";
import { serializeInsight } from "../insights/schemas";
import { change, computeTotals, summarize, type SessionInput, type TaskInput } from "./metrics";
import { serializeReport } from "./schemas";

export type ReportOwner = { kind: "user"; id: number } | { kind: "team"; id: number };
export const ownerKey = (o: ReportOwner) => `${o.kind}:${o.id}`;

/** How days are cut: the requesting user's time zone, day start hour and week start (team reports too). */
export type Prefs = CalendarPrefs;

export const prefsOf = (u: { timezone: string; dayStartHour: number; weekStart: "MON" | "SUN" }): Prefs => ({
  timezone: u.timezone,
  dayStartHour: u.dayStartHour,
  weekStart: u.weekStart,
});

interface PeriodData {
  sessions: (SessionInput & { day: string })[];
  tasks: TaskInput[];
  /** Editor time: each counted heartbeat's seconds and its day (modules/editors/activity.ts). */
  editor: ReturnType<typeof activitySeconds>;
}

/**
 * Everything a report aggregates for [from, to): the owner's sessions that started then, each with its
 * switches, pauses and attached tasks gathered by correlated subqueries (json_group_array) — one statement,
 * one round trip, and each row read once: the sessions through their (owner, started_at) index, the rest
 * through their session_id indexes. Rows read ≈ rows aggregated (pinned in test/query-plans.test.ts).
 */
export function periodQuery(db: Db, owner: ReportOwner, from: number, to: number) {
  // Written out with table-qualified names: drizzle leaves columns unqualified in a one-table select, and
  // "id" inside these subqueries must be the outer session's.
  const switches = sql<string>`(SELECT json_group_array(json_array(cs.happened_at, cs.reason, cs.from_task_id, cs.to_task_id)) FROM context_switches cs WHERE cs.session_id = dev_sessions.id)`;
  const pauses = sql<string>`(SELECT json_group_array(json_array(sp.paused_at, sp.resumed_at)) FROM session_pauses sp WHERE sp.session_id = dev_sessions.id)`;
  const attached = sql<string>`(SELECT json_group_array(json_array(t.id, t.title, t.type)) FROM session_tasks st INNER JOIN tasks t ON t.id = st.task_id WHERE st.session_id = dev_sessions.id)`;
  return db
    .select({
      id: devSessions.id,
      title: devSessions.title,
      status: devSessions.status,
      startedAt: devSessions.startedAt,
      endedAt: devSessions.endedAt,
      switches,
      pauses,
      attached,
    })
    .from(devSessions)
    .where(
      and(
        owner.kind === "user" ? eq(devSessions.userId, owner.id) : eq(devSessions.teamId, owner.id),
        gte(devSessions.startedAt, iso(from)),
        lt(devSessions.startedAt, iso(to)),
      ),
    );
}

type SwitchTuple = [string, SessionInput["switches"][number]["reason"], number | null, number | null];
type PauseTuple = [string, string | null];
type TaskTuple = [number, string, TaskInput["type"]];

async function loadPeriod(db: Db, owner: ReportOwner, prefs: Prefs, from: number, to: number, now: number): Promise<PeriodData> {
  // The sessions and the editor heartbeats of the period: one round trip.
  const [rows, activity] = await db.batch([periodQuery(db, owner, from, to), activityQuery(db, owner, from, to)]);
  const byTask = new Map<number, TaskInput>();
  const sessions = rows.map((s) => {
    const startedAt = Date.parse(s.startedAt);
    for (const [id, title, type] of JSON.parse(s.attached) as TaskTuple[]) {
      const entry = byTask.get(id) ?? { id, title, type, sessionIds: [] };
      entry.sessionIds.push(s.id);
      byTask.set(id, entry);
    }
    return {
      id: s.id,
      title: s.title,
      status: s.status,
      startedAt,
      day: dayOf(startedAt, prefs),
      end: s.endedAt ? Date.parse(s.endedAt) : Math.max(now, startedAt),
      pauses: (JSON.parse(s.pauses) as PauseTuple[]).map(([p, r]) => ({ from: Date.parse(p), to: r ? Date.parse(r) : null })),
      switches: (JSON.parse(s.switches) as SwitchTuple[]).map(([at, reason, fromTask, toTask]) => ({ at: Date.parse(at), reason, fromTask, toTask })),
    };
  });
  sessions.sort((a, b) => a.startedAt - b.startedAt || a.id - b.id);
  return { sessions, tasks: [...byTask.values()], editor: activitySeconds(activity, prefs) };
}

/** The subset of a period's data for some of its sessions. */
function subset(data: PeriodData, keep: (s: PeriodData["sessions"][number]) => boolean) {
  const sessions = data.sessions.filter(keep);
  const ids = new Set(sessions.map((s) => s.id));
  const tasksIn = data.tasks
    .map((t) => ({ ...t, sessionIds: t.sessionIds.filter((id) => ids.has(id)) }))
    .filter((t) => t.sessionIds.length > 0);
  return computeTotals(sessions, tasksIn);
}

const subjectOf = (owner: ReportOwner) => (owner.kind === "user" ? "You" : "The team");

export function dailyPayload(data: PeriodData, day: string, prefs: Prefs, owner: ReportOwner) {
  const { totals, lines } = subset(data, () => true);
  return {
    payload: { date: day, timezone: prefs.timezone, sessions: lines, totals, editor_time: editorTime(data.editor) },
    summary: summarize(subjectOf(owner), `on ${day}`, totals),
  };
}

async function upsertReport(
  db: Db,
  owner: ReportOwner,
  type: "DAILY" | "WEEKLY",
  periodStart: string,
  periodEnd: string,
  prefs: Prefs,
  content: { payload: unknown; summary: string },
) {
  const now = new Date().toISOString();
  const [row] = await db
    .insert(reports)
    .values({
      type,
      userId: owner.kind === "user" ? owner.id : null,
      teamId: owner.kind === "team" ? owner.id : null,
      ownerKey: ownerKey(owner),
      periodStart,
      periodEnd,
      timezone: prefs.timezone,
      payload: content.payload,
      summary: content.summary,
    })
    // One report per (owner, type, period): generating again replaces it in place, keeping its id.
    .onConflictDoUpdate({
      target: [reports.ownerKey, reports.type, reports.periodStart],
      set: { periodEnd, timezone: prefs.timezone, payload: content.payload, summary: content.summary, updatedAt: now },
    })
    .returning();
  return row!;
}

export type ReportRow = typeof reports.$inferSelect;

export async function generateDaily(env: Bindings, db: Db, owner: ReportOwner, prefs: Prefs, day: string, now = Date.now()) {
  const { start, end } = dayBounds(day, prefs);
  const data = await loadPeriod(db, owner, prefs, start, end, now);
  const report = await upsertReport(db, owner, "DAILY", day, day, prefs, dailyPayload(data, day, prefs, owner));
  await eventPublisher(env).publish(channelsFor({ userId: report.userId, teamId: report.teamId }), "report.created", serializeReport(report));
  return report;
}

export async function generateWeekly(env: Bindings, db: Db, owner: ReportOwner, prefs: Prefs, weekOf: string, now = Date.now()) {
  const { first, last, end } = weekBounds(weekOf, prefs);
  const previousWeek = weekBounds(addDays(first, -7), prefs);
  const prevFirst = previousWeek.first;
  // This week and the one before, in one load: [start of the week before, end of this week).
  const data = await loadPeriod(db, owner, prefs, previousWeek.start, end, now);
  const thisWeek = (s: { day: string }) => s.day >= first && s.day <= last;
  const current = subset(data, thisWeek);
  const previous = subset(data, (s) => s.day >= prevFirst && s.day < first);
  const days = Array.from({ length: 7 }, (_, i) => {
    const date = addDays(first, i);
    const { totals } = subset(data, (s) => s.day === date);
    return { date, sessions: totals.sessions, focus_minutes: totals.focus_minutes, switches: totals.switches, interrupts: totals.interrupts, deep_work_blocks: totals.deep_work_blocks };
  });
  const payload = {
    week_start: first,
    week_end: last,
    timezone: prefs.timezone,
    sessions: current.lines,
    totals: current.totals,
    editor_time: {
      ...editorTime(data.editor.filter(thisWeek)),
      days: days.map(({ date }) => ({ date, seconds: data.editor.filter((p) => p.day === date).reduce((sum, p) => sum + p.seconds, 0) })),
    },
    days,
    previous_week: { week_start: prevFirst, totals: previous.totals },
    change: change(current.totals, previous.totals),
  };
  const summary = summarize(subjectOf(owner), `in the week of ${first}`, current.totals);
  const report = await upsertReport(db, owner, "WEEKLY", first, last, prefs, { payload, summary });
  await eventPublisher(env).publish(channelsFor({ userId: report.userId, teamId: report.teamId }), "report.created", serializeReport(report));
  return report;
}

/**
 * Insights of a daily report, derived from its stored totals: one per (report, code), replaced on
 * regeneration — codes that no longer apply are removed in the same batch.
 */
export async function generateInsights(env: Bindings, db: Db, report: ReportRow) {
  if (report.type !== "DAILY") return [];
  const totals = (report.payload as ReturnType<typeof dailyPayload>["payload"]).totals;
  const drafts = deriveInsights(totals);
  const codes = drafts.map((d) => d.code);
  const now = new Date().toISOString();
  const upserts = drafts.map((d) =>
    db
      .insert(insights)
      .values({
        userId: report.userId,
        teamId: report.teamId,
        ownerKey: report.ownerKey,
        reportId: report.id,
        code: d.code,
        level: d.level,
        message: d.message,
        meta: d.meta,
        periodStart: report.periodStart,
      })
      .onConflictDoUpdate({
        target: [insights.reportId, insights.code],
        set: { level: d.level, message: d.message, meta: d.meta, updatedAt: now },
      })
      .returning(),
  );
  const cleanup: SQL | undefined = codes.length ? notInArray(insights.code, codes) : undefined;
  const [, ...results] = await db.batch([db.delete(insights).where(and(eq(insights.reportId, report.id), cleanup)), ...upserts]);
  const rows = results.map((r) => r[0]!);
  const publisher = eventPublisher(env);
  await Promise.all(rows.map((r) => publisher.publish(channelsFor({ userId: r.userId, teamId: r.teamId }), "insight.created", serializeInsight(r))));
  return rows;
}

/** Today in the user's calendar (their time zone and day start hour). */
export const today = (prefs: Prefs, now = Date.now()) => dayOf(now, prefs);
