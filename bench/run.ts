#!/usr/bin/env node
// `npm run bench`: the performance benchmark of issue 9, end to end on this machine.
//
// 1. Generates two seeded datasets (bench/generate.ts): small (1,000 tasks, 500 sessions, 5,000 switches)
//    and large (100,000 tasks in one team, 50,000 sessions, 500,000 switches, 20 users), each in a fresh
//    local D1 under bench/data/<size>/ (git-ignored).
// 2. Starts one `wrangler dev` per size (`npm run dev`, from a snapshot of the sources, each in its own
//    process group on a free 127.0.0.1 port) and loads both from this process, interleaving small and large
//    in rounds so that the machine's noise falls on both alike: a latency phase (requests one after another:
//    p50, p99) and a throughput phase (a few concurrent loops for a fixed time: requests/s), bounded in
//    count and time. Every answer's Server-Timing gives its D1 round trips and rows read. Every request is
//    built by the typed API client (client/index.ts); deep-page cursors come from walking the list's `next` links.
// 3. Writes bench/results.md and bench/results.json, prints the budgets PASS/FAIL, exits 1 if one fails.
//
// Environment: BENCH_SOURCE=head serves the last commit instead of the working tree; BENCH_QUICK=1 halves
// the request counts (a smoke run).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createContextSwitchRequestReasonValues, pathsApiTasksGetParametersQueryOrderingValues } from "../client/index.ts";
import { type Aggregated, generate, type Meta, type Size } from "./generate.ts";
import { apiClient, cursorAfterTask, type Prepared, prepare, type TaskQuery } from "./lib/api.ts";
import { concurrent, type LoadRequest, type MakeRequest, max, median, quantile, request, type Sample, sequential } from "./lib/load.ts";
import { DevServer, root, rssKiB, rssSampler, sleep, snapshotSources, sourceLabel, wranglerVersion } from "./lib/server.ts";

const TOTAL_TIMEOUT_MS = 9.5 * 60_000;
const QUICK = process.env.BENCH_QUICK === "1";
const PLAN = {
  warmup: 5,
  latencyRounds: 4,
  latencyPerRound: QUICK ? 6 : 15,
  tputRounds: 2,
  tputMs: QUICK ? 400 : 1000,
  tputConcurrency: 6,
  tputMax: 3000,
};
const PAGE = 50;
const OVERHEAD_ROUNDS = 4;
const dataDir = path.join(root, "bench", "data");
const resultsMd = path.join(root, "bench", "results.md");
const resultsJson = path.join(root, "bench", "results.json");
const SIZES: readonly Size[] = ["small", "large"];
type PerSize<T> = Record<Size, T>;
const perSize = <T>(f: (size: Size) => T): PerSize<T> => ({ small: f("small"), large: f("large") });

const servers: Partial<PerSize<DevServer>> = {};
const server = (size: Size): DevServer => {
  const s = servers[size];
  if (!s) throw new Error(`${size}: no server`);
  return s;
};
const log = (line: string) => console.log(line);
const round = (v: number, d = 2): number | null => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : null);
/** The element at `i`, which must exist. */
const at = <T>(list: readonly T[], i: number): T => {
  const v = list[i];
  if (v === undefined) throw new Error(`no element ${i} of ${list.length}`);
  return v;
};
const firstToken = (meta: Meta) => at(meta.tokens, 0);

function machine() {
  let model = "unknown";
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? model;
  } catch {
    /* not Linux */
  }
  let nproc = os.availableParallelism?.() ?? os.cpus().length;
  try {
    nproc = Number(execFileSync("nproc", { encoding: "utf8" }).trim()) || nproc;
  } catch {
    /* no nproc */
  }
  return { nproc, model, node: process.version, wrangler: wranglerVersion(), memGiB: round(os.totalmem() / 2 ** 30, 1), loadavg: os.loadavg().map((v) => round(v)) };
}

type Kind = "health" | "list" | "list-info" | "detail" | "write" | "report";

interface Endpoint {
  name: string;
  group: string;
  kind: Kind;
  pageSize?: number;
  search?: "needle" | "broad";
  make: MakeRequest;
}

/** The same request every time. */
const fixed = (req: Prepared, token?: string): MakeRequest => {
  const r: LoadRequest = { ...req, token };
  return () => r;
};

/** Cursors into the middle of the large lists, found by walking them (see cursorAfterTask). */
interface Extra {
  middleCursor: string;
  middlePriorityCursor: string;
}

