#!/usr/bin/env node
// `npm run bench`: the performance benchmark of issues 9 and 16, end to end on this machine.
//
// 1. Generates two seeded datasets (bench/generate.ts): small (1,000 tasks, 500 sessions, 5,000 switches)
//    and large (100,000 tasks in one team, 50,000 sessions, 500,000 switches, 20 users), each in a fresh
//    local D1 under bench/data/<size>/ (git-ignored), and measures what D1 stores for the large one
//    (lib/storage.ts: bytes per table, per active user per year).
// 2. Starts one `wrangler dev` per size (`npm run dev`, from a snapshot of the sources, each in its own
//    process group on a free 127.0.0.1 port), and a bare Hono Worker (bench/bare) on the same wrangler over the
//    large D1. Loads both sizes from this process, interleaving small and large in rounds so that the
//    machine's noise falls on both alike: a latency phase (requests one after another: p50, p99) and a
//    throughput phase (a few concurrent loops for a fixed time: requests/s), bounded in count and time. Every
//    answer's Server-Timing gives its D1 round trips and rows read. Every request is built by the typed API
//    client (client/index.ts); deep-page cursors come from walking the list's `next` links. Then DevFocus
//    against the bare Worker (lib/bare.ts), then the writes and the exports.
// 3. Models each endpoint's latency for a user far from D1's primary, before and after issue 16 (lib/model.ts),
//    writes bench/results.md and bench/results.json, prints the budgets PASS/FAIL, exits 1 if one fails.
//
// Environment: BENCH_SOURCE=head serves the last commit instead of the working tree; BENCH_QUICK=1 halves
// the request counts (a smoke run); BENCH_RTT_PRIMARY_MS (150) and BENCH_RTT_REPLICA_MS (5) set the model's
// round-trip times.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Aggregated, generate, type Meta, type Size } from "./generate.ts";
import { prepare } from "./lib/api.ts";
import { BARE_HEALTH, versusBare, type VersusBare } from "./lib/bare.ts";
import { type Endpoint, endpoints, type Extra, firstToken, type Kind, type MeasureOptions, middleCursors, PAGE, type Walks } from "./lib/endpoints.ts";
import { concurrent, type MakeRequest, max, median, quantile, request, type Sample, sequential } from "./lib/load.ts";
import { type Baseline, latencyModel, type ModelRow, readBaseline, type Rtt, rttFromEnv } from "./lib/model.ts";
import { copyD1, DevServer, d1File, root, rssKiB, rssSampler, sleep, snapshotSources, sourceLabel, wranglerVersion } from "./lib/server.ts";
import { D1_DATABASE_BYTES, heartbeatWindow, measureStorage, type Sizing, sizing } from "./lib/storage.ts";

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
/** DevFocus against the bare Worker: rounds of the four loads, each this long. */
const VERSUS_BARE = { rounds: 5, ms: PLAN.tputMs * 1.5 };
/** Budget 3: the least share of the bare Worker's req/s DevFocus must serve. */
const VERSUS_BARE_MIN = { health: 0.85, page: 0.8 };
const dataDir = path.join(root, "bench", "data");
const resultsMd = path.join(root, "bench", "results.md");
const resultsJson = path.join(root, "bench", "results.json");
const baselineFile = path.join(root, "bench", "baseline-before.json");
const SIZES: readonly Size[] = ["small", "large"];
type PerSize<T> = Record<Size, T>;
const perSize = <T>(f: (size: Size) => T): PerSize<T> => ({ small: f("small"), large: f("large") });

const servers: Partial<PerSize<DevServer>> = {};
let bareServer: DevServer | null = null;
const server = (size: Size): DevServer => {
  const s = servers[size];
  if (!s) throw new Error(`${size}: no server`);
  return s;
};
const log = (line: string) => console.log(line);
const round = (v: number, d = 2): number | null => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : null);

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

interface Acc {
  lat: Sample[];
  all: Sample[];
  /** Every sample after the warm-up (latency and throughput phases). */
  steady: Sample[];
  tputCount: number;
  tputMs: number;
  counter: number;
}

