#!/usr/bin/env node
// `npm run dev [-- wrangler dev flags]`: migrate the local D1, then serve everything with `wrangler dev`.
import { spawn, spawnSync } from "node:child_process";

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

const child = spawn("wrangler", ["dev", ...args], { stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
