// What every command runs with: settings (URL, token), files, state, journal, output, the user's
// calendar, and the two shared workflows — `record` (send an op, or journal it when the API is away)
// and `syncJournal`.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { BookmarkStore, Schemas } from "../../client/index.ts";
import type { DayPrefs } from "../../src/platform/time.ts";
import { Api, ApiError, DEFAULT_URL, normalizeBase, Unreachable } from "./api.ts";
import { CALENDAR_MAX_AGE_MS, cachedCalendar, calendarKey, clockFor, machineCalendar, prefsOf, type Clock } from "./calendar.ts";
import { CliError } from "./errors.ts";
import { configDir, ensureDir, isRecord, paths, readJson, type Paths } from "./files.ts";
import { Journal, type Entry, type SyncResult } from "./journal.ts";
import { runOp, type Op, type OpResult, type ResultOf, type SessionRef } from "./ops.ts";
import { colourEnabled, palette, plural, type Palette, type Stream } from "./output.ts";
import type { Input } from "./prompt.ts";
import { sessionFromApi, State, type LocalSession } from "./state.ts";
import { describeRef, refOf } from "./tasks.ts";

export const nowIso = () => new Date().toISOString();
export const newLocalId = () => `local-${randomUUID()}`;

/** config.json, written by `login`. */
export interface Config {
  url?: string;
  token?: string;
  email?: string;
  user_id?: number;
  logged_in_at?: string;
}

export function readConfig(file: string): Config {
  const c = readJson(file);
  if (!isRecord(c)) return {};
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  return {
    url: str(c.url),
    token: str(c.token),
    email: str(c.email),
    user_id: typeof c.user_id === "number" ? c.user_id : undefined,
    logged_in_at: str(c.logged_in_at),
  };
}

export interface Settings {
  url: string;
  token: string | null;
  tokenSource: "DEVFOCUS_TOKEN" | "config" | null;
  timeoutMs: number;
}

export interface Io {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: Stream;
  stderr: Stream & NodeJS.WritableStream;
  stdin: Input;
}

export class Context {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly stdout: Stream;
  readonly stderr: Stream & NodeJS.WritableStream;
  readonly stdin: Input;
  readonly json: boolean;
  readonly files: Paths;
  readonly config: Config;
  readonly settings: Settings;
  readonly state: State;
  readonly journal: Journal;
  /** colours for stdout (none with --json) and for stderr */
  readonly c: Palette;
  readonly ce: Palette;
  /** the last replay of the journal this run */
  lastSync: SyncResult | null = null;
  private api_: Api | null = null;
  private prefs_: DayPrefs | null = null;

  constructor(io: Io, { json = false, url }: { json?: boolean; url?: string }) {
    this.env = io.env;
    this.cwd = io.cwd;
    this.stdout = io.stdout;
    this.stderr = io.stderr;
    this.stdin = io.stdin;
    this.json = json;
    this.files = paths(configDir(io.env));
    this.config = readConfig(this.files.config);
    const env = io.env;
    this.settings = {
      url: normalizeBase(url || env.DEVFOCUS_URL || this.config.url || DEFAULT_URL),
      token: env.DEVFOCUS_TOKEN || this.config.token || null,
      tokenSource: env.DEVFOCUS_TOKEN ? "DEVFOCUS_TOKEN" : this.config.token ? "config" : null,
      timeoutMs: Number(env.DEVFOCUS_TIMEOUT_MS) || 10_000,
    };
    this.state = new State(this.files);
    this.journal = new Journal(this.files);
    this.c = palette(!json && colourEnabled(io.stdout, env));
    this.ce = palette(colourEnabled(io.stderr, env));
  }

  /** The API client, built from the settings as they are now (login and the hook change them). */
  get api(): Api {
    this.api_ ??= new Api({ url: this.settings.url, token: this.settings.token, timeoutMs: this.settings.timeoutMs, bookmarks: fileBookmarks(this.files.bookmark) });
    return this.api_;
  }

  resetApi(): void {
    this.api_ = null;
    this.prefs_ = null;
  }