// Every ordering of the task list, each ascending then descending (the API's own list of them).
const ORDERINGS = pathsApiTasksGetParametersQueryOrderingValues.filter((o) => !o.startsWith("-")).flatMap((o) =>
  pathsApiTasksGetParametersQueryOrderingValues.filter((x) => x === o || x === `-${o}`),
);
const SWITCH_REASONS = createContextSwitchRequestReasonValues;

/** The read endpoints, per size (they need the dataset's meta). */
async function readEndpoints(meta: Meta, extra: Extra): Promise<Endpoint[]> {
  const tok = firstToken(meta);
  const list = async (name: string, query: TaskQuery, o: Partial<Endpoint> = {}): Promise<Endpoint> => ({
    name,
    group: "tasks list",
    kind: "list",
    pageSize: PAGE,
    make: fixed(await prepare((api) => api.GET("/api/tasks", { params: { query: { page_size: PAGE, ...query } } })), tok),
    ...o,
  });
  const n = meta.counts.tasks;
  const sessions = meta.benchUserSessions;
  const { date_from, date_to } = meta.sessionRange;
  const range = `date_from=${date_from}&date_to=${date_to}`;
  const externalKey = meta.externalKey;
  if (externalKey === null) throw new Error(`${meta.size}: the dataset has no GitHub task in its second half`);
  return Promise.all([
    { name: "GET /api/health/", group: "health", kind: "health" as const, make: fixed(await prepare((api) => api.GET("/api/health"))) },
    list("tasks: default (-created_at)", {}),
    list("tasks: type=BUG", { type: "BUG" }),
    list("tasks: priority=HIGH", { priority: "HIGH" }),
    list("tasks: status=DONE", { status: "DONE" }),
    list("tasks: external_source=GITHUB", { external_source: "GITHUB" }),
    list("tasks: external_key", { external_key: externalKey }),
    list("tasks: team", { team: meta.teamId }),
    list(`tasks: search "${meta.search.needle}" (${meta.search.needleMatches} matches)`, { search: meta.search.needle }, { search: "needle" }),
    // Outside budget 1 (reported): a term in ~5 % of tasks under an unrelated ordering has no index that
    // yields its page directly; the list walks the ordering and reads about page ÷ 5 % rows.
    list(`tasks: search "${meta.search.broad}" (${meta.search.broadMatches} matches)`, { search: meta.search.broad }, { search: "broad", kind: "list-info" }),
    ...ORDERINGS.map((ordering) => list(`tasks: ordering=${ordering}`, { ordering })),
    list("tasks: a page in the middle (cursor)", { cursor: extra.middleCursor }),
    // Outside budget 1 (reported): priority has three values, so a deep page re-reads the ties before it.
    list("tasks: ordering=-priority, a page in the middle (cursor)", { ordering: "-priority", cursor: extra.middlePriorityCursor }, { kind: "list-info" }),
    {
      name: "task detail",
      group: "task detail",
      kind: "detail" as const,
      make: async (i: number) => ({ ...(await prepare((api) => api.GET("/api/tasks/{id}", { params: { path: { id: 1 + ((i * 7919) % n) } } }))), token: tok }),
    },
    {
      name: `sessions: ${range}`,
      group: "sessions list",
      kind: "list" as const,
      pageSize: PAGE,
      make: fixed(await prepare((api) => api.GET("/api/sessions", { params: { query: { page_size: PAGE, date_from, date_to } } })), tok),
    },
    {
      name: "session detail",
      group: "session detail",
      kind: "detail" as const,
      make: async (i: number) => ({ ...(await prepare((api) => api.GET("/api/sessions/{id}", { params: { path: { id: at(sessions, i % sessions.length) } } }))), token: tok }),
    },
    {
      name: `context switches: ${range}`,
      group: "switches list",
      kind: "list" as const,
      pageSize: PAGE,
      make: fixed(await prepare((api) => api.GET("/api/context-switches", { params: { query: { page_size: PAGE, date_from, date_to } } })), tok),
    },
  ]);
}

interface Acc {
  lat: Sample[];
  all: Sample[];
  tputCount: number;
  tputMs: number;
  counter: number;
}

interface MeasureOptions {
  latencyRounds?: number;
  perRound?: number;
  tput?: boolean;
  warmup?: number;
  tputConcurrency?: number;
}

