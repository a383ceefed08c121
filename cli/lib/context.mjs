// What every command runs with: settings (URL, token), files, state, journal, output, and the two
// shared workflows — `record` (send an op, or journal it when the API is away) and `syncJournal`.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import { Api, ApiError, DEFAULT_URL, normalizeBase, Unreachable } from "./api.mjs";
import { CliError } from "./errors.mjs";
import { configDir, paths, readJson } from "./files.mjs";
import { Journal } from "./journal.mjs";
import { runOp } from "./ops.mjs";
import { clock, colourEnabled, palette } from "./output.mjs";
import { sessionFromApi, State } from "./state.mjs";
import { describeRef, refOf } from "./tasks.mjs";

export const nowIso = () => new Date().toISOString();
export const newLocalId = () => `local-${randomUUID()}`;

/**
 * @param {{env?: NodeJS.ProcessEnv, cwd?: string, stdout?: NodeJS.WriteStream, stderr?: NodeJS.WriteStream, stdin?: NodeJS.ReadStream, json?: boolean, url?: string, timeoutMs?: number}} o
 */
export function createContext(o = {}) {
  const env = o.env || process.env;
  const files = paths(configDir(env));
  const config = readJson(files.config, {}) || {};
  const url = normalizeBase(o.url || env.DEVFOCUS_URL || config.url || DEFAULT_URL);
  const tokenSource = env.DEVFOCUS_TOKEN ? "DEVFOCUS_TOKEN" : config.token ? "config" : null;
  const token = env.DEVFOCUS_TOKEN || config.token || null;
  const timeoutMs = o.timeoutMs || Number(env.DEVFOCUS_TIMEOUT_MS) || 10_000;
  const stdout = o.stdout || process.stdout;
  const stderr = o.stderr || process.stderr;
  const json = Boolean(o.json);
  const ctx = {
    env,
    cwd: o.cwd || process.cwd(),
    stdout,
    stderr,
    stdin: o.stdin || process.stdin,
    json,
    files,
    config,
    settings: { url, token, tokenSource, timeoutMs },
    state: new State(files),
    journal: new Journal(files),
    c: palette(!json && colourEnabled(stdout, env)),
    ce: palette(colourEnabled(stderr, env)),
    /** A line for humans on stderr (notices, progress); JSON output on stdout stays clean. */
    note(text) {
      stderr.write(`${text}\n`);
    },
    _api: null,
    get api() {
      // Built from the settings as they are now (login and the hook change them).
      if (!this._api) this._api = new Api({ url: this.settings.url, token: this.settings.token, timeoutMs: this.settings.timeoutMs });
      return this._api;
    },
  };
  return ctx;
}

export function requireToken(ctx) {
  if (!ctx.settings.token) {
    throw new CliError("Not logged in.", { code: "NOT_LOGGED_IN", hint: "Run `devfocus login --url <api>` (or set DEVFOCUS_TOKEN)." });
  }
}

export const sessRef = (s) => (s.id ? { id: s.id } : { local: s.local });

export function describeSession(s) {
  const id = s.id ? `#${s.id} ` : "";
  return `${id}"${s.title || "(untitled)"}"`;
}

/** The state updates that follow a replayed journal entry: local ids become real ones. */
function applyReplayed(ctx, entry, result, refs) {
  const op = entry.op;
  ctx.state.update((s) => {
    const fill = (x) => {
      if (x && !x.id && x.local && typeof refs[x.local] === "number") x.id = refs[x.local];
    };
    fill(s.session);
    fill(s.last);
    if (op.op === "start" && s.session && s.session.local === op.local && result.session) {
      s.session.started_at = result.session.started_at;
      if (result.task && s.session.task && !s.session.task.id && s.session.task.label === (op.task && op.task.label)) {
        s.session.task = refOf(result.task, op.task.label);
      }
    }
    if (op.op === "switch" && result.to && s.session && s.session.task && !s.session.task.id && op.to && s.session.task.label === op.to.label) {
      s.session.task = refOf(result.to, op.to.label);
    }
    if (op.op === "attach" && result.task && s.session && s.session.task && !s.session.task.id && op.task && s.session.task.label === op.task.label) {
      s.session.task = refOf(result.task, op.task.label);
    }
  });
}

