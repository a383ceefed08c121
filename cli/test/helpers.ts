// Test helpers: the real Worker served by `npm run dev` in its own process group, the real CLI (the
// built bundle, as installed) as a subprocess, the API through the typed client, temporary homes and
// git repositories.
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Api } from "../lib/api.ts";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The bin `npm install -g .` installs (built by `npm run build:cli`, which `npm run test:cli` runs first). */
export const CLI = path.join(ROOT, "cli", "dist", "devfocus.js");
/** The Node that runs the CLI under test (the CLI must work on Node 20: DEVFOCUS_TEST_NODE=/usr/bin/node). */
export const NODE = process.env.DEVFOCUS_TEST_NODE || process.execPath;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export const tmpDir = (prefix = "devfocus-cli-") => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

export interface Home {
  home: string;
  configDir: string;
  env: Record<string, string>;
}

/** A fresh home for one CLI user: HOME and XDG_CONFIG_HOME inside a temporary directory. */
export function makeHome(): Home {
  const home = tmpDir("devfocus-home-");
  return { home, configDir: path.join(home, ".config", "devfocus"), env: { HOME: home, XDG_CONFIG_HOME: path.join(home, ".config") } };
}

const liveGroups = new Set<number>();
process.on("exit", () => {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
});

export interface Worker {
  base: string;
  port: number;
  stop(): Promise<void>;
  log(): string;
}

/**
 * `npm run dev -- --port <free> --ip 127.0.0.1 --persist-to <tmp>` in its own process group, ready when
 * /api/health/ answers. stop() ends the whole group (wrangler leaves workerd children otherwise).
 */
export async function startWorker({ timeoutMs = 150_000 } = {}): Promise<Worker> {
  const port = await freePort();
  const persist = tmpDir("devfocus-state-");
  const child = spawn("npm", ["run", "dev", "--", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", persist], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
  });
  const pid = child.pid ?? 0;
  liveGroups.add(pid);
  let log = "";
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-20_000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  child.on("exit", (code, signal) => (exited = { code, signal }));
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!liveGroups.has(pid)) return;
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      /* gone */
    }
    for (let i = 0; i < 50 && !exited; i++) await sleep(100);
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      /* gone */
    }
    liveGroups.delete(pid);
    fs.rmSync(persist, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  const health = new Api({ url: base, timeoutMs: 2000 });
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`npm run dev exited (${JSON.stringify(exited)}):\n${log}`);
    }
    try {
      if ((await health.data(health.client.GET("/api/health"))).status === "ok") break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the Worker did not answer /api/health/ within ${timeoutMs} ms:\n${log}`);
    }
    await sleep(300);
  }
  return { base, port, stop, log: () => log };
}

/** The API through the typed client, for setting up and checking what the CLI did (errors throw). */
export const apiAs = (base: string, token?: string) => new Api({ url: base, token: token ?? null, userAgent: "devfocus-cli-tests" });

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** stdout parsed as JSON; the caller names the shape it expects of the command's --json output */
  json<T>(): T;
}

/**
 * Runs the CLI: resolves {code, stdout, stderr, ms, json()} (never rejects on a non-zero exit).
 * Only PATH and the given env are passed, so the developer's own DEVFOCUS_* settings never leak in.
 */
export function cli(args: string[], { env = {}, input, cwd, timeoutMs = 60_000 }: { env?: Record<string, string>; input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(NODE, [CLI, ...args], { cwd: cwd || os.tmpdir(), env: { PATH: process.env.PATH, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`devfocus ${args.join(" ")} timed out\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout,
        stderr,
        ms: Date.now() - started,
        json<T>() {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`not JSON (exit ${code}):\n${stdout}\n${stderr}`);
          }
        },
      });
    });
    child.stdin.end(input ?? "");
  });
}

/** Runs git synchronously; throws with its output on failure. */
export function git(cwd: string, args: string[], { env = {}, allowFail = false }: { env?: Record<string, string>; allowFail?: boolean } = {}): SpawnSyncReturns<string> {
  const r = spawnSync("git", args, { cwd, env: { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: "1", ...env }, encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0 && !allowFail) throw new Error(`git ${args.join(" ")} → ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** A repository with one commit on main, an origin remote, and the given branches. */
export function makeRepo({ origin = "https://github.com/acme/widgets.git" as string | null, branches = [] as string[] } = {}): string {
  const dir = tmpDir("devfocus-repo-");
  const home = tmpDir("devfocus-githome-");
  const env = { HOME: home };
  git(dir, ["init", "-q", "-b", "main"], { env });
  git(dir, ["config", "user.email", "dev@example.com"], { env });
  git(dir, ["config", "user.name", "Dev"], { env });
  fs.writeFileSync(path.join(dir, "README.md"), "hello\n");
  git(dir, ["add", "README.md"], { env });
  git(dir, ["commit", "-q", "-m", "init"], { env });
  if (origin) git(dir, ["remote", "add", "origin", origin], { env });
  for (const b of branches) git(dir, ["branch", b], { env });
  return dir;
}

/** Polls `fn` until it returns a truthy value (returned) or the time is up (throws with `what`). */
export async function waitFor<T>(fn: () => T | Promise<T>, { timeoutMs = 15_000, every = 100, what = "condition" } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await fn();
      if (last) return last as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ""}`);
    await sleep(every);
  }
}

export const readLines = (file: string): string[] => {
  try {
    return fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
};
