// The actions that record something (start, switch, pause, resume, stop, attach, link), as plain data
// ("ops") run against the API. The same op runs live from a command or later from the offline journal:
// replayed, it carries its real timestamps (started_at, happened_at, at, ended_at) and tolerates having
// been half-applied by an earlier, interrupted replay, so each one lands exactly once.
import type { Schemas } from "../../client/index.ts";
import { isStatus, type Api } from "./api.ts";
import { CliError } from "./errors.ts";
import type { TaskRole } from "./state.ts";
import { resolveTask, type FoundTask, type SwitchReason, type TaskRef } from "./tasks.ts";

/** A session by id, or by the local id of an offline `start` that the journal maps to the real id once replayed. */
export type SessionRef = { id: number } | { local: string };
export type ResourceType = Schemas["CreateResourceRequest"]["type"];

export interface StartOp {
  op: "start";
  local: string;
  title: string;
  team: string | null;
  task: TaskRef | null;
  at: string;
}
export interface SwitchOp {
  op: "switch";
  session: SessionRef;
  from: TaskRef | null;
  /** a previous branch that names no task: the switch is from the task the session was on */
  fromFallback?: TaskRef | null;
  /** null: a switch away to no task (a meeting, an interruption) */
  to: TaskRef | null;
  /** undefined: the API's default */
  reason?: SwitchReason;
  note: string;
  at: string;
  /** send `at` even live (the hook: the checkout's own time) */
  explicit?: boolean;
  /** Who records it: the git hook (GIT) or a command (CLI, the default; journals from before have none). */
  source?: "CLI" | "GIT";
}
export interface TransitionOp {
  op: "pause" | "resume" | "stop";
  session: SessionRef;
  at: string;
}
export interface AttachOp {
  op: "attach";
  session: SessionRef;
  task: TaskRef | null;
  role: TaskRole;
  at: string;
}
export interface LinkOp {
  op: "link";
  session: SessionRef | null;
  task: TaskRef | null;
  url: string;
  /** undefined: the API's default */
  type?: ResourceType;
  title: string;
  at: string;
}
export type Op = StartOp | SwitchOp | TransitionOp | AttachOp | LinkOp;

type Session = Schemas["DevSessionDetail"];

export interface StartResult {
  session: Session;
  task: FoundTask | null;
  team: Schemas["Team"] | null;
  warning?: string;
  /** the API went away after the session was created: attaching its task is journaled */
  attachQueued?: boolean;
}
export interface SwitchResult {
  switch: Schemas["ContextSwitch"] | null;
  skipped?: string;
  from: FoundTask | null;
  to: FoundTask | null;
}
export interface TransitionResult {
  session: Session;
  already?: boolean;
}
export interface AttachResult {
  session: Session | null;
  task: FoundTask | null;
  skipped?: string;
}
export interface LinkResult {
  resource: Schemas["ResourceLink"];
  task: FoundTask | null;
}
interface Results {
  start: StartResult;
  switch: SwitchResult;
  pause: TransitionResult;
  resume: TransitionResult;
  stop: TransitionResult;
  attach: AttachResult;
  link: LinkResult;
}
export type ResultOf<O extends Op> = Results[O["op"]];
export type OpResult = Results[keyof Results];

export interface RunOpts {
  /** running from the journal: send the op's timestamps */
  replay?: boolean;
  /** an earlier replay sent this op and lost the answer: look before writing */
  attempted?: boolean;
  /** local session ids → real ids */
  refs?: Record<string, number>;
  /** filled in as steps succeed (so a caller knows what is already done) */
  progress?: { session?: Session };
}

/** The real id of a session ref. */
export function sessionIdOf(ref: SessionRef, refs: Record<string, number> = {}): number {
  if ("id" in ref) return ref.id;
  const id = refs[ref.local];
  if (typeof id === "number") return id;
  throw new CliError("Its session was never created (the offline `start` before it failed).", { code: "SESSION_MISSING" });
}

async function mustResolve(api: Api, ref: TaskRef | null | undefined): Promise<FoundTask | null> {
  if (!ref) return null;
  const task = await resolveTask(api, ref);
  if (!task && !ref.soft) throw new CliError(`No task matches ${ref.label} (or you cannot see it).`, { code: "TASK_NOT_FOUND" });
  return task;
}

