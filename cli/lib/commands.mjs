// The commands. Each returns {json, text}: `json` is printed with --json, `text` otherwise.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Api, ApiError, DEFAULT_URL, normalizeBase, Unreachable } from "./api.mjs";
import {
  currentSession,
  describeOp,
  describeSession,
  errorText,
  hookLog,
  newLocalId,
  nowIso,
  offlineText,
  record,
  requireSession,
  requireToken,
  sessRef,
  syncJournal,
} from "./context.mjs";
import { CliError, UsageError } from "./errors.mjs";
import { acquireLock, readJson, writeJson } from "./files.mjs";
import { hookStatus, installHook, uninstallHook } from "./hook.mjs";
import { resolveTeam, RESOURCE_TYPES, SWITCH_REASONS } from "./ops.mjs";
import { clock, duration, table, truncate } from "./output.mjs";
import { promptLine, promptPassword } from "./prompt.mjs";
import { renderReport } from "./report.mjs";
import { followStream } from "./sse.mjs";
import { currentStretch, focusSoFar, sessionFromApi } from "./state.mjs";
import { describeRef, gitCurrentBranch, gitOriginRepo, parseBranch, parseTaskArg, refOf } from "./tasks.mjs";

const CLI_PATH = fileURLToPath(new URL("../devfocus.mjs", import.meta.url));

const out = (json, text) => ({ json, text });

function normReason(value) {
  if (value === undefined) return "OTHER";
  const r = String(value).trim().toUpperCase().replace(/[-\s]/g, "_");
  if (!SWITCH_REASONS.includes(r)) throw new UsageError(`--reason must be one of ${SWITCH_REASONS.join(", ")} (got "${value}").`);
  return r;
}

function normType(value, url) {
  if (value === undefined) {
    if (/\/pull\/\d+|\/merge_requests\/\d+/.test(url)) return "PR";
    if (/\/issues\/\d+/.test(url)) return "ISSUE";
    return "OTHER";
  }
  const t = String(value).trim().toUpperCase();
  if (!RESOURCE_TYPES.includes(t)) throw new UsageError(`--type must be one of ${RESOURCE_TYPES.join(", ")} (got "${value}").`);
  return t;
}

const addTask = (tasks, ref, role) => {
  const list = [...(tasks || [])];
  if (!list.some((t) => (ref.id && t.id === ref.id) || (!ref.id && t.label === ref.label))) list.push({ ...ref, role });
  return list;
};

// ───────────────────────────── account ─────────────────────────────

async function login(ctx, { values }) {
  const url = normalizeBase(values.url || ctx.env.DEVFOCUS_URL || ctx.config.url || DEFAULT_URL);
  const who = values.email || (await promptLine(`Email${ctx.config.email ? ` [${ctx.config.email}]` : ""}: `, ctx)) || ctx.config.email;
  if (!who) throw new UsageError("An email is needed: devfocus login --email you@example.com");
  const password = await promptPassword("Password: ", ctx);
  if (!password) throw new UsageError("An empty password was given.");
  const api = new Api({ url, timeoutMs: ctx.settings.timeoutMs });
  const res = await api.post("/auth/login/", { email: who, password });
  const prev = readJson(ctx.files.config, {}) || {};
  writeJson(ctx.files.config, { url, token: res.token, email: res.user.email, user_id: res.user.id, logged_in_at: nowIso() });
  const switchedAccount = prev.url !== url || prev.user_id !== res.user.id;
  let dropped = null;
  if (switchedAccount) {
    ctx.state.update((s) => {
      dropped = s.session;
      s.session = null;
      s.last = null;
      s.branches = {};
    });
  }
  ctx.settings.url = url;
  ctx.settings.token = ctx.env.DEVFOCUS_TOKEN || res.token;
  ctx._api = null;
  await syncJournal(ctx, { waitMs: 2000 });
  const lines = [`${ctx.c.green("✓")} Logged in to ${url} as ${ctx.c.bold(res.user.email)}.`, ctx.c.dim(`  Token saved in ${ctx.files.config} (mode 600).`)];
  if (ctx.env.DEVFOCUS_TOKEN) lines.push(ctx.c.yellow("  Note: DEVFOCUS_TOKEN is set and takes precedence over the saved token."));
  if (dropped) lines.push(ctx.c.dim(`  Forgot the local record of session ${describeSession(dropped)} (another account or API).`));
  return out({ url, user: res.user, config: ctx.files.config }, lines.join("\n"));
}

async function logout(ctx) {
  const config = readJson(ctx.files.config, {}) || {};
  if (!config.token) return out({ logged_out: false, reason: "not logged in" }, "Not logged in.");
  const notes = [];
  try {
    await new Api({ url: config.url || ctx.settings.url, token: config.token, timeoutMs: ctx.settings.timeoutMs }).post("/auth/logout/");
  } catch (err) {
    if (err instanceof Unreachable) notes.push(ctx.c.yellow(`  ${err.message} The token was forgotten here but is still valid on the server until it expires or is revoked.`));
    else if (!(err instanceof ApiError && err.status === 401)) throw err;
  }
  delete config.token;
  writeJson(ctx.files.config, config);
  return out({ logged_out: true, revoked: notes.length === 0 }, [`${ctx.c.green("✓")} Logged out${notes.length ? "" : " (token revoked)"}.`, ...notes].join("\n"));
}

