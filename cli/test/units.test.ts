// The parts that need no Worker: branch and task parsing, the SSE parser, `watch` reconnecting with
// Last-Event-ID (against a tiny local SSE server), hook install/uninstall, the journal's exactly-once
// replay (against an in-memory API behind the typed client), times in the user's calendar, plurals,
// help and usage errors.
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { describe, test } from "node:test";
import type { Schemas } from "../../client/index.ts";
import { Api, Unreachable } from "../lib/api.ts";
import { clockFor } from "../lib/calendar.ts";
import { paths } from "../lib/files.ts";
import { Journal } from "../lib/journal.ts";
import type { Op } from "../lib/ops.ts";
import { plural } from "../lib/output.ts";
import { sseParser, type SseEvent } from "../lib/sse.ts";
import { focusNow } from "../lib/state.ts";
import { parseBranch, parseTaskArg, repoFromRemote, type Candidate } from "../lib/tasks.ts";
import { readSetting, setSettings } from "../lib/wakatime.ts";
import { cli, makeHome, makeRepo, tmpDir } from "./helpers.ts";

describe("branch names → tasks", () => {
  const cases: [string, string | null, Candidate[], string | undefined][] = [
    ["42-fix-login", "acme/widgets", [{ external_key: "acme/widgets#42" }, { id: 42 }], undefined],
    ["42-fix-login", null, [{ id: 42 }], undefined],
    ["gh-42", "acme/widgets", [{ external_key: "acme/widgets#42" }, { github_number: 42 }], undefined],
    ["gh-42", null, [{ github_number: 42 }], undefined],
    ["task-17", "acme/widgets", [{ id: 17 }], undefined],
    ["Task17-cleanup", null, [{ id: 17 }], undefined],
    ["feature/acme-widgets-42", null, [{ external_key: "acme/widgets#42" }], undefined],
    [
      "feature/my-org-big-repo-7",
      "my-org/big-repo",
      [{ external_key: "my-org/big-repo#7" }, { external_key: "my/org-big-repo#7" }, { external_key: "my-org-big/repo#7" }],
      undefined,
    ],
    ["hotfix/42-crash", "acme/widgets", [{ external_key: "acme/widgets#42" }, { id: 42 }], "QUICK_FIX"],
    ["hotfix/task-9", null, [{ id: 9 }], "QUICK_FIX"],
    ["feature/ABC-123-login", null, [{ external_key: "ABC-123" }], undefined],
    ["user/dev/42-thing", null, [{ id: 42 }], undefined],
  ];
  for (const [branch, origin, candidates, reason] of cases) {
    test(`${branch}${origin ? ` (origin ${origin})` : ""}`, () => {
      const p = parseBranch(branch, origin);
      assert.ok(p, "a task branch");
      assert.deepEqual(p.candidates, candidates);
      assert.equal(p.reason, reason, "hotfix branches are quick fixes; others take the API's default reason");
      assert.equal(p.soft, true);
    });
  }
  for (const branch of ["main", "master", "develop", "feature/new-ui", "release/1.2", "1.2-release", "docs/readme", "", null]) {
    test(`${JSON.stringify(branch)} names no task`, () => assert.equal(parseBranch(branch, "acme/widgets"), null));
  }
});

