// The parts that need no Worker: branch and task parsing, the SSE parser, `watch` reconnecting with
// Last-Event-ID (against a tiny local SSE server), hook install/uninstall, the journal's exactly-once
// replay (against an in-memory API), help and usage errors.
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { describe, test } from "node:test";
import { ApiError, Unreachable } from "../lib/api.mjs";
import { paths } from "../lib/files.mjs";
import { Journal } from "../lib/journal.mjs";
import { sseParser } from "../lib/sse.mjs";
import { parseBranch, parseTaskArg, repoFromRemote } from "../lib/tasks.mjs";
import { cli, makeHome, makeRepo, tmpDir } from "./helpers.mjs";

describe("branch names → tasks", () => {
  const cases = [
    ["42-fix-login", "acme/widgets", [{ external_key: "acme/widgets#42" }, { id: 42 }], "OTHER"],
    ["42-fix-login", null, [{ id: 42 }], "OTHER"],
    ["gh-42", "acme/widgets", [{ external_key: "acme/widgets#42" }, { github_number: 42 }], "OTHER"],
    ["gh-42", null, [{ github_number: 42 }], "OTHER"],
    ["task-17", "acme/widgets", [{ id: 17 }], "OTHER"],
    ["Task17-cleanup", null, [{ id: 17 }], "OTHER"],
    ["feature/acme-widgets-42", null, [{ external_key: "acme/widgets#42" }], "OTHER"],
    ["feature/my-org-big-repo-7", "my-org/big-repo", [{ external_key: "my-org/big-repo#7" }, { external_key: "my/org-big-repo#7" }, { external_key: "my-org-big/repo#7" }], "OTHER"],
    ["hotfix/42-crash", "acme/widgets", [{ external_key: "acme/widgets#42" }, { id: 42 }], "QUICK_FIX"],
    ["hotfix/task-9", null, [{ id: 9 }], "QUICK_FIX"],
    ["feature/ABC-123-login", null, [{ external_key: "ABC-123" }], "OTHER"],
    ["user/dev/42-thing", null, [{ id: 42 }], "OTHER"],
  ];
  for (const [branch, origin, candidates, reason] of cases) {
    test(`${branch}${origin ? ` (origin ${origin})` : ""}`, () => {
      const p = parseBranch(branch, origin);
      assert.ok(p, "a task branch");
      assert.deepEqual(p.candidates, candidates);
      assert.equal(p.reason, reason);
      assert.equal(p.soft, true);
    });
  }
  for (const branch of ["main", "master", "develop", "feature/new-ui", "release/1.2", "1.2-release", "docs/readme", "", null]) {
    test(`${JSON.stringify(branch)} names no task`, () => assert.equal(parseBranch(branch, "acme/widgets"), null));
  }
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

describe("SSE parser", () => {
  test("events split anywhere, CRLF, multi-line data, comments and retry", () => {
    const events = [];
    const retries = [];
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

describe("devfocus watch", () => {
  test("reconnects after the stream drops, sending Last-Event-ID, and prints one line per event", async () => {
    const seen = [];
    const server = http.createServer((req, res) => {
      seen.push({ url: req.url, lastEventId: req.headers["last-event-id"] ?? null, auth: req.headers.authorization });
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      res.write("retry: 100\n\n");
      res.write('event: reports\ndata: []\n\nevent: insights\ndata: []\n\n');
      if (seen.length === 1) {
        res.write('id: 41\nevent: session.closed\ndata: {"id":3,"title":"Deep work","total_focus_minutes":95,"switch_count":2}\n\n');
        res.end(); // the connection drops
      } else {
        res.write('id: 42\nevent: insight.created\ndata: {"level":"WARN","code":"HIGH_CONTEXT_SWITCHING","message":"Batch small requests."}\n\n');
      }
    });
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    try {
      const { port } = server.address();
      const home = makeHome();
      const r = await cli(["watch", "--max", "2"], { env: { ...home.env, DEVFOCUS_URL: `http://127.0.0.1:${port}`, DEVFOCUS_TOKEN: "dfk_test" }, timeoutMs: 15_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(seen.length, 2);
      assert.equal(seen[0].lastEventId, null);
      assert.equal(seen[1].lastEventId, "41", "the reconnect resumes after the last event seen");
      assert.equal(seen[0].auth, "Bearer dfk_test");
      assert.match(seen[0].url, /^\/api\/events\/stream\/?/);
      const lines = r.stdout.trim().split("\n").filter((l) => !/recent (reports|insights)/.test(l));
      assert.equal(lines.length, 2, r.stdout);
      assert.match(lines[0], /#41 session\.closed #3 "Deep work" · 1h 35m focus · 2 switches/);
      assert.match(lines[1], /#42 insight\.created WARN HIGH_CONTEXT_SWITCHING Batch small requests\./);
      assert.match(r.stderr, /stream lost .*reconnecting in 0\.1s with Last-Event-ID/);
      assert.equal(r.stdout.match(/recent reports/g).length, 1, "the snapshot is shown once, not on every reconnect");
      assert.equal(r.stdout.match(/recent insights/g).length, 1);
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
    r = await cli(["hook", "status", "--json"], { env: home.env, cwd: repo });
    assert.equal(r.json().installed, true);
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

/** Just enough of the API, in memory, for the journal's ops. */
function fakeApi({ failPostsAfter = Infinity } = {}) {
  const db = { sessions: [], switches: [], posts: 0 };
  const api = {
    base: "http://fake",
    async get(p) {
      const m = /^\/sessions\/(\d+)\/$/.exec(p);
      if (m) return db.sessions.find((s) => s.id === Number(m[1]));
      throw new Error(`unexpected GET ${p}`);
    },
    async list(p) {
      if (p === "/sessions/") return db.sessions;
      if (p === "/context-switches/") return db.switches;
      throw new Error(`unexpected list ${p}`);
    },
    async post(p, body) {
      db.posts++;
      // The write happens, then the answer is lost: the case the "attempted" mark is for.
      const lose = db.posts > failPostsAfter;
      let out;
      if (p === "/sessions/") {
        out = { id: db.sessions.length + 1, title: body.title, started_at: body.started_at, status: "OPEN", tasks: [] };
        db.sessions.push(out);
      } else if (p === "/context-switches/") {
        out = { id: db.switches.length + 1, ...body };
        db.switches.push(out);
      } else if (/\/close\/$/.test(p)) {
        const s = db.sessions.find((x) => x.id === Number(p.split("/")[2]));
        if (s.status === "DONE") throw new ApiError(409, { code: "CONFLICT", message: "Cannot close a session that is DONE." });
        s.status = "DONE";
        s.ended_at = body.ended_at;
        out = s;
      } else throw new Error(`unexpected POST ${p}`);
      if (lose) throw new Unreachable("http://fake", Object.assign(new Error("timed out"), { name: "TimeoutError" }));
      return out;
    },
  };
  return { api, db };
}

describe("journal replay", () => {
  const ops = (t0) => [
    { op: "start", local: "local-1", title: "Offline", team: null, task: null, at: new Date(t0).toISOString() },
    { op: "switch", session: { local: "local-1" }, from: null, to: { label: "#5", id: 5, title: "T5", candidates: [{ id: 5 }] }, reason: "OTHER", note: "", at: new Date(t0 + 1000).toISOString() },
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
    assert.equal(db.switches[0].dev_session, 1, "the switch reached the session created from the journal");
    assert.equal(db.sessions[0].status, "DONE");
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
    assert.match(s.stdout, /--reason <reason>\s+INTERRUPT, QUICK_FIX, MEETING or OTHER/);
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
  });

  test("FORCE_COLOR colours, NO_COLOR wins", async () => {
    const coloured = await cli(["--help"], { env: { FORCE_COLOR: "1" } });
    assert.match(coloured.stdout, /\x1b\[1m/);
    const plain = await cli(["--help"], { env: { FORCE_COLOR: "1", NO_COLOR: "1" } });
    assert.doesNotMatch(plain.stdout, /\x1b\[/);
  });
});