/** A team by id or slug. */
export async function resolveTeam(api: Api, team: string | null | undefined): Promise<Schemas["Team"] | null> {
  if (team === null || team === undefined || team === "") return null;
  const teams = await api.all((cursor) => api.data(api.client.GET("/api/teams", { params: { query: { cursor, page_size: 200 } } })));
  const hit = teams.find((t) => String(t.id) === team || t.slug === team);
  if (!hit) {
    throw new CliError(`No team "${team}" among your teams (${teams.map((t) => t.slug).join(", ") || "none"}).`, { code: "TEAM_NOT_FOUND" });
  }
  return hit;
}

/**
 * Sends with the op's own timestamp when there is one, falling back to the server's clock when the API
 * refuses it as being in the future (this machine's clock runs ahead).
 */
async function stamped<T>(at: string | null, field: string, send: (at: string | undefined) => Promise<T>): Promise<T> {
  if (!at) return send(undefined);
  try {
    return await send(at);
  } catch (err) {
    if (isStatus(err, 400) && err.details.some((d) => d.path === field && /future/i.test(d.message))) return send(undefined);
    throw err;
  }
}

async function attachQuietly(api: Api, sessionId: number, taskId: number, role: TaskRole): Promise<Session | null> {
  try {
    return await api.data(api.client.POST("/api/sessions/{id}/attach_task", { params: { path: { id: sessionId } }, body: { task_id: taskId, role } }));
  } catch (err) {
    if (isStatus(err, 409)) return null; // already attached
    throw err;
  }
}

const sessionDetail = (api: Api, id: number) => api.data(api.client.GET("/api/sessions/{id}", { params: { path: { id } } }));

async function start(api: Api, op: StartOp, o: RunOpts): Promise<StartResult> {
  const team = await resolveTeam(api, op.team);
  // Replayed, the session matters more than its task: one that cannot be found is left out, not fatal.
  const task = o.replay ? await resolveTask(api, op.task) : await mustResolve(api, op.task);
  const warning = op.task && !task ? `no task matches ${op.task.label}; the session has no task` : undefined;
  let session: Session | null = null;
  if (o.replay && o.attempted) {
    // The session an interrupted replay may already have created.
    const rows = await api.all(
      (cursor) => api.data(api.client.GET("/api/sessions", { params: { query: { ordering: "-started_at", page_size: 200, cursor } } })),
      200,
    );
    const hit = rows.find((s) => s.started_at === op.at && s.title === op.title);
    session = hit ? await sessionDetail(api, hit.id) : null;
  }
  if (!session) {
    session = await stamped(o.replay ? op.at : null, "started_at", (started_at) =>
      api.data(api.client.POST("/api/sessions", { body: { title: op.title, ...(team ? { team: team.id } : {}), started_at, source: "CLI" } })),
    );
  }
  if (o.progress) o.progress.session = session;
  if (task) session = (await attachQuietly(api, session.id, task.id, "MAIN")) ?? (await sessionDetail(api, session.id));
  return { session, task, team, warning };
}

async function switchTask(api: Api, op: SwitchOp, o: RunOpts): Promise<SwitchResult> {
  const sid = sessionIdOf(op.session, o.refs);
  let from = await mustResolve(api, op.from);
  if (!from && op.fromFallback) from = await resolveTask(api, op.fromFallback);
  const to = await mustResolve(api, op.to);
  if (op.to && !to) return { switch: null, skipped: `no task matches ${op.to.label}`, from, to };
  if (from && to && from.id === to.id) return { switch: null, skipped: `already on #${to.id}`, from, to };
  let row: Schemas["ContextSwitch"] | null = null;
  if (o.replay && o.attempted) {
    const rows = await api.all((cursor) =>
      api.data(api.client.GET("/api/context-switches", { params: { query: { dev_session: sid, page_size: 200, cursor } } })),
    );
    row = rows.find((r) => r.happened_at === op.at) ?? null;
  }
  if (!row) {
    const body = { dev_session: sid, from_task: from ? from.id : null, to_task: to ? to.id : null, reason: op.reason, note: op.note, source: op.source ?? "CLI" };
    row = await stamped(o.replay || op.explicit ? op.at : null, "happened_at", (happened_at) =>
      api.data(api.client.POST("/api/context-switches", { body: { ...body, happened_at } })),
    );
  }
  // The task worked on belongs to the session: attach it as SIDE (best effort; MAIN stays MAIN).
  if (to) {
    try {
      await attachQuietly(api, sid, to.id, "SIDE");
    } catch {
      /* reports only count attached tasks; the switch itself is recorded */
    }
  }
  return { switch: row, from, to };
}