async function whoami(ctx) {
  requireToken(ctx);
  const me = await ctx.api.get("/auth/me/");
  const { c } = ctx;
  const text = [
    `${c.bold(me.email)}${me.name ? ` (${me.name})` : ""}`,
    c.dim(`  time zone ${me.timezone} · day starts ${String(me.day_start_hour).padStart(2, "0")}:00 · week starts ${me.week_start}`),
    c.dim(`  API ${ctx.settings.url} · token from ${ctx.settings.tokenSource === "DEVFOCUS_TOKEN" ? "DEVFOCUS_TOKEN" : ctx.files.config}`),
  ].join("\n");
  return out({ user: me, url: ctx.settings.url, token_source: ctx.settings.tokenSource }, text);
}

// ───────────────────────────── session ─────────────────────────────

async function start(ctx, { values, positionals }) {
  const title = positionals.join(" ").trim();
  if (!title) throw new UsageError('Give the session a title: devfocus start "Fix the login redirect"');
  requireToken(ctx);
  const cur = await currentSession(ctx);
  if (cur.session) {
    throw new CliError(`A session is already running: ${describeSession(cur.session)}, started ${clock(cur.session.started_at)}.`, {
      code: "SESSION_RUNNING",
      hint: "Stop it first with `devfocus stop`.",
    });
  }
  let task = null;
  let branch = null;
  if (values.task) task = parseTaskArg(values.task);
  else {
    branch = gitCurrentBranch(ctx.cwd);
    const parsed = branch ? parseBranch(branch, gitOriginRepo(ctx.cwd)) : null;
    if (parsed) task = { label: parsed.label, candidates: parsed.candidates, soft: true };
    else branch = null;
  }
  const op = { op: "start", local: newLocalId(), title, team: values.team ?? null, task, at: nowIso() };
  const r = await record(ctx, op);
  const { c } = ctx;
  if (r.mode === "online") {
    const { session, task: resolved } = r.result;
    const local = sessionFromApi(session);
    if (resolved) local.task = refOf(resolved, task && task.label);
    else if (r.result.attachQueued && task) local.task = task;
    ctx.state.update((s) => {
      s.session = local;
    });
    const lines = [`${c.green("▶")} Started ${c.bold(describeSession(session))} at ${clock(session.started_at)}${session.team ? c.dim(` · team ${session.team}`) : ""}.`];
    if (resolved) lines.push(`  task ${describeRef(refOf(resolved))}${resolved.external_key ? c.dim(` (${resolved.external_key})`) : ""} ${c.dim("MAIN")}${branch ? c.dim(` — from branch ${branch}`) : ""}`);
    else if (branch) lines.push(c.dim(`  branch ${branch} names no task you can see; no task attached.`));
    if (r.result.attachQueued) lines.push(c.yellow("  The API went away before the task was attached: that is journaled and will follow."));
    return out({ offline: false, session, task: resolved || null }, lines.join("\n"));
  }
  ctx.state.update((s) => {
    s.session = { id: null, local: op.local, title, team: op.team, started_at: op.at, status: "OPEN", pauses: [], task, tasks: task ? [{ ...task, role: "MAIN" }] : [] };
  });
  const text = `${c.green("▶")} Started ${c.bold(`"${title}"`)} at ${clock(op.at)}${task ? ` on ${describeRef(task)}` : ""}.\n${offlineText(ctx, r)}`;
  return out({ offline: true, journal: { seq: r.entry.seq, waiting: ctx.journal.count() }, op }, text);
}

async function switchTask(ctx, { values, positionals }) {
  const target = values.to ?? positionals[0];
  if (!target) throw new UsageError("Which task? devfocus switch --to <id|owner/repo#n>");
  const reason = normReason(values.reason);
  const to = parseTaskArg(target);
  requireToken(ctx);
  const { session } = await requireSession(ctx);
  const from = session.task || null;
  const op = { op: "switch", session: sessRef(session), from, to, reason, note: values.note || "", at: nowIso() };
  const r = await record(ctx, op);
  const { c } = ctx;
  if (r.mode === "online") {
    if (r.result.skipped) return out({ offline: false, skipped: r.result.skipped }, c.dim(`Nothing recorded: ${r.result.skipped}.`));
    const ref = refOf(r.result.to, to.label);
    ctx.state.update((s) => {
      if (!s.session) return;
      s.session.task = ref;
      s.session.tasks = addTask(s.session.tasks, ref, "SIDE");
    });
    const sw = r.result.switch;
    const text = `${c.magenta("⇄")} ${describeRef(r.result.from ? refOf(r.result.from) : null)} → ${c.bold(describeRef(ref))} · ${sw.reason}${sw.note ? c.dim(` · “${sw.note}”`) : ""} ${c.dim(`at ${clock(sw.happened_at)}`)}`;
    return out({ offline: false, switch: sw, from: r.result.from, to: r.result.to }, text);
  }
  ctx.state.update((s) => {
    if (!s.session) return;
    s.session.task = to;
    s.session.tasks = addTask(s.session.tasks, to, "SIDE");
  });
  const text = `${c.magenta("⇄")} ${describeRef(from)} → ${c.bold(describeRef(to))} · ${reason} at ${clock(op.at)}.\n${offlineText(ctx, r)}`;
  return out({ offline: true, journal: { seq: r.entry.seq, waiting: ctx.journal.count() }, op }, text);
}