/** Runs one endpoint on both sizes, interleaved; returns each size's stats. */
async function measure(
  eps: PerSize<MakeRequest>,
  { latencyRounds = PLAN.latencyRounds, perRound = PLAN.latencyPerRound, tput = true, warmup = PLAN.warmup, tputConcurrency = PLAN.tputConcurrency }: MeasureOptions = {},
): Promise<PerSize<Stats>> {
  const acc = perSize((): Acc => ({ lat: [], all: [], tputCount: 0, tputMs: 0, counter: 0 }));
  const run = <R>(size: Size, fn: (base: string, make: MakeRequest) => Promise<R>): Promise<R> => {
    const a = acc[size];
    const make = eps[size];
    return fn(server(size).base, (i) => make(a.counter + i));
  };
  const alternate = (r: number) => (r % 2 ? [...SIZES].reverse() : SIZES);
  for (const size of SIZES) {
    const samples = await run(size, (base, make) => sequential(base, warmup, make));
    acc[size].counter += warmup;
    acc[size].all.push(...samples);
  }
  for (let r = 0; r < latencyRounds; r++) {
    for (const size of alternate(r)) {
      const samples = await run(size, (base, make) => sequential(base, perRound, make));
      acc[size].counter += perRound;
      acc[size].lat.push(...samples);
      acc[size].all.push(...samples);
    }
  }
  if (tput) {
    for (let r = 0; r < PLAN.tputRounds; r++) {
      for (const size of alternate(r)) {
        const res = await run(size, (base, make) =>
          concurrent(base, { concurrency: tputConcurrency, durationMs: PLAN.tputMs, maxRequests: PLAN.tputMax }, make),
        );
        acc[size].counter += res.samples.length;
        acc[size].tputCount += res.samples.length;
        acc[size].tputMs += res.elapsedMs;
        acc[size].all.push(...res.samples);
      }
    }
  }
  return perSize((s) => summarize(acc[s]));
}

interface Stats {
  requests: number;
  errors: number;
  firstError: string | null;
  p50_ms: number | null;
  p99_ms: number | null;
  rps: number | null;
  d1_queries_median: number;
  d1_queries_max: number;
  rows_read_median: number;
  rows_read_max: number;
  rows_written_median: number;
  bytes_median: number;
  /** Reports only: the rows the report aggregates. */
  rows_aggregated?: number;
}

const known = (values: (number | null)[]): number[] => values.filter((v): v is number => v !== null);

function summarize(a: Acc): Stats {
  const ms = a.lat.map((x) => x.ms);
  const ok = a.all.filter((x) => x.status >= 200 && x.status < 300);
  const bad = a.all.filter((x) => !(x.status >= 200 && x.status < 300));
  const q = known(ok.map((x) => x.timing.queries));
  const rr = known(ok.map((x) => x.timing.rowsRead));
  const rw = known(ok.map((x) => x.timing.rowsWritten));
  const first = bad[0];
  return {
    requests: a.all.length,
    errors: bad.length,
    firstError: first ? `${first.status} ${(first.text || first.error || "").slice(0, 200)}` : null,
    p50_ms: round(median(ms)),
    p99_ms: round(quantile(ms, 0.99)),
    rps: a.tputMs ? round((a.tputCount * 1000) / a.tputMs, 1) : null,
    d1_queries_median: median(q),
    d1_queries_max: max(q),
    rows_read_median: median(rr),
    rows_read_max: max(rr),
    rows_written_median: median(rw),
    bytes_median: median(ok.map((x) => x.bytes)),
  };
}

interface ExportResult {
  status: number;
  rows: number;
  bytes: number;
  seconds: number | null;
  first_byte_ms: number | null;
  rows_per_s: number | null;
  workerd_pids: number[];
  rss_baseline_mib: number | null;
  rss_peak_mib: number | null;
  rss_growth_mib: number | null;
  rss_end_mib: number | null;
  rss_samples: number;
  rss_mib_each_tenth: (number | null)[];
  rss_second_half_growth_mib?: number | null;
}

