#!/usr/bin/env node
// `npm run bench:events`: fan-out benchmark of one team's EventHub, end to end over loopback HTTP.
//
// Starts its own `wrangler dev` (via `npm run dev`) on a free 127.0.0.1 port with a throwaway
// persistence directory and the dev-only publish route enabled (`--var ENABLE_BENCH_ROUTES:true`),
// registers a user and a team, opens CLIENTS SSE streams on the team, publishes EVENTS events one
// after the other through POST /api/events/_bench_publish, and measures, for every (client, event),
// the time from the start of the publish request to the frame's arrival. It checks that every client
// got every event, in order, exactly once, then writes bench/events-results.md.
// Everything it starts runs in its own process group, killed at the end, on error, on Ctrl-C and on timeout.
//
// The server runs from a snapshot of the sources taken at start (the working tree by default, or the
// last commit with BENCH_SOURCE=head), so edits made while it runs neither reload wrangler dev —
// a reload restarts the hub and ends every stream — nor change what is being measured.
// Starting and stopping wrangler dev is bench/lib/server.ts's DevServer, shared with the other benchmarks.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { PASSWORD } from "./generate.ts";
import { apiClient, ok, type Prepared, prepare, registerUser } from "./lib/api.ts";
import { DevServer, root, sleep, snapshotSources, sourceLabel, wranglerVersion } from "./lib/server.ts";

const CLIENTS = 200;
const EVENTS = 100;
const STARTUP_TIMEOUT_MS = 120_000;
const DELIVERY_TIMEOUT_MS = 30_000;
const TOTAL_TIMEOUT_MS = 240_000;

const resultsFile = path.join(root, "bench", "events-results.md");

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
const ms = (v: number) => `${v.toFixed(1)} ms`;

interface Received {
  id: number;
  n: number;
  at: number;
}

interface Stream {
  events: Received[];
  opened: boolean;
  req: http.ClientRequest | null;
  error: Error | null;
}

let server: DevServer | null = null;
let logPath = "";
const streams: Stream[] = [];

function closeStreams() {
  for (const s of streams) s.req?.destroy();
}

/** Synchronous: for the watchdog and signal handlers. Kills wrangler dev's whole process group. */
function killNow() {
  closeStreams();
  server?.killNow();
}

/** Closes the streams, then stops the process group (npm, scripts/dev.mjs, wrangler, workerd) and waits for it. */
async function stopServer() {
  closeStreams();
  await server?.stop();
}

async function startServer(persistDir: string): Promise<string> {
  const appDir = snapshotSources(path.join(persistDir, "app"));
  logPath = path.join(persistDir, "wrangler-dev.log");
  server = new DevServer("bench:events", appDir, path.join(persistDir, "state"), logPath, {
    extraArgs: ["--var", "ENABLE_BENCH_ROUTES:true"],
  });
  return server.start(STARTUP_TIMEOUT_MS);
}

/** The `n` the bench put in an event's data. */
function nOf(data: string): number {
  const parsed: unknown = JSON.parse(data);
  if (typeof parsed !== "object" || parsed === null || !("n" in parsed) || typeof parsed.n !== "number") throw new Error(`event data without n: ${data}`);
  return parsed.n;
}

/**
 * One SSE client on a raw HTTP connection (so each frame's arrival time is its own); records each event's id,
 * n and arrival time. Resolves once the snapshot frames have arrived (the stream is live from then on).
 */
function openStream(base: string, stream: Prepared, token: string, agent: http.Agent): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const url = new URL(stream.path, base);
    const state: Stream = { events: [], opened: false, req: null, error: null };
    const req = http.get(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, agent, headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" } },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`stream → ${res.statusCode}`));
          res.resume();
          return;
        }
        res.setEncoding("utf8");
        let buffer = "";
        res.on("data", (chunk: string) => {
          const now = performance.now();
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const f: Record<string, string> = {};
            for (const line of block.split("\n")) {
              const i = line.indexOf(":");
              if (i > 0) f[line.slice(0, i)] = line.slice(i + 1).replace(/^ /, "");
            }
            // The stream opens with a `reports` then an `insights` snapshot frame; every later frame is an event.
            if (f.event === "insights" && !state.opened) {
              state.opened = true;
              resolve(state);
            } else if (f.event && f.event !== "reports" && f.data) {
              state.events.push({ id: Number(f.id), n: nOf(f.data), at: now });
            }
          }
        });
        res.on("error", (e) => (state.error = e));
      },
    );
    req.on("error", (e) => (state.opened ? (state.error = e) : reject(e)));
    state.req = req;
    streams.push(state);
  });
}

/**
 * POST /api/events/_bench_publish: a dev-only route, hidden from the OpenAPI document (so not in the typed
 * client); its body is src/modules/events/routes.ts BenchPublishBody. One plain fetch, timed by the caller.
 */
