#!/usr/bin/env node
// `npm run bench:editors` (and the second half of `npm run bench`): editor heartbeats through the
// WakaTime-compatible API, end to end over loopback, bounded by TOTAL_TIMEOUT_MS.
//
// Starts its own `wrangler dev` (bench/lib/server.ts) on a free port with a throwaway D1, registers USERS
// users with an editor key each, and ingests one 8-hour day per user as wakatime-cli sends it: two editors
// per user, a heartbeat every 2 minutes per editor, in bulks of 10 with Basic auth, the two editors' bulks of
// a user sent at once (so their derivations race), USERS_AT_ONCE users at a time. Each answer's Server-Timing
// gives its D1 round trips, rows read and written, and the Worker's own time; the bench then re-sends a
// tenth of the bulks (which must write nothing), checks every user's day became one session of 480 minutes
// without a switch, prints the budgets PASS/FAIL (exit 1 if one fails) and writes bench/editors-results.md.
import http from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { apiClient, ok } from "./lib/api.ts";
import { parseServerTiming, quantile } from "./lib/load.ts";
import { DevServer, root, snapshotSources, sourceLabel, wranglerVersion } from "./lib/server.ts";

const PASSWORD = "bench password 123";
const USERS = Number(process.env.BENCH_EDITOR_USERS) || 100;
const USERS_AT_ONCE = 8;
const HOURS = 8;
const EVERY_MIN = 2;
const BULK = 10;
const MIN = 60_000;
/** The whole run, wrangler's start included (about 2½ minutes here): `npm run bench` runs this after bench/run.ts. */
const TOTAL_TIMEOUT_MS = 8 * 60_000;
const VSCODE = "wakatime/v1.102.1 (linux-6.5.0-x86_64) go1.22.1 vscode/1.88.0 vscode-wakatime/24.5.0";
const VIM = "wakatime/v1.102.1 (linux-6.5.0-x86_64) go1.22.1 vim/9.1 vim-wakatime/11.2.0";

/** Budgets: what a bulk may cost, and how fast ingest must go on this kind of machine. */
const BUDGETS = {
  heartbeatsPerSecond: 100,
  roundTripsP95: 4,
  roundTripsMax: 9,
  rowsWrittenP50: 30,
  resendRowsWrittenMax: 2,
  resendRoundTrips: 2,
};

const resultsFile = path.join(root, "bench", "editors-results.md");
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

interface Answer {
  status: number;
  ms: number;
  workerMs: number;
  queries: number;
  rowsRead: number;
  rowsWritten: number;
  statuses: number[];
}

function post(base: string, pathname: string, key: string, body: unknown): Promise<Answer> {
  const payload = Buffer.from(JSON.stringify(body));
  const url = new URL(pathname, base);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        agent,
        headers: { Authorization: `Basic ${Buffer.from(key).toString("base64")}`, "Content-Type": "application/json", "Content-Length": payload.length, "User-Agent": VSCODE },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          const header = String(res.headers["server-timing"] ?? "");
          const t = parseServerTiming(header);
          const parsed = res.statusCode === 202 ? (JSON.parse(text) as { responses: [unknown, number][] }) : { responses: [] };
          resolve({
            status: res.statusCode ?? 0,
            ms: performance.now() - started,
            workerMs: Number(/total;dur=([\d.]+)/.exec(header)?.[1] ?? NaN),
            queries: t.queries ?? NaN,
            rowsRead: t.rowsRead ?? NaN,
            rowsWritten: t.rowsWritten ?? NaN,
            statuses: parsed.responses.map(([, s]) => s),
          });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

interface User {
  token: string;
  key: string;
  bulks: [object[], object[]][];
}

/** One user's day: two editors a minute apart, each a heartbeat every 2 minutes, cut into bulks of 10. */
function day(start: number): [object[], object[]][] {
  const per = (HOURS * 60) / EVERY_MIN;
  const editor = (offset: number, ua: string, entity: string) =>
    Array.from({ length: per }, (_, i) => ({ entity, type: "file", time: (start + offset + i * EVERY_MIN * MIN) / 1000, category: "coding", project: "devfocus-api", branch: "main", language: "TypeScript", user_agent: ua, lines: 120, is_write: i % 5 === 0 }));
  const [a, b] = [editor(0, VSCODE, "/src/app.ts"), editor(MIN, VIM, "/src/db.ts")];
  const out: [object[], object[]][] = [];
  for (let i = 0; i < per; i += BULK) out.push([a.slice(i, i + BULK), b.slice(i, i + BULK)]);
  return out;
}

async function makeUser(base: string, i: number, dayStart: number): Promise<User> {
  const email = `editor-bench-${Date.now()}-${i}@example.com`;
  // Each from its own client IP: register is rate limited per IP.
  let res: Response;
  for (;;) {
    res = await fetch(`${base}/api/auth/register/`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "CF-Connecting-IP": `10.9.${Math.floor(i / 250)}.${i % 250}` },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    // wrangler dev may set the client IP itself: then wait out the per-IP limit.
    if (res.status !== 429) break;
    await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get("Retry-After") ?? 5)));
  }
  if (res.status !== 201) throw new Error(`register → ${res.status} ${await res.text()}`);
  const { token } = (await res.json()) as { token: string };
  const key = await ok(apiClient(base, token).POST("/api/auth/tokens", { body: { name: "bench editors", scope: "EDITOR" } }));
  return { token, key: key.token, bulks: day(dayStart) };
}

