import { and, asc, eq, gte, lt } from "drizzle-orm";
import { editorProjects, heartbeats, users } from "../../db/schema";
import type { Actor, Ctx, Db, EditorPrefs } from "../../env";
import { conflict, invalid, notFound } from "../../platform/errors";
import { isLimitAbort, limitExceeded, limitInBatch, type Limit } from "../../platform/rate-limit";
import { sha256Hex } from "../../platform/crypto";
import { addDays, dayBounds, dayOf, dayStart } from "../../platform/time";
import { requireRole } from "../teams/access";
import { Heartbeat, serializeCurrentUser, serializeEditorProject, serializeStoredHeartbeat, type HeartbeatInput } from "./schemas";
import { BEAT_COLUMNS } from "./activity";
import { DAY_MS, pruneStatement } from "./retention";
import { ensureState, settleWindow, windowOf, windowReads, type WindowData } from "./timeline";
import { dayRange, editorName, grandTotal, summarizeDay, wakaTime } from "./summary";

/** Heartbeats taken from one request; the rest are answered 429, which wakatime-cli queues and sends again. */
export const MAX_BULK = 100;
/** A heartbeat may be this far ahead of the server's clock (editor machines drift). */
export const FUTURE_SKEW_MS = 5 * 60_000;
/** Requests per minute per credential on the compat API: an offline queue syncing (40 bulks) fits easily. */
export const EDITOR_REQUESTS_PER_MINUTE = 600;
/** Columns of one heartbeat insert: D1 binds at most 100 parameters per statement. */
const INSERT_COLUMNS = 10;
const ROWS_PER_INSERT = Math.floor(100 / INSERT_COLUMNS);

const editorLimit = (actor: Actor): Limit => ({ key: `editor:${actor.tokenId}`, max: EDITOR_REQUESTS_PER_MINUTE, windowSeconds: 60 });

/** `GET …/users/current`: who the key belongs to, in WakaTime's shape. */
export async function currentUser({ db, actor }: Ctx) {
  const [user] = await db.select().from(users).where(eq(users.id, actor.id)).limit(1);
  if (!user) throw notFound("User");
  return serializeCurrentUser(user);
}

/** The caller's editor settings: read with the credential, or from D1 for an Actor built by hand. */
async function prefsOf(db: Db, actor: Actor): Promise<EditorPrefs> {
  if (actor.editor) return actor.editor;
  const [u] = await db
    .select({ idleTimeoutMinutes: users.idleTimeoutMinutes, hideFileNames: users.hideFileNames, heartbeatRetentionDays: users.heartbeatRetentionDays })
    .from(users)
    .where(eq(users.id, actor.id));
  if (!u) throw notFound("User");
  return u;
}

/** A heartbeat checked and ready to store, or why not. */
type Checked =
  | { ok: true; row: typeof heartbeats.$inferInsert & { timeMs: number; digest: string }; answer: ReturnType<typeof serializeStoredHeartbeat> }
  | { ok: false; status: 400 | 429; error: string; errors?: Record<string, string[]> };

/**
 * A heartbeat's identity beside its instant: a digest of what it says, so the unique key holds no path even
 * when the path is not kept, and a heartbeat is a re-send only of one that says the same.
 */
const digestOf = async (userId: number, h: HeartbeatInput) =>
  (await sha256Hex(JSON.stringify([userId, h.entity, h.type, h.category, h.project ?? null, h.branch ?? null, h.language ?? null]))).slice(0, 32);

/** Bounds on `time` the schema cannot know: not ahead of the server's clock, not older than the retention period. */
function timeProblem(timeMs: number, prefs: EditorPrefs, now: number): string | null {
  if (!Number.isFinite(timeMs) || timeMs > now + FUTURE_SKEW_MS) {
    return `Must not be in the future: at most ${FUTURE_SKEW_MS / 60_000} minutes ahead of the server's clock (${new Date(now).toISOString()}).`;
  }
  if (timeMs < now - prefs.heartbeatRetentionDays * DAY_MS) {
    return `Too old: heartbeats older than your retention period (${prefs.heartbeatRetentionDays} days) are not kept.`;
  }
  return null;
}

async function check(item: unknown, actor: Actor, prefs: EditorPrefs, headerAgent: string | undefined, now: number): Promise<Checked> {
  const parsed = Heartbeat.safeParse(item);
  if (!parsed.success) {
    const errors: Record<string, string[]> = {};
    for (const issue of parsed.error.issues) {
      const field = issue.path.length ? issue.path.map(String).join(".") : "heartbeat";
      (errors[field] ??= []).push(issue.message);
    }
    return { ok: false, status: 400, error: Object.entries(errors).map(([f, m]) => `${f}: ${m.join(" ")}`).join("; "), errors };
  }
  const h: HeartbeatInput = parsed.data;
  const timeMs = Math.round(h.time * 1000);
  const problem = timeProblem(timeMs, prefs, now);
  if (problem) return { ok: false, status: 400, error: `time: ${problem}`, errors: { time: [problem] } };
  const userAgent = h.user_agent ?? headerAgent ?? null;
  const stored = {
    entity: prefs.hideFileNames ? null : h.entity,
    type: h.type,
    category: h.category,
    project: h.project ?? null,
    branch: h.branch ?? null,
    language: h.language ?? null,
  };
  return {
    ok: true,
    row: { userId: actor.id, timeMs, digest: await digestOf(actor.id, h), ...stored, editor: editorName(userAgent) },
    answer: serializeStoredHeartbeat({ ...stored, time: h.time, userAgent }),
  };
}

