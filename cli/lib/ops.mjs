// The actions that record something (start, switch, pause, resume, stop, attach, link), as plain data
// ("ops") run against the API. The same op runs live from a command or later from the offline journal:
// replayed, it carries its real timestamps (started_at, happened_at, at, ended_at) and tolerates having
// been half-applied by an earlier, interrupted replay, so each one lands exactly once.
import { ApiError } from "./api.mjs";
import { CliError } from "./errors.mjs";
import { resolveTask } from "./tasks.mjs";

export const SWITCH_REASONS = ["INTERRUPT", "QUICK_FIX", "MEETING", "OTHER"];
export const RESOURCE_TYPES = ["PR", "ISSUE", "DOC", "ARTICLE", "TOOL", "OTHER"];

/**
 * @typedef {{id?: number|null, local?: string|null}} SessionRef  a session by id, or by the local id of an
 *   offline `start` that the journal maps to the real id once replayed
 * @typedef {object} RunOpts
 * @property {boolean} [replay]      running from the journal: send the op's timestamps
 * @property {boolean} [attempted]   an earlier replay sent this op and lost the answer: look before writing
 * @property {Record<string, number>} [refs]  local session ids → real ids
 * @property {object} [progress]     filled in as steps succeed (so a caller knows what is already done)
 */

/** The real id of a session ref. */
export function sessionIdOf(ref, refs = {}) {
  if (ref && typeof ref.id === "number") return ref.id;
  if (ref && ref.local && typeof refs[ref.local] === "number") return refs[ref.local];
  throw new CliError("Its session was never created (the offline `start` before it failed).", { code: "SESSION_MISSING" });
}

async function mustResolve(api, ref) {
  if (!ref) return null;
  const task = await resolveTask(api, ref);
  if (!task && !ref.soft) throw new CliError(`No task matches ${ref.label} (or you cannot see it).`, { code: "TASK_NOT_FOUND" });
  return task;
}

/** A team by id or slug. */
export async function resolveTeam(api, team) {
  if (team === null || team === undefined || team === "") return null;
  const teams = await api.list("/teams/", {}, { max: 1000 });
  const hit = teams.find((t) => String(t.id) === String(team) || t.slug === String(team));
  if (!hit) throw new CliError(`No team "${team}" among your teams (${teams.map((t) => t.slug).join(", ") || "none"}).`, { code: "TEAM_NOT_FOUND" });
  return hit;
}

const is = (err, status) => err instanceof ApiError && err.status === status;

/** A "must not be in the future" refusal of a client timestamp (the client's clock runs ahead). */
const futureRefusal = (err, field) =>
  is(err, 400) && err.details.some((d) => d.path === field && /future/i.test(d.message));

/** POST with an explicit timestamp, falling back to the server's clock if ours is ahead of it. */
async function postAt(api, path, body, field, at) {
  if (!at) return api.post(path, body);
  try {
    return await api.post(path, { ...body, [field]: at });
  } catch (err) {
    if (futureRefusal(err, field)) return api.post(path, body);
    throw err;
  }
}

async function attachQuietly(api, sessionId, taskId, role) {
  try {
    return await api.post(`/sessions/${sessionId}/attach_task/`, { task_id: taskId, role });
  } catch (err) {
    if (is(err, 409)) return null; // already attached
    throw err;
  }
}

/** The session an interrupted replay of `start` may already have created. */
async function findStarted(api, op) {
  const rows = await api.list("/sessions/", { ordering: "-started_at" }, { max: 200 });
  return rows.find((s) => s.started_at === op.at && s.title === op.title) || null;
}