function applyFailed(ctx, entry, err) {
  const op = entry.op;
  if (op.op !== "start") return;
  ctx.state.update((s) => {
    if (s.session && s.session.local === op.local) s.session = null;
  });
}

export function describeOp(op) {
  const at = op.at ? clock(op.at) : "";
  switch (op.op) {
    case "start":
      return `start "${op.title}"${op.task ? ` on ${describeRef(op.task)}` : ""} at ${at}`;
    case "switch":
      return `switch ${describeRef(op.from)} → ${describeRef(op.to)} (${op.reason || "OTHER"}) at ${at}`;
    case "pause":
    case "resume":
    case "stop":
      return `${op.op} at ${at}`;
    case "attach":
      return `attach ${describeRef(op.task)} as ${op.role || "MAIN"}`;
    case "link":
      return `link ${op.url}`;
    default:
      return op.op;
  }
}

export function errorText(err) {
  if (err instanceof ApiError) return `${err.message}${err.details.length ? ` (${err.details.map((d) => `${d.path}: ${d.message}`).join("; ")})` : ""}`;
  return err.message;
}

/**
 * Replays the journal; says what happened on stderr (unless quiet). Used before every command that
 * talks to the API, by `devfocus sync`, and by `record` when earlier actions are still waiting.
 */
export async function syncJournal(ctx, { waitMs = 0, quiet = false, skipSeq = null } = {}) {
  if (!ctx.journal.count() || !ctx.settings.token) return { replayed: [], failed: [], remaining: ctx.journal.count(), busy: false, stopped: null };
  const r = await ctx.journal.sync(ctx.api, {
    waitMs,
    onApplied: (entry, result, refs) => applyReplayed(ctx, entry, result, refs),
    onFailed: (entry, err) => applyFailed(ctx, entry, err),
  });
  ctx.lastSync = r;
  if (!quiet) {
    const { ce } = ctx;
    const replayed = r.replayed.filter((x) => x.entry.seq !== skipSeq);
    if (replayed.length) ctx.note(ce.green(`↻ Synced ${replayed.length} journaled action${replayed.length === 1 ? "" : "s"} to ${ctx.settings.url}.`));
    for (const x of replayed) if (x.result && x.result.warning) ctx.note(ce.yellow(`  ${describeOp(x.entry.op)}: ${x.result.warning}`));
    for (const f of r.failed.filter((x) => x.entry.seq !== skipSeq)) {
      ctx.note(ce.red(`✗ The API refused a journaled action (${describeOp(f.entry.op)}): ${errorText(f.error)}`));
    }
    // Offline is said by the command itself (journaled, or unreachable); other stops deserve a word here.
    if (r.stopped && r.remaining && !(r.stopped instanceof Unreachable)) {
      const why = r.stopped instanceof Unreachable ? "the API is still unreachable" : errorText(r.stopped);
      ctx.note(ce.yellow(`… ${r.remaining} journaled action${r.remaining === 1 ? "" : "s"} waiting: ${why}.`));
    }
  }
  return r;
}

/**
 * Sends an op to the API — or, when the API cannot be reached (or earlier journaled actions are still
 * waiting, to keep the order), appends it to the journal with its real timestamp.
 * @returns {Promise<{mode: "online", result: any} | {mode: "offline", entry: any, why: string}>}
 */
export async function record(ctx, op) {
  requireToken(ctx);
  if (ctx.journal.count() > 0) {
    const entry = ctx.journal.append(op);
    // Already found unreachable by the replay before this command: no second wait for it.
    if (ctx.lastSync && ctx.lastSync.stopped instanceof Unreachable) return { mode: "offline", entry, why: ctx.lastSync.stopped.message };
    const r = await syncJournal(ctx, { waitMs: 2000, skipSeq: entry.seq });
    const mine = r.replayed.find((x) => x.entry.seq === entry.seq);
    if (mine) return { mode: "online", result: mine.result };
    const refused = r.failed.find((x) => x.entry.seq === entry.seq);
    if (refused) throw refused.error;
    const why = r.stopped ? (r.stopped instanceof Unreachable ? r.stopped.message : errorText(r.stopped)) : "earlier journaled actions are still waiting";
    return { mode: "offline", entry, why };
  }
  const progress = {};
  try {
    return { mode: "online", result: await runOp(ctx.api, op, { progress }) };
  } catch (err) {
    if (!(err instanceof Unreachable)) throw err;
    if (op.op === "start" && progress.session) {
      // The session exists; only attaching its task is left for later.
      ctx.journal.append({ op: "attach", session: { id: progress.session.id }, task: op.task, role: "MAIN", at: op.at });
      return { mode: "online", result: { session: progress.session, task: null, attachQueued: true } };
    }
    const entry = ctx.journal.append(op);
    return { mode: "offline", entry, why: err.message };
  }
}