/** Runs a batch that starts with a limitInBatch pair; its abort becomes the 429. */
async function limited<T>(run: () => Promise<T>, limit: Limit, now: number): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (isLimitAbort(err)) throw limitExceeded(limit, `Too many requests for this key (at most ${limit.max} a minute): wakatime-cli keeps the heartbeats and sends them again.`, now);
    throw err;
  }
}

export interface IngestInput {
  items: unknown[];
  /** The request's User-Agent, for heartbeats without a user_agent field. */
  userAgent?: string;
}

/**
 * Stores heartbeats, each on its own: every element gets its own [object, status] answer, in request order —
 * 201 stored, 202 already stored (a re-send), 400 invalid, 429 past MAX_BULK — then derives the sessions,
 * pauses and switches of the days they fall in (timeline.ts). D1 round trips whatever the bulk's size: one
 * batch for the rate limit, the multi-row inserts (chunked to D1's 100 bound parameters), the pruning of
 * expired heartbeats and the derivation's reads; one for the tasks the branches name (only when a branch
 * names one); one for the derivation's writes (only when the timeline changed).
 */
export async function ingest({ db, env, actor }: Ctx, input: IngestInput, now = Date.now()) {
  const prefs = await prefsOf(db, actor);
  const checked: Checked[] = await Promise.all(
    input.items.map((item, i) =>
      i < MAX_BULK
        ? check(item, actor, prefs, input.userAgent, now)
        : Promise.resolve<Checked>({ ok: false, status: 429, error: `Too many heartbeats in one request (at most ${MAX_BULK}): send the rest again.` }),
    ),
  );
  const rows = checked.flatMap((c) => (c.ok ? [c.row] : []));
  const limit = editorLimit(actor);
  const inserts = Array.from({ length: Math.ceil(rows.length / ROWS_PER_INSERT) }, (_, i) =>
    db
      .insert(heartbeats)
      .values(rows.slice(i * ROWS_PER_INSERT, (i + 1) * ROWS_PER_INSERT))
      .onConflictDoNothing()
      .returning({ timeMs: heartbeats.timeMs, digest: heartbeats.digest }),
  );
  const [count, guard] = limitInBatch(db, limit, now);
  // The derivation's reads ride in the same batch, after the inserts they must see.
  const window = rows.length ? windowOf(rows.map((r) => r.timeMs), actor) : null;
  const reads = window ? windowReads(db, actor.id, window) : [];
  const writes = [count, guard, ...inserts, pruneStatement(db, actor.id, prefs.heartbeatRetentionDays, now), ...(window ? [ensureState(db, actor.id)] : [])];
  const results = await limited(() => db.batch([...writes, ...reads] as unknown as Parameters<typeof db.batch>[0]), limit, now);
  const stored = new Set(results.slice(2, 2 + inserts.length).flatMap((r) => (r as { timeMs: number; digest: string }[]).map((k) => `${k.timeMs}\n${k.digest}`)));
  const derivation = window
    ? await settleWindow(db, env, actor.id, actor, prefs.idleTimeoutMinutes * 60_000, window, results.slice(writes.length) as unknown as WindowData)
    : null;
  const seen = new Set<string>();
  const responses = checked.map((c): [object, number] => {
    if (!c.ok) return [{ error: c.error, ...(c.errors ? { errors: c.errors } : {}) }, c.status];
    const key = `${c.row.timeMs}\n${c.row.digest}`;
    // The first of a key this request stored is 201; a re-send, or a repeat inside the bulk, is 202.
    const created = stored.has(key) && !seen.has(key);
    seen.add(key);
    return [{ data: c.answer }, created ? 201 : 202];
  });
  return { responses, stored: stored.size, derivation };
}

/** `POST …/heartbeats` (one heartbeat): the same checks, but an invalid heartbeat is the request's 400. */
export async function ingestOne(ctx: Ctx, input: { item: unknown; userAgent?: string }, now = Date.now()) {
  const { responses } = await ingest(ctx, { items: [input.item], userAgent: input.userAgent }, now);
  const [body, status] = responses[0]!;
  if (status === 400) {
    const { errors } = body as { errors?: Record<string, string[]> };
    const [field, messages] = Object.entries(errors ?? { heartbeat: ["Invalid heartbeat."] })[0]!;
    throw invalid(field, messages.join(" "));
  }
  return { body: body as { data: ReturnType<typeof serializeStoredHeartbeat> }, status: status as 201 | 202 };
}