function pauseOrResume(action) {
  return async (ctx) => {
    requireToken(ctx);
    const cur = await requireSession(ctx);
    const { session } = cur;
    const want = action === "pause" ? "OPEN" : "PAUSED";
    // Online, the API is the judge (and its message is shown); offline, the local record is.
    if ((cur.unreachable || !session.id) && session.status !== want) {
      throw new CliError(`Cannot ${action} a session that is ${session.status} (local record).`, { code: "CONFLICT" });
    }
    const op = { op: action, session: sessRef(session), at: nowIso() };
    const r = await record(ctx, op);
    const { c } = ctx;
    const at = r.mode === "online" ? r.result.session.updated_at : op.at;
    ctx.state.update((s) => {
      if (!s.session) return;
      s.session.status = action === "pause" ? "PAUSED" : "OPEN";
      s.session.pauses = s.session.pauses || [];
      if (action === "pause") s.session.pauses.push({ from: at, to: null });
      else for (const p of s.session.pauses) if (!p.to) p.to = at;
    });
    const mark = action === "pause" ? c.yellow("❚❚ Paused") : c.green("▶ Resumed");
    const head = `${mark} ${describeSession(r.mode === "online" ? r.result.session : session)} at ${clock(at)}.`;
    if (r.mode === "online") return out({ offline: false, session: r.result.session }, head);
    return out({ offline: true, journal: { seq: r.entry.seq, waiting: ctx.journal.count() }, op }, `${head}\n${offlineText(ctx, r)}`);
  };
}

async function stop(ctx) {
  requireToken(ctx);
  const { session } = await requireSession(ctx);
  const op = { op: "stop", session: sessRef(session), at: nowIso() };
  const r = await record(ctx, op);
  const { c } = ctx;
  if (r.mode === "online") {
    const d = r.result.session;
    ctx.state.update((s) => {
      s.session = null;
      s.last = { id: d.id, local: null, title: d.title, ended_at: d.ended_at, focus_minutes: d.total_focus_minutes, switch_count: d.switch_count };
    });
    const text = `${c.red("■")} Stopped ${c.bold(describeSession(d))} · ${duration(d.total_focus_minutes)} of focus · ${d.switch_count} switch${d.switch_count === 1 ? "" : "es"}.`;
    return out({ offline: false, session: d }, text);
  }
  const focus = focusSoFar(session, Date.parse(op.at));
  ctx.state.update((s) => {
    s.session = null;
    s.last = { id: session.id, local: session.local, title: session.title, ended_at: op.at, focus_minutes: focus };
  });
  const text = `${c.red("■")} Stopped ${c.bold(describeSession(session))} at ${clock(op.at)} · about ${duration(focus)} of focus.\n${offlineText(ctx, r)}`;
  return out({ offline: true, journal: { seq: r.entry.seq, waiting: ctx.journal.count() }, op }, text);
}