describe("~/.wakatime.cfg", () => {
  const values = { api_url: "http://127.0.0.1:8787/api/compat/wakatime/v1", api_key: "waka_00000000-0000-4000-8000-000000000000" };
  test("sets api_url and api_key in [settings], keeping every other line, comment and section", () => {
    const before = "# my editors\n[settings]\ndebug = false\napi_key = waka_old\nhide_file_names = true\n\n[projectmap]\n~/src/x = x\n";
    const after = setSettings(before, values);
    assert.equal(
      after,
      `# my editors\n[settings]\ndebug = false\napi_key = ${values.api_key}\nhide_file_names = true\napi_url = ${values.api_url}\n\n[projectmap]\n~/src/x = x\n`,
    );
    assert.equal(readSetting(after, "api_url"), values.api_url);
    assert.equal(readSetting(after, "api_key"), values.api_key);
    // Setting again changes nothing; a duplicate key line is dropped so the file says one thing.
    assert.equal(setSettings(after, values), after);
    assert.equal(setSettings("[settings]\napi_url=a\napi_url = b\n", values), `[settings]\napi_url = ${values.api_url}\napi_key = ${values.api_key}\n`);
  });

  test("adds the section to a file without one (or an empty file), and keeps CRLF line endings", () => {
    assert.equal(setSettings("", values), `[settings]\napi_url = ${values.api_url}\napi_key = ${values.api_key}\n`);
    assert.equal(setSettings("[git]\ndisable_submodules = true", values), `[git]\ndisable_submodules = true\n\n[settings]\napi_url = ${values.api_url}\napi_key = ${values.api_key}\n`);
    assert.equal(setSettings("[Settings]\r\napi_key = old\r\n", values), `[Settings]\r\napi_key = ${values.api_key}\r\napi_url = ${values.api_url}\r\n`);
    // Keys of another section are not touched.
    assert.equal(readSetting("[other]\napi_url = x\n", "api_url"), null);
  });
});

describe("task arguments and remotes", () => {
  test("ids, keys, issue URLs and tracker keys", () => {
    assert.deepEqual(parseTaskArg("42").candidates, [{ id: 42 }]);
    assert.deepEqual(parseTaskArg("#42").candidates, [{ id: 42 }]);
    assert.deepEqual(parseTaskArg("acme/widgets#42").candidates, [{ external_key: "acme/widgets#42" }]);
    assert.deepEqual(parseTaskArg("https://github.com/acme/widgets/issues/42").candidates, [{ external_key: "acme/widgets#42" }]);
    assert.deepEqual(parseTaskArg("ABC-123").candidates, [{ external_key: "ABC-123" }]);
    assert.throws(() => parseTaskArg("fix login"), /is not a task/);
  });
  test("owner/repo from origin URLs", () => {
    assert.equal(repoFromRemote("https://github.com/acme/widgets.git"), "acme/widgets");
    assert.equal(repoFromRemote("git@github.com:acme/widgets.git\n"), "acme/widgets");
    assert.equal(repoFromRemote("ssh://git@ghe.example.com:2222/acme/widgets"), "acme/widgets");
    assert.equal(repoFromRemote(""), null);
  });
});

describe("times, focus and plurals", () => {
  const at = (iso: string) => Date.parse(iso);
  test("a time of the user's current day shows as HH:MM in their zone; another day's with its date", () => {
    const now = at("2026-01-30T23:30:00Z"); // Tokyo: 31 Jan 08:30; New York: 30 Jan 18:30
    const tokyo = clockFor({ timezone: "Asia/Tokyo", dayStartHour: 0 }, now);
    assert.equal(tokyo("2026-01-30T22:15:00Z"), "07:15");
    assert.equal(tokyo("2026-01-30T12:00:00Z"), "2026-01-30 21:00", "the day before in Tokyo");
    const newYork = clockFor({ timezone: "America/New_York", dayStartHour: 0 }, now);
    assert.equal(newYork("2026-01-30T12:00:00Z"), "07:00");
    assert.equal(tokyo(null), "");
  });
  test("the day starts at the user's day_start_hour: 02:00 belongs to the day before with a 4 o'clock start", () => {
    const now = at("2026-01-31T01:00:00Z"); // Paris 02:00 on the 31st: still the 30th for this user
    const paris = clockFor({ timezone: "Europe/Paris", dayStartHour: 4 }, now);
    assert.equal(paris("2026-01-30T20:00:00Z"), "21:00", "same user day");
    const midnight = clockFor({ timezone: "Europe/Paris", dayStartHour: 0 }, now);
    assert.equal(midnight("2026-01-30T20:00:00Z"), "2026-01-30 21:00");
  });
  test("focus so far is the Worker's own arithmetic: elapsed minus pauses; the stretch restarts at a switch or resume", () => {
    const session = {
      started_at: "2026-01-30T09:00:00.000Z",
      pauses: [{ from: "2026-01-30T09:30:00.000Z", to: "2026-01-30T09:40:00.000Z" }],
    };
    assert.deepEqual(focusNow(session, ["2026-01-30T09:50:00.000Z"], at("2026-01-30T10:05:00Z")), { focusMinutes: 55, stretchMinutes: 15 });
    const paused = { ...session, pauses: [...session.pauses, { from: "2026-01-30T10:00:00.000Z", to: null }] };
    assert.deepEqual(focusNow(paused, [], at("2026-01-30T10:30:00Z")), { focusMinutes: 50, stretchMinutes: 0 });
  });
  test("plurals", () => {
    assert.equal(plural(1, "interrupt"), "1 interrupt");
    assert.equal(plural(2, "interrupt"), "2 interrupts");
    assert.equal(plural(0, "switch", "switches"), "0 switches");
    assert.equal(plural(1, "quick fix", "quick fixes"), "1 quick fix");
  });
});