/** The user's heartbeats of one instant range, in time order. */
const beatsBetween = (db: Db, userId: number, from: number, to: number) =>
  db
    .select(BEAT_COLUMNS)
    .from(heartbeats)
    .where(and(eq(heartbeats.userId, userId), gte(heartbeats.timeMs, from), lt(heartbeats.timeMs, to)))
    .orderBy(asc(heartbeats.timeMs));

/**
 * `GET …/users/current/statusbar/today`: today's time (the user's day, by the day rule) by category, project,
 * language and editor, in WakaTime's shape and types. One round trip: the rate limit and the day's heartbeats.
 */
export async function statusbarToday({ db, actor }: Ctx, now = Date.now()) {
  const prefs = await prefsOf(db, actor);
  const day = dayOf(now, actor);
  const bounds = dayBounds(day, actor);
  const limit = editorLimit(actor);
  const [count, guard] = limitInBatch(db, limit, now);
  const [, , beats] = await limited(() => db.batch([count, guard, beatsBetween(db, actor.id, bounds.start, bounds.end)]), limit, now);
  return {
    cached_at: wakaTime(now),
    data: { ...summarizeDay(beats, prefs.idleTimeoutMinutes * 60_000), range: dayRange(day, bounds, actor.timezone) },
    has_team_features: false,
  };
}

/** Days a summaries request may span. */
export const MAX_SUMMARY_DAYS = 92;

/**
 * `GET …/users/current/summaries?start=&end=`: one WakaTime day summary per day of your calendar (the day
 * rule: DST days are 23 or 25 hours), with the cumulative total and the daily average. One round trip: the
 * rate limit and the range's heartbeats.
 */
export async function summaries({ db, actor }: Ctx, q: { start: string; end: string; project?: string }, now = Date.now()) {
  if (q.end < q.start) throw invalid("end", "Must not be before start.");
  const days: string[] = [];
  for (let d = q.start; d <= q.end; d = addDays(d, 1)) {
    days.push(d);
    if (days.length > MAX_SUMMARY_DAYS) throw invalid("end", `At most ${MAX_SUMMARY_DAYS} days after start.`);
  }
  const prefs = await prefsOf(db, actor);
  const from = dayStart(q.start, actor);
  const to = dayStart(addDays(q.end, 1), actor);
  const limit = editorLimit(actor);
  const [count, guard] = limitInBatch(db, limit, now);
  const [, , all] = await limited(() => db.batch([count, guard, beatsBetween(db, actor.id, from, to)]), limit, now);
  const beats = q.project === undefined ? all : all.filter((b) => b.project === q.project);
  const byDay = new Map<string, typeof beats>();
  for (const b of beats) {
    const d = dayOf(b.time, actor);
    byDay.set(d, [...(byDay.get(d) ?? []), b]);
  }
  const idleMs = prefs.idleTimeoutMinutes * 60_000;
  const data = days.map((day) => ({ ...summarizeDay(byDay.get(day) ?? [], idleMs), range: dayRange(day, dayBounds(day, actor), actor.timezone) }));
  const total = data.reduce((sum, d) => sum + d.grand_total.total_seconds, 0);
  const worked = data.filter((d) => d.grand_total.total_seconds > 0).length;
  const cumulative = grandTotal(total);
  const average = worked ? total / worked : 0;
  return {
    data,
    cumulative_total: { seconds: total, text: cumulative.text, decimal: cumulative.decimal, digital: cumulative.digital },
    daily_average: { seconds: average, text: grandTotal(average).text, days_including_holidays: days.length, days_minus_holidays: worked, holidays: days.length - worked },
    start: wakaTime(from),
    end: wakaTime(to - 1000),
  };
}

/** The caller's project → team mappings (a handful: one page). */
export async function listProjects({ db, actor }: Ctx) {
  const rows = await db.select().from(editorProjects).where(eq(editorProjects.userId, actor.id)).orderBy(asc(editorProjects.project));
  return { results: rows.map(serializeEditorProject), next: null };
}

/**
 * Maps an editor project to one of the caller's teams (MEMBER and up: who may open sessions there). Days
 * derived from then on put that project's sessions in the team; days already derived stay as they are until
 * their next heartbeat.
 */
export async function mapProject({ db, actor }: Ctx, input: { project: string; team: number }) {
  await requireRole(db, actor, input.team, "write");
  const [row] = await db.insert(editorProjects).values({ userId: actor.id, project: input.project, teamId: input.team }).onConflictDoNothing().returning();
  if (!row) throw conflict("This project is already mapped: delete that mapping first.");
  return serializeEditorProject(row);
}

export async function unmapProject({ db, actor }: Ctx, id: number) {
  const gone = await db
    .delete(editorProjects)
    .where(and(eq(editorProjects.id, id), eq(editorProjects.userId, actor.id)))
    .returning({ id: editorProjects.id });
  if (!gone.length) throw notFound("Editor project");
}
