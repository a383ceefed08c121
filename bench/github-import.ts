#!/usr/bin/env node
// `npm run bench:github`: imports 10,000 issues from a loopback fake GitHub through `wrangler dev`.
//
// A node http server on 127.0.0.1 plays GitHub's GET /repos/{owner}/{repo}/issues (pages of 100, Link
// headers, realistic issue objects) and times every response it serves. `npm run dev` starts the Worker
// in its own process group on free ports, with a throwaway persistence directory and
// `--var GITHUB_API_URL:<the fake>`. The bench registers a user and a team over HTTP, starts an import,
// polls the job until DONE, then runs the same import again (every task already exists: the update path).
// It reports wall time, D1 statements and rows written per page (from the consumer's per-page log line),
// and the share of the wall time spent waiting on the fake, checks the tasks in D1 (count, no duplicates),
// and writes bench/github-results.md. Loopback only; bounded in size and time; everything it started is
// killed at the end, on error, on Ctrl-C and on timeout.
//
// The Worker runs from a snapshot of the sources taken at start (the working tree, or the last commit with
// BENCH_SOURCE=head), so edits made meanwhile do not reload it. Starting and stopping wrangler dev is
// bench/lib/server.ts's DevServer, shared with the other benchmarks; the API is called through the typed client.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { count, countDistinct, eq, sql } from "drizzle-orm";
import { QueryBuilder } from "drizzle-orm/sqlite-core";
import type { Schemas } from "../client/index.ts";
import { tasks } from "../src/db/schema.ts";
import { PASSWORD } from "./generate.ts";
import { type ApiClient, apiClient, ok, registerUser } from "./lib/api.ts";
import { d1File, DevServer, HOST, root, sleep, snapshotSources } from "./lib/server.ts";

const ISSUES = 10_000;
const PER_PAGE = 100;
const OWNER = "bench";
const REPO = "big-repo";
const STARTUP_TIMEOUT_MS = 120_000;
const IMPORT_TIMEOUT_MS = 240_000;
const TOTAL_TIMEOUT_MS = 600_000;

const resultsFile = path.join(root, "bench", "github-results.md");
const fmt = (v: number, unit = "ms") => `${v.toFixed(1)} ${unit}`;
const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)} %`;
const quantile = (values: number[], q: number): number => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? 0;
};

// ─── The fake GitHub ─────────────────────────────────────────────────────────────────────────────

const LABELS: string[][] = [[], ["bug"], ["bug", "P1"], ["enhancement"], ["tech debt", "low"], ["cleanup"], ["critical"], ["documentation"]];
const WORDS = "the a request fails when cache token retry page import queue worker timeout header user team task label".split(" ");

/** Issue n (1-based), deterministic: the same payload on every request, as GitHub would serve it. */
function issue(n: number, base: string) {
  let x = n * 2654435761 % 2 ** 32;
  const rand = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const words = (k: number) => Array.from({ length: k }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(" ");
  const html = `https://github.com/${OWNER}/${REPO}/issues/${n}`;
  return {
    url: `${base}/repos/${OWNER}/${REPO}/issues/${n}`,
    repository_url: `${base}/repos/${OWNER}/${REPO}`,
    html_url: html,
    id: 2_000_000_000 + n,
    node_id: `I_kwDOBench${n}`,
    number: n,
    title: `Issue ${n}: ${words(6)}`,
    user: { login: "octocat", id: 583231, node_id: "MDQ6VXNlcjU4MzIzMQ==", type: "User", site_admin: false },
    labels: (LABELS[n % LABELS.length] ?? []).map((name, i) => ({ id: 1000 + i, node_id: `LA_${i}`, url: `${base}/labels/${i}`, name, color: "d73a4a", default: i === 0, description: null })),
    state: "open",
    locked: false,
    assignee: null,
    assignees: [],
    milestone: null,
    comments: Math.floor(rand() * 10),
    created_at: new Date(Date.UTC(2024, 0, 1) + n * 60_000).toISOString().replace(".000", ""),
    updated_at: new Date(Date.UTC(2025, 0, 1) + n * 60_000).toISOString().replace(".000", ""),
    closed_at: null,
    author_association: "CONTRIBUTOR",
    active_lock_reason: null,
    body: n % 9 === 0 ? null : `${words(40 + Math.floor(rand() * 200))}\n\n### Steps\n1. ${words(8)}\n2. ${words(8)}`,
    reactions: { url: `${base}/reactions`, total_count: 0, "+1": 0, "-1": 0, laugh: 0, hooray: 0, confused: 0, heart: 0, rocket: 0, eyes: 0 },
    timeline_url: `${base}/repos/${OWNER}/${REPO}/issues/${n}/timeline`,
    state_reason: null,
  };
}