async function publish(base: string, token: string, body: { team: number; type: "report.created"; data: { n: number } }): Promise<void> {
  const res = await fetch(`${base}/api/events/_bench_publish`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST /api/events/_bench_publish → ${res.status} ${text}`);
}

async function main(): Promise<number> {
  const persistDir = mkdtempSync(path.join(os.tmpdir(), "devfocus-bench-events-"));
  const t0 = performance.now();
  const base = await startServer(persistDir);
  const startupMs = performance.now() - t0;
  console.log(`wrangler dev up at ${base} in ${ms(startupMs)}`);

  const token = await registerUser(base, PASSWORD);
  const team = await ok(apiClient(base, token).POST("/api/teams", { body: { name: "Bench Team" } }));

  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const streamRequest = await prepare((api) => api.GET("/api/events/stream", { params: { query: { team: team.id } } }));
  const c0 = performance.now();
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => openStream(base, streamRequest, token, agent)));
  const connectMs = performance.now() - c0;
  console.log(`${CLIENTS} streams open in ${ms(connectMs)}`);

  const sentAt = new Map<number, number>();
  const publishMs: number[] = [];
  const p0 = performance.now();
  for (let n = 1; n <= EVENTS; n++) {
    const start = performance.now();
    sentAt.set(n, start);
    await publish(base, token, { team: team.id, type: "report.created", data: { n } });
    publishMs.push(performance.now() - start);
  }
  const publishAllMs = performance.now() - p0;

  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  while (clients.some((c) => c.events.length < EVENTS) && Date.now() < deadline) await sleep(20);
  const deliveredAllMs = performance.now() - p0;

  // Every client: exactly EVENTS events, n = 1..EVENTS in order, ids strictly increasing.
  const problems: string[] = [];
  const latencies: number[] = [];
  clients.forEach((c, i) => {
    if (c.error) problems.push(`client ${i}: ${c.error.message}`);
    if (c.events.length !== EVENTS) problems.push(`client ${i}: received ${c.events.length} of ${EVENTS}`);
    c.events.forEach((e, k) => {
      if (e.n !== k + 1) problems.push(`client ${i}: event #${k + 1} carried n=${e.n}`);
      const before = c.events[k - 1];
      if (before && e.id <= before.id) problems.push(`client ${i}: id ${e.id} after ${before.id}`);
      const sent = sentAt.get(e.n);
      if (sent !== undefined) latencies.push(e.at - sent);
    });
  });
  // Fan-out spread: for each event, last client's arrival minus first client's.
  const spreads: number[] = [];
  for (let n = 1; n <= EVENTS; n++) {
    const arrivals = clients.flatMap((c) => {
      const e = c.events[n - 1];
      return e?.n === n ? [e.at] : [];
    });
    if (arrivals.length) spreads.push(Math.max(...arrivals) - Math.min(...arrivals));
  }
  spreads.sort((a, b) => a - b);
  latencies.sort((a, b) => a - b);
  publishMs.sort((a, b) => a - b);
  const allInOrder = problems.length === 0;

  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const lines = [
    "# EventHub fan-out benchmark",
    "",
    `Run ${new Date().toISOString()} by \`npm run bench:events\` (bench/events.ts): local \`wrangler dev\` ${wranglerVersion()},`,
    `Node ${process.version}, ${os.cpus().length} × ${cpu}, loopback HTTP; sources: ${sourceLabel()}. One team hub, ${CLIENTS} SSE clients,`,
    `${EVENTS} events published one after another through the dev-only publish route.`,
    `Load average (1 min) at the end: ${(os.loadavg()[0] ?? NaN).toFixed(2)} on ${os.cpus().length} CPUs — on a busy machine these figures are upper bounds.`,
    "Latency = from the start of the publish request to the frame's arrival at a client, over every (client, event) pair.",
    "",
    "| measure | value |",
    "|---|---|",
    `| clients × events | ${CLIENTS} × ${EVENTS} = ${CLIENTS * EVENTS} deliveries |`,
    `| deliveries received | ${latencies.length} |`,
    `| every client got all ${EVENTS}, in order, none twice | ${allInOrder ? "yes" : "**no**"} |`,
    `| delivery latency, median | ${ms(quantile(latencies, 0.5))} |`,
    `| delivery latency, p99 | ${ms(quantile(latencies, 0.99))} |`,
    `| delivery latency, max | ${ms(latencies.at(-1) ?? NaN)} |`,
    `| fan-out spread per event (last − first client), median / p99 | ${ms(quantile(spreads, 0.5))} / ${ms(quantile(spreads, 0.99))} |`,
    `| publish request (round trip), median / p99 | ${ms(quantile(publishMs, 0.5))} / ${ms(quantile(publishMs, 0.99))} |`,
    `| all ${EVENTS} published in | ${ms(publishAllMs)} |`,
    `| all delivered to all clients in | ${ms(deliveredAllMs)} |`,
    `| ${CLIENTS} streams opened (concurrently) in | ${ms(connectMs)} |`,
    "",
    ...(allInOrder ? [] : ["Problems (first 20):", "", ...problems.slice(0, 20).map((p) => `- ${p}`), ""]),
  ];
  const report = lines.join("\n");
  writeFileSync(resultsFile, report);
  console.log(`\n${report}\nWritten to ${path.relative(root, resultsFile)}`);
  await stopServer();
  if (allInOrder) rmSync(persistDir, { recursive: true, force: true });
  else console.log(`wrangler dev log kept at ${logPath}`);
  return allInOrder ? 0 : 1;
}

function printServerLog() {
  if (!logPath) return;
  try {
    console.error(`--- last lines of ${logPath} ---\n${readFileSync(logPath, "utf8").split("\n").slice(-30).join("\n")}`);
  } catch {
    /* no log */
  }
}

const watchdog = setTimeout(() => {
  console.error(`bench:events exceeded ${TOTAL_TIMEOUT_MS} ms; stopping`);
  printServerLog();
  killNow();
  process.exit(2);
}, TOTAL_TIMEOUT_MS);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    killNow();
    process.exit(130);
  });
}

main()
  .then((code) => {
    clearTimeout(watchdog);
    process.exit(code);
  })
  .catch(async (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    printServerLog();
    await stopServer(); // bounded: SIGTERM, then SIGKILL; the watchdog still runs meanwhile
    clearTimeout(watchdog);
    process.exit(1);
  });
