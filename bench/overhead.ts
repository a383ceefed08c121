// `npm run bench:overhead` — where a request's time goes: one controlled experiment per middleware, in one run.
//
// Variants of the Worker, each the same sources with ONE piece taken off `src/app.ts` (an exact text
// replacement that must match, so the experiment fails loudly when app.ts changes under it), each served by
// its own `wrangler dev` over its own copy of the same small dataset's D1, plus the bare Hono Worker
// (bench/bare). All of them are loaded in rounds, each round in the opposite order of the one before, with
// `GET /api/health/` and a team's 50-task page (the bare Worker: its /health and its one-query page). A
// variant's ratio to the bare Worker, and its gain over the full Worker, say what that piece costs; the
// gains are measured against the same full Worker in the same rounds.
//
// Writes bench/overhead-results.md. About 2–3 minutes on 2 cores.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { generate } from "./generate.ts";
import { prepare } from "./lib/api.ts";
import { BARE_HEALTH } from "./lib/bare.ts";
import { firstToken, fixed, PAGE } from "./lib/endpoints.ts";
import { concurrent, median, sequential, type MakeRequest } from "./lib/load.ts";
import { copyD1, DevServer, root, snapshotSources, wranglerVersion } from "./lib/server.ts";

interface Variant {
  name: string;
  /** What is taken off, in words (the table's column). */
  off: string;
  /** [text in src/app.ts, its replacement]: every one must match exactly once. */
  edits: [string, string][];
  /** The same, in wrangler.toml. */
  config?: [string, string][];
}

const VARIANTS: Variant[] = [
  { name: "full", off: "nothing: the Worker as it is", edits: [] },
  {
    name: "no-request-log",
    off: "the request log (an Analytics Engine data point per request; a log line for failures and slow requests)",
    edits: [['  app.use("/api/*", requestLog);\n', ""]],
  },
  {
    name: "no-cors-check",
    off: "the CORS middleware (reads CORS_ORIGINS, sets Vary)",
    edits: [['  app.use("/api/*", async (c, next) => {\n    const origins = corsOrigins(c.env);', '  app.use("/api/_off_/*", async (c, next) => {\n    const origins = corsOrigins(c.env);']],
  },
  {
    name: "no-request-id",
    off: "the request id (a random UUID, the X-Request-Id header)",
    edits: [['  app.use("*", requestId({ headerName: "X-Request-Id", generator: () => crypto.randomUUID() }));\n', ""]],
  },
  {
    name: "no-body-limit",
    off: "the body limit middleware",
    edits: [["  app.use(\n    \"/api/*\",\n    bodyLimit({", "  app.use(\n    \"/api/_off_/*\",\n    bodyLimit({"]],
  },
  {
    name: "no-server-timing",
    off: "the Server-Timing and X-D1-Bookmark headers (the D1 meter still counts)",
    edits: [["    try {\n      for (const [k, v] of headers) c.res.headers.set(k, v);", "    headers.length = 0;\n    try {\n      for (const [k, v] of headers) c.res.headers.set(k, v);"]],
  },
  {
    name: "no-d1-session",
    off: "D1's Sessions API (the binding itself, no bookmark)",
    edits: [
      ["    const session = c.env.DB.withSession(d1SessionStart(c.req.method, c.req.header(BOOKMARK_HEADER)));", "    const session = Object.assign(c.env.DB, { getBookmark: () => null });"],
    ],
  },
  {
    name: "no-assets",
    off: "Workers Static Assets (the dashboard): wrangler.toml without [assets], so no asset router before the Worker",
    edits: [],
    config: [['[assets]\ndirectory = "./web/dist"\nbinding = "ASSETS"\nrun_worker_first = ["/api/*"]\nnot_found_handling = "single-page-application"\n', ""]],
  },
  {
    name: "all-middleware-off",
    off: "the request log, CORS, request id, body limit and Server-Timing together",
    edits: [],
  },
];
const ALL_OFF = VARIANTS.find((v) => v.name === "all-middleware-off")!;
ALL_OFF.edits = VARIANTS.filter((v) => v.name.startsWith("no-") && v.name !== "no-assets" && v.name !== "no-d1-session").flatMap((v) => v.edits);

const ROUNDS = Number(process.env.BENCH_OVERHEAD_ROUNDS ?? 4);
const PLAN = { concurrency: 6, durationMs: 1000, maxRequests: 3000 };
const dataDir = path.join(root, "bench", "data", "overhead");
const outFile = path.join(root, "bench", "overhead-results.md");
const log = (line: string) => console.log(`[overhead] ${line}`);
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function patched(dir: string, v: Variant): string {
  const appDir = snapshotSources(dir);
  const file = path.join(appDir, "src", "app.ts");
  let text = readFileSync(file, "utf8");
  for (const [from, to] of v.edits) {
    const count = text.split(from).length - 1;
    if (count !== 1) throw new Error(`${v.name}: expected the text to take off once in src/app.ts, found it ${count} times: ${JSON.stringify(from.slice(0, 80))}`);
    text = text.replace(from, to);
  }
  writeFileSync(file, text);
  const toml = path.join(appDir, "wrangler.toml");
  let config = readFileSync(toml, "utf8");
  for (const [from, to] of v.config ?? []) {
    const count = config.split(from).length - 1;
    if (count !== 1) throw new Error(`${v.name}: expected the text to take off once in wrangler.toml, found it ${count} times: ${JSON.stringify(from.slice(0, 80))}`);
    config = config.replace(from, to);
  }
  writeFileSync(toml, config);
  return appDir;
}