interface FakeStats {
  requests: number;
  servingMs: number;
  bytes: number;
  unexpected: number;
}

interface FakeGithub {
  srv: http.Server;
  port: number;
  stats: FakeStats;
}

function startFakeGithub(): Promise<FakeGithub> {
  const stats: FakeStats = { requests: 0, servingMs: 0, bytes: 0, unexpected: 0 };
  const srv = http.createServer((req, res) => {
    const started = performance.now();
    stats.requests++;
    const base = `http://${req.headers.host}`;
    const url = new URL(req.url ?? "/", base);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
      res.end(text);
      stats.bytes += Buffer.byteLength(text);
      stats.servingMs += performance.now() - started;
    };
    if (req.method !== "GET" || url.pathname !== `/repos/${OWNER}/${REPO}/issues`) {
      stats.unexpected++;
      return send(404, { message: "Not Found" });
    }
    const perPage = Number(url.searchParams.get("per_page") ?? 30);
    const page = Number(url.searchParams.get("page") ?? 1);
    const last = Math.ceil(ISSUES / perPage);
    const items = [];
    for (let n = (page - 1) * perPage + 1; n <= Math.min(ISSUES, page * perPage); n++) items.push(issue(n, base));
    const link = (p: number) => {
      const u = new URL(url);
      u.searchParams.set("page", String(p));
      return `<${u}>`;
    };
    const rels = page < last ? [`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`] : [`${link(1)}; rel="first"`, `${link(page - 1)}; rel="prev"`];
    send(200, items, {
      link: rels.join(", "),
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": String(5000 - stats.requests),
      "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
    });
  });
  return new Promise((resolve) => srv.listen(0, HOST, () => resolve({ srv, port: (srv.address() as AddressInfo).port, stats })));
}

// ─── The Worker under `wrangler dev` ─────────────────────────────────────────────────────────────

let server: DevServer | null = null;
let logPath = "";

async function startServer(appDir: string, persistDir: string, githubUrl: string): Promise<string> {
  logPath = path.join(persistDir, "wrangler-dev.log");
  server = new DevServer("bench:github", appDir, path.join(persistDir, "state"), logPath, {
    extraArgs: ["--var", `GITHUB_API_URL:${githubUrl}`],
  });
  return server.start(STARTUP_TIMEOUT_MS);
}

/** The consumer's per-page log line (src/modules/github/consumer.ts), as far as the bench reads it. */
interface PageLine {
  job: number;
  imported?: number;
  github_ms: number;
  d1_ms: number;
  d1_statements: number;
  d1_rows_written: number;
}

const isPageLine = (v: unknown): v is PageLine =>
  typeof v === "object" && v !== null && "job" in v && typeof v.job === "number" &&
  ["github_ms", "d1_ms", "d1_statements", "d1_rows_written"].every((k) => k in v && typeof (v as Record<string, unknown>)[k] === "number");

/** The consumer's per-page log lines for one job, from wrangler dev's output. */
function pageLines(jobId: number): PageLine[] {
  const lines: PageLine[] = [];
  for (const line of readFileSync(logPath, "utf8").split("\n")) {
    const at = line.indexOf('{"level":"info","msg":"import page"');
    if (at < 0) continue;
    try {
      const entry: unknown = JSON.parse(line.slice(at));
      if (isPageLine(entry) && entry.job === jobId) lines.push(entry);
    } catch {
      /* a line cut by the pipe */
    }
  }
  return lines;
}

interface ImportRun {
  label: string;
  job: Schemas["ImportJob"];
  wallMs: number;
  fakeRequests: number;
  fakeServingMs: number;
  fakeBytes: number;
  pages: PageLine[];
}