/** Runs one endpoint on both sizes, interleaved; returns each size's stats. */
async function measure(
  eps: PerSize<MakeRequest>,
  { latencyRounds = PLAN.latencyRounds, perRound = PLAN.latencyPerRound, tput = true, warmup = PLAN.warmup, tputConcurrency = PLAN.tputConcurrency }: MeasureOptions = {},
): Promise<PerSize<Stats>> {
  const acc = perSize((): Acc => ({ lat: [], all: [], steady: [], tputCount: 0, tputMs: 0, counter: 0 }));
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
      acc[size].steady.push(...samples);
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
        acc[size].steady.push(...res.samples);
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
  /** D1 round trips per request, over every request (warm-up included: a cold isolate checks the token alone). */
  d1_queries_median: number;
  d1_queries_max: number;
  /** The same after the warm-up: what budget 4 and the latency model use. */
  d1_queries_steady_median: number;
  d1_queries_steady_max: number;
  rows_read_median: number;
  rows_read_max: number;
  rows_written_median: number;
  bytes_median: number;
  /** Reports only: the rows the report aggregates. */
  rows_aggregated?: number;
}

const known = (values: (number | null)[]): number[] => values.filter((v): v is number => v !== null);
const isOk = (x: Sample) => x.status >= 200 && x.status < 300;