async function status(ctx) {
  const { c } = ctx;
  if (!ctx.settings.token && !ctx.state.read().session) requireToken(ctx);
  const waiting = ctx.journal.count();
  const r = await currentSession(ctx);
  const offlineNote = r.unreachable ? c.yellow(`  offline — local record${waiting ? `; ${waiting} journaled action${waiting === 1 ? "" : "s"} waiting to sync` : ""}.`) : null;
  if (!r.session) {
    const last = ctx.state.read().last;
    let lastDetail = null;
    if (last && last.id && ctx.settings.token && !waiting) {
      try {
        lastDetail = await ctx.api.get(`/sessions/${last.id}/`);
      } catch (err) {
        if (!(err instanceof Unreachable || (err instanceof ApiError && err.status === 404))) throw err;
      }
    }
    const lines = [c.dim("No session running.") + ' Start one: devfocus start "<what you are working on>"'];
    if (lastDetail) {
      lines.push(`Last: ${describeSession(lastDetail)} ${c.dim(`${clock(lastDetail.started_at)}–${clock(lastDetail.ended_at)}`)} · ${duration(lastDetail.total_focus_minutes)} of focus · ${lastDetail.switch_count} switch${lastDetail.switch_count === 1 ? "" : "es"}`);
    } else if (last) {
      lines.push(`Last: ${describeSession(last)} ended ${clock(last.ended_at)}${last.focus_minutes !== undefined ? ` · about ${duration(last.focus_minutes)} of focus` : ""}`);
    }
    if (offlineNote) lines.push(offlineNote);
    else if (waiting) lines.push(c.yellow(`  ${waiting} journaled action${waiting === 1 ? "" : "s"} waiting to sync.`));
    return out({ session: null, last: lastDetail || last || null, journal: { waiting }, offline: Boolean(r.unreachable) }, lines.join("\n"));
  }
  const s = r.session;
  const d = r.detail;
  let switches = [];
  if (d) switches = await ctx.api.list("/context-switches/", { dev_session: d.id, ordering: "-happened_at" }, { max: 200 });
  const focus = focusSoFar(s);
  const stretch = currentStretch(s, d ? d.last_switch_at : null);
  const titles = new Map((s.tasks || []).filter((t) => t.id).map((t) => [t.id, t.title]));
  const taskName = (id) => (id ? `#${id}${titles.get(id) ? ` ${truncate(titles.get(id), 24)}` : ""}` : "—");
  const statusWord = s.status === "PAUSED" ? c.yellow("PAUSED") : c.green(s.status);
  const lines = [
    `${s.status === "PAUSED" ? c.yellow("❚❚") : c.green("●")} ${c.bold(describeSession(s))} ${statusWord}${r.adopted ? c.dim(" (picked up from the API)") : ""}`,
    table([
      ["  started", `${clock(s.started_at)} ${c.dim(`(${duration(Math.floor((Date.now() - Date.parse(s.started_at)) / 60000))} ago)`)}`],
      ["  focus", `${c.bold(duration(focus))} so far${s.status === "PAUSED" ? c.dim(" · paused now") : ` · current stretch ${duration(stretch)}`}`],
      ["  switches", d ? `${d.switch_count}${d.last_switch_at ? c.dim(` · last at ${clock(d.last_switch_at)}`) : ""}` : c.dim("(unknown offline)")],
      ["  task", s.task ? `${describeRef(s.task)} ${c.dim("← current")}` : c.dim("none")],
      ["  attached", (d ? d.tasks.map((t) => `#${t.task} ${truncate(t.title, 24)} ${c.dim(t.role)}`) : (s.tasks || []).map((t) => `${describeRef(t)} ${c.dim(t.role || "")}`)).join(", ") || c.dim("none")],
    ]),
  ];
  if (switches.length) {
    lines.push(c.dim("  recent switches"));
    lines.push(
      table(
        switches.slice(0, 5).map((w) => [`    ${clock(w.happened_at)}`, `${taskName(w.from_task)} → ${taskName(w.to_task)}`, c.dim(w.reason), w.note ? c.dim(`“${truncate(w.note, 40)}”`) : ""]),
      ),
    );
  }
  if (offlineNote) lines.push(offlineNote);
  const json = {
    session: d || null,
    local: s,
    focus_minutes: focus,
    current_stretch_minutes: stretch,
    switch_count: d ? d.switch_count : null,
    switches,
    tasks: d ? d.tasks : s.tasks,
    current_task: s.task,
    offline: Boolean(r.unreachable),
    journal: { waiting },
  };
  return out(json, lines.join("\n"));
}

async function link(ctx, { values, positionals }) {
  const url = positionals[0];
  if (!url) throw new UsageError("Which URL? devfocus link <url> [--type PR] [--title ...]");
  if (!/^https?:\/\/\S+$/i.test(url)) throw new UsageError(`"${url}" is not an http(s) URL.`);
  const type = normType(values.type, url);
  requireToken(ctx);
  const task = values.task ? parseTaskArg(values.task) : null;
  const cur = await currentSession(ctx);
  if (!cur.session && !task) {
    throw new CliError("No session running and no --task: nothing to link the URL to.", { code: "NO_SESSION", hint: "Pass --task <id|owner/repo#n>, or start a session." });
  }
  const op = { op: "link", session: cur.session ? sessRef(cur.session) : null, task: task || (cur.session && cur.session.task) || null, url, type, title: values.title || "", at: nowIso() };
  const r = await record(ctx, op);
  const { c } = ctx;
  const where = [cur.session ? `session ${describeSession(cur.session)}` : null, op.task ? `task ${describeRef(op.task)}` : null].filter(Boolean).join(" and ");
  if (r.mode === "online") {
    const res = r.result.resource;
    return out({ offline: false, resource: res }, `${c.blue("🔗")} Linked ${c.bold(res.title || url)} ${c.dim(`(${res.type})`)} to ${where}.`);
  }
  return out({ offline: true, journal: { seq: r.entry.seq, waiting: ctx.journal.count() }, op }, `${c.blue("🔗")} Linked ${url} (${type}) to ${where}.\n${offlineText(ctx, r)}`);
}

async function tasks(ctx, { values }) {
  requireToken(ctx);
  const limit = values.limit ? Number(values.limit) : 50;
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError("--limit must be a positive integer.");
  const query = {};
  if (values.search) query.search = values.search;
  if (values.status) query.status = String(values.status).toUpperCase().replace(/[-\s]/g, "_");
  if (values.team) query.team = (await resolveTeam(ctx.api, values.team)).id;
  const rows = await ctx.api.list("/tasks/", query, { max: limit });
  const { c } = ctx;
  const current = ctx.state.read().session;
  const currentId = current && current.task ? current.task.id : null;
  if (!rows.length) return out({ results: [] }, c.dim(values.search ? `No task matches "${values.search}".` : "No tasks."));
  const text = table([
    [c.dim("  ID"), c.dim("KEY"), c.dim("STATUS"), c.dim("PRI"), c.dim("TYPE"), c.dim("TITLE")],
    ...rows.map((t) => [
      `${t.id === currentId ? c.green("▸") : " "} ${t.id}`,
      t.external_key || c.dim("—"),
      t.status === "DONE" ? c.dim(t.status) : t.status === "IN_PROGRESS" ? c.cyan(t.status) : t.status,
      t.priority === "HIGH" ? c.red(t.priority) : t.priority,
      t.type,
      truncate(t.title, 60) + (t.team ? c.dim(` · team ${t.team}`) : ""),
    ]),
  ]);
  return out({ results: rows }, text);
}

