#!/usr/bin/env node
// `npm run dev [-- wrangler dev flags]`: migrate the local D1, build the dashboard (web/ → web/dist) and keep
// rebuilding it on change, then serve the API and the dashboard with `wrangler dev` (which reloads the assets
// when web/dist changes).
//
// DEVFOCUS_WEB=off skips the front-end build and watch and serves web/dist as it is (test and benchmark
// servers, which start many `npm run dev`s and never edit web/).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
// Migrate the same local state wrangler dev will use.
const persistAt = args.findIndex((a) => a === "--persist-to" || a.startsWith("--persist-to="));
const persist =
  persistAt < 0 ? [] : args[persistAt].includes("=") ? [args[persistAt]] : [args[persistAt], args[persistAt + 1]];
const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local", ...persist], {
  stdio: "inherit",
  env: { ...process.env, CI: "true" }, // never prompt for confirmation
});
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const webConfig = path.join(root, "web", "vite.config.ts");
let watcher = null;
if (process.env.DEVFOCUS_WEB !== "off" && existsSync(webConfig)) {
  watcher = await watchWeb();
} else {
  // wrangler refuses to start without the assets directory (a copy of the API without web/, or DEVFOCUS_WEB=off
  // before any build): serve an empty one.
  mkdirSync(path.join(root, "web", "dist"), { recursive: true });
}

const child = spawn("wrangler", ["dev", ...args], { stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => child.kill(sig));
child.on("exit", async (code, signal) => {
  await watcher?.close();
  process.exit(code ?? (signal ? 1 : 0));
});

/** `vite build --watch` in this process; resolves once the first build is written, so wrangler finds web/dist. */
async function watchWeb() {
  const { build } = await import("vite");
  const w = await build({ configFile: webConfig, logLevel: "warn", build: { watch: {} } });
  await new Promise((resolve, reject) => {
    let first = true;
    w.on("event", (e) => {
      if (e.code === "BUNDLE_END") e.result?.close();
      if (e.code === "END") {
        console.log(first ? "dashboard built into web/dist; rebuilding on change" : "dashboard rebuilt");
        if (first) resolve();
        first = false;
      }
      if (e.code === "ERROR") {
        console.error(`dashboard build failed: ${e.error?.message ?? e.error}`);
        // A broken first build still lets the API start (with the previous web/dist, if any).
        if (first) {
          mkdirSync(path.join(root, "web", "dist"), { recursive: true });
          resolve();
        }
        first = false;
      }
    });
    w.on("close", () => first && reject(new Error("the dashboard watcher closed before its first build")));
  });
  return w;
}
