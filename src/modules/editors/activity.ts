/**
 * Editor time for reports: seconds by project, language, editor and category over a period, from the raw
 * heartbeats (while they are kept: heartbeat_retention_days). The same arithmetic as statusbar and summaries
 * (derive.ts `durations`, on each user's whole stream, cut at the days of the report's calendar). A team's
 * report counts its members' time on the projects they mapped to the team (editor_projects) while they may
 * open sessions there.
 */
import { and, eq, gte, inArray, lt, sql } from "drizzle-orm";
import { ROLES } from "../../db/roles";
import { editorProjects, heartbeats, memberships, users } from "../../db/schema";
import type { Db } from "../../env";
import { dayOf, type DayPrefs } from "../../platform/time";
import { atLeast, TEAM_ACTIONS } from "../teams/roles";
import { durations, type Beat } from "./derive";

const SESSION_ROLES = ROLES.filter((r) => atLeast(r, TEAM_ACTIONS.write));

/** The columns of a heartbeat that durations and summaries read (derive.ts `Beat`). */
export const BEAT_COLUMNS = {
  time: heartbeats.timeMs,
  key: heartbeats.digest,
  project: heartbeats.project,
  branch: heartbeats.branch,
  category: heartbeats.category,
  language: heartbeats.language,
  editor: heartbeats.editor,
};

/** A user's or a team's heartbeats of [from, to), each with its user's idle timeout and whether it counts. */
export function activityQuery(db: Db, owner: { kind: "user" | "team"; id: number }, from: number, to: number) {
  const inRange = and(gte(heartbeats.timeMs, from), lt(heartbeats.timeMs, to));
  const base = { userId: heartbeats.userId, ...BEAT_COLUMNS, idleMinutes: users.idleTimeoutMinutes };
  if (owner.kind === "user") {
    return db
      .select({ ...base, counts: sql<number>`1`.as("counts") })
      .from(heartbeats)
      .innerJoin(users, eq(users.id, heartbeats.userId))
      .where(and(eq(heartbeats.userId, owner.id), inRange));
  }
  // Every heartbeat of the members who mapped a project to the team (durations need their whole stream);
  // only those of a mapped project count.
  const members = db
    .selectDistinct({ id: editorProjects.userId })
    .from(editorProjects)
    .innerJoin(memberships, and(eq(memberships.teamId, editorProjects.teamId), eq(memberships.userId, editorProjects.userId)))
    .where(and(eq(editorProjects.teamId, owner.id), inArray(memberships.role, SESSION_ROLES)));
  const mapped = sql<number>`EXISTS (SELECT 1 FROM ${editorProjects} ep WHERE ep.user_id = ${heartbeats.userId} AND ep.team_id = ${owner.id} AND ep.project = ${heartbeats.project})`;
  return db
    .select({ ...base, counts: mapped.as("counts") })
    .from(heartbeats)
    .innerJoin(users, eq(users.id, heartbeats.userId))
    .where(and(inArray(heartbeats.userId, members), inRange));
}

export type ActivityRow = Awaited<ReturnType<typeof activityQuery>>[number];

export interface NamedSeconds {
  name: string;
  seconds: number;
}

export interface EditorTime {
  total_seconds: number;
  projects: NamedSeconds[];
  languages: NamedSeconds[];
  editors: NamedSeconds[];
  categories: NamedSeconds[];
}

/** Each counted heartbeat's seconds and the day (of `prefs`) it falls in. */
export function activitySeconds(rows: ActivityRow[], prefs: DayPrefs): { row: ActivityRow; day: string; seconds: number }[] {
  const streams = new Map<string, (Beat & { row: ActivityRow })[]>();
  for (const row of rows) {
    const day = dayOf(row.time, prefs);
    const k = `${row.userId}\n${day}`;
    streams.set(k, [...(streams.get(k) ?? []), { time: row.time, key: row.key, project: row.project, branch: row.branch, category: row.category, row }]);
  }
  const out: { row: ActivityRow; day: string; seconds: number }[] = [];
  for (const [k, beats] of streams) {
    const day = k.split("\n")[1]!;
    const idleMs = beats[0]!.row.idleMinutes * 60_000;
    for (const { beat, ms } of durations(beats, idleMs)) if (beat.row.counts && ms > 0) out.push({ row: beat.row, day, seconds: ms / 1000 });
  }
  return out;
}

function by(parts: { row: ActivityRow; seconds: number }[], name: (r: ActivityRow) => string): NamedSeconds[] {
  const totals = new Map<string, number>();
  for (const p of parts) totals.set(name(p.row), (totals.get(name(p.row)) ?? 0) + p.seconds);
  return [...totals.entries()].map(([n, seconds]) => ({ name: n, seconds })).sort((a, b) => b.seconds - a.seconds || (a.name < b.name ? -1 : 1));
}

/** Editor time of some counted heartbeats (activitySeconds), by project, language, editor and category. */
export function editorTime(parts: { row: ActivityRow; seconds: number }[]): EditorTime {
  return {
    total_seconds: parts.reduce((s, p) => s + p.seconds, 0),
    projects: by(parts, (r) => r.project ?? "Unknown Project"),
    languages: by(parts, (r) => r.language ?? "Other"),
    editors: by(parts, (r) => r.editor ?? "Unknown Editor"),
    categories: by(parts, (r) => r.category),
  };
}
