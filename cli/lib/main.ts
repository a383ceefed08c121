// Argument parsing (node:util parseArgs), help, dispatch, output and exit codes.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { COMMANDS } from "../commands/index.ts";
import { ApiError, Unreachable } from "./api.ts";
import { Args, type Command, type OptionSpec } from "./command.ts";
import { Context, errorText, syncJournal, type Io } from "./context.ts";
import { CliError, EXIT, UsageError } from "./errors.ts";
import { colourEnabled, palette, type Palette } from "./output.ts";

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  json: { type: "boolean", desc: "JSON on stdout instead of text (errors as JSON on stderr)" },
  url: { type: "string", arg: "<api>", desc: "API base URL (overrides DEVFOCUS_URL and the saved one)" },
  help: { type: "boolean", short: "h", desc: "Show help" },
};

function version(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    return typeof pkg === "object" && pkg !== null && "version" in pkg && typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

const parseConfig = (options: Record<string, OptionSpec>) =>
  Object.fromEntries(Object.entries(options).map(([k, o]) => [k, { type: o.type, ...(o.short ? { short: o.short } : {}) }]));

function optionRows(options: Record<string, OptionSpec>): [string, string][] {
  return Object.entries(options)
    .filter(([, o]) => !o.hidden)
    .map(([k, o]) => [`  ${o.short ? `-${o.short}, ` : ""}--${k}${o.arg ? ` ${o.arg}` : ""}`, o.desc ?? ""]);
}

function columns(rows: [string, string][], width = 0): string {
  const w = Math.max(width, ...rows.map((r) => r[0].length));
  return rows.map(([a, b]) => `${a.padEnd(w)}  ${b}`).join("\n");
}

export function mainHelp(c: Palette): string {
  const groups = new Map<string, [string, string][]>();
  for (const cmd of COMMANDS.values()) {
    if (cmd.hidden) continue;
    const rows = groups.get(cmd.group) ?? [];
    rows.push([`  ${cmd.name}`, cmd.summary]);
    groups.set(cmd.group, rows);
  }
  const width = Math.max(...[...groups.values()].flat().map((r) => r[0].length));
  const sections = [...groups].map(([g, rows]) => `${c.bold(g)}\n${columns(rows, width)}`);
  return [
    `${c.bold("devfocus")} — record dev sessions and context switches from your terminal and from git.`,
    "",
    `Usage: devfocus <command> [options]      devfocus <command> --help for its options`,
    "",
    ...sections.flatMap((s) => [s, ""]),
    c.bold("Global options"),
    columns([...optionRows(GLOBAL_OPTIONS), ["  --version", "Print the version"]]),
    "",
    c.bold("Environment"),
    columns([
      ["  DEVFOCUS_URL", "API base URL (default http://localhost:8787, or the one saved by login)"],
      ["  DEVFOCUS_TOKEN", "API token to use instead of the saved one"],
      ["  DEVFOCUS_TIMEOUT_MS", "Per-request timeout (default 10000; the git hook uses 3000)"],
      ["  NO_COLOR", "No colour (colour is only used on a terminal anyway)"],
      ["  XDG_CONFIG_HOME", "Config dir root: token, local state and the offline journal live in $XDG_CONFIG_HOME/devfocus"],
    ]),
    "",
    c.bold("Times"),
    "  Shown in your own time zone and day (devfocus whoami), as the API's reports count them.",
    "",
    c.bold("Offline"),
    "  When the API cannot be reached, start/switch/pause/resume/stop/link are saved to a local journal with their",
    "  real times; `devfocus sync` (tried before every command) replays them in order, exactly once.",
    "",
    c.bold("Exit codes"),
    "  0 ok (including actions journaled offline) · 1 refused (the API's message is shown) · 2 bad usage · 3 API unreachable",
  ].join("\n");
}

export function commandHelp(cmd: Command, c: Palette): string {
  const rows = [...optionRows(cmd.options ?? {}), ...optionRows(GLOBAL_OPTIONS)];
  return [c.bold(cmd.usage), "", `${cmd.summary}.`, ...(cmd.description ? ["", cmd.description] : []), "", c.bold("Options"), columns(rows)].join("\n");
}

/** The command name: the first argument that is not a global option (or its value). */
function splitCommand(argv: string[]): { name: string | null; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "--url") {
      i++;
      continue;
    }
    if (a.startsWith("-")) continue;
    return { name: a, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { name: null, rest: argv };
}

const syncsFirst = (cmd: Command, args: Args) => (typeof cmd.api === "function" ? cmd.api(args) : Boolean(cmd.api));

/** Runs the CLI; returns the exit code (the caller exits with it). */
export async function main(argv: string[], io: Partial<Io> = {}): Promise<number> {
  const full: Io = {
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    stdin: io.stdin ?? process.stdin,
  };
  const { stdout, stderr } = full;
  const cOut = palette(colourEnabled(stdout, full.env));
  const cErr = palette(colourEnabled(stderr, full.env));
  const jsonWanted = argv.includes("--json");
  const fail = (err: Error): number => {
    const cli = err instanceof CliError ? err : null;
    if (jsonWanted) {
      const body = err instanceof ApiError ? err.toJSON() : { code: cli?.code ?? err.name, message: err.message, ...(cli?.hint ? { hint: cli.hint } : {}) };
      stderr.write(`${JSON.stringify({ error: body })}\n`);
    } else {
      const head = err instanceof ApiError ? `${cErr.red("error")} ${cErr.dim(`(${err.status} ${err.code})`)}: ${errorText(err)}` : `${cErr.red("error")}: ${err.message}`;
      stderr.write(`${head}\n`);
      if (cli?.hint) stderr.write(`${cErr.dim(cli.hint)}\n`);
      if (err instanceof ApiError && err.status === 401) stderr.write(`${cErr.dim("Your token was refused: run `devfocus login` again.")}\n`);
      if (err instanceof ApiError && err.requestId) stderr.write(`${cErr.dim(`request id ${err.requestId}`)}\n`);
      if (err instanceof UsageError) stderr.write(`${cErr.dim("See `devfocus --help`.")}\n`);
    }
    return cli ? cli.exitCode : EXIT.ERROR;
  };

  const { name, rest } = splitCommand(argv);
  if (!name) {
    if (argv.includes("--version") || argv.includes("-V")) {
      stdout.write(`${version()}\n`);
      return EXIT.OK;
    }
    const stray = argv.find((a) => a !== "--help" && a !== "-h" && a !== "--json");
    if (stray !== undefined) return fail(new UsageError(`Unknown option ${stray}.`));
    stdout.write(`${mainHelp(cOut)}\n`);
    return EXIT.OK;
  }
  if (name === "help") {
    const topic = COMMANDS.get(rest.find((a) => !a.startsWith("-")) ?? "");
    stdout.write(`${topic ? commandHelp(topic, cOut) : mainHelp(cOut)}\n`);
    return EXIT.OK;
  }
  const cmd = COMMANDS.get(name);
  if (!cmd) return fail(new UsageError(`Unknown command "${name}".`));

  let args: Args;
  try {
    const parsed = parseArgs({ args: rest, options: { ...parseConfig(GLOBAL_OPTIONS), ...parseConfig(cmd.options ?? {}) }, allowPositionals: true, strict: true });
    args = new Args(parsed.values, parsed.positionals);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return fail(new UsageError(message.replace(/\. To specify a positional argument.*$/s, ".")));
  }
  if (args.flag("help")) {
    stdout.write(`${commandHelp(cmd, cOut)}\n`);
    return EXIT.OK;
  }
  const [min, max] = cmd.positionals ?? [0, Infinity];
  if (args.positionals.length < min || args.positionals.length > max) return fail(new UsageError(`Usage: ${cmd.usage}`));

  const ctx = new Context(full, { json: args.flag("json"), url: name === "login" ? undefined : args.string("url") });
  try {
    if (syncsFirst(cmd, args) && ctx.settings.token && ctx.journal.count()) await syncJournal(ctx, { quiet: name === "hook" });
    const res = await cmd.run(ctx, args);
    if (res) {
      if (ctx.json) stdout.write(`${JSON.stringify(res.json, null, 2)}\n`);
      else if (res.text) stdout.write(`${res.text}\n`);
    }
    return res?.exitCode ?? EXIT.OK;
  } catch (caught) {
    const err = caught instanceof Error ? caught : new Error(String(caught));
    const partial = err instanceof CliError ? err.partial : undefined;
    if (partial) {
      if (ctx.json) stdout.write(`${JSON.stringify(partial.json, null, 2)}\n`);
      else if (partial.text) stdout.write(`${partial.text}\n`);
    }
    if (err instanceof Unreachable) err.hint ??= "Is the API running? Check DEVFOCUS_URL / `devfocus login --url`.";
    return fail(err);
  }
}