  /** A line for humans on stderr (notices, progress); JSON output on stdout stays clean. */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  /** Keeps the user's time zone and day start for showing times (from login, whoami or GET /me). */
  rememberCalendar(user: Pick<Schemas["User"], "timezone" | "day_start_hour">): void {
    if (!this.settings.token) return;
    const cached = cachedCalendar(user, calendarKey(this.settings.url, this.settings.token));
    this.state.update((s) => {
      s.calendar = cached;
    });
    this.prefs_ = prefsOf(cached);
  }

  /**
   * The user's calendar: cached, else (or once a day) from GET /api/auth/me/ — never waited for when the
   * API already proved unreachable in this run; the machine's time zone when nothing better is known.
   */
  async calendar(): Promise<DayPrefs> {
    if (this.prefs_) return this.prefs_;
    const { token, url } = this.settings;
    const cached = this.state.read().calendar;
    const mine = token && cached && cached.key === calendarKey(url, token) ? cached : null;
    const fresh = mine !== null && Date.now() - Date.parse(mine.fetched_at) < CALENDAR_MAX_AGE_MS;
    if (!fresh && token && !this.api.unreachable && !(this.lastSync?.stopped instanceof Unreachable)) {
      try {
        this.rememberCalendar(await this.api.data(this.api.client.GET("/api/auth/me")));
        if (this.prefs_) return this.prefs_;
      } catch (err) {
        if (!(err instanceof CliError)) throw err; // unreachable or refused: what we have will do
      }
    }
    this.prefs_ = prefsOf(mine) ?? machineCalendar();
    return this.prefs_;
  }

  async clock(): Promise<Clock> {
    return clockFor(await this.calendar());
  }
}

export function requireToken(ctx: Context): void {
  if (!ctx.settings.token) {
    throw new CliError("Not logged in.", { code: "NOT_LOGGED_IN", hint: "Run `devfocus login --url <api>` (or set DEVFOCUS_TOKEN)." });
  }
}

export const sessRef = (s: Pick<LocalSession, "id" | "local">): SessionRef => (s.id ? { id: s.id } : { local: s.local ?? "" });

export function describeSession(s: { id: number | null; title: string }): string {
  return `${s.id ? `#${s.id} ` : ""}"${s.title || "(untitled)"}"`;
}

/** The result a journal entry's own op produced (the journal keeps them side by side). */
const resultOf = <O extends Op>(_op: O, result: OpResult) => result as ResultOf<O>;

/** The state updates that follow a replayed journal entry: local ids become real ones. */
function applyReplayed(ctx: Context, entry: Entry, result: OpResult, refs: Record<string, number>) {
  const op = entry.op;
  ctx.state.update((s) => {
    for (const x of [s.session, s.last]) {
      const id = x && !x.id && x.local ? refs[x.local] : undefined;
      if (x && typeof id === "number") x.id = id;
    }
    const current = s.session;
    const unresolved = current?.task && !current.task.id ? current.task : null;
    if (op.op === "start" && current && current.local === op.local) {
      const r = resultOf(op, result);
      current.started_at = r.session.started_at;
      if (r.task && unresolved && unresolved.label === op.task?.label) current.task = refOf(r.task, op.task.label);
    }
    if (op.op === "switch" && current && unresolved && op.to && unresolved.label === op.to.label) {
      const r = resultOf(op, result);
      if (r.to) current.task = refOf(r.to, op.to.label);
    }
    if (op.op === "attach" && current && unresolved && op.task && unresolved.label === op.task.label) {
      const r = resultOf(op, result);
      if (r.task) current.task = refOf(r.task, op.task.label);
    }
  });
}

function applyFailed(ctx: Context, entry: Entry) {
  const op = entry.op;
  if (op.op !== "start") return;
  ctx.state.update((s) => {
    if (s.session && s.session.local === op.local) s.session = null;
  });
}

export function describeOp(op: Op, clock: Clock): string {
  const at = clock(op.at);
  switch (op.op) {
    case "start":
      return `start "${op.title}"${op.task ? ` on ${describeRef(op.task)}` : ""} at ${at}`;
    case "switch":
      return `switch ${describeRef(op.from)} → ${op.to ? describeRef(op.to) : "no task"}${op.reason ? ` (${op.reason})` : ""} at ${at}`;
    case "pause":
    case "resume":
    case "stop":
      return `${op.op} at ${at}`;
    case "attach":
      return `attach ${describeRef(op.task)} as ${op.role}`;
    case "link":
      return `link ${op.url}`;
  }
}