async function runImport(api: ApiClient, teamId: number, fake: FakeGithub, label: string): Promise<ImportRun> {
  const before = { ...fake.stats };
  const t0 = performance.now();
  const job = await ok(api.POST("/api/tasks/import_github", { body: { owner: OWNER, repo: REPO, team_id: teamId, state: "all" } }));
  let current = job;
  const deadline = Date.now() + IMPORT_TIMEOUT_MS;
  while (current.status !== "DONE" && current.status !== "FAILED") {
    if (Date.now() > deadline) throw new Error(`${label}: job still ${current.status} after ${IMPORT_TIMEOUT_MS} ms: ${JSON.stringify(current)}`);
    await sleep(50);
    current = await ok(api.GET("/api/imports/{id}", { params: { path: { id: job.id } } }));
  }
  const wallMs = performance.now() - t0;
  if (current.status !== "DONE") throw new Error(`${label}: job FAILED: ${current.error_message}`);
  await sleep(300); // let the last log line reach the file
  const pages = pageLines(job.id).filter((p) => p.imported);
  return {
    label,
    job: current,
    wallMs,
    fakeRequests: fake.stats.requests - before.requests,
    fakeServingMs: fake.stats.servingMs - before.servingMs,
    fakeBytes: fake.stats.bytes - before.bytes,
    pages,
  };
}

type Summary = ReturnType<typeof summarize>;

function summarize(r: ImportRun) {
  const sum = (k: "github_ms" | "d1_ms" | "d1_rows_written" | "d1_statements") => r.pages.reduce((n, p) => n + p[k], 0);
  const stmts = r.pages.map((p) => p.d1_statements);
  return {
    ...r,
    githubMs: sum("github_ms"),
    d1Ms: sum("d1_ms"),
    rowsWritten: sum("d1_rows_written"),
    stmtsMin: Math.min(...stmts),
    stmtsMax: Math.max(...stmts),
    stmtsMean: sum("d1_statements") / r.pages.length,
    githubP50: quantile(r.pages.map((p) => p.github_ms), 0.5),
    d1P50: quantile(r.pages.map((p) => p.d1_ms), 0.5),
  };
}

interface Check {
  tasks: number;
  distinct_ids: number;
  bugs: number;
  high: number;
}

