// The real CLI, as a subprocess, against the real Worker served locally by `npm run dev`.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Schemas } from "../../client/index.ts";
import { apiAs, cli, CLI, freePort, git, makeHome, makeRepo, NODE, readLines, ROOT, startWorker, waitFor, type Worker } from "./helpers.ts";

const EMAIL = "ada@example.com";
const PASSWORD = "correct horse battery staple";
/** Far from this machine's zone, so a time shown in the machine's zone instead of the user's would show. */
const TIMEZONE = "Asia/Tokyo";

type Session = Schemas["DevSessionDetail"];
type Switch = Schemas["ContextSwitch"];
interface Journaled {
  offline: boolean;
  op: { at: string; op: string };
}
interface Started extends Journaled {
  session: Session;
}
interface Status {
  session: Session | null;
  switch_count: number | null;
  switches: Switch[];
  current_task: { id?: number } | null;
  tasks: { task: number; role: string }[];
  focus_minutes: number;
}
interface Synced {
  replayed: { op: { op: string } }[];
  failed: unknown[];
  remaining: number;
}
interface ApiErrorOut {
  error: { status: number; code: string; message: string; request_id: string };
}

/** HH:MM of an instant in the user's zone, by Intl (not by the code under test). */
const wallClock = (iso: string) =>
  new Intl.DateTimeFormat("en-GB", { timeZone: TIMEZONE, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(iso));

describe("devfocus against the real Worker", { timeout: 240_000 }, () => {
  let worker: Worker;
  let token: string;
  let T1: Schemas["Task"]; // acme/widgets#42, found by external_key (branch 42-fix-login, --task acme/widgets#42)
  let T2: Schemas["Task"]; // found by id (branch task-<id>-billing, --to <id>)
  let closedUrl: string;
  const api = () => apiAs(worker.base, token);

  before(async () => {
    worker = await startWorker();
    const anon = apiAs(worker.base);
    const reg = await anon.data(anon.client.POST("/api/auth/register", { body: { email: EMAIL, password: PASSWORD, name: "Ada", timezone: TIMEZONE } }));
    assert.ok(reg.token, "register answers an API token");
    token = reg.token;
    const a = api();
    T1 = await a.data(a.client.POST("/api/tasks", { body: { title: "Fix login redirect", type: "BUG", external_key: "acme/widgets#42", external_source: "GITHUB" } }));
    T2 = await a.data(a.client.POST("/api/tasks", { body: { title: "Billing refactor", type: "REFACTOR" } }));
    closedUrl = `http://127.0.0.1:${await freePort()}`; // nothing listens there
  });

  after(async () => {
    if (worker) await worker.stop();
  });

  const sessionsTitled = async (title: string) => {
    const a = api();
    const page = await a.data(a.client.GET("/api/sessions", { params: { query: { search: title, page_size: 200 } } }));
    return page.results.filter((s) => s.title === title);
  };
  const switchesOf = async (id: number) => {
    const a = api();
    return (await a.data(a.client.GET("/api/context-switches", { params: { query: { dev_session: id, ordering: "happened_at", page_size: 200 } } }))).results;
  };
  const session = (id: number) => {
    const a = api();
    return a.data(a.client.GET("/api/sessions/{id}", { params: { path: { id } } }));
  };

  test("the Worker serves the OpenAPI document the client was generated from (npm run client:check keeps them equal)", async () => {
    const served: unknown = await (await fetch(`${worker.base}/api/openapi.json`)).json();
    assert.deepEqual(served, JSON.parse(fs.readFileSync(path.join(ROOT, "client", "openapi.json"), "utf8")));
  });

  describe("a day at the terminal", () => {
    const me = makeHome();
    const env = () => ({ ...me.env, DEVFOCUS_URL: worker.base });
    let sessionId = 0;

    test("login reads the password from stdin, never echoes it, saves the token with mode 0600", async () => {
      const r = await cli(["login", "--url", worker.base, "--email", EMAIL], { env: me.env, input: `${PASSWORD}\n` });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Logged in to http:\/\/127\.0\.0\.1:\d+ as ada@example\.com/);
      assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD));
      const file = path.join(me.configDir, "config.json");
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      const config = JSON.parse(fs.readFileSync(file, "utf8")) as { token: string; url: string };
      assert.match(config.token, /^dfk_/);
      assert.equal(config.url, worker.base);

      const who = await cli(["whoami"], { env: me.env }); // the URL saved by login, no DEVFOCUS_URL
      assert.equal(who.code, 0, who.stderr);
      assert.match(who.stdout, /ada@example\.com \(Ada\)/);
      assert.match(who.stdout, new RegExp(`time zone ${TIMEZONE}`));

      const bad = await cli(["login", "--url", worker.base, "--email", EMAIL], { env: makeHome().env, input: "not the password\n" });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /error \(401 UNAUTHORIZED\): .+/);
    });

    test("start attaches the task (by external_key) as MAIN and opens the session on the API", async () => {
      const r = await cli(["start", "Fix the login redirect", "--task", "acme/widgets#42", "--json"], { env: env() });
      assert.equal(r.code, 0, r.stderr);
      const out = r.json<Started>();
      assert.equal(out.offline, false);
      sessionId = out.session.id;
      const s = await session(sessionId);
      assert.equal(s.status, "OPEN");
      assert.deepEqual(s.tasks.map((t) => [t.task, t.role]), [[T1.id, "MAIN"]]);

      const again = await cli(["start", "Another one"], { env: env() });
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already running: #\d+ "Fix the login redirect", started (\d\d:\d\d)\./);
      assert.equal(/started (\d\d:\d\d)/.exec(again.stderr)?.[1], wallClock(s.started_at), "times are shown in the user's time zone");
    });

    test("switch records a switch from the current task, with reason and note, at the user's wall-clock time", async () => {
      const r = await cli(["switch", "--to", String(T2.id), "--reason", "interrupt", "--note", "pager went off"], { env: env() });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /#\d+ Fix login redirect → #\d+ Billing refactor · INTERRUPT/);
      const sw = await switchesOf(sessionId);
      assert.equal(sw.length, 1);
      const [first] = sw;
      assert.ok(first);
      assert.deepEqual([first.from_task, first.to_task, first.reason, first.note], [T1.id, T2.id, "INTERRUPT", "pager went off"]);
      assert.equal(/at (\d\d:\d\d)/.exec(r.stdout)?.[1], wallClock(first.happened_at));
      assert.equal((await session(sessionId)).switch_count, 1);

      const bad = await cli(["switch", "--to", String(T1.id), "--reason", "bored"], { env: env() });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--reason must be one of INTERRUPT, QUICK_FIX, MEETING, OTHER/);
    });

    test("pause and resume move the session through PAUSED and back; the API's 409 message is shown", async () => {
      let r = await cli(["pause"], { env: env() });
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await session(sessionId)).status, "PAUSED");

      r = await cli(["pause"], { env: env() });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /error \(409 CONFLICT\): Cannot pause a session that is PAUSED\./);
      assert.match(r.stderr, /request id [0-9a-f-]{36}/);

      r = await cli(["resume"], { env: env() });
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await session(sessionId)).status, "OPEN");
    });

    test("status shows the session, focus so far, switches and attached tasks", async () => {
      const r = await cli(["status", "--json"], { env: env() });
      assert.equal(r.code, 0, r.stderr);
      const s = r.json<Status>();
      assert.equal(s.session?.id, sessionId);
      assert.equal(s.switch_count, 1);
      assert.equal(s.switches.length, 1);
      assert.equal(s.current_task?.id, T2.id);
      assert.deepEqual(s.tasks.map((t) => [t.task, t.role]).sort(), [[T1.id, "MAIN"], [T2.id, "SIDE"]].sort());
      assert.equal(typeof s.focus_minutes, "number");

      const human = await cli(["status"], { env: env() });
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, /"Fix the login redirect" OPEN/);
      assert.match(human.stdout, /focus\s+\d+m so far/);
      assert.match(human.stdout, /switches\s+1/);
      assert.match(human.stdout, /Fix login redirect → #\d+ Billing refactor\s+INTERRUPT/);
      assert.doesNotMatch(human.stdout, /\x1b\[/, "no colour when stdout is not a terminal");
    });

    test("tasks lists and searches the tasks you can see", async () => {
      const r = await cli(["tasks", "--search", "billing"], { env: env() });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Billing refactor/);
      assert.doesNotMatch(r.stdout, /Fix login redirect/);
      const all = (await cli(["tasks", "--json"], { env: env() })).json<{ results: Schemas["Task"][] }>();
      assert.deepEqual(all.results.map((t) => t.id).sort(), [T1.id, T2.id].sort());
      const bad = await cli(["tasks", "--status", "someday"], { env: env() });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--status must be one of TODO, IN_PROGRESS, DONE/);
    });

    test("link attaches a URL to the session and its current task", async () => {
      const r = await cli(["link", "https://github.com/acme/widgets/pull/7", "--title", "Fix PR", "--json"], { env: env() });
      assert.equal(r.code, 0, r.stderr);
      const res = r.json<{ resource: Schemas["ResourceLink"] }>().resource;
      assert.equal(res.type, "PR");
      assert.equal(res.dev_session, sessionId);
      assert.equal(res.task, T2.id);
    });

    test("stop closes the session with its focus time", async () => {
      const r = await cli(["stop"], { env: env() });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Stopped #\d+ "Fix the login redirect" · \d+m of focus · 1 switch\./);
      const s = await session(sessionId);
      assert.equal(s.status, "DONE");
      assert.ok(s.ended_at);

      const st = await cli(["status"], { env: env() });
      assert.match(st.stdout, /No session running\./);
      assert.match(st.stdout, /Last: #\d+ "Fix the login redirect"/);
      const none = await cli(["pause"], { env: env() });
      assert.equal(none.code, 1);
      assert.match(none.stderr, /No session running/);
    });

    test("report shows the API's totals, bars and insights; --json gives the report itself", async () => {
      const j = await cli(["report", "--json"], { env: env() });
      assert.equal(j.code, 0, j.stderr);
      const rep = j.json<Schemas["GeneratedReport"] & { payload: { totals: { sessions: number; switches: number; interrupts: number } } }>();
      assert.equal(rep.type, "DAILY");
      assert.ok(rep.payload.totals.sessions >= 1);
      assert.ok(rep.payload.totals.switches >= 1);
      assert.equal(rep.payload.totals.interrupts, 1);
      const low = rep.insights.find((i) => i.code === "LOW_FOCUS_TIME");
      assert.ok(low, "a short day gets LOW_FOCUS_TIME");

      const r = await cli(["report", "today"], { env: env() });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`Daily report · ${rep.period_start}`));
      assert.match(r.stdout, /switches\s+\d+ \([\d.]+\/focus h\)/);
      assert.match(r.stdout, /Tasks\n.*#\d+ Fix login redirect\s+█+/);
      assert.match(r.stdout, /ℹ INFO LOW_FOCUS_TIME\n\s+Only \d+ focus minutes/);
      assert.ok(r.stdout.includes(low.message));

      const w = await cli(["report", "week"], { env: env() });
      assert.equal(w.code, 0, w.stderr);
      assert.match(w.stdout, /Weekly report · \d{4}-\d{2}-\d{2} → \d{4}-\d{2}-\d{2}/);
      assert.match(w.stdout, /Focus per day\n(.*\n){6}/);
      assert.match(w.stdout, / · 1 interrupt$/m, "one interrupt, in the singular");
      assert.match(w.stdout, /vs the week before/);

      const bad = await cli(["report", "yesterdayish"], { env: env() });
      assert.equal(bad.code, 2);
    });

    test("errors carry the API's message and a non-zero exit code", async () => {
      const missing = await cli(["start", "Nope", "--task", "999999"], { env: env() });
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /No task matches #999999/);
      assert.equal((await sessionsTitled("Nope")).length, 0, "no session is opened for a task that does not exist");

      const badToken = await cli(["tasks", "--json"], { env: { ...env(), DEVFOCUS_TOKEN: "dfk_not-a-real-token" } });
      assert.equal(badToken.code, 1);
      const err = (JSON.parse(badToken.stderr) as ApiErrorOut).error;
      assert.equal(err.status, 401);
      assert.equal(err.code, "UNAUTHORIZED");
      assert.ok(err.message && err.request_id);

      const down = await cli(["tasks"], { env: { ...env(), DEVFOCUS_URL: closedUrl } });
      assert.equal(down.code, 3);
      assert.match(down.stderr, /Cannot reach the DevFocus API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    });

    test("watch prints one line per live event", async () => {
      const child = spawn(NODE, [CLI, "watch", "--json", "--max", "1"], { env: { PATH: process.env.PATH, ...env() }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d));
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      try {
        await waitFor(() => stdout.split("\n").some((l) => l.includes('"event":"insights"')), { what: "the stream's snapshot" });
        const a = api();
        await a.data(a.client.POST("/api/reports/weekly", { body: {} }));
        const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r("timeout"), 15_000))]);
        assert.equal(code, 0, stdout);
        const events = stdout
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as { id: string | null; event: string; data: { type?: string } });
        const live = events.filter((e) => e.event !== "reports" && e.event !== "insights");
        assert.equal(live.length, 1);
        assert.equal(live[0]?.event, "report.created");
        assert.equal(live[0]?.data.type, "WEEKLY");
        assert.match(String(live[0]?.id), /^\d+$/);
      } finally {
        child.kill("SIGKILL");
      }
    });

    test("logout revokes the token on the API and forgets it", async () => {
      const configFile = path.join(me.configDir, "config.json");
      const saved = (JSON.parse(fs.readFileSync(configFile, "utf8")) as { token: string }).token;
      const r = await cli(["logout"], { env: env() });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Logged out \(token revoked\)/);
      assert.equal((JSON.parse(fs.readFileSync(configFile, "utf8")) as { token?: string }).token, undefined);
      const revoked = apiAs(worker.base, saved);
      await assert.rejects(revoked.data(revoked.client.GET("/api/auth/me")), { status: 401 });
      const who = await cli(["whoami"], { env: env() });
      assert.equal(who.code, 1);
      assert.match(who.stderr, /Not logged in/);
    });
  });

  describe("a switch to no task", () => {
    const me = makeHome();
    const env = () => ({ ...me.env, DEVFOCUS_URL: worker.base, DEVFOCUS_TOKEN: token });

    test("switch --reason MEETING --note standup without --to records a switch with no target task and says so", async () => {
      const s = await cli(["start", "Interrupted morning", "--task", String(T1.id), "--json"], { env: env() });
      assert.equal(s.code, 0, s.stderr);
      const id = s.json<Started>().session.id;

      const r = await cli(["switch", "--reason", "MEETING", "--note", "standup"], { env: env() });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /#\d+ Fix login redirect → no task · MEETING · “standup”/);
      assert.match(r.stdout, /Recorded with no target task/);
      const sw = await switchesOf(id);
      assert.equal(sw.length, 1);
      assert.deepEqual([sw[0]?.from_task, sw[0]?.to_task, sw[0]?.reason, sw[0]?.note], [T1.id, null, "MEETING", "standup"]);

      const st = await cli(["status", "--json"], { env: env() });
      assert.equal(st.json<Status>().current_task, null, "on no task now");
      const human = await cli(["status"], { env: env() });
      assert.match(human.stdout, /#\d+ Fix login redirect → no task\s+MEETING/);

      const back = await cli(["switch", "--to", String(T1.id)], { env: env() });
      assert.equal(back.code, 0, back.stderr);
      assert.match(back.stdout, /— → #\d+ Fix login redirect · OTHER/, "back from no task, with the API's default reason");
      const stop = await cli(["stop"], { env: env() });
      assert.match(stop.stdout, /· 2 switches\./);
    });
  });

  describe("the git hook", () => {
    const me = makeHome();
    let repo = "";
    let sessionId = 0;
    let logLines = 0;
    const BILLING = () => `task-${T2.id}-billing`;
    const env = (url = worker.base) => ({ ...me.env, DEVFOCUS_URL: url, DEVFOCUS_TOKEN: token });
    const hookLog = () => readLines(path.join(me.configDir, "hook.log"));
    /** git checkout, then wait for the background hook run to log what it did. */
    const checkout = async (branch: string, url?: string) => {
      const started = Date.now();
      const r = git(repo, ["checkout", "-q", branch], { env: env(url) });
      const ms = Date.now() - started;
      const lines = await waitFor(() => (hookLog().length > logLines ? hookLog() : null), { what: `the hook run after checking out ${branch}` });
      logLines = lines.length;
      return { r, ms, line: lines[lines.length - 1] ?? "" };
    };

    test("install keeps the existing post-checkout hook and chains to it", async () => {
      repo = makeRepo({ branches: ["42-fix-login", BILLING(), "docs/readme", "hotfix/42-crash"] });
      const hooks = path.join(repo, ".git", "hooks");
      const original = `#!/bin/sh\necho "$3" >> "${path.join(repo, ".git", "orig-hook.log")}"\n`;
      fs.writeFileSync(path.join(hooks, "post-checkout"), original, { mode: 0o755 });
      const r = await cli(["hook", "install"], { env: env(), cwd: repo });
      assert.equal(r.code, 0, r.stderr);
      assert.match(fs.readFileSync(path.join(hooks, "post-checkout"), "utf8"), /devfocus-hook/);
      assert.equal(fs.readFileSync(path.join(hooks, "post-checkout.devfocus-orig"), "utf8"), original);
      const again = await cli(["hook", "install"], { env: env(), cwd: repo });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /Updated/);
      assert.equal(fs.readFileSync(path.join(hooks, "post-checkout.devfocus-orig"), "utf8"), original, "installing twice keeps the original");
    });

    test("checking out task branches records switches; a non-task branch records nothing", async () => {
      const s = await cli(["start", "Hook session", "--json"], { env: env(), cwd: repo });
      assert.equal(s.code, 0, s.stderr);
      sessionId = s.json<Started>().session.id;
      assert.deepEqual(s.json<Started>().session.tasks, [], "on main: no task");

      // main → 42-fix-login: the session had no task yet, so this one becomes its MAIN task (not a switch).
      let c = await checkout("42-fix-login");
      assert.equal(c.r.status, 0);
      assert.match(c.line, /attached #\d+ as MAIN/);
      assert.deepEqual((await session(sessionId)).tasks.map((t) => [t.task, t.role]), [[T1.id, "MAIN"]]);
      assert.equal((await switchesOf(sessionId)).length, 0);

      // 42-fix-login (acme/widgets#42 via origin) → task-<id>-billing (by id): a switch T1 → T2.
      c = await checkout(BILLING());
      assert.match(c.line, /recorded switch/);
      let sw = await switchesOf(sessionId);
      assert.equal(sw.length, 1);
      assert.deepEqual([sw[0]?.from_task, sw[0]?.to_task, sw[0]?.reason], [T1.id, T2.id, "OTHER"]);
      assert.equal(sw[0]?.note, `git checkout 42-fix-login → ${BILLING()}`);

      // → docs/readme: not a task branch; nothing recorded, git fine.
      c = await checkout("docs/readme");
      assert.equal(c.r.status, 0);
      assert.match(c.line, /skipped: not a task branch/);
      assert.equal((await switchesOf(sessionId)).length, 1);

      // docs/readme → hotfix/42-crash: from the session's current task (T2) to T1, as a QUICK_FIX.
      c = await checkout("hotfix/42-crash");
      sw = await switchesOf(sessionId);
      assert.equal(sw.length, 2);
      assert.deepEqual([sw[1]?.from_task, sw[1]?.to_task, sw[1]?.reason], [T2.id, T1.id, "QUICK_FIX"]);

      assert.deepEqual(readLines(path.join(repo, ".git", "orig-hook.log")), ["1", "1", "1", "1"], "the original hook ran on every checkout");
    });

    test("with the API down, git is not slowed or failed; the switch is journaled and replays later", async () => {
      const c = await checkout(BILLING(), closedUrl);
      assert.equal(c.r.status, 0);
      assert.equal(c.r.stderr, "");
      assert.ok(c.ms < 2000, `git checkout took ${c.ms} ms`);
      assert.match(c.line, /API unreachable, journaled/);
      assert.equal((await switchesOf(sessionId)).length, 2);

      const r = await cli(["sync", "--json"], { env: env(), cwd: repo });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json<Synced>().replayed.length, 1);
      const sw = await switchesOf(sessionId);
      assert.equal(sw.length, 3);
      assert.deepEqual([sw[2]?.from_task, sw[2]?.to_task], [T1.id, T2.id]);
    });

    test("uninstall restores the original hook", async () => {
      const r = await cli(["hook", "uninstall"], { env: env(), cwd: repo });
      assert.equal(r.code, 0, r.stderr);
      const hooks = path.join(repo, ".git", "hooks");
      assert.doesNotMatch(fs.readFileSync(path.join(hooks, "post-checkout"), "utf8"), /devfocus-hook/);
      assert.ok(!fs.existsSync(path.join(hooks, "post-checkout.devfocus-orig")));
      assert.equal(fs.statSync(path.join(hooks, "post-checkout")).mode & 0o111, 0o111);
      const stop = await cli(["stop"], { env: env(), cwd: repo });
      assert.equal(stop.code, 0, stop.stderr);
    });
  });

  describe("the offline journal", () => {
    const me = makeHome();
    const on = () => ({ ...me.env, DEVFOCUS_URL: worker.base });
    const off = () => ({ ...me.env, DEVFOCUS_URL: closedUrl });

    test("start, switch, pause, resume and stop offline are journaled with their real times, then replayed once, in order", async () => {
      const login = await cli(["login", "--url", worker.base, "--email", EMAIL], { env: me.env, input: `${PASSWORD}\n` });
      assert.equal(login.code, 0, login.stderr);

      const ats: Record<string, string> = {};
      const steps: [string, string[]][] = [
        ["start", ["start", "Offline work", "--task", String(T1.id)]],
        ["switch", ["switch", "--to", String(T2.id), "--reason", "meeting", "--note", "standup"]],
        ["pause", ["pause"]],
        ["resume", ["resume"]],
        ["stop", ["stop"]],
      ];
      for (const [name, args] of steps) {
        const r = await cli([...args, "--json"], { env: off() });
        assert.equal(r.code, 0, `${name}: ${r.stderr}`);
        const out = r.json<Journaled>();
        assert.equal(out.offline, true, name);
        ats[name] = out.op.at;
        const human = await cli(["status"], { env: off() });
        assert.match(human.stdout, /offline/);
      }
      const journal = JSON.parse(fs.readFileSync(path.join(me.configDir, "journal.json"), "utf8")) as { entries: { op: { op: string } }[] };
      assert.deepEqual(journal.entries.map((e) => e.op.op), ["start", "switch", "pause", "resume", "stop"]);
      assert.equal((await sessionsTitled("Offline work")).length, 0);

      const r = await cli(["sync", "--json"], { env: on() });
      assert.equal(r.code, 0, r.stderr);
      const out = r.json<Synced>();
      assert.deepEqual(out.replayed.map((x) => x.op.op), ["start", "switch", "pause", "resume", "stop"]);
      assert.equal(out.failed.length, 0);
      assert.equal(out.remaining, 0);

      const sessions = await sessionsTitled("Offline work");
      assert.equal(sessions.length, 1, "the session exists once");
      const s = await session(sessions[0]?.id ?? 0);
      assert.equal(s.started_at, ats.start);
      assert.equal(s.ended_at, ats.stop);
      assert.equal(s.status, "DONE");
      assert.deepEqual(s.tasks.map((t) => [t.task, t.role]).sort(), [[T1.id, "MAIN"], [T2.id, "SIDE"]].sort());
      const sw = await switchesOf(s.id);
      assert.equal(sw.length, 1, "the switch exists once");
      assert.deepEqual([sw[0]?.from_task, sw[0]?.to_task, sw[0]?.reason, sw[0]?.note, sw[0]?.happened_at], [T1.id, T2.id, "MEETING", "standup", ats.switch]);

      const second = await cli(["sync", "--json"], { env: on() });
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual(second.json<Synced>().replayed, [], "a second sync replays nothing");
      assert.equal((await sessionsTitled("Offline work")).length, 1);
      assert.equal((await switchesOf(s.id)).length, 1);
    });

    test("the journal is also replayed before the next command", async () => {
      const r = await cli(["start", "Offline again", "--json"], { env: off() });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json<Journaled>().offline, true);
      const st = await cli(["status", "--json"], { env: on() });
      assert.equal(st.code, 0, st.stderr);
      assert.match(st.stderr, /Synced 1 journaled action to/, "one action, in the singular");
      const s = st.json<Status>().session;
      assert.equal(s?.title, "Offline again");
      assert.equal(s?.started_at, r.json<Journaled>().op.at);
      assert.equal((await sessionsTitled("Offline again")).length, 1);
      const stop = await cli(["stop"], { env: on() });
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal((await session(s?.id ?? 0)).status, "DONE");
    });
  });

  describe("devfocus editor setup", () => {
    const me = makeHome();
    const env = () => ({ ...me.env, DEVFOCUS_URL: worker.base });
    const cfg = path.join(me.home, ".wakatime.cfg");

    test("asks, then writes api_url and a new editor key into ~/.wakatime.cfg, keeping the rest; the key records heartbeats", async () => {
      const login = await cli(["login", "--url", worker.base, "--email", EMAIL], { env: me.env, input: `${PASSWORD}\n` });
      assert.equal(login.code, 0, login.stderr);
      fs.writeFileSync(cfg, "[settings]\ndebug = true\napi_key = waka_old\n\n[projectmap]\n~/src/api = devfocus-api\n");
      const keys = async () => (await api().data(api().client.GET("/api/auth/tokens"))).results.filter((t) => t.scope === "EDITOR");
      const before = (await keys()).length;

      const no = await cli(["editor", "setup"], { env: env(), input: "n\n" });
      assert.equal(no.code, 0, no.stderr);
      assert.match(no.stderr, /Update .*\.wakatime\.cfg/);
      assert.match(no.stdout, /Nothing written/);
      assert.match(fs.readFileSync(cfg, "utf8"), /api_key = waka_old/);
      assert.equal((await keys()).length, before, "a no creates no key");

      const yes = await cli(["editor", "setup", "--json"], { env: env(), input: "y\n" });
      assert.equal(yes.code, 0, yes.stderr);
      const text = fs.readFileSync(cfg, "utf8");
      const apiUrl = `${worker.base}/api/compat/wakatime/v1`;
      const key = /api_key = (waka_[0-9a-f-]{36})/.exec(text)?.[1];
      assert.ok(key, text);
      assert.equal(text, `[settings]\ndebug = true\napi_key = ${key}\napi_url = ${apiUrl}\n\n[projectmap]\n~/src/api = devfocus-api\n`);
      assert.equal((await keys()).length, before + 1);

      // wakatime-cli's request, with what the cfg now says.
      const res = await fetch(`${apiUrl}/users/current/heartbeats.bulk`, {
        method: "POST",
        headers: { Authorization: `Basic ${Buffer.from(key).toString("base64")}`, "Content-Type": "application/json" },
        body: JSON.stringify([{ entity: "/src/app.ts", type: "file", time: Date.now() / 1000 - 60, category: "coding", project: "devfocus-api" }]),
      });
      assert.equal(res.status, 202);
      const status = await cli(["editor", "status", "--json"], { env: env() });
      assert.equal(status.json<{ points_here: boolean }>().points_here, true);
    });
  });
});