export function errorText(err: Error): string {
  if (err instanceof ApiError && err.details.length) return `${err.message} (${err.details.map((d) => `${d.path}: ${d.message}`).join("; ")})`;
  return err.message;
}

/**
 * Replays the journal; says what happened on stderr (unless quiet). Used before every command that
 * talks to the API, by `devfocus sync`, and by `record` when earlier actions are still waiting.
 */
export async function syncJournal(ctx: Context, { waitMs = 0, quiet = false, skipSeq = null as number | null } = {}): Promise<SyncResult> {
  if (!ctx.journal.count() || !ctx.settings.token) {
    return { replayed: [], failed: [], remaining: ctx.journal.count(), busy: false, stopped: null };
  }
  const r = await ctx.journal.sync(ctx.api, {
    waitMs,
    onApplied: (entry, result, refs) => applyReplayed(ctx, entry, result, refs),
    onFailed: (entry) => applyFailed(ctx, entry),
  });
  ctx.lastSync = r;
  if (!quiet) {
    const { ce } = ctx;
    const replayed = r.replayed.filter((x) => x.entry.seq !== skipSeq);
    const failed = r.failed.filter((x) => x.entry.seq !== skipSeq);
    const clock = replayed.length || failed.length ? await ctx.clock() : null;
    if (replayed.length) ctx.note(ce.green(`↻ Synced ${plural(replayed.length, "journaled action")} to ${ctx.settings.url}.`));
    for (const x of replayed) {
      const warning = "warning" in x.result ? x.result.warning : undefined;
      if (warning && clock) ctx.note(ce.yellow(`  ${describeOp(x.entry.op, clock)}: ${warning}`));
    }
    for (const f of failed) {
      if (clock) ctx.note(ce.red(`✗ The API refused a journaled action (${describeOp(f.entry.op, clock)}): ${errorText(f.error)}`));
    }
    // Offline is said by the command itself (journaled, or unreachable); other stops deserve a word here.
    if (r.stopped && r.remaining && !(r.stopped instanceof Unreachable)) {
      ctx.note(ce.yellow(`… ${plural(r.remaining, "journaled action")} waiting: ${errorText(r.stopped)}.`));
    }
  }
  return r;
}

export type Recorded<O extends Op> = { mode: "online"; result: ResultOf<O> } | { mode: "offline"; entry: Entry; why: string };

/**
 * Sends an op to the API — or, when the API cannot be reached (or earlier journaled actions are still
 * waiting, to keep the order), appends it to the journal with its real timestamp.
 */
export async function record<O extends Op>(ctx: Context, op: O): Promise<Recorded<O>> {
  requireToken(ctx);
  if (ctx.journal.count() > 0) {
    const entry = ctx.journal.append(op);
    // Already found unreachable by the replay before this command: no second wait for it.
    if (ctx.lastSync?.stopped instanceof Unreachable) return { mode: "offline", entry, why: ctx.lastSync.stopped.message };
    const r = await syncJournal(ctx, { waitMs: 2000, skipSeq: entry.seq });
    const mine = r.replayed.find((x) => x.entry.seq === entry.seq);
    if (mine) return { mode: "online", result: resultOf(op, mine.result) };
    const refused = r.failed.find((x) => x.entry.seq === entry.seq);
    if (refused) throw refused.error;
    const why = r.stopped ? (r.stopped instanceof Unreachable ? r.stopped.message : errorText(r.stopped)) : "earlier journaled actions are still waiting";
    return { mode: "offline", entry, why };
  }
  const progress: { session?: Schemas["DevSessionDetail"] } = {};
  try {
    return { mode: "online", result: await runOp(ctx.api, op, { progress }) };
  } catch (err) {
    if (!(err instanceof Unreachable)) throw err;
    if (op.op === "start" && progress.session) {
      // The session exists; only attaching its task is left for later.
      ctx.journal.append({ op: "attach", session: { id: progress.session.id }, task: op.task, role: "MAIN", at: op.at });
      return { mode: "online", result: resultOf(op, { session: progress.session, task: null, team: null, attachQueued: true }) };
    }
    const entry = ctx.journal.append(op);
    return { mode: "offline", entry, why: err.message };
  }
}