/** The team's tasks as D1 holds them (read from its SQLite file, once wrangler dev has stopped). */
function checkTasks(persistDir: string, teamId: number): Check {
  const query = new QueryBuilder()
    .select({
      tasks: count(),
      distinct_ids: countDistinct(tasks.externalId),
      bugs: sql<number>`sum(${eq(tasks.type, "BUG")})`,
      high: sql<number>`sum(${eq(tasks.priority, "HIGH")})`,
    })
    .from(tasks)
    .where(eq(tasks.teamId, teamId))
    .toSQL();
  const db = new DatabaseSync(d1File(path.join(persistDir, "state")), { readOnly: true });
  try {
    const values = Object.values(db.prepare(query.sql).get(...query.params.map((p) => (typeof p === "number" || typeof p === "string" ? p : null))) ?? {});
    const [tasksN, distinct, bugs, high] = values.map(Number);
    return { tasks: tasksN ?? NaN, distinct_ids: distinct ?? NaN, bugs: bugs ?? NaN, high: high ?? NaN };
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  const fake = await startFakeGithub();
  const githubUrl = `http://${HOST}:${fake.port}`;
  const persistDir = mkdtempSync(path.join(os.tmpdir(), "devfocus-bench-github-"));
  const cwd = snapshotSources(path.join(persistDir, "app"));
  try {
    const s0 = performance.now();
    const base = await startServer(cwd, persistDir, githubUrl);
    console.log(`fake GitHub at ${githubUrl}; wrangler dev up at ${base} in ${fmt(performance.now() - s0)}`);

    const api = apiClient(base, await registerUser(base, PASSWORD));
    const team = await ok(api.POST("/api/teams", { body: { name: "Bench Team" } }));

    const runs: Summary[] = [];
    for (const label of ["first import (10,000 new tasks)", "re-import (10,000 existing, unchanged)"]) {
      const r = summarize(await runImport(api, team.id, fake, label));
      console.log(`${label}: ${r.job.pages_done} pages, created ${r.job.created_count}, updated ${r.job.updated_count} in ${fmt(r.wallMs)}`);
      runs.push(r);
    }

    await server?.stop(); // the whole group, waited for: D1 is read from its files next
    const check = checkTasks(persistDir, team.id);
    console.log(`D1: ${JSON.stringify(check)}`);
    if (check.tasks !== ISSUES || check.distinct_ids !== ISSUES) throw new Error(`expected ${ISSUES} distinct tasks, found ${JSON.stringify(check)}`);
    if (fake.stats.unexpected) throw new Error(`${fake.stats.unexpected} unexpected requests reached the fake`);

    writeResults(runs, check);
    console.log(`wrote ${path.relative(root, resultsFile)}`);
  } catch (err) {
    // The log goes with its directory: show its end first.
    try {
      console.error(readFileSync(logPath, "utf8").split("\n").slice(-40).join("\n"));
    } catch {
      /* no log yet */
    }
    throw err;
  } finally {
    await server?.stop();
    fake.srv.close();
    rmSync(persistDir, { recursive: true, force: true });
  }
}

function writeResults(runs: Summary[], check: Check) {
  const [first, again] = runs;
  if (!first || !again) throw new Error("expected two runs");
  const row = (r: Summary) =>
    `| ${r.label} | ${r.job.pages_done} | ${r.job.created_count} / ${r.job.updated_count} | ${fmt(r.wallMs / 1000, "s")} | ` +
    `${Math.round(ISSUES / (r.wallMs / 1000))} | ${fmt(r.wallMs / r.job.pages_done)} | ` +
    `${r.stmtsMean.toFixed(2)} (${r.stmtsMin}–${r.stmtsMax}) | ${Math.round(r.rowsWritten / r.pages.length)} | ` +
    `${pct(r.fakeServingMs, r.wallMs)} | ${pct(r.githubMs, r.wallMs)} | ${pct(r.d1Ms, r.wallMs)} |`;
  const md = `# GitHub import benchmark

\`npm run bench:github\` — ${new Date().toISOString()} · Node ${process.version} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"} · load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(" / ")}
(the machine may be shared: the queue hand-off between pages, the largest share, varies most with load)

${ISSUES.toLocaleString("en-US")} issues (pages of ${PER_PAGE}, realistic issue objects, ${Math.round(first.fakeBytes / first.fakeRequests / 1024)} KiB per page)
served by a loopback fake GitHub; the Worker runs under \`wrangler dev\` (local D1, local queue), and the
bench polls \`GET /api/imports/{id}/\` every 50 ms from \`POST /api/tasks/import_github/\` until DONE.

| run | pages | created / updated | wall | issues/s | per page | D1 statements per page (min–max) | D1 rows written per page | fake busy serving | waiting on GitHub (Worker side) | in D1 (Worker side) |
|---|---|---|---|---|---|---|---|---|---|---|
${runs.map(row).join("\n")}

- **D1 statements per page**: the consumer's own count (logged per page): 1 read of the job and of the page's row,
  then one batch = record the page + upsert the issues (one statement per ≤ 512 KiB of issues, so one here) +
  recompute the counters; page 1 adds the PENDING → RUNNING update. Bound parameters: ≤ 7 per statement.
- **Rows written** counts index entries too (tasks has 10 indexes), as D1 bills them. The re-import writes
  only the page and job rows: unchanged tasks are not rewritten.
- **Fake busy serving**: time the fake spent building and sending responses, over the wall time.
  **Waiting on GitHub**: time the Worker spent in the octokit request (loopback, fake serving, JSON parse).
  The rest of the wall time is queue hand-off between pages (\`wrangler dev\`'s local queue) and the bench's polling.
- Median per page: GitHub ${fmt(first.githubP50)} / D1 ${fmt(first.d1P50)} (first import),
  GitHub ${fmt(again.githubP50)} / D1 ${fmt(again.d1P50)} (re-import).
- Checked in D1 afterwards: ${check.tasks} tasks, ${check.distinct_ids} distinct external ids (no duplicates), ${check.bugs} BUG, ${check.high} HIGH.
`;
  writeFileSync(resultsFile, md);
}

const timer = setTimeout(() => {
  console.error(`benchmark exceeded ${TOTAL_TIMEOUT_MS} ms; stopping`);
  server?.killNow();
  process.exit(1);
}, TOTAL_TIMEOUT_MS);
timer.unref();
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    server?.killNow();
    process.exit(130);
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    server?.killNow();
    process.exit(1);
  },
);