async function inPool<T>(items: T[], size: number, run: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: size }, async () => {
    while (next < items.length) await run(items[next++]!);
  }));
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: quantile(s, 0.5), p95: quantile(s, 0.95), max: s.at(-1) ?? NaN, mean: s.reduce((a, b) => a + b, 0) / (s.length || 1) };
};

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "devfocus-bench-editors-"));
  const server = new DevServer("bench:editors", snapshotSources(path.join(dir, "app")), path.join(dir, "state"), path.join(dir, "wrangler-dev.log"));
  const abandon = (why: string, code: number) => {
    server.killNow();
    rmSync(dir, { recursive: true, force: true });
    console.error(`bench:editors: ${why}`);
    process.exit(code);
  };
  const watchdog = setTimeout(() => abandon(`exceeded ${TOTAL_TIMEOUT_MS / 1000} s; stopped`, 2), TOTAL_TIMEOUT_MS);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => abandon(sig, 130));
  try {
    const base = await server.start();
    // Yesterday, 09:00 to 17:00 UTC (the users' time zone): a past day, well inside the retention period.
    const today = new Date();
    const dayStart = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - 1, 9);
    const users: User[] = [];
    for (let i = 0; i < USERS; i++) users.push(await makeUser(base, i, dayStart));

    const answers: Answer[] = [];
    const started = performance.now();
    await inPool(users, USERS_AT_ONCE, async (u) => {
      for (const [a, b] of u.bulks) answers.push(...(await Promise.all([post(base, "/api/compat/wakatime/v1/users/current/heartbeats.bulk", u.key, a), post(base, "/api/compat/wakatime/v1/users/current/heartbeats.bulk", u.key, b)])));
    });
    const elapsedS = (performance.now() - started) / 1000;
    const heartbeats = answers.reduce((n, a) => n + a.statuses.length, 0);
    const failed = answers.filter((a) => a.status !== 202 || a.statuses.some((s) => s !== 201)).length;

    // A tenth of the bulks again, as an offline queue re-sends them: nothing may be written.
    const resends: Answer[] = [];
    await inPool(users.slice(0, Math.ceil(USERS / 10)), USERS_AT_ONCE, async (u) => {
      for (const [a] of u.bulks) resends.push(await post(base, "/api/compat/wakatime/v1/users/current/heartbeats.bulk", u.key, a));
    });

    // Every user's day is one editor session: 09:00 to 16:59 (the last heartbeat), 479 minutes, no switch.
    let wrongDays = 0;
    for (const u of users) {
      const page = await ok(apiClient(base, u.token).GET("/api/sessions", { params: { query: { source: "EDITOR" } } }));
      const s = page.results;
      if (s.length !== 1 || s[0]!.total_focus_minutes !== HOURS * 60 - 1 || s[0]!.switch_count !== 0) wrongDays++;
    }

    const q = stats(answers.map((a) => a.queries));
    const w = stats(answers.map((a) => a.rowsWritten));
    const r = stats(answers.map((a) => a.rowsRead));
    const worker = stats(answers.map((a) => a.workerMs));
    const latency = stats(answers.map((a) => a.ms));
    const hbPerS = heartbeats / elapsedS;
    const resendW = stats(resends.map((a) => a.rowsWritten));
    const resendQ = stats(resends.map((a) => a.queries));
    const checks: [string, boolean, string][] = [
      ["every heartbeat stored (201), every day one 479-minute session", failed === 0 && wrongDays === 0 && heartbeats === USERS * 2 * (HOURS * 60) / EVERY_MIN, `${heartbeats} heartbeats, ${failed} bulks not all 201, ${wrongDays} days wrong`],
      [`heartbeats per second ≥ ${BUDGETS.heartbeatsPerSecond}`, hbPerS >= BUDGETS.heartbeatsPerSecond, hbPerS.toFixed(0)],
      [`D1 round trips per bulk p95 ≤ ${BUDGETS.roundTripsP95}, max ≤ ${BUDGETS.roundTripsMax}`, q.p95 <= BUDGETS.roundTripsP95 && q.max <= BUDGETS.roundTripsMax, `p50 ${q.p50}, p95 ${q.p95}, max ${q.max}`],
      [`rows written per bulk of ${BULK} p50 ≤ ${BUDGETS.rowsWrittenP50}`, w.p50 <= BUDGETS.rowsWrittenP50, `p50 ${w.p50}, p95 ${w.p95}, max ${w.max}`],
      [`a re-sent bulk: ${BUDGETS.resendRoundTrips} round trips, ≤ ${BUDGETS.resendRowsWrittenMax} rows written`, resendQ.max === BUDGETS.resendRoundTrips && resendW.max <= BUDGETS.resendRowsWrittenMax, `${resends.length} re-sends: round trips max ${resendQ.max}, rows written max ${resendW.max}`],
    ];
    const lines = [
      `# Editor heartbeats benchmark (npm run bench:editors)`,
      ``,
      `${USERS} users × one ${HOURS}-hour day × 2 editors, a heartbeat every ${EVERY_MIN} minutes per editor, bulks of ${BULK} with Basic auth; ${USERS_AT_ONCE} users at a time, each user's two editors' bulks sent at once. Source: ${sourceLabel()}; wrangler ${wranglerVersion()}; ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}; ${new Date().toISOString()}.`,
      ``,
      `| | |`,
      `|---|---|`,
      `| heartbeats | ${heartbeats} in ${answers.length} bulks, ${elapsedS.toFixed(1)} s: **${hbPerS.toFixed(0)} heartbeats/s** (${(answers.length / elapsedS).toFixed(0)} bulks/s) |`,
      `| D1 round trips per bulk | p50 ${q.p50}, p95 ${q.p95}, max ${q.max} (auth; store + read; write the derived change. The two editors of a user race on every pair: the loser reads again (+1) and writes (+1) unless the winner already wrote its heartbeats) |`,
      `| D1 rows written per bulk | p50 ${w.p50}, p95 ${w.p95}, max ${w.max}, mean ${w.mean.toFixed(1)} |`,
      `| D1 rows read per bulk | p50 ${r.p50}, p95 ${r.p95}, max ${r.max} (the day's heartbeats so far: derivation re-reads them) |`,
      `| Worker time per bulk (Server-Timing total) | p50 ${worker.p50.toFixed(1)} ms, p95 ${worker.p95.toFixed(1)} ms: **${(worker.p50 / BULK).toFixed(2)} ms per heartbeat** (store + derive) |`,
      `| latency per bulk (client) | p50 ${latency.p50.toFixed(1)} ms, p95 ${latency.p95.toFixed(1)} ms |`,
      `| re-sent bulks | ${resends.length}: round trips max ${resendQ.max}, rows written max ${resendW.max} |`,
      ``,
      `| budget | result | |`,
      `|---|---|---|`,
      ...checks.map(([name, pass, got]) => `| ${name} | ${pass ? "PASS" : "FAIL"} | ${got} |`),
      ``,
    ];
    writeFileSync(resultsFile, lines.join("\n"));
    console.log(lines.join("\n"));
    if (checks.some(([, pass]) => !pass)) process.exitCode = 1;
  } finally {
    clearTimeout(watchdog);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