/** The text that says an action went to the journal. */
export function offlineText(ctx: Context, r: { why: string }): string {
  const n = ctx.journal.count();
  return ctx.c.yellow(`  offline — ${r.why}`) + `\n  Saved to the journal (${n} waiting); \`devfocus sync\` replays it, and every later command tries to.`;
}

/** What `offline: true` commands put in their --json output. */
export const journaled = (ctx: Context, entry: Entry, op: Op) => ({ offline: true, journal: { seq: entry.seq, waiting: ctx.journal.count() }, op });

/** Merges what the API says about the current session into the local record (keeping the current task). */
function mergeDetail(local: LocalSession, d: Schemas["DevSessionDetail"]): LocalSession {
  const fresh = sessionFromApi(d);
  const pauses = [...local.pauses];
  const open = pauses.find((p) => !p.to);
  if (d.status === "PAUSED" && !open) pauses.push({ from: d.updated_at, to: null });
  if (d.status !== "PAUSED" && open) open.to = d.updated_at;
  // `task` may be null on purpose (a switch to no task): only a session never given one takes the API's.
  const task = local.task !== null || local.tasks.length ? local.task : fresh.task;
  return { ...fresh, pauses, task, local: local.local };
}

export interface Current {
  session: LocalSession | null;
  detail: Schemas["DevSessionDetail"] | null;
  unreachable?: boolean;
  adopted?: boolean;
}

/**
 * The current session: local state checked against the API (closed elsewhere → forgotten), or when
 * there is none locally, the latest OPEN or PAUSED session on the API (adopted into local state).
 */
export async function currentSession(ctx: Context): Promise<Current> {
  const s = ctx.state.read().session;
  const queued = ctx.journal.count() > 0;
  if (s && (!s.id || queued || !ctx.settings.token)) return { session: s, detail: null, unreachable: queued };
  const { api } = ctx;
  try {
    if (s && s.id) {
      const id = s.id;
      const d = await api.data(api.client.GET("/api/sessions/{id}", { params: { path: { id } } }));
      if (d.status === "DONE") {
        ctx.state.update((st) => {
          if (st.session && st.session.id === d.id) {
            st.session = null;
            st.last = { id: d.id, local: null, title: d.title, ended_at: d.ended_at };
          }
        });
        return { session: null, detail: null };
      }
      const merged = ctx.state.update((st) => {
        if (st.session && st.session.id === d.id) st.session = mergeDetail(st.session, d);
        return st.session;
      });
      return { session: merged, detail: d };
    }
    if (!ctx.settings.token) return { session: null, detail: null };
    for (const status of ["OPEN", "PAUSED"] as const) {
      const page = await api.data(api.client.GET("/api/sessions", { params: { query: { status, page_size: 1, ordering: "-started_at" } } }));
      const first = page.results[0];
      if (first) {
        const d = await api.data(api.client.GET("/api/sessions/{id}", { params: { path: { id: first.id } } }));
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

export async function requireSession(ctx: Context): Promise<Current & { session: LocalSession }> {
  const r = await currentSession(ctx);
  if (!r.session) {
    throw new CliError("No session running.", { code: "NO_SESSION", hint: 'Start one: devfocus start "<what you are working on>"' });
  }
  return { ...r, session: r.session };
}

/** Appends a line to the hook's log (kept small): the hook is silent, this is where to look. */
export function hookLog(ctx: Context, line: string): void {
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

/**
 * The D1 bookmark kept in a file between commands, so that `devfocus status` right after `devfocus start`
 * reads the session it started even from a replica. Best effort: a file that cannot be read or written
 * only costs that guarantee.
 */
export function fileBookmarks(file: string): BookmarkStore {
  let last: string | null | undefined;
  return {
    get() {
      if (last === undefined) {
        try {
          last = fs.readFileSync(file, "utf8").trim() || null;
        } catch {
          last = null;
        }
      }
      return last;
    },
    set(bookmark) {
      if (bookmark === last) return;
      last = bookmark;
      try {
        ensureDir(path.dirname(file));
        fs.writeFileSync(file, bookmark, { mode: 0o600 });
      } catch {
        /* best effort */
      }
    },
  };
}