/** The text that says an action went to the journal. */
export function offlineText(ctx, r) {
  const n = ctx.journal.count();
  return ctx.c.yellow(`  offline — ${r.why}`) + `\n  Saved to the journal (${n} waiting); \`devfocus sync\` replays it, and every later command tries to.`;
}

/** Merges what the API says about the current session into the local record (keeping the current task). */
function mergeDetail(local, d) {
  const fresh = sessionFromApi(d);
  const pauses = [...(local.pauses || [])];
  const open = pauses.find((p) => !p.to);
  if (d.status === "PAUSED" && !open) pauses.push({ from: d.updated_at, to: null });
  if (d.status !== "PAUSED" && open) open.to = d.updated_at;
  return { ...fresh, pauses, task: local.task || fresh.task, local: local.local || null };
}

/**
 * The current session: local state checked against the API (closed elsewhere → forgotten), or when
 * there is none locally, the latest OPEN or PAUSED session on the API (adopted into local state).
 * @returns {Promise<{session: any, detail: any, unreachable?: boolean, adopted?: boolean}>}
 */
export async function currentSession(ctx) {
  const s = ctx.state.read().session;
  const queued = ctx.journal.count() > 0;
  if (s && (!s.id || queued || !ctx.settings.token)) return { session: s, detail: null, unreachable: queued };
  try {
    if (s) {
      const d = await ctx.api.get(`/sessions/${s.id}/`);
      if (d.status === "DONE") {
        ctx.state.update((st) => {
          if (st.session && st.session.id === d.id) {
            st.session = null;
            st.last = { id: d.id, local: null, title: d.title, ended_at: d.ended_at };
          }
        });
        return { session: null, detail: null, closedElsewhere: d };
      }
      const merged = ctx.state.update((st) => {
        if (st.session && st.session.id === d.id) st.session = mergeDetail(st.session, d);
        return st.session;
      });
      return { session: merged, detail: d };
    }
    if (!ctx.settings.token) return { session: null, detail: null };
    for (const status of ["OPEN", "PAUSED"]) {
      const page = await ctx.api.get("/sessions/", { status, page_size: 1, ordering: "-started_at" });
      if (page.results.length) {
        const d = await ctx.api.get(`/sessions/${page.results[0].id}/`);
        const adopted = ctx.state.update((st) => {
          st.session = sessionFromApi(d);
          return st.session;
        });
        return { session: adopted, detail: d, adopted: true };
      }
    }
    return { session: null, detail: null };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && s) {
      ctx.state.update((st) => {
        if (st.session && st.session.id === s.id) st.session = null;
      });
      return { session: null, detail: null };
    }
    if (err instanceof Unreachable) return { session: s, detail: null, unreachable: true };
    throw err;
  }
}

export async function requireSession(ctx) {
  const r = await currentSession(ctx);
  if (!r.session) {
    throw new CliError("No session running.", { code: "NO_SESSION", hint: 'Start one: devfocus start "<what you are working on>"' });
  }
  return r;
}

/** Appends a line to the hook's log (kept small): the hook is silent, this is where to look. */
export function hookLog(ctx, line) {
  try {
    const file = ctx.files.hookLog;
    let size = 0;
    try {
      size = fs.statSync(file).size;
    } catch {
      /* new file */
    }
    if (size > 64 * 1024) {
      const text = fs.readFileSync(file, "utf8");
      fs.writeFileSync(file, text.slice(text.length / 2), { mode: 0o600 });
    }
    fs.mkdirSync(ctx.files.dir, { recursive: true, mode: 0o700 });
    fs.appendFileSync(file, `${line}\n`, { mode: 0o600 });
  } catch {
    /* the hook stays silent whatever happens */
  }
}
