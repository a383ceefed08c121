#!/usr/bin/env node
// devfocus: the DevFocus command line. Plain ESM on Node ≥ 20 built-ins, no build step; see `devfocus --help`.
import { main } from "./lib/main.mjs";

const [major] = process.versions.node.split(".").map(Number);
if (major < 20) {
  process.stderr.write(`devfocus needs Node.js 20 or newer (this is ${process.version}).\n`);
  process.exit(1);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`devfocus: unexpected error: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  },
);
