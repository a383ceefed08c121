// Argument parsing (node:util parseArgs), help, dispatch, output and exit codes.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ApiError, Unreachable } from "./api.mjs";
import { COMMANDS, needsSync } from "./commands.mjs";
import { createContext, errorText, syncJournal } from "./context.mjs";
import { CliError, EXIT, UsageError } from "./errors.mjs";
import { palette, colourEnabled } from "./output.mjs";

const GLOBAL_OPTIONS = {
  json: { type: "boolean", desc: "JSON on stdout instead of text (errors as JSON on stderr)" },
  url: { type: "string", arg: "<api>", desc: "API base URL (overrides DEVFOCUS_URL and the saved one)" },
  help: { type: "boolean", short: "h", desc: "Show help" },
};

function version() {
  try {
    return JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;
  } catch {
    return "unknown";
  }
}

const parseConfig = (options) =>
  Object.fromEntries(Object.entries(options).map(([k, o]) => [k, { type: o.type, ...(o.short ? { short: o.short } : {}) }]));

function optionRows(options) {
  return Object.entries(options)
    .filter(([, o]) => !o.hidden)
    .map(([k, o]) => [`  ${o.short ? `-${o.short}, ` : ""}--${k}${o.arg ? ` ${o.arg}` : ""}`, o.desc || ""]);
}

function columns(rows, width = 0) {
  const w = Math.max(width, ...rows.map((r) => r[0].length));
  return rows.map(([a, b]) => `${a.padEnd(w)}  ${b}`).join("\n");
}

export function mainHelp(c) {
  const groups = {};
  for (const [name, cmd] of Object.entries(COMMANDS)) {
    if (cmd.hidden) continue;
    (groups[cmd.group] ||= []).push([`  ${name}`, cmd.summary]);
  }
  const width = Math.max(...Object.values(groups).flat().map((r) => r[0].length));
  const sections = Object.entries(groups).map(([g, rows]) => `${c.bold(g)}\n${columns(rows, width)}`);
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
    c.bold("Offline"),
    "  When the API cannot be reached, start/switch/pause/resume/stop/link are saved to a local journal with their",
    "  real times; `devfocus sync` (tried before every command) replays them in order, exactly once.",
    "",
    c.bold("Exit codes"),
    "  0 ok (including actions journaled offline) · 1 refused (the API's message is shown) · 2 bad usage · 3 API unreachable",
  ].join("\n");
}

export function commandHelp(name, c) {
  const cmd = COMMANDS[name];
  const rows = [...optionRows(cmd.options || {}), ...optionRows(GLOBAL_OPTIONS)];
  return [`${c.bold(cmd.usage)}`, "", cmd.summary + ".", ...(cmd.description ? ["", cmd.description] : []), "", c.bold("Options"), columns(rows)].join("\n");
}

/** The command name: the first argument that is not a global option (or its value). */
function splitCommand(argv) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--url") {
      i++;
      continue;
    }
    if (a.startsWith("-")) continue;
    return { name: a, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { name: null, rest: argv };
}

/**
 * Runs the CLI; returns the exit code (the caller exits with it).
 * @param {string[]} argv
 * @param {{env?: NodeJS.ProcessEnv, stdout?: any, stderr?: any, stdin?: any, cwd?: string}} [io]
 */
export async function main(argv, io = {}) {
  const stdout = io.stdout || process.stdout;
  const stderr = io.stderr || process.stderr;
  const env = io.env || process.env;
  const cOut = palette(colourEnabled(stdout, env));
  const cErr = palette(colourEnabled(stderr, env));
  const jsonWanted = argv.includes("--json");
  const fail = (err, code) => {
    if (jsonWanted) {
      const body = err instanceof ApiError ? err.toJSON() : { code: err.code || err.name, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
      stderr.write(`${JSON.stringify({ error: body })}\n`);
    } else {
      const head = err instanceof ApiError ? `${cErr.red("error")} ${cErr.dim(`(${err.status} ${err.code})`)}: ${errorText(err)}` : `${cErr.red("error")}: ${err.message}`;
      stderr.write(`${head}\n`);
      if (err.hint) stderr.write(`${cErr.dim(err.hint)}\n`);
      if (err instanceof ApiError && err.status === 401) stderr.write(`${cErr.dim("Your token was refused: run `devfocus login` again.")}\n`);
      if (err instanceof ApiError && err.requestId) stderr.write(`${cErr.dim(`request id ${err.requestId}`)}\n`);
      if (err instanceof UsageError) stderr.write(`${cErr.dim("See `devfocus --help`.")}\n`);
    }
    return code;
  };

  const { name, rest } = splitCommand(argv);
  if (!name) {
    if (argv.includes("--version") || argv.includes("-V")) {
      stdout.write(`${version()}\n`);
      return EXIT.OK;
    }
    if (argv.length && !argv.every((a) => a === "--help" || a === "-h" || a === "--json")) {
      return fail(new UsageError(`Unknown option ${argv.find((a) => a.startsWith("-") && a !== "--help" && a !== "-h")}.`), EXIT.USAGE);
    }
    stdout.write(`${mainHelp(cOut)}\n`);
    return EXIT.OK;
  }
  if (name === "help") {
    const topic = rest.find((a) => !a.startsWith("-"));
    if (topic && COMMANDS[topic]) stdout.write(`${commandHelp(topic, cOut)}\n`);
    else stdout.write(`${mainHelp(cOut)}\n`);
    return EXIT.OK;
  }
  const cmd = COMMANDS[name];
  if (!cmd) return fail(new UsageError(`Unknown command "${name}".`), EXIT.USAGE);

  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...parseConfig(GLOBAL_OPTIONS), ...parseConfig(cmd.options || {}) }, allowPositionals: true, strict: true });
  } catch (err) {
    return fail(new UsageError(`${err.message.replace(/\. To specify a positional argument.*$/s, ".")}`), EXIT.USAGE);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    stdout.write(`${commandHelp(name, cOut)}\n`);
    return EXIT.OK;
  }
  const [min, max] = cmd.positionals || [0, Infinity];
  if (positionals.length < min || positionals.length > max) {
    return fail(new UsageError(`Usage: ${cmd.usage}`), EXIT.USAGE);
  }

  const ctx = createContext({ env, cwd: io.cwd, stdout, stderr, stdin: io.stdin, json: Boolean(values.json), url: name === "login" ? undefined : values.url });
  try {
    if (needsSync(name, positionals) && ctx.settings.token && ctx.journal.count()) {
      await syncJournal(ctx, { quiet: name === "hook" });
    }
    const res = await cmd.run(ctx, { values, positionals });
    if (res && res.text !== undefined) {
      if (ctx.json) stdout.write(`${JSON.stringify(res.json, null, 2)}\n`);
      else if (res.text) stdout.write(`${res.text}\n`);
    }
    return res && res.exitCode ? res.exitCode : EXIT.OK;
  } catch (err) {
    if (err && err.partial) {
      if (ctx.json) stdout.write(`${JSON.stringify(err.partial.json, null, 2)}\n`);
      else if (err.partial.text) stdout.write(`${err.partial.text}\n`);
    }
    if (err instanceof UsageError) return fail(err, EXIT.USAGE);
    if (err instanceof Unreachable) {
      err.hint = err.hint || "Is the API running? Check DEVFOCUS_URL / `devfocus login --url`.";
      return fail(err, EXIT.UNREACHABLE);
    }
    if (err instanceof ApiError || err instanceof CliError) return fail(err, err.exitCode || EXIT.ERROR);
    return fail(err instanceof Error ? err : new Error(String(err)), EXIT.ERROR);
  }
}
