// devfocus: the DevFocus command line. Built at `prepare` into cli/dist/devfocus.js (one file, Node ≥ 20,
// no runtime dependency): the `devfocus` bin. See `devfocus --help`.
import { main } from "./lib/main.ts";

const major = Number(process.versions.node.split(".")[0]);
if (major < 20) {
  process.stderr.write(`devfocus needs Node.js 20 or newer (this is ${process.version}).\n`);
  process.exit(1);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`devfocus: unexpected error: ${err instanceof Error && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