/** pause / resume / close; replayed, a 409 whose session is already in the target state counts as done. */
async function transition(api: Api, op: TransitionOp, o: RunOpts): Promise<TransitionResult> {
  const sid = sessionIdOf(op.session, o.refs);
  const path = { id: sid };
  const at = o.replay ? op.at : null;
  try {
    switch (op.op) {
      case "pause":
        return { session: await stamped(at, "at", (a) => api.data(api.client.POST("/api/sessions/{id}/pause", { params: { path }, body: { at: a } }))) };
      case "resume":
        return { session: await stamped(at, "at", (a) => api.data(api.client.POST("/api/sessions/{id}/resume", { params: { path }, body: { at: a } }))) };
      case "stop":
        return {
          session: await stamped(at, "ended_at", (a) =>
            api.data(api.client.POST("/api/sessions/{id}/close", { params: { path }, body: { ended_at: a } })),
          ),
        };
    }
  } catch (err) {
    if (o.replay && isStatus(err, 409)) {
      const session = await sessionDetail(api, sid);
      const target = op.op === "pause" ? "PAUSED" : op.op === "resume" ? "OPEN" : "DONE";
      if (session.status === target) return { session, already: true };
    }
    throw err;
  }
}

async function attach(api: Api, op: AttachOp, o: RunOpts): Promise<AttachResult> {
  const sid = sessionIdOf(op.session, o.refs);
  const task = await mustResolve(api, op.task);
  if (!task) return { session: null, task: null, skipped: `no task matches ${op.task ? op.task.label : "it"}` };
  const session = (await attachQuietly(api, sid, task.id, op.role)) ?? (await sessionDetail(api, sid));
  return { session, task };
}

async function link(api: Api, op: LinkOp, o: RunOpts): Promise<LinkResult> {
  const sid = op.session ? sessionIdOf(op.session, o.refs) : null;
  const task = await mustResolve(api, op.task);
  if (sid === null && !task) throw new CliError("A link needs a session or a task.", { code: "NOTHING_TO_LINK" });
  if (o.replay && o.attempted) {
    const query = sid !== null ? { dev_session: sid } : { task: task?.id };
    const rows = await api.all((cursor) => api.data(api.client.GET("/api/resources", { params: { query: { ...query, page_size: 200, cursor } } })));
    const hit = rows.find((r) => r.url === op.url);
    if (hit) return { resource: hit, task };
  }
  const body = {
    url: op.url,
    ...(op.type ? { type: op.type } : {}),
    ...(op.title ? { title: op.title } : {}),
    ...(sid !== null ? { dev_session: sid } : {}),
    ...(task ? { task: task.id } : {}),
  };
  return { resource: await api.data(api.client.POST("/api/resources", { body })), task };
}

/** Runs one op against the API. */
export async function runOp<O extends Op>(api: Api, op: O, o: RunOpts = {}): Promise<ResultOf<O>> {
  const opts = { refs: {}, ...o };
  // Each branch returns the result of its own op: the casts restate what the switch already checked.
  switch (op.op) {
    case "start":
      return (await start(api, op as StartOp, opts)) as ResultOf<O>;
    case "switch":
      return (await switchTask(api, op as SwitchOp, opts)) as ResultOf<O>;
    case "pause":
    case "resume":
    case "stop":
      return (await transition(api, op as TransitionOp, opts)) as ResultOf<O>;
    case "attach":
      return (await attach(api, op as AttachOp, opts)) as ResultOf<O>;
    case "link":
      return (await link(api, op as LinkOp, opts)) as ResultOf<O>;
    default:
      throw new CliError(`Unknown journal action "${(op as { op: string }).op}".`, { code: "BAD_JOURNAL" });
  }
}