const ops = {
  /** {title, team, task, at, local} → {session, task, team} */
  async start(api, op, o) {
    const team = await resolveTeam(api, op.team);
    // Replayed, the session matters more than its task: one that cannot be found is left out, not fatal.
    const task = o.replay ? await resolveTask(api, op.task) : await mustResolve(api, op.task);
    const warning = op.task && !task ? `no task matches ${op.task.label}; the session has no task` : undefined;
    let session = o.replay && o.attempted ? await findStarted(api, op) : null;
    if (!session) {
      const body = { title: op.title, ...(team ? { team: team.id } : {}) };
      session = await postAt(api, "/sessions/", body, "started_at", o.replay ? op.at : null);
    }
    if (o.progress) o.progress.session = session;
    if (task) session = (await attachQuietly(api, session.id, task.id, "MAIN")) || (await api.get(`/sessions/${session.id}/`));
    return { session, task, team, warning };
  },

  /** {session, from, to, reason, note, at, explicit} → {switch, from, to} or {skipped} */
  async switch(api, op, o) {
    const sid = sessionIdOf(op.session, o.refs);
    let from = await mustResolve(api, op.from);
    // A previous branch that names no task: the switch is from the task the session was on.
    if (!from && op.fromFallback) from = await resolveTask(api, op.fromFallback);
    const to = await mustResolve(api, op.to);
    if (!to) return { skipped: `no task matches ${op.to ? op.to.label : "the target"}`, from, to };
    if (from && from.id === to.id) return { skipped: `already on #${to.id}`, from, to };
    let row = null;
    if (o.replay && o.attempted) {
      const rows = await api.list("/context-switches/", { dev_session: sid }, { max: 1000 });
      row = rows.find((r) => r.happened_at === op.at) || null;
    }
    if (!row) {
      const body = { dev_session: sid, from_task: from ? from.id : null, to_task: to.id, reason: op.reason || "OTHER", note: op.note || "" };
      row = await postAt(api, "/context-switches/", body, "happened_at", o.replay || op.explicit ? op.at : null);
    }
    if (o.progress) o.progress.switch = row;
    // The task worked on belongs to the session: attach it as SIDE (best effort; MAIN stays MAIN).
    try {
      await attachQuietly(api, sid, to.id, "SIDE");
    } catch {
      /* reports only count attached tasks; the switch itself is recorded */
    }
    return { switch: row, from, to };
  },

  async pause(api, op, o) {
    return transition(api, op, o, "pause", "PAUSED", "at");
  },

  async resume(api, op, o) {
    return transition(api, op, o, "resume", "OPEN", "at");
  },

  async stop(api, op, o) {
    return transition(api, op, o, "close", "DONE", "ended_at");
  },

  /** {session, task, role} → {session, task} or {skipped} */
  async attach(api, op, o) {
    const sid = sessionIdOf(op.session, o.refs);
    const task = await mustResolve(api, op.task);
    if (!task) return { skipped: `no task matches ${op.task.label}` };
    const session = (await attachQuietly(api, sid, task.id, op.role || "MAIN")) || (await api.get(`/sessions/${sid}/`));
    return { session, task };
  },

  /** {session, task, url, type, title} → {resource} */
  async link(api, op, o) {
    const sid = op.session ? sessionIdOf(op.session, o.refs) : null;
    const task = await mustResolve(api, op.task);
    if (sid === null && !task) throw new CliError("A link needs a session or a task.", { code: "NOTHING_TO_LINK" });
    if (o.replay && o.attempted) {
      const rows = await api.list("/resources/", sid !== null ? { dev_session: sid } : { task: task.id }, { max: 1000 });
      const hit = rows.find((r) => r.url === op.url);
      if (hit) return { resource: hit, task };
    }
    const body = { url: op.url, type: op.type || "OTHER", ...(op.title ? { title: op.title } : {}) };
    if (sid !== null) body.dev_session = sid;
    if (task) body.task = task.id;
    return { resource: await api.post("/resources/", body), task };
  },
};

/** pause / resume / close; replayed, a 409 whose session is already in the target state counts as done. */
async function transition(api, op, o, action, target, field) {
  const sid = sessionIdOf(op.session, o.refs);
  try {
    const session = await postAt(api, `/sessions/${sid}/${action}/`, {}, field, o.replay ? op.at : null);
    return { session };
  } catch (err) {
    if (o.replay && is(err, 409)) {
      const session = await api.get(`/sessions/${sid}/`);
      if (session.status === target) return { session, already: true };
    }
    throw err;
  }
}

/**
 * Runs one op against the API.
 * @param {import("./api.mjs").Api} api
 * @param {{op: string}} op
 * @param {RunOpts} [o]
 */
export async function runOp(api, op, o = {}) {
  const fn = ops[op.op];
  if (!fn) throw new CliError(`Unknown journal action "${op.op}".`, { code: "BAD_JOURNAL" });
  return fn(api, op, { refs: {}, ...o });
}
