#!/usr/bin/env node
// `npm run build:cli` (also run at `prepare`, so by `npm install`, `npm install -g .` and `npm link`):
// bundles the TypeScript CLI (cli/devfocus.ts, with the typed client and the Worker's calendar and focus
// modules it imports) into one file, cli/dist/devfocus.js — the `devfocus` bin — for plain Node 20,
// with no runtime dependency. Plain JavaScript so that it runs on the Node that runs npm.
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const outfile = fileURLToPath(new URL("../cli/dist/devfocus.js", import.meta.url));
await build({
  entryPoints: [fileURLToPath(new URL("../cli/devfocus.ts", import.meta.url))],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  banner: { js: "#!/usr/bin/env node" },
  logLevel: "warning",
});
fs.chmodSync(outfile, 0o755); // a bin: npm links to this file, so a rebuild must keep it executable