async function exportRun(size: Size, meta: Meta): Promise<ExportResult> {
  const srv = server(size);
  const pids = srv.workerdPids();
  const sampler = rssSampler(() => pids, 25);
  let newlines = 0;
  // RSS each time another tenth of the rows has arrived.
  const tenth = Math.max(1, Math.floor(meta.counts.tasks / 10));
  const series: (number | null)[] = [];
  const exportCsv = await prepare((api) => api.GET("/api/tasks/export", { params: { query: { format: "csv" } } }));
  const res = await request(srv.base, {
    ...exportCsv,
    token: firstToken(meta),
    onChunk: (c) => {
      for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) {
        newlines++;
        if (newlines % tenth === 1 && newlines > 1) series.push(round(pids.reduce((s, p) => s + rssKiB(p), 0) / 1024, 1));
      }
    },
  });
  const rss = sampler.stop();
  return {
    status: res.status,
    rows: newlines - 1,
    bytes: res.bytes,
    seconds: round(res.ms / 1000, 2),
    first_byte_ms: round(res.firstByteMs ?? NaN),
    rows_per_s: round(((newlines - 1) * 1000) / res.ms, 0),
    workerd_pids: pids,
    rss_baseline_mib: round(rss.baselineKiB / 1024, 1),
    rss_peak_mib: round(rss.peakKiB / 1024, 1),
    rss_growth_mib: round((rss.peakKiB - rss.baselineKiB) / 1024, 1),
    rss_end_mib: round(rss.endKiB / 1024, 1),
    rss_samples: rss.samples,
    rss_mib_each_tenth: series,
  };
}