describe("SSE parser", () => {
  test("events split anywhere, CRLF, multi-line data, comments and retry", () => {
    const events: SseEvent[] = [];
    const retries: number[] = [];
    const p = sseParser({ onEvent: (e) => events.push(e), onRetry: (ms) => retries.push(ms) });
    const stream = 'retry: 3000\r\n\r\n: ping\r\n\r\nid: 7\r\nevent: report.created\r\ndata: {"id":1}\r\n\r\nid: 8\ndata: line one\ndata: line two\n\n';
    for (let i = 0; i < stream.length; i += 3) p.push(stream.slice(i, i + 3)); // split mid-"\r\n" on purpose
    assert.deepEqual(retries, [3000]);
    assert.deepEqual(events, [
      { id: "7", event: "report.created", data: '{"id":1}' },
      { id: "8", event: "message", data: "line one\nline two" },
    ]);
    assert.equal(p.lastEventId, "8");
  });
});

const portOf = (server: http.Server) => {
  const a = server.address();
  return typeof a === "object" && a ? a.port : 0;
};

describe("devfocus watch", () => {
  test("reconnects after the stream drops, sending Last-Event-ID, and prints one line per event", async () => {
    const seen: { url: string | undefined; lastEventId: string | null; auth: string | undefined }[] = [];
    const server = http.createServer((req, res) => {
      if (!/^\/api\/events\/stream\/?(\?|$)/.test(req.url ?? "")) {
        // GET /api/auth/me/ (the calendar): a refusal, so the machine's zone is used.
        res.writeHead(404, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: { code: "NOT_FOUND", message: "Not here.", details: [], request_id: "r" } }));
        return;
      }
      const lastEventId = req.headers["last-event-id"];
      seen.push({ url: req.url, lastEventId: typeof lastEventId === "string" ? lastEventId : null, auth: req.headers.authorization });
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      res.write("retry: 100\n\n");
      res.write("event: reports\ndata: []\n\nevent: insights\ndata: []\n\n");
      if (seen.length === 1) {
        res.write('id: 41\nevent: session.closed\ndata: {"id":3,"title":"Deep work","total_focus_minutes":95,"switch_count":2}\n\n');
        res.end(); // the connection drops
      } else {
        res.write('id: 42\nevent: insight.created\ndata: {"level":"WARN","code":"HIGH_CONTEXT_SWITCHING","message":"Batch small requests."}\n\n');
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const home = makeHome();
      const r = await cli(["watch", "--max", "2"], { env: { ...home.env, DEVFOCUS_URL: `http://127.0.0.1:${portOf(server)}`, DEVFOCUS_TOKEN: "dfk_test" }, timeoutMs: 15_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(seen.length, 2);
      assert.match(seen[0]?.url ?? "", /^\/api\/events\/stream\/?/);
      assert.equal(seen[0]?.lastEventId, null);
      assert.equal(seen[1]?.lastEventId, "41", "the reconnect resumes after the last event seen");
      assert.equal(seen[0]?.auth, "Bearer dfk_test");
      const lines = r.stdout.trim().split("\n").filter((l) => !/recent (reports|insights)/.test(l));
      assert.equal(lines.length, 2, r.stdout);
      assert.match(lines[0] ?? "", /#41 session\.closed #3 "Deep work" · 1h 35m focus · 2 switches/);
      assert.match(lines[1] ?? "", /#42 insight\.created WARN HIGH_CONTEXT_SWITCHING Batch small requests\./);
      assert.match(r.stderr, /stream lost .*reconnecting in 0\.1s with Last-Event-ID/);
      assert.equal(r.stdout.match(/recent reports/g)?.length, 1, "the snapshot is shown once, not on every reconnect");
      assert.equal(r.stdout.match(/recent insights/g)?.length, 1);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});

describe("hook install / uninstall", () => {
  test("without an existing hook: install creates it executable, uninstall removes it", async () => {
    const repo = makeRepo({ origin: null });
    const home = makeHome();
    const file = path.join(repo, ".git", "hooks", "post-checkout");
    let r = await cli(["hook", "install"], { env: home.env, cwd: repo });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.statSync(file).mode & 0o755, 0o755);
    assert.match(fs.readFileSync(file, "utf8"), /cli\/dist\/devfocus\.js/, "the hook runs the installed bundle");
    r = await cli(["hook", "status", "--json"], { env: home.env, cwd: repo });
    assert.equal(r.json<{ installed: boolean }>().installed, true);
    r = await cli(["hook", "uninstall"], { env: home.env, cwd: repo });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!fs.existsSync(file));
  });

  test("a foreign hook is never overwritten by uninstall", async () => {
    const repo = makeRepo({ origin: null });
    const file = path.join(repo, ".git", "hooks", "post-checkout");
    fs.writeFileSync(file, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const r = await cli(["hook", "uninstall"], { env: makeHome().env, cwd: repo });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is not the devfocus hook/);
    assert.equal(fs.readFileSync(file, "utf8"), "#!/bin/sh\nexit 0\n");
  });

  test("outside a git repository: a clear error", async () => {
    const r = await cli(["hook", "install"], { env: makeHome().env, cwd: tmpDir() });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Not inside a git repository/);
  });
});

/** Just enough of the API, in memory, behind the typed client: what the journal's ops call. */
function fakeApi({ failPostsAfter = Infinity } = {}) {
  type Session = Schemas["DevSessionDetail"];
  const db = { sessions: [] as Session[], switches: [] as Schemas["ContextSwitch"][], posts: 0 };
  const t = "2026-01-30T09:00:00.000Z";
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  const page = <T>(results: T[]) => json(200, { results, next: null });
  const handle = async (req: Request): Promise<Response> => {
    const { pathname } = new URL(req.url);
    const p = pathname.replace(/\/$/, "");
    const body = req.method === "POST" ? ((await req.json()) as Record<string, unknown>) : {};
    let m: RegExpExecArray | null;
    if (req.method === "GET") {
      if ((m = /^\/api\/sessions\/(\d+)$/.exec(p))) return json(200, db.sessions.find((s) => s.id === Number(m?.[1])));
      if (p === "/api/sessions") return page(db.sessions);
      if (p === "/api/context-switches") return page(db.switches);
      throw new Error(`unexpected GET ${p}`);
    }
    db.posts++;
    if (p === "/api/sessions") {
      const s: Session = {
        id: db.sessions.length + 1,
        user: 1,
        team: null,
        title: String(body.title),
        description: "",
        status: "OPEN",
        source: "CLI",
        started_at: String(body.started_at),
        ended_at: null,
        switch_count: 0,
        last_switch_at: null,
        total_focus_minutes: 0,
        created_at: t,
        updated_at: t,
        tasks: [],
        pauses: [],
      };
      db.sessions.push(s);
      return json(201, s);
    }
    if (p === "/api/context-switches") {
      const sw = { id: db.switches.length + 1, user: 1, from_task: null, to_task: null, created_at: t, updated_at: t, ...body } as Schemas["ContextSwitch"];
      db.switches.push(sw);
      return json(201, sw);
    }
    if ((m = /^\/api\/sessions\/(\d+)\/(close|attach_task)$/.exec(p))) {
      const s = db.sessions.find((x) => x.id === Number(m?.[1]));
      if (!s) return json(404, { error: { code: "NOT_FOUND", message: "No such session.", details: [], request_id: "r" } });
      if (m[2] === "attach_task") return json(201, s);
      if (s.status === "DONE") return json(409, { error: { code: "CONFLICT", message: "Cannot close a session that is DONE.", details: [], request_id: "r" } });
      s.status = "DONE";
      s.ended_at = String(body.ended_at);
      return json(200, s);
    }
    throw new Error(`unexpected POST ${p}`);
  };
  const fetch = async (req: Request): Promise<Response> => {
    const res = await handle(req);
    // The write happened, then the answer is lost: the case the "attempted" mark is for.
    if (req.method === "POST" && db.posts > failPostsAfter) throw Object.assign(new Error("The operation timed out."), { name: "TimeoutError" });
    return res;
  };
  return { api: new Api({ url: "http://fake", fetch }), db };
}

describe("journal replay", () => {
  const ops = (t0: number): Op[] => [
    { op: "start", local: "local-1", title: "Offline", team: null, task: null, at: new Date(t0).toISOString() },
    {
      op: "switch",
      session: { local: "local-1" },
      from: null,
      to: { label: "#5", id: 5, title: "T5", candidates: [{ id: 5 }] },
      reason: "OTHER",
      note: "",
      at: new Date(t0 + 1000).toISOString(),
    },
    { op: "stop", session: { local: "local-1" }, at: new Date(t0 + 2000).toISOString() },
  ];

  test("an answer lost mid-replay does not write twice: each action lands exactly once, in order", async () => {
    const journal = new Journal(paths(tmpDir()));
    for (const op of ops(Date.now() - 60_000)) journal.append(op);
    // Every write succeeds but every answer after the first is lost, one replay after another.
    const { api, db } = fakeApi({ failPostsAfter: 1 });
    let r = await journal.sync(api);
    assert.equal(r.replayed.length, 1); // start
    assert.ok(r.stopped instanceof Unreachable);
    for (let i = 0; i < 5 && journal.count(); i++) {
      db.posts = 0; // a fresh "connection": the next post answers, then answers are lost again
      r = await journal.sync(api);
    }
    assert.equal(journal.count(), 0);
    assert.equal(db.sessions.length, 1);
    assert.equal(db.switches.length, 1);
    assert.equal(db.switches[0]?.dev_session, 1, "the switch reached the session created from the journal");
    assert.equal(db.sessions[0]?.status, "DONE");
    const again = await journal.sync(api);
    assert.equal(again.replayed.length, 0);
    assert.equal(db.sessions.length, 1);
  });
});

describe("help and usage", () => {
  test("--help lists every command; <cmd> --help lists its options", async () => {
    const r = await cli(["--help"]);
    assert.equal(r.code, 0);
    for (const c of ["login", "logout", "whoami", "start", "switch", "pause", "resume", "stop", "status", "link", "tasks", "report", "watch", "sync", "hook"]) {
      assert.match(r.stdout, new RegExp(`^  ${c}\\s`, "m"), c);
    }
    const s = await cli(["switch", "--help"]);
    assert.equal(s.code, 0);
    assert.match(s.stdout, /--reason <reason>\s+INTERRUPT, QUICK_FIX, MEETING or OTHER/, "the reasons come from the API's document");
    const h = await cli(["help", "report"]);
    assert.match(h.stdout, /devfocus report \[today \| week/);
  });

  test("unknown commands and options exit 2; commands needing a login say so", async () => {
    assert.equal((await cli(["frobnicate"])).code, 2);
    const r = await cli(["start", "--nope"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Unknown option '--nope'/);
    const j = await cli(["status", "--bogus", "--json"]);
    assert.equal(j.code, 2);
    assert.equal(JSON.parse(j.stderr).error.code, "USAGE");
    const n = await cli(["start", "x"], { env: makeHome().env });
    assert.equal(n.code, 1);
    assert.match(n.stderr, /Not logged in\.\nRun `devfocus login --url <api>`/);
    const bare = await cli(["switch"], { env: makeHome().env });
    assert.equal(bare.code, 2, "a switch says where to, or why");
    assert.match(bare.stderr, /Where to, or why\?/);
  });

  test("FORCE_COLOR colours, NO_COLOR wins", async () => {
    const coloured = await cli(["--help"], { env: { FORCE_COLOR: "1" } });
    assert.match(coloured.stdout, /\x1b\[1m/);
    const plain = await cli(["--help"], { env: { FORCE_COLOR: "1", NO_COLOR: "1" } });
    assert.doesNotMatch(plain.stdout, /\x1b\[/);
  });
});