async function report(ctx, { values, positionals }) {
  requireToken(ctx);
  const [what = "today", when] = positionals;
  const isDay = (s) => /^\d{4}-\d{2}-\d{2}$/.test(s || "");
  const team = values.team ? (await resolveTeam(ctx.api, values.team)).id : undefined;
  let res;
  if (what === "week") {
    if (when !== undefined && !isDay(when)) throw new UsageError(`"${when}" is not a day (YYYY-MM-DD).`);
    res = await ctx.api.post("/reports/weekly/", { ...(when ? { week_of: when } : {}), ...(team ? { team } : {}) });
  } else if (what === "today" || isDay(what)) {
    if (when !== undefined) throw new UsageError("Too many arguments: devfocus report [today|week [<day>]|<YYYY-MM-DD>]");
    res = await ctx.api.post("/reports/daily/", { ...(isDay(what) ? { date: what } : {}), ...(team ? { team } : {}) });
  } else {
    throw new UsageError(`"${what}" is not a period: use today, week, week <YYYY-MM-DD> or a day YYYY-MM-DD.`);
  }
  return out(res, renderReport(res, ctx.c));
}

// ───────────────────────────── live ─────────────────────────────

function eventLine(e, c) {
  let data;
  try {
    data = JSON.parse(e.data);
  } catch {
    data = e.data;
  }
  const d = data && typeof data === "object" ? data : {};
  switch (e.event) {
    case "report.created":
      return `${c.green(e.event)} ${d.type} ${d.period_start}${d.period_end && d.period_end !== d.period_start ? `→${d.period_end}` : ""} ${c.dim(truncate(d.summary || "", 90))}`;
    case "insight.created":
      return `${c.yellow(e.event)} ${d.level} ${d.code} ${c.dim(truncate(d.message || "", 90))}`;
    case "report_request.updated":
      return `${c.cyan(e.event)} #${d.id} ${d.type} ${d.day} ${d.status}${d.error_message ? ` — ${d.error_message}` : ""}`;
    case "import.updated":
      return `${c.cyan(e.event)} #${d.id} ${d.owner}/${d.repo} ${d.status} · ${d.pages_done ?? 0} pages · +${d.created_count ?? 0} ~${d.updated_count ?? 0}`;
    case "session.closed":
      return `${c.magenta(e.event)} #${d.id} "${d.title}" · ${duration(d.total_focus_minutes)} focus · ${d.switch_count} switches`;
    default:
      return `${e.event} ${truncate(typeof data === "string" ? data : JSON.stringify(data), 100)}`;
  }
}

