// Local state: the current session (so `switch` knows the task you are on, and `pause`/`stop` which
// session to act on, even offline), the last finished session, and a branch → task cache for the hook.
//
// state.json = {
//   session: null | {id, local, title, team, started_at, status, pauses: [{from, to}], task, tasks},
//   last: null | {id, local, title, ended_at},
//   branches: {"<repo dir>\t<branch>": {id, title}}
// }
// `id` is null (and `local` set) while the session exists only in the offline journal.
import { acquireLock, readJson, writeJson } from "./files.mjs";

const EMPTY = () => ({ session: null, last: null, branches: {} });
const KEEP_BRANCHES = 200;

export class State {
  /** @param {{state: string}} files */
  constructor(files) {
    this.file = files.state;
  }

  read() {
    const s = readJson(this.file, null);
    return s && typeof s === "object" ? { ...EMPTY(), ...s } : EMPTY();
  }

  /** Read-modify-write under a lock, so the background hook and a command never overwrite each other. */
  update(fn) {
    const release = acquireLock(`${this.file}.lock`, { waitMs: 3000 });
    try {
      const s = this.read();
      const out = fn(s);
      const keys = Object.keys(s.branches || {});
      for (const k of keys.slice(0, Math.max(0, keys.length - KEEP_BRANCHES))) delete s.branches[k];
      writeJson(this.file, s);
      return out === undefined ? s : out;
    } finally {
      if (release) release();
    }
  }
}

/** The local record of a session the API returned. */
export function sessionFromApi(detail, extra = {}) {
  const tasks = (detail.tasks || []).map((t) => ({ id: t.task, title: t.title, role: t.role, label: `#${t.task}`, candidates: [{ id: t.task }] }));
  return {
    id: detail.id,
    local: null,
    title: detail.title,
    team: detail.team,
    started_at: detail.started_at,
    status: detail.status,
    pauses: detail.status === "PAUSED" ? [{ from: detail.updated_at, to: null }] : [],
    task: tasks.find((t) => t.role === "MAIN") || tasks[0] || null,
    tasks,
    ...extra,
  };
}

/** Focus minutes of a session so far: elapsed time minus pauses (an open pause runs until now). */
export function focusSoFar(session, now = Date.now()) {
  const start = Date.parse(session.started_at);
  if (Number.isNaN(start)) return 0;
  let paused = 0;
  for (const p of session.pauses || []) {
    const from = Math.max(start, Date.parse(p.from));
    const to = p.to ? Date.parse(p.to) : now;
    if (to > from) paused += to - from;
  }
  return Math.max(0, Math.floor((now - start - paused) / 60_000));
}

/** Minutes since the current stretch began: the latest of start, last switch and last resume (0 while paused). */
export function currentStretch(session, lastSwitchAt, now = Date.now()) {
  if (session.status === "PAUSED") return 0;
  const edges = [Date.parse(session.started_at), lastSwitchAt ? Date.parse(lastSwitchAt) : NaN];
  for (const p of session.pauses || []) if (p.to) edges.push(Date.parse(p.to));
  const from = Math.max(...edges.filter((n) => !Number.isNaN(n)));
  return Number.isFinite(from) ? Math.max(0, Math.floor((now - from) / 60_000)) : 0;
}
