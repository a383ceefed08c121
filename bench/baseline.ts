#!/usr/bin/env node
// Records the D1 round trips of an earlier design, for the "before" columns of bench/run.ts's latency model:
//
//   npx node bench/baseline.ts [commit] [small|large]     (defaults: 2b847df, the commit before issue 16; small)
//
// Serves that commit's sources (git archive: the working tree is not touched) with `wrangler dev` over a fresh
// dataset (bench/generate.ts, today's generator), sends every endpoint of bench/lib/endpoints.ts a few times
// after a warm-up, and writes each one's round trips per request (Server-Timing `d1-queries`) to
// bench/baseline-before.json. Round trips do not depend on the dataset's size, hence small by default.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { generate, type Size } from "./generate.ts";
import { endpoints, middleCursors } from "./lib/endpoints.ts";
import { max, median, sequential } from "./lib/load.ts";
import type { Baseline } from "./lib/model.ts";
import { DevServer, root, snapshotSources } from "./lib/server.ts";

const BEFORE_ISSUE_16 = "2b847df";
const WARMUP = 3;
const REQUESTS = 8;

async function main(): Promise<void> {
  const [ref = BEFORE_ISSUE_16, sizeArg = "small"] = process.argv.slice(2);
  if (sizeArg !== "small" && sizeArg !== "large") throw new Error(`size ${sizeArg}: small or large`);
  const size: Size = sizeArg;
  const commit = execFileSync("git", ["rev-parse", "--verify", `${ref}^{commit}`], { cwd: root, encoding: "utf8" }).trim();
  const subject = execFileSync("git", ["log", "-1", "--format=%s", commit], { cwd: root, encoding: "utf8" }).trim();
  const dir = path.join(root, "bench", "data", "baseline");
  const appDir = snapshotSources(path.join(dir, "app"), commit);
  const meta = generate(size, path.join(dir, size), { appDir });
  const server = new DevServer("baseline", appDir, meta.persistTo, path.join(dir, "wrangler-dev.log"));
  const stop = () => server.killNow();
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => (stop(), process.exit(130)));
  try {
    await server.start();
    console.log(`${commit.slice(0, 7)} (${subject}) at ${server.base}`);
    const { extra } = await middleCursors(server.base, meta);
    const out: Baseline["endpoints"] = {};
    for (const ep of await endpoints(meta, extra, { quick: true })) {
      const samples = await sequential(server.base, WARMUP + REQUESTS, ep.make);
      const bad = samples.find((s) => s.status < 200 || s.status >= 300);
      if (bad) throw new Error(`${ep.name}: ${bad.status} ${bad.text.slice(0, 200)}`);
      const trips = samples.slice(WARMUP).map((s) => s.timing.queries ?? NaN);
      const { method } = await ep.make(0);
      out[ep.id] = { method, d1_queries_median: median(trips), d1_queries_max: max(trips) };
      console.log(`${ep.id}: ${method}, ${median(trips)} round trips (max ${max(trips)})`);
    }
    const baseline: Baseline = {
      commit,
      description: `the design before issue 16 (${commit.slice(0, 7)}: "${subject}"): no Sessions API, every request at the primary, an authenticated read checks its token first`,
      date: new Date().toISOString(),
      dataset: `the ${size} dataset`,
      endpoints: out,
    };
    writeFileSync(path.join(root, "bench", "baseline-before.json"), `${JSON.stringify(baseline, null, 2)}\n`);
    console.log("written to bench/baseline-before.json");
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