interface Load {
  health: MakeRequest;
  page: MakeRequest;
}

async function main(): Promise<number> {
  const t0 = performance.now();
  mkdirSync(dataDir, { recursive: true });
  const genApp = snapshotSources(path.join(dataDir, "gen-app"));
  const meta = generate("small", path.join(dataDir, "small"), { appDir: genApp, log });
  const token = firstToken(meta);
  const devHealth = await prepare((api) => api.GET("/api/health"));
  const devPage = await prepare((api) => api.GET("/api/tasks", { params: { query: { team: meta.teamId, page_size: PAGE } } }));
  const devLoad: Load = { health: fixed(devHealth), page: fixed(devPage, token) };
  const bareLoad: Load = {
    health: fixed({ method: "GET", path: BARE_HEALTH }),
    page: fixed({ method: "GET", path: `/tasks?${new URLSearchParams({ team: String(meta.teamId), page_size: String(PAGE) })}` }),
  };

  const servers: { name: string; off: string; srv: DevServer; load: Load }[] = [];
  const stopAll = () => servers.forEach((s) => s.srv.killNow());
  process.on("exit", stopAll);
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => process.exit(130));
  try {
    for (const v of VARIANTS) {
      const appDir = patched(path.join(dataDir, v.name), v);
      const persist = copyD1(meta.persistTo, path.join(dataDir, v.name, "state"));
      servers.push({ name: v.name, off: v.off, srv: new DevServer(v.name, appDir, persist, path.join(dataDir, `${v.name}.log`)), load: devLoad });
    }
    const bareDir = path.join(dataDir, "full");
    servers.push({
      name: "bare",
      off: "everything: a bare Hono Worker (bench/bare), one D1 query for the page",
      srv: new DevServer("bare", path.join(bareDir, ""), copyD1(meta.persistTo, path.join(dataDir, "bare", "state")), path.join(dataDir, "bare.log"), {
        config: "bench/bare/wrangler.toml",
        probePath: BARE_HEALTH,
      }),
      load: bareLoad,
    });
    // One at a time: each start builds the Worker, which is CPU-bound on 2 cores.
    for (const s of servers) {
      await s.srv.start();
      log(`${s.name}: ${s.srv.base}`);
    }
    for (const s of servers) {
      for (const kind of ["health", "page"] as const) {
        const warm = await sequential(s.srv.base, 30, s.load[kind]);
        const bad = warm.find((x) => x.status !== 200);
        if (bad) throw new Error(`${s.name} ${kind}: ${bad.status} ${bad.text.slice(0, 200)}`);
      }
    }
    const rps: Record<string, Record<"health" | "page", number[]>> = Object.fromEntries(servers.map((s) => [s.name, { health: [], page: [] }]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const s of r % 2 ? [...servers].reverse() : servers) {
        for (const kind of ["health", "page"] as const) {
          const res = await concurrent(s.srv.base, PLAN, s.load[kind]);
          if (res.samples.some((x) => x.status !== 200)) throw new Error(`${s.name} ${kind}: failed requests`);
          rps[s.name]![kind].push((res.samples.length * 1000) / res.elapsedMs);
        }
      }
      log(`round ${r + 1}/${ROUNDS} done`);
    }
    const ratio = (a: string, b: string, kind: "health" | "page") => median(rps[a]![kind].map((x, i) => x / rps[b]![kind][i]!));
    const rows = servers.map((s) => {
      const cells = (["health", "page"] as const).map((kind) => {
        const own = median(rps[s.name]![kind]);
        const vsBare = ratio(s.name, "bare", kind);
        const vsFull = ratio(s.name, "full", kind);
        return [String(round(own, 1)), String(round(vsBare, 3)), s.name === "full" ? "–" : `${vsFull >= 1 ? "+" : ""}${round((vsFull - 1) * 100, 1)} %`];
      });
      return [`\`${s.name}\``, s.off, ...cells.flat()];
    });
    const load = os.loadavg().map((x) => round(x, 2));
    const md = [
      "# Per-request overhead: one experiment per middleware",
      "",
      `Last run: ${new Date().toISOString()}, by \`npm run bench:overhead\` (bench/overhead.ts), in ${round((performance.now() - t0) / 1000, 1)} s.`,
      `Machine: ${os.cpus().length} CPUs, load average at the end ${load.join(" / ")}; Node ${process.version}, wrangler ${wranglerVersion()}.`,
      "",
      `Each row is the Worker with one piece taken off \`src/app.ts\`, served by its own \`wrangler dev\` over a copy of the`,
      `same small dataset's D1 (${meta.counts.tasks} tasks). ${ROUNDS} rounds, each round in the opposite order of the one before; per round`,
      `and row: \`GET /api/health/\`, then a team's ${PAGE}-task page (\`GET /api/tasks/?team=…&page_size=${PAGE}\`, one D1 round trip: the`,
      `credential check travels with the page), ${PLAN.concurrency} concurrent loops for ${PLAN.durationMs} ms each. req/s: the median of the rounds; "÷ bare" and`,
      `"vs full": the median of the per-round ratios (the bare Worker and the full one measured in the same round).`,
      "",
      "| variant | taken off | health req/s | health ÷ bare | health vs full | page req/s | page ÷ bare | page vs full |",
      "|---|---|---|---|---|---|---|---|",
      ...rows.map((r) => `| ${r.join(" | ")} |`),
      "",
    ].join("\n");
    writeFileSync(outFile, md);
    log(`wrote ${path.relative(root, outFile)}`);
    console.log(md);
    return 0;
  } finally {
    for (const s of servers) await s.srv.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