function summarize(a: Acc): Stats {
  const ms = a.lat.map((x) => x.ms);
  const ok = a.all.filter(isOk);
  const bad = a.all.filter((x) => !isOk(x));
  const q = known(ok.map((x) => x.timing.queries));
  const qSteady = known(a.steady.filter(isOk).map((x) => x.timing.queries));
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
    d1_queries_steady_median: median(qSteady),
    d1_queries_steady_max: max(qSteady),
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
  id: string;
  name: string;
  group: string;
  kind: Kind;
  method: string;
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

interface Results {
  date: string;
  seconds: number | null;
  generation_seconds: number | null;
  machine: ReturnType<typeof machine> & { loadavg_start: (number | null)[]; loadavg_end: (number | null)[] };
  source: string;
  plan: typeof PLAN;
  datasets: PerSize<Pick<Meta, "counts" | "search" | "aggregated" | "timings_ms">>;
  /** How the deep-page cursors were found: pages walked through `next` links, and the row they start after. */
  cursor_walks: PerSize<Walks>;
  endpoints: Result[];
  versus_bare: VersusBare;
  latency_model: { rtt: Rtt; baseline: Omit<Baseline, "endpoints"> | null; rows: ModelRow[] };
  storage: Sizing;
  exports: PerSize<ExportResult>;
  budgets: Budget[];
  writes: string[];
}

const isRead = (r: Result) => r.kind === "list" || r.kind === "detail";

async function main(): Promise<number> {
  const t0 = performance.now();
  const machineStart = machine();
  log(`machine: ${machineStart.nproc} × ${machineStart.model}, load ${machineStart.loadavg.join(" ")}`);
  const rtt = rttFromEnv();
  const baseline = readBaseline(baselineFile);
  mkdirSync(dataDir, { recursive: true });
  const appDir = snapshotSources(path.join(dataDir, "app"));

  const metas = perSize((size) => generate(size, path.join(dataDir, size), { appDir, log }));
  const genSeconds = round((performance.now() - t0) / 1000, 1);
  // What D1 stores, on the large dataset as generated; a user's kept heartbeats, on a scratch copy of the small one.
  const largeFile = d1File(metas.large.persistTo);
  const datasetStorage = measureStorage(largeFile);
  const heartbeats = heartbeatWindow(d1File(metas.small.persistTo));
  log(`large dataset: ${round(datasetStorage.bytes / 2 ** 20, 1)} MiB in D1; ${heartbeats.rows} heartbeats (one user's kept window) take ${round(heartbeats.bytes / 2 ** 20, 2)} MiB`);

  // The bare Worker reads the large dataset as generated: a copy of its D1, since two workerd processes cannot share one.
  const barePersist = copyD1(metas.large.persistTo, path.join(dataDir, "bare", "state"));
  const bare = new DevServer("bare", appDir, barePersist, path.join(dataDir, "bare-wrangler-dev.log"), { config: "bench/bare/wrangler.toml", probePath: BARE_HEALTH });
  bareServer = bare;
  await Promise.all([
    ...SIZES.map(async (size) => {
      const srv = new DevServer(size, appDir, metas[size].persistTo, path.join(dataDir, `${size}-wrangler-dev.log`));
      servers[size] = srv;
      await srv.start();
      log(`${size}: wrangler dev at ${srv.base}`);
    }),
    bare.start().then((base) => log(`bare Hono Worker over a copy of the large D1: wrangler dev at ${base}`)),
  ]);

  // Per-size values the endpoints need: cursors in the middle of the default and the -priority task orderings
  // and of the session list by switch_count.
  const cursors: PerSize<{ extra: Extra; walks: Walks }> = await (async () => {
    const [small, large] = await Promise.all(SIZES.map((size) => middleCursors(server(size).base, metas[size])));
    if (!small || !large) throw new Error("no cursors");
    return { small, large };
  })();
  for (const size of SIZES) {
    const w = cursors[size].walks;
    const sessions = Object.entries(w.sessions).map(([o, x]) => `${o} row ${x.position} (${x.pages} pages)`).join(", ");
    log(`${size}: middle cursors, walked in ${w.seconds} s: tasks default ordering row ${w.default.position} (${w.default.pages} pages), -priority row ${w.priority.position} (${w.priority.pages} pages); sessions ${sessions}`);
  }

  const eps = { small: await endpoints(metas.small, cursors.small.extra, { quick: QUICK }), large: await endpoints(metas.large, cursors.large.extra, { quick: QUICK }) };
  const results: Result[] = [];
  const matches = (size: Size, search: "needle" | "broad") => metas[size].search[search === "needle" ? "needleMatches" : "broadMatches"];
  const measureOne = async (small: Endpoint, large: Endpoint) => {
    const stats = await measure({ small: small.make, large: large.make }, large.opts);
    const search = large.search;
    const name = search ? large.name.replace(/\(\d+ matches\)/, `(${matches("small", search)}/${matches("large", search)} matches)`) : large.name;
    const { method } = await large.make(0);
    const entry: Result = { id: large.id, name, group: large.group, kind: large.kind, method, pageSize: large.pageSize, search, report: large.report, ...stats };
    const report = large.report;
    if (report) {
      for (const size of SIZES) {
        const a: Aggregated = metas[size].aggregated[report];
        // Rows a report aggregates: its sessions, their switches and pauses, and each attached task (link + task row).
        entry[size].rows_aggregated = a.sessions + a.switches + a.pauses + 2 * a.session_tasks;
      }
    }
    results.push(entry);
    log(`${name}: small p50 ${stats.small.p50_ms} ms, ${stats.small.rps} req/s · large p50 ${stats.large.p50_ms} ms, ${stats.large.rps} req/s, ${stats.large.d1_queries_steady_max} round trips after warm-up (${stats.large.d1_queries_max} any), ${stats.large.rows_read_max} rows read`);
  };
  const pairs = eps.small.map((small, i) => {
    const large = eps.large[i];
    if (!large || large.id !== small.id) throw new Error(`endpoint ${i}: the sizes disagree`);
    return [small, large] as const;
  });
  const isWrite = (e: Endpoint) => e.kind === "write" || e.kind === "report";

  // Reads first, on the datasets as generated.
  for (const [small, large] of pairs.filter(([, e]) => !isWrite(e))) await measureOne(small, large);

  // Budget 3: DevFocus against the bare Worker, on the large D1, before any write changes it.
  const vs = await versusBare(server("large").base, bare.base, metas.large, {
    rounds: VERSUS_BARE.rounds,
    plan: { concurrency: PLAN.tputConcurrency, durationMs: VERSUS_BARE.ms, maxRequests: PLAN.tputMax },
  });
  await bare.stop();
  rmSync(path.dirname(barePersist), { recursive: true, force: true });
  log(`versus bare: health ${vs.health.devfocus.rps} ÷ ${vs.health.bare.rps} req/s (ratio ${vs.health.ratio}), tasks page ${vs.page.devfocus.rps} ÷ ${vs.page.bare.rps} req/s (ratio ${vs.page.ratio}); ${vs.same_page_detail}`);

  for (const [small, large] of pairs.filter(([, e]) => isWrite(e))) await measureOne(small, large);

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
  // The reports and insights the writes made, for the sizing.
  const storage = sizing(metas.large, datasetStorage, measureStorage(largeFile), heartbeats);
  const machineEnd = machine();
  const seconds = round((performance.now() - t0) / 1000, 1);

  // Budgets.
  const budgets: Budget[] = [];
  const add = (n: number, name: string, pass: boolean, detail: string) => budgets.push({ n, name, pass, detail });
  for (const r of results.filter((x) => x.kind === "list")) {
    const page = r.pageSize ?? PAGE;
    const detail = `max ${r.large.rows_read_max} rows read per request at large (${r.small.rows_read_max} at small)`;
    if (r.search === "broad") {
      // A common term walks the ordering (src/modules/tasks/search.ts states the bound and why page + 10 cannot
      // hold for it): about (page + 1) ÷ the share of visible tasks that match. The budget is that bound + 10 %.
      const share = metas.large.search.broadMatches / metas.large.counts.tasks;
      const limit = Math.ceil((1.1 * (page + 1)) / share) + 10;
      add(1, `rows read ≤ the stated bound of a common term, 1.1 × (page_size + 1) ÷ share of matches + 10 (${limit}): ${r.name}`, r.large.rows_read_max <= limit, detail);
      continue;
    }
    const limit = page + 10;
    add(1, `rows read ≤ page_size + 10 (${limit}): ${r.name}`, r.large.rows_read_max <= limit, detail);
  }
  for (const r of results.filter(isRead)) {
    const ratio = num(r.large.p50_ms) / num(r.small.p50_ms);
    add(2, `p50 large ÷ small ≤ 1.5: ${r.name}`, ratio <= 1.5, `${r.large.p50_ms} ÷ ${r.small.p50_ms} ms = ${round(ratio)}`);
  }
  const pairDetail = (p: VersusBare["health"]) => `${p.devfocus.rps} ÷ ${p.bare.rps} req/s; ratio per round ${p.ratios.join(", ")}, median ${p.ratio}`;
  add(3, `GET /api/health/ ≥ ${VERSUS_BARE_MIN.health} × a bare Hono Worker's health`, num(vs.health.ratio) >= VERSUS_BARE_MIN.health, pairDetail(vs.health));
  add(3, `GET /api/tasks/?team=…&page_size=${PAGE} ≥ ${VERSUS_BARE_MIN.page} × a bare Worker's one-query page`, vs.same_page && num(vs.page.ratio) >= VERSUS_BARE_MIN.page, `${pairDetail(vs.page)}; ${vs.same_page_detail}`);
  for (const r of results.filter(isRead)) {
    const worst = Math.max(r.small.d1_queries_steady_max, r.large.d1_queries_steady_max);
    add(4, `1 D1 round trip per authenticated read (after warm-up): ${r.name}`, worst <= 1, `max ${worst} after warm-up (median ${r.large.d1_queries_steady_median}; any request, warm-up included: max ${Math.max(r.small.d1_queries_max, r.large.d1_queries_max)})`);
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
  const writes = results
    .filter((r) => !isRead(r) && r.kind !== "health")
    .map((r) => `${r.name}: ${r.large.d1_queries_steady_median} D1 round trips per request (max ${Math.max(r.small.d1_queries_max, r.large.d1_queries_max)}), all to the primary; ${r.large.rows_written_median} rows written, ${r.large.rows_read_max} read; p50 ${r.large.p50_ms} ms at large`);

  const model = latencyModel(
    results.map((r) => ({ id: r.id, name: r.name, method: r.method, p50_ms: r.large.p50_ms, round_trips: r.large.d1_queries_steady_median })),
    baseline,
    rtt,
  );
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
    versus_bare: vs,
    latency_model: { rtt, baseline: baseline ? { commit: baseline.commit, description: baseline.description, date: baseline.date, dataset: baseline.dataset } : null, rows: model },
    storage,
    exports: { small: exSmall, large: ex },
    budgets,
    writes,
  };
  writeFileSync(resultsJson, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(resultsMd, markdown(json));
  const failed = budgets.filter((b) => !b.pass);
  log("");
  for (const b of budgets) log(`${b.pass ? "PASS" : "FAIL"}  [${b.n}] ${b.name} — ${b.detail}`);
  for (const line of writes) log(`WRITE ${line}`);
  log(`bytes per active user per year ${Math.round(storage.per_user_year_bytes)} (+ ${Math.round(storage.per_user_kept_bytes)} kept heartbeats); users per 10 GB database: ${storage.users_per_database.map((u) => `${u.users} for ${u.years} year(s) of data`).join(", ")}`);
  log(`\n${budgets.length - failed.length}/${budgets.length} PASS in ${seconds} s; written to bench/results.md and bench/results.json`);
  return failed.length ? 1 : 0;
}

const num = (v: number | null | undefined): number => v ?? NaN;
const mib = (bytes: number, d = 1) => round(bytes / 2 ** 20, d);
const kb = (bytes: number) => round(bytes / 1000, 1);

function markdown(j: Results): string {
  const m = j.machine;
  const fmt = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? "–" : String(v));
  const trips = (s: Stats) => (s.d1_queries_max > s.d1_queries_steady_max ? `${fmt(s.d1_queries_steady_max)} (first ${s.d1_queries_max})` : fmt(s.d1_queries_steady_max));
  const rows = j.endpoints.map((r) => [
    r.name,
    fmt(r.small.rps), fmt(r.small.p50_ms), fmt(r.small.p99_ms),
    fmt(r.large.rps), fmt(r.large.p50_ms), fmt(r.large.p99_ms),
    fmt(r.large.p50_ms && r.small.p50_ms ? round(r.large.p50_ms / r.small.p50_ms) : null),
    `${trips(r.small)} / ${trips(r.large)}`,
    `${fmt(r.small.rows_read_max)} / ${fmt(r.large.rows_read_max)}`,
  ]);
  const d = j.datasets;
  const w = j.cursor_walks;
  const vs = j.versus_bare;
  const lm = j.latency_model;
  const st = j.storage;
  const pass = j.budgets.filter((b) => b.pass).length;
  const sessionWalks = (s: Size) => Object.entries(w[s].sessions).map(([o, x]) => `${x.pages} to row ${x.position} of ${o}`).join(", ");
  const tripsOf = (t: ModelRow["after"] | null) => (t ? `${t.primary} / ${t.replica}` : "–");
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
    `for ${PLAN.tputRounds} × ${PLAN.tputMs} ms per size. D1 round trips and rows read per request: the largest seen (Server-Timing \`d1-queries\`, \`d1-rows-read\`), small / large;`,
    `round trips after the ${PLAN.warmup} warm-up requests of each endpoint, with "first" the largest of any request when a warm-up request took more.`,
    "Lists ask for page_size=50. Report generation is a write (the report row and its insights are upserted): its rows read include that.",
    "The pages in the middle start right after the middle task (by id), or the middle row of the session list; their cursors come from",
    `walking the list from its first page through the \`next\` links (large: ${w.large.default.pages} pages to row ${w.large.default.position} of the default ordering,`,
    `${w.large.priority.pages} to row ${w.large.priority.position} of -priority, ${sessionWalks("large")}; ${w.large.seconds} s; small: ${w.small.default.pages} and ${w.small.priority.pages} pages, ${sessionWalks("small")}).`,
    "",
    table(["endpoint", "small req/s", "small p50 ms", "small p99 ms", "large req/s", "large p50 ms", "large p99 ms", "p50 large ÷ small", "D1 round trips", "rows read"], rows),
    "",
    "Writes (no budget on their round trips; each one goes to the primary):",
    "",
    ...j.writes.map((l) => `- ${l}`),
    "",
    "## DevFocus against a bare Hono Worker",
    "",
    "bench/bare/worker.ts: `new Hono()` with `GET /health` and `GET /tasks?team=…&page_size=50`, which reads the team's first page of",
    "the default ordering (-created_at) in one D1 query and answers it with the API's fields — no middleware, no token, no log line.",
    "The bench starts it with the same wrangler (so the same workerd) over a byte copy of the large dataset's D1, made before",
    "either server starts (its own process; two workerd processes cannot share one SQLite file), and checks that it answers",
    `DevFocus's page: ${vs.same_page_detail}.`,
    `${vs.rounds} rounds of the four loads (${vs.concurrency} concurrent loops, ${vs.ms_each} ms each), each round in the opposite order of the one before;`,
    "the ratio is the median of the rounds' ratios.",
    "",
    table(
      ["", "DevFocus", "DevFocus req/s", "bare", "bare req/s", "ratio per round", "ratio (median)", "budget"],
      (["health", "page"] as const).map((k) => {
        const p = vs[k];
        return [k === "health" ? "health" : "50-task page", `\`GET ${p.devfocus.path}\``, fmt(p.devfocus.rps), `\`GET ${p.bare.path}\``, fmt(p.bare.rps), p.ratios.map(fmt).join(", "), fmt(p.ratio), `≥ ${VERSUS_BARE_MIN[k]}`];
      }),
    ),
    "",
    "## Latency model: a user far from the primary",
    "",
    `modelled p50 = measured p50 (large, this run) + round trips to the primary × ${lm.rtt.primary_ms} ms + round trips to a replica × ${lm.rtt.replica_ms} ms`,
    "(BENCH_RTT_PRIMARY_MS, BENCH_RTT_REPLICA_MS; the defaults: a user in Sydney, the primary in Western North America, a replica near the user).",
    "After (this run): a GET reads through D1's Sessions API, so all its round trips go to the nearest replica; a write's go to the primary.",
    "Round trips: each endpoint's median after warm-up (the endpoints table above shows it when a warm-up request took more).",
    lm.baseline
      ? `Before: ${lm.baseline.description} (bench/baseline-before.json: commit ${lm.baseline.commit.slice(0, 7)}, ${lm.baseline.dataset}, recorded ${lm.baseline.date.slice(0, 10)} by bench/baseline.ts). The measured p50 is this run's in both columns.`
      : "Before: no bench/baseline-before.json (record it with bench/baseline.ts).",
    "",
    table(
      ["endpoint", "method", "measured p50 ms", "before: round trips (primary / replica)", "before: modelled p50 ms", "after: round trips (primary / replica)", "after: modelled p50 ms", "saved ms"],
      lm.rows.map((r) => [r.name, r.method, fmt(r.measured_p50_ms), tripsOf(r.before), fmt(r.before?.p50_ms), tripsOf(r.after), fmt(r.after.p50_ms), fmt(r.saved_ms)]),
    ),
    "",
    "## Storage: what D1 holds per active user",
    "",
    `The large dataset as generated takes ${mib(st.dataset_bytes)} MiB in D1 (\`page_count × page_size\`; the SQLite file is ${mib(st.dataset_file_bytes)} MiB). Per table, with its indexes (SQLite's dbstat):`,
    "",
    table(
      ["table (with its indexes)", "rows", "MiB", "bytes per row"],
      st.tables.filter((t) => t.bytes >= 2 ** 20).map((t) => [t.table, t.rows, mib(t.bytes, 2), t.rows ? Math.round(t.bytes / t.rows) : "–"]),
    ),
    "",
    "One active user, per year:",
    "",
    table(
      ["table", "rows per user", "bytes per row", "KB per user", "from"],
      st.lines.map((l) => [l.table, Math.round(l.rows_per_user), Math.round(l.bytes_per_row), kb(l.bytes_per_user), l.basis]),
    ),
    "",
    `**${kb(st.per_user_year_bytes)} KB per active user per year**, plus ${kb(st.per_user_kept_bytes)} KB of kept heartbeats per editor user. D1's ${D1_DATABASE_BYTES / 1e9} GB per database`,
    `holds ${st.users_per_database.map((u) => `${u.users.toLocaleString("en-US")} such users with ${u.years} year${u.years > 1 ? "s" : ""} of history`).join(", ")}.`,
    "",
    ...st.assumptions.map((a) => `- ${a}`),
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
    "## How the figures are counted",
    "",
    "- Rows read and D1 round trips come from each response's `Server-Timing` (`d1-rows-read`, `d1-queries`), which the",
    "  Worker fills from D1's own result meta. They include authentication.",
    "- Round trips count what the response waits for; work the Worker hands to `waitUntil` (a token's `last_used_at`",
    "  stamp) is not in any response's count.",
    "- Budget 4 is on every authenticated read after warm-up: once the isolate has seen the token, its check travels",
    "  with the first data query. Writes have no such budget; their counts are listed under the endpoints.",
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
  bareServer?.killNow();
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