async function watch(ctx, { values }) {
  requireToken(ctx);
  const max = values.max !== undefined ? Number(values.max) : Infinity;
  if (!(max > 0)) throw new UsageError("--max must be a positive number.");
  const team = values.team ? (await resolveTeam(ctx.api, values.team)).id : undefined;
  const { c, ce } = ctx;
  const ctrl = new AbortController();
  const stopOn = () => ctrl.abort();
  process.once("SIGINT", stopOn);
  process.once("SIGTERM", stopOn);
  let seen = 0;
  const print = (line) => ctx.stdout.write(`${line}\n`);
  try {
    const { lastEventId } = await followStream(ctx.api, {
      path: "/events/stream/",
      query: team ? { team } : {},
      signal: ctrl.signal,
      lastEventId: values["last-event-id"] ?? null,
      onStatus: (s) => {
        if (ctx.json) return;
        if (s.state === "connected") ctx.note(ce.dim(`${s.connection === 1 ? "● watching" : "● reconnected to"} ${ctx.settings.url}${team ? ` (team ${team})` : ""} — Ctrl-C to stop`));
        else ctx.note(ce.yellow(`○ stream lost (${s.error ? s.error.message : "closed"}); reconnecting in ${Math.round(s.retryMs / 100) / 10}s with Last-Event-ID`));
      },
      onEvent: (e, connection) => {
        const snapshot = e.event === "reports" || e.event === "insights";
        if (snapshot) {
          // Every connection starts with the latest reports and insights: shown once, not on each reconnect.
          if (connection > 1) return true;
          if (ctx.json) print(JSON.stringify({ id: e.id, event: e.event, data: safeJson(e.data) }));
          else {
            const n = Array.isArray(safeJson(e.data)) ? safeJson(e.data).length : 0;
            print(c.dim(`${clock(new Date().toISOString())}  recent ${e.event}: ${n}`));
          }
          return true;
        }
        if (ctx.json) print(JSON.stringify({ id: e.id, event: e.event, data: safeJson(e.data) }));
        else print(`${c.dim(clock(new Date().toISOString()))}  ${c.dim(`#${e.id ?? "-"}`)} ${eventLine(e, c)}`);
        seen++;
        return seen < max;
      },
    });
    return { json: undefined, text: undefined, lastEventId };
  } finally {
    process.off("SIGINT", stopOn);
    process.off("SIGTERM", stopOn);
  }
}

function safeJson(s) {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

// ───────────────────────────── journal ─────────────────────────────

async function sync(ctx) {
  const { c } = ctx;
  const waiting = ctx.journal.count();
  if (!waiting) return out({ replayed: [], failed: [], remaining: 0 }, c.dim("Journal empty: nothing to replay."));
  requireToken(ctx);
  const r = await syncJournal(ctx, { waitMs: 15_000, quiet: true });
  const json = {
    replayed: r.replayed.map(({ entry, result }) => ({ seq: entry.seq, op: entry.op, result: summarize(result) })),
    failed: r.failed.map(({ entry, error }) => ({ seq: entry.seq, op: entry.op, error: error instanceof ApiError ? error.toJSON() : { message: error.message } })),
    remaining: r.remaining,
    busy: r.busy,
  };
  const lines = [];
  for (const { entry, result } of r.replayed) lines.push(`${c.green("✓")} ${describeOp(entry.op)}${resultNote(result)}`);
  for (const { entry, error } of r.failed) lines.push(`${c.red("✗")} ${describeOp(entry.op)}: ${errorText(error)}`);
  if (r.busy) lines.push(c.yellow(`Another devfocus is replaying the journal right now (${r.remaining} waiting).`));
  if (r.stopped) {
    const err = r.stopped;
    if (err instanceof Unreachable) {
      const e = new CliError(`${err.message} ${r.remaining} action${r.remaining === 1 ? "" : "s"} still waiting in the journal.`, { code: "UNREACHABLE" });
      e.exitCode = 3;
      e.partial = { json, text: lines.join("\n") };
      throw e;
    }
    const e = err instanceof ApiError ? err : new CliError(err.message);
    e.partial = { json, text: lines.join("\n") };
    throw e;
  }
  lines.push(c.dim(`Replayed ${r.replayed.length}, refused ${r.failed.length}, waiting ${r.remaining}.`));
  const res = out(json, lines.join("\n"));
  if (r.failed.length) res.exitCode = 1;
  return res;
}

function summarize(result) {
  if (!result) return null;
  if (result.skipped) return { skipped: result.skipped };
  if (result.switch) return { switch: result.switch.id };
  if (result.resource) return { resource: result.resource.id };
  if (result.session) return { session: result.session.id, status: result.session.status };
  return null;
}

function resultNote(result) {
  if (!result) return "";
  if (result.skipped) return ` — skipped: ${result.skipped}`;
  if (result.switch) return ` → switch #${result.switch.id}`;
  if (result.resource) return ` → resource #${result.resource.id}`;
  if (result.session) return ` → session #${result.session.id}${result.already ? " (already done)" : ""}${result.warning ? ` — ${result.warning}` : ""}`;
  return "";
}

// ───────────────────────────── git hook ─────────────────────────────

function gitTopLevel(cwd) {
  try {
    return execFileSync("git", ["rev-parse", "--show-toplevel"], { cwd, stdio: ["ignore", "pipe", "ignore"], timeout: 2000 }).toString().trim();
  } catch {
    return cwd;
  }
}

async function hook(ctx, { values, positionals }) {
  const [action, ...rest] = positionals;
  const { c } = ctx;
  if (rest.length) throw new UsageError(`Unexpected argument "${rest[0]}".`);
  switch (action) {
    case "install": {
      const r = installHook({ cwd: ctx.cwd, node: process.execPath, cli: CLI_PATH });
      const lines = [`${c.green("✓")} ${r.refreshed ? "Updated" : "Installed"} the post-checkout hook: ${r.file}`];
      if (r.chained) lines.push(c.dim(`  Your existing hook is kept as ${r.chained} and still runs first.`));
      lines.push(
        c.dim("  On a branch checkout it records a switch in the running session, from the previous branch's task to the new one."),
        c.dim("  Branches it understands: 42-fix-login, gh-42, task-17, feature/acme-widgets-42; hotfix/* switches are QUICK_FIX."),
        c.dim(`  It runs in the background and is silent; what it did is in ${ctx.files.hookLog}.`),
      );
      return out({ installed: true, ...r }, lines.join("\n"));
    }
    case "uninstall": {
      const r = uninstallHook({ cwd: ctx.cwd });
      if (!r.removed) return out({ removed: false }, c.dim("The devfocus hook is not installed here."));
      return out(r, `${c.green("✓")} Removed the post-checkout hook${r.restored ? `; your previous hook is back at ${r.restored}` : ""}.`);
    }
    case "status": {
      const s = hookStatus(ctx.cwd);
      const text = s.installed
        ? `${c.green("●")} installed: ${s.file}${s.chained ? c.dim(` (chains to ${s.chained})`) : ""}`
        : `${c.dim("○")} not installed${s.other ? c.dim(` (another post-checkout hook is there: ${s.file})`) : ""}`;
      return out(s, text);
    }
    case "run":
      return hookRun(ctx, values);
    default:
      throw new UsageError(action ? `Unknown hook action "${action}": use install, uninstall or status.` : "devfocus hook install | uninstall | status");
  }
}

/** Called by the hook, in the background: never prints, never fails. */
async function hookRun(ctx, values) {
  const at = nowIso();
  const from = values.from || "";
  const to = values.to || "";
  const log = (msg) => hookLog(ctx, `${at} ${from || "-"} → ${to || "-"}: ${msg}`);
  // Whatever happens, this process is gone soon.
  setTimeout(() => process.exit(0), Number(ctx.env.DEVFOCUS_HOOK_DEADLINE_MS) || 20_000).unref();
  ctx.settings.timeoutMs = Number(ctx.env.DEVFOCUS_HOOK_TIMEOUT_MS) || 3000;
  ctx._api = null;
  let release = null;
  try {
    if (!to || from === to) return out({ skipped: "no branch change" }, "");
    if (!ctx.settings.token) return log("skipped: not logged in"), out({ skipped: "not logged in" }, "");
    release = acquireLock(ctx.files.hookLock, { waitMs: 10_000 });
    const state = ctx.state.read();
    const session = state.session;
    if (!session) return log("skipped: no session running"), out({ skipped: "no session" }, "");
    const origin = gitOriginRepo(ctx.cwd);
    const parsedTo = parseBranch(to, origin);
    if (!parsedTo) return log("skipped: not a task branch"), out({ skipped: "not a task branch" }, "");
    const repo = gitTopLevel(ctx.cwd);
    const cached = (b) => state.branches[`${repo}\t${b}`];
    const toRef = cached(to) ? { ...refOf(cached(to), to), soft: true } : { label: to, candidates: parsedTo.candidates, soft: true };
    const parsedFrom = from ? parseBranch(from, origin) : null;
    const fromRef = from && cached(from) ? refOf(cached(from), from) : parsedFrom ? { label: from, candidates: parsedFrom.candidates, soft: true } : null;
    const fallback = session.task || null;
    let op;
    if (!fromRef && !fallback) {
      op = { op: "attach", session: sessRef(session), task: toRef, role: "MAIN", at };
    } else {
      op = {
        op: "switch",
        session: sessRef(session),
        from: fromRef || fallback,
        fromFallback: fromRef ? fallback : null,
        to: toRef,
        reason: parsedTo.reason,
        note: `git checkout ${from || "(detached)"} → ${to}`,
        at,
        explicit: true,
      };
    }
    const r = await record(ctx, op);
    if (r.mode === "offline") {
      ctx.state.update((s) => {
        if (s.session) s.session.task = toRef;
      });
      log(`API unreachable, journaled (${describeOp(op)})`);
      return out({ offline: true }, "");
    }
    if (r.result.skipped) return log(`skipped: ${r.result.skipped}`), out({ skipped: r.result.skipped }, "");
    const toTask = r.result.to || r.result.task;
    const fromTask = r.result.from || null;
    ctx.state.update((s) => {
      s.branches[`${repo}\t${to}`] = { id: toTask.id, title: toTask.title };
      if (fromTask && parsedFrom && from) s.branches[`${repo}\t${from}`] = { id: fromTask.id, title: fromTask.title };
      if (s.session) {
        s.session.task = refOf(toTask, to);
        s.session.tasks = addTask(s.session.tasks, refOf(toTask, to), op.op === "attach" ? "MAIN" : "SIDE");
      }
    });
    log(op.op === "attach" ? `attached #${toTask.id} as MAIN` : `recorded switch #${r.result.switch.id}: ${fromTask ? `#${fromTask.id}` : "—"} → #${toTask.id} (${op.reason})`);
    return out({ recorded: op.op, result: r.result }, "");
  } catch (err) {
    log(`failed: ${errorText(err)}`);
    return out({ failed: errorText(err) }, "");
  } finally {
    if (release) release();
  }
}

// ───────────────────────────── the table ─────────────────────────────

const teamOpt = { type: "string", arg: "<slug|id>", desc: "A team you belong to" };

/**
 * @type {Record<string, {group: string, summary: string, usage: string, description?: string, options?: Record<string, any>, positionals?: [number, number], api?: boolean, hidden?: boolean, run: Function}>}
 */
export const COMMANDS = {
  login: {
    group: "Account",
    summary: "Log in and save a token (password prompted, never echoed)",
    usage: "devfocus login [--url <api>] [--email <email>]",
    description:
      "Asks for the password without echoing it (on a pipe, reads the email and/or password one per line from stdin).\nThe token goes to $XDG_CONFIG_HOME/devfocus/config.json (else ~/.config/devfocus/config.json), mode 600.",
    options: { email: { type: "string", arg: "<email>", desc: "Your account's email (prompted when missing)" } },
    positionals: [0, 0],
    run: login,
  },
  logout: { group: "Account", summary: "Revoke the saved token and forget it", usage: "devfocus logout", positionals: [0, 0], run: logout },
  whoami: { group: "Account", summary: "Who the saved token belongs to, and which API", usage: "devfocus whoami", positionals: [0, 0], api: true, run: whoami },
  start: {
    group: "Session",
    summary: "Start a session (attaching its task as MAIN)",
    usage: 'devfocus start "<title>" [--task <id|owner/repo#n>] [--team <slug>]',
    description: "Without --task, inside a git repository on a task branch (42-fix-login, gh-42, task-17, …), that branch's task is attached.",
    options: { task: { type: "string", arg: "<id|owner/repo#n>", desc: "The task you start on (attached as MAIN)" }, team: teamOpt },
    positionals: [0, Infinity],
    api: true,
    run: start,
  },
  switch: {
    group: "Session",
    summary: "Record a context switch to another task",
    usage: "devfocus switch --to <id|owner/repo#n> [--reason INTERRUPT|QUICK_FIX|MEETING|OTHER] [--note <text>]",
    description: "The switch is from the task you are on (the last one started or switched to) to --to.",
    options: {
      to: { type: "string", arg: "<id|owner/repo#n>", desc: "The task you switch to" },
      reason: { type: "string", arg: "<reason>", desc: "INTERRUPT, QUICK_FIX, MEETING or OTHER (default OTHER)" },
      note: { type: "string", arg: "<text>", desc: "Why, in a few words" },
    },
    positionals: [0, 1],
    api: true,
    run: switchTask,
  },
  pause: { group: "Session", summary: "Pause the current session", usage: "devfocus pause", positionals: [0, 0], api: true, run: pauseOrResume("pause") },
  resume: { group: "Session", summary: "Resume the paused session", usage: "devfocus resume", positionals: [0, 0], api: true, run: pauseOrResume("resume") },
  stop: { group: "Session", summary: "Close the current session (computes its focus time)", usage: "devfocus stop", positionals: [0, 0], api: true, run: stop },
  status: {
    group: "Session",
    summary: "The current session: focus so far, switches, attached tasks",
    usage: "devfocus status",
    positionals: [0, 0],
    api: true,
    run: status,
  },
  link: {
    group: "Session",
    summary: "Link a URL (PR, issue, doc…) to the current session and task",
    usage: "devfocus link <url> [--type PR|ISSUE|DOC|ARTICLE|TOOL|OTHER] [--title <text>] [--task <id|owner/repo#n>]",
    description: "The type is guessed from GitHub/GitLab pull-request and issue URLs when --type is not given.",
    options: {
      type: { type: "string", arg: "<type>", desc: "PR, ISSUE, DOC, ARTICLE, TOOL or OTHER" },
      title: { type: "string", arg: "<text>", desc: "A title for the link" },
      task: { type: "string", arg: "<id|owner/repo#n>", desc: "Link to this task (default: the current task)" },
    },
    positionals: [1, 1],
    api: true,
    run: link,
  },
  tasks: {
    group: "Tasks & reports",
    summary: "List the tasks you can see",
    usage: "devfocus tasks [--search <text>] [--status TODO|IN_PROGRESS|DONE] [--team <slug>] [--limit <n>]",
    options: {
      search: { type: "string", arg: "<text>", desc: "In title or description, case-insensitive" },
      status: { type: "string", arg: "<status>", desc: "TODO, IN_PROGRESS or DONE" },
      team: teamOpt,
      limit: { type: "string", arg: "<n>", desc: "At most this many (default 50)" },
    },
    positionals: [0, 0],
    api: true,
    run: tasks,
  },
  report: {
    group: "Tasks & reports",
    summary: "Your daily or weekly report, with insights and advice",
    usage: "devfocus report [today | week [<YYYY-MM-DD>] | <YYYY-MM-DD>] [--team <slug>]",
    description: "Generates the report now (the same one the API keeps) and shows totals, a bar per session and task (daily) or per day (weekly), and the insights.",
    options: { team: { ...teamOpt, desc: "The team's report (ADMIN or OWNER)" } },
    positionals: [0, 2],
    api: true,
    run: report,
  },
  watch: {
    group: "Tasks & reports",
    summary: "Follow the live event stream, one line per event",
    usage: "devfocus watch [--team <slug>] [--max <n>]",
    description: "Reconnects by itself (after the server's retry delay) with Last-Event-ID, so no kept event is missed. Ctrl-C stops.",
    options: {
      team: { ...teamOpt, desc: "A team's events instead of yours" },
      max: { type: "string", arg: "<n>", desc: "Exit after n events" },
      "last-event-id": { type: "string", arg: "<id>", desc: "Start after this event id (replays what came after it)" },
    },
    positionals: [0, 0],
    api: true,
    run: watch,
  },
  sync: {
    group: "Offline",
    summary: "Replay the offline journal now (also tried before every command)",
    usage: "devfocus sync",
    description: "Actions recorded while the API was unreachable are replayed in order, once, with their real timestamps.",
    positionals: [0, 0],
    run: sync,
  },
  hook: {
    group: "Git",
    summary: "Install or remove the git post-checkout hook",
    usage: "devfocus hook install | uninstall | status",
    description:
      "install: in a git repository, adds a post-checkout hook that records a switch in the running session when you change\n" +
      "branch (from the previous branch's task to the new one). An existing hook is kept and still runs first; uninstall puts it back.\n" +
      "Branches map to tasks by id or external_key: 42-fix-login, gh-42, task-17, feature/acme-widgets-42; hotfix/* → QUICK_FIX.\n" +
      "It runs in the background and is silent: what it did is in hook.log next to config.json. DEVFOCUS_HOOK_DISABLE=1 skips it.",
    options: { from: { type: "string", hidden: true }, to: { type: "string", hidden: true } },
    positionals: [1, 1],
    run: hook,
  },
};

/** Commands that record something or read the API: the journal is replayed before they run. */
export const needsSync = (name, positionals) => Boolean(COMMANDS[name] && COMMANDS[name].api) || (name === "hook" && positionals[0] === "run");