function table(headers: string[], rows: (string | number | null)[][]): string {
  return [`| ${headers.join(" | ")} |`, `|${headers.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

interface Result extends PerSize<Stats> {
  name: string;
  group: string;
  kind: Kind;
  pageSize?: number;
  search?: "needle" | "broad";
  report?: "daily" | "weekly";
}

interface Budget {
  n: number;
  name: string;
  pass: boolean;
  detail: string;
}

interface Walk {
  pages: number;
  position: number;
}

interface Results {
  date: string;
  seconds: number | null;
  generation_seconds: number | null;
  machine: ReturnType<typeof machine> & { loadavg_start: (number | null)[]; loadavg_end: (number | null)[] };
  source: string;
  plan: typeof PLAN;
  datasets: PerSize<Pick<Meta, "counts" | "search" | "aggregated" | "timings_ms">>;
  /** How the deep-page cursors were found: pages walked through `next` links, and the row they start after. */
  cursor_walks: PerSize<{ default: Walk; priority: Walk; seconds: number | null }>;
  endpoints: Result[];
  overhead: { health_rps: number | null; tasks_rps: number | null; ratio: number | null };
  exports: PerSize<ExportResult>;
  budgets: Budget[];
  outside_budgets: string[];
}

/** A cursor just after the middle task (by id) of the default ordering and of -priority, walked from page 1. */
async function middleCursors(size: Size, meta: Meta): Promise<{ extra: Extra; walks: Results["cursor_walks"][Size] }> {
  const t0 = performance.now();
  const api = apiClient(server(size).base, firstToken(meta));
  const mid = Math.floor(meta.counts.tasks / 2);
  const [byDefault, byPriority] = await Promise.all([cursorAfterTask(api, {}, mid), cursorAfterTask(api, { ordering: "-priority" }, mid)]);
  return {
    extra: { middleCursor: byDefault.cursor, middlePriorityCursor: byPriority.cursor },
    walks: {
      default: { pages: byDefault.pages, position: byDefault.position },
      priority: { pages: byPriority.pages, position: byPriority.position },
      seconds: round((performance.now() - t0) / 1000, 1),
    },
  };
}

interface Write {
  name: string;
  kind: Kind;
  report?: "daily" | "weekly";
  opts: MeasureOptions;
  make: (meta: Meta) => Promise<MakeRequest>;
}

async function main(): Promise<number> {
  const t0 = performance.now();
  const machineStart = machine();
  log(`machine: ${machineStart.nproc} × ${machineStart.model}, load ${machineStart.loadavg.join(" ")}`);
  mkdirSync(dataDir, { recursive: true });
  const appDir = snapshotSources(path.join(dataDir, "app"));

  const metas = perSize((size) => generate(size, path.join(dataDir, size), { appDir, log }));
  const genSeconds = round((performance.now() - t0) / 1000, 1);

  await Promise.all(
    SIZES.map(async (size) => {
      const srv = new DevServer(size, appDir, metas[size].persistTo, path.join(dataDir, `${size}-wrangler-dev.log`));
      servers[size] = srv;
      await srv.start();
      log(`${size}: wrangler dev at ${srv.base}`);
    }),
  );

  // Per-size values the endpoints need: cursors in the middle of the default and the -priority ordering.
  const [smallCursors, largeCursors] = await Promise.all(SIZES.map((size) => middleCursors(size, metas[size])));
  if (!smallCursors || !largeCursors) throw new Error("no cursors");
  const cursors: PerSize<Awaited<ReturnType<typeof middleCursors>>> = { small: smallCursors, large: largeCursors };
  for (const size of SIZES) {
    const w = cursors[size].walks;
    log(`${size}: middle cursors after task ${Math.floor(metas[size].counts.tasks / 2)}: default ordering row ${w.default.position} (${w.default.pages} pages), -priority row ${w.priority.position} (${w.priority.pages} pages), in ${w.seconds} s`);
  }

  // Read endpoints.
  const eps = { small: await readEndpoints(metas.small, cursors.small.extra), large: await readEndpoints(metas.large, cursors.large.extra) };
  const results: Result[] = [];
  const matches = (size: Size, search: "needle" | "broad") => metas[size].search[search === "needle" ? "needleMatches" : "broadMatches"];
  for (let i = 0; i < eps.small.length; i++) {
    const small = at(eps.small, i);
    const large = at(eps.large, i);
    const stats = await measure({ small: small.make, large: large.make });
    const search = large.search;
    const name = search ? large.name.replace(/\(\d+ matches\)/, `(${matches("small", search)}/${matches("large", search)} matches)`) : large.name;
    results.push({ name, group: large.group, kind: large.kind, pageSize: large.pageSize, search, ...stats });
    log(`${large.name}: small p50 ${stats.small.p50_ms} ms, ${stats.small.rps} req/s · large p50 ${stats.large.p50_ms} ms, ${stats.large.rps} req/s, ${stats.large.d1_queries_max} queries, ${stats.large.rows_read_max} rows read`);
  }

  // Budget 3: health and the plain tasks page on the large server, alternating, same run.
  const overhead = { health: { n: 0, ms: 0 }, tasks: { n: 0, ms: 0 } };
  const healthEp = fixed(await prepare((api) => api.GET("/api/health")));
  const tasksEp = fixed(await prepare((api) => api.GET("/api/tasks", { params: { query: { page_size: PAGE } } })), firstToken(metas.large));
  for (let r = 0; r < OVERHEAD_ROUNDS; r++) {
    const order: ["health" | "tasks", MakeRequest][] = r % 2 ? [["tasks", tasksEp], ["health", healthEp]] : [["health", healthEp], ["tasks", tasksEp]];
    for (const [k, make] of order) {
      const res = await concurrent(server("large").base, { concurrency: PLAN.tputConcurrency, durationMs: PLAN.tputMs * 1.5, maxRequests: PLAN.tputMax }, make);
      overhead[k].n += res.samples.length;
      overhead[k].ms += res.elapsedMs;
    }
  }
  const healthRps = (overhead.health.n * 1000) / overhead.health.ms;
  const tasksRps = (overhead.tasks.n * 1000) / overhead.tasks.ms;
  log(`overhead: health ${round(healthRps, 1)} req/s, tasks page ${round(tasksRps, 1)} req/s`);

  // Writes: switch creation (each of the 20 users into their open session), daily and weekly reports.
  const writes: Write[] = [
    {
      name: "POST /api/context-switches/",
      kind: "write",
      opts: { perRound: PLAN.latencyPerRound },
      make: async (meta) => async (i) => {
        const user = i % meta.tokens.length;
        const devSession = meta.openSessions[user + 1];
        if (devSession === undefined) throw new Error(`user ${user + 1} has no open session`);
        const body = { dev_session: devSession, reason: at(SWITCH_REASONS, i % SWITCH_REASONS.length), note: "bench" };
        return { ...(await prepare((api) => api.POST("/api/context-switches", { body }))), token: at(meta.tokens, user) };
      },
    },
    {
      name: "POST /api/reports/daily/ (40 sessions, 400 switches)",
      kind: "report",
      report: "daily",
      opts: { perRound: QUICK ? 2 : 4, tput: false, warmup: 2 },
      make: async (meta) => fixed(await prepare((api) => api.POST("/api/reports/daily", { body: { date: meta.reportDay } })), firstToken(meta)),
    },
    {
      name: "POST /api/reports/weekly/ (this week and the one before)",
      kind: "report",
      report: "weekly",
      opts: { perRound: QUICK ? 2 : 3, tput: false, warmup: 2 },
      make: async (meta) => fixed(await prepare((api) => api.POST("/api/reports/weekly", { body: { week_of: meta.weekOf } })), firstToken(meta)),
    },
  ];
  for (const w of writes) {
    const report = w.report;
    const stats = await measure({ small: await w.make(metas.small), large: await w.make(metas.large) }, w.opts);
    const entry: Result = { name: w.name, group: w.name, kind: w.kind, report, ...stats };
    if (report) {
      for (const size of SIZES) {
        const a: Aggregated = metas[size].aggregated[report];
        // Rows a report aggregates: its sessions, their switches and pauses, and each attached task (link + task row).
        entry[size].rows_aggregated = a.sessions + a.switches + a.pauses + 2 * a.session_tasks;
      }
    }
    results.push(entry);
    log(`${w.name}: small p50 ${stats.small.p50_ms} ms · large p50 ${stats.large.p50_ms} ms, ${stats.large.d1_queries_max} queries, ${stats.large.rows_read_max} rows read`);
  }
  // Exports: every task as CSV, the large server's workerd RSS sampled all along.
  const exports: Partial<PerSize<ExportResult>> = {};
  for (const size of SIZES) {
    await sleep(500);
    const e = await exportRun(size, metas[size]);
    exports[size] = e;
    log(`export ${size}: ${e.rows} rows, ${round(e.bytes / 2 ** 20, 1)} MiB in ${e.seconds} s; workerd RSS ${e.rss_baseline_mib} → peak ${e.rss_peak_mib} MiB`);
  }
  const { small: exSmall, large: ex } = exports;
  if (!exSmall || !ex) throw new Error("no export results");

  await Promise.all(SIZES.map((s) => server(s).stop()));
  const machineEnd = machine();
  const seconds = round((performance.now() - t0) / 1000, 1);

  // Budgets.
  const budgets: Budget[] = [];
  const add = (n: number, name: string, pass: boolean, detail: string) => budgets.push({ n, name, pass, detail });
  const lists = results.filter((r) => r.kind === "list");
  for (const r of lists) {
    const limit = (r.pageSize ?? PAGE) + 10;
    add(1, `rows read ≤ page_size + 10 (${limit}): ${r.name}`, r.large.rows_read_max <= limit, `max ${r.large.rows_read_max} rows read per request at large`);
  }
  const info = results
    .filter((r) => r.kind === "list-info")
    .map((r) => `${r.name}: ${r.large.rows_read_max} rows read per request at large (${r.small.rows_read_max} at small), ${r.large.d1_queries_max} round trips, p50 ${r.large.p50_ms} ms`);
  for (const r of results.filter((x) => x.kind === "list" || x.kind === "detail")) {
    const ratio = num(r.large.p50_ms) / num(r.small.p50_ms);
    add(2, `p50 large ÷ small ≤ 1.5: ${r.name}`, ratio <= 1.5, `${r.large.p50_ms} ÷ ${r.small.p50_ms} ms = ${round(ratio)}`);
  }
  const overheadRatio = tasksRps / healthRps;
  add(3, `req/s tasks page ÷ req/s health ≥ 0.5`, overheadRatio >= 0.5, `${round(tasksRps, 1)} ÷ ${round(healthRps, 1)} = ${round(overheadRatio)}`);
  for (const r of results.filter((x) => x.kind === "list" || x.kind === "detail")) {
    const worst = Math.max(r.small.d1_queries_max, r.large.d1_queries_max);
    add(4, `≤ 2 D1 round trips: ${r.name}`, worst <= 2, `max ${worst} (median ${r.large.d1_queries_median})`);
  }
  for (const r of results.filter((x) => x.kind === "report")) {
    const ratio = r.large.rows_read_max / num(r.large.rows_aggregated);
    add(5, `rows read ≤ 1.5 × rows aggregated: ${r.name}`, ratio <= 1.5, `${r.large.rows_read_max} read ÷ ${r.large.rows_aggregated} aggregated = ${round(ratio)}`);
  }
  // Streaming: the first bytes leave at once, and memory stops growing with the rows. The first rows warm caches
  // (SQLite's pages, the isolate's heap); after that, a buffering export would grow by at least what it holds —
  // the bytes it has produced — while a streaming one stays flat. So: RSS growth over the second half of the rows
  // must stay under the bytes sent in that half.
  const atHalf = num(ex.rss_mib_each_tenth[4]);
  const secondHalfGrowth = round(Math.max(num(ex.rss_peak_mib), num(ex.rss_end_mib)) - atHalf, 1);
  const secondHalfMiB = round(ex.bytes / 2 / 2 ** 20, 1);
  const flat = ex.status === 200 && ex.rows === metas.large.counts.tasks && num(ex.first_byte_ms) <= 1000 && num(secondHalfGrowth) < num(secondHalfMiB);
  ex.rss_second_half_growth_mib = secondHalfGrowth;
  add(6, `export streams with flat memory (${metas.large.counts.tasks} tasks)`, flat, `${ex.rows} rows, ${round(ex.bytes / 2 ** 20, 1)} MiB in ${ex.seconds} s, first byte after ${ex.first_byte_ms} ms; workerd RSS ${ex.rss_baseline_mib} → peak ${ex.rss_peak_mib} MiB (+${ex.rss_growth_mib} MiB, most of it over the first rows); over the second half of the rows +${secondHalfGrowth} MiB while ${secondHalfMiB} MiB were sent`);
  for (const r of results) {
    for (const size of SIZES) {
      if (r[size].errors) add(0, `no errors: ${r.name} (${size})`, false, `${r[size].errors} failed, first: ${r[size].firstError}`);
    }
  }

  const json: Results = {
    date: new Date().toISOString(),
    seconds,
    generation_seconds: genSeconds,
    machine: { ...machineStart, loadavg_start: machineStart.loadavg, loadavg_end: machineEnd.loadavg },
    source: sourceLabel(),
    plan: PLAN,
    datasets: perSize((s) => ({ counts: metas[s].counts, search: metas[s].search, aggregated: metas[s].aggregated, timings_ms: metas[s].timings_ms })),
    cursor_walks: perSize((s) => cursors[s].walks),
    endpoints: results,
    overhead: { health_rps: round(healthRps, 1), tasks_rps: round(tasksRps, 1), ratio: round(overheadRatio) },
    exports: { small: exSmall, large: ex },
    budgets,
    outside_budgets: info,
  };
  writeFileSync(resultsJson, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(resultsMd, markdown(json));
  const failed = budgets.filter((b) => !b.pass);
  log("");
  for (const b of budgets) log(`${b.pass ? "PASS" : "FAIL"}  [${b.n}] ${b.name} — ${b.detail}`);
  for (const line of info) log(`INFO  ${line}`);
  log(`\n${budgets.length - failed.length}/${budgets.length} PASS in ${seconds} s; written to bench/results.md and bench/results.json`);
  return failed.length ? 1 : 0;
}

const num = (v: number | null | undefined): number => v ?? NaN;

function markdown(j: Results): string {
  const m = j.machine;
  const fmt = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? "–" : String(v));
  const rows = j.endpoints.map((r) => [
    r.name,
    fmt(r.small.rps), fmt(r.small.p50_ms), fmt(r.small.p99_ms),
    fmt(r.large.rps), fmt(r.large.p50_ms), fmt(r.large.p99_ms),
    fmt(r.large.p50_ms && r.small.p50_ms ? round(r.large.p50_ms / r.small.p50_ms) : null),
    `${fmt(r.small.d1_queries_max)} / ${fmt(r.large.d1_queries_max)}`,
    `${fmt(r.small.rows_read_max)} / ${fmt(r.large.rows_read_max)}`,
  ]);
  const d = j.datasets;
  const w = j.cursor_walks;
  const pass = j.budgets.filter((b) => b.pass).length;
  return [
    "# Benchmark results",
    "",
    `Last run: ${j.date}, by \`npm run bench\` (bench/run.ts), in ${j.seconds} s (datasets generated in ${j.generation_seconds} s); sources: ${j.source}.`,
    "",
    `Machine: ${m.nproc} CPUs (\`nproc\`), ${m.model}, ${m.memGiB} GiB RAM; Node ${m.node}, wrangler ${m.wrangler} (\`wrangler dev\`, local D1).`,
    `Load average (1/5/15 min) at start ${m.loadavg_start.join(" / ")}, at the end ${m.loadavg_end.join(" / ")}: the machine is shared, so absolute`,
    "figures move from run to run; the budgets are ratios taken within this one run, small and large interleaved round by round.",
    "",
    `Datasets (seeded, bench/generate.ts): small ${JSON.stringify(d.small.counts)}; large ${JSON.stringify(d.large.counts)}.`,
    "",
    "## Endpoints",
    "",
    `p50/p99: ${PLAN.latencyRounds} rounds × ${PLAN.latencyPerRound} requests one after another per size (no queueing). req/s: ${PLAN.tputConcurrency} concurrent loops`,
    `for ${PLAN.tputRounds} × ${PLAN.tputMs} ms per size. D1 round trips and rows read per request: the largest seen (Server-Timing \`d1-queries\`, \`d1-rows-read\`), small / large.`,
    "Lists ask for page_size=50. Report generation is a write (the report row and its insights are upserted): its rows read include that.",
    "The pages in the middle start right after the middle task (by id); their cursors come from walking the list from its first",
    `page through the \`next\` links (large: ${w.large.default.pages} pages to row ${w.large.default.position} of the default ordering,`,
    `${w.large.priority.pages} to row ${w.large.priority.position} of -priority, ${w.large.seconds} s; small: ${w.small.default.pages} and ${w.small.priority.pages} pages).`,
    "",
    table(["endpoint", "small req/s", "small p50 ms", "small p99 ms", "large req/s", "large p50 ms", "large p99 ms", "p50 large ÷ small", "D1 round trips", "rows read"], rows),
    "",
    `Overhead: GET /api/health/ ${j.overhead.health_rps} req/s, GET /api/tasks/?page_size=50 ${j.overhead.tasks_rps} req/s at large (alternating, ${OVERHEAD_ROUNDS} × ${PLAN.tputMs * 1.5} ms each, ${PLAN.tputConcurrency} concurrent loops): ratio ${j.overhead.ratio}.`,
    "",
    "## Export",
    "",
    table(
      ["size", "rows", "MiB", "seconds", "rows/s", "first byte ms", "workerd RSS before MiB", "peak MiB", "growth MiB"],
      SIZES.map((s) => {
        const e = j.exports[s];
        return [s, e.rows, round(e.bytes / 2 ** 20, 1), e.seconds, e.rows_per_s, e.first_byte_ms, e.rss_baseline_mib, e.rss_peak_mib, e.rss_growth_mib];
      }),
    ),
    "",
    `RSS of the large server's workerd processes at each tenth of the rows: ${j.exports.large.rss_mib_each_tenth.join(", ")} MiB`,
    `(peak ${j.exports.large.rss_peak_mib} MiB). Budget 6: the growth over the second half of the rows stays under the bytes sent in that half —`,
    "what a buffering export would have to hold at least; the first rows warm SQLite's page cache and the isolate's heap.",
    "",
    `## Budgets: ${pass}/${j.budgets.length} PASS`,
    "",
    table(["#", "budget", "result", "measured"], j.budgets.map((b) => [b.n, b.name, b.pass ? "PASS" : "**FAIL**", b.detail])),
    "",
    "## Measured outside the budgets",
    "",
    ...j.outside_budgets.map((l) => `- ${l}`),
    "",
    "A search term found in about 5 % of the tasks, under an ordering that is not the search's, has no index that yields",
    "its page: the list walks the ordering index and keeps the matches, so it reads about page ÷ 5 % rows (a rare term",
    "reads its matches through the FTS5 index instead: budget 1). A deep page of `ordering=priority` starts its index range",
    "at the cursor's priority, not at its id, so it re-reads the earlier rows of that priority.",
    "",
    "## How the figures are counted",
    "",
    "- Rows read and D1 round trips come from each response's `Server-Timing` (`d1-rows-read`, `d1-queries`), which the",
    "  Worker fills from D1's own result meta. They include authentication: one statement reading the token, its user and",
    "  the user's memberships.",
    "- Round trips count what the response waits for. A token's `last_used_at` is stamped at most once per 5 minutes, in",
    "  the background (`waitUntil`) on the unmetered binding: at most 20 such writes in this run (one per bench user), not",
    "  in any response's count.",
    "- Rows a report aggregates: its sessions, their switches and pauses, and each attached task (the link and the task).",
    "  The daily report's rows read also include the report's upsert, its insights and authentication.",
    "- Exports are not in budget 4: they read D1 once per 500 rows while streaming.",
    "- Memory: the export's RSS is the sum of the large server's workerd processes (wrangler's proxy and the Worker).",
    "  Under `wrangler dev` both grow with every request served before it (tens of KB per request, `/api/health/`",
    "  included), so the baseline is wherever the earlier load left it; budget 6 is on the growth during the export.",
    "",
  ].join("\n");
}

const killAll = () => {
  for (const s of Object.values(servers)) s.killNow();
};
const watchdog = setTimeout(() => {
  console.error(`bench exceeded ${TOTAL_TIMEOUT_MS / 1000} s; stopping`);
  killAll();
  process.exit(2);
}, TOTAL_TIMEOUT_MS);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

main()
  .then((code) => {
    clearTimeout(watchdog);
    process.exit(code);
  })
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    killAll();
    clearTimeout(watchdog);
    process.exit(1);
  });
