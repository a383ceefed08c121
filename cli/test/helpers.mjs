// Test helpers: the real Worker served by `npm run dev` in its own process group, the real CLI as a
// subprocess, temporary homes and git repositories.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CLI = path.join(ROOT, "cli", "devfocus.mjs");
/** The Node that runs the CLI under test (the CLI must work on Node 20: DEVFOCUS_TEST_NODE=/usr/bin/node). */
export const NODE = process.env.DEVFOCUS_TEST_NODE || process.execPath;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export const tmpDir = (prefix = "devfocus-cli-") => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** A fresh home for one CLI user: HOME and XDG_CONFIG_HOME inside a temporary directory. */
export function makeHome() {
  const home = tmpDir("devfocus-home-");
  return { home, configDir: path.join(home, ".config", "devfocus"), env: { HOME: home, XDG_CONFIG_HOME: path.join(home, ".config") } };
}

const liveGroups = new Set();
process.on("exit", () => {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
});

/**
 * `npm run dev -- --port <free> --ip 127.0.0.1 --persist-to <tmp>` in its own process group, ready when
 * /api/health/ answers. stop() ends the whole group (wrangler leaves workerd children otherwise).
 */
export async function startWorker({ timeoutMs = 150_000 } = {}) {
  const port = await freePort();
  const persist = tmpDir("devfocus-state-");
  const child = spawn("npm", ["run", "dev", "--", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", persist], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
  });
  liveGroups.add(child.pid);
  let log = "";
  const keep = (d) => {
    log = (log + d.toString()).slice(-20_000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let exited = null;
  child.on("exit", (code, signal) => (exited = { code, signal }));
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!liveGroups.has(child.pid)) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      /* gone */
    }
    for (let i = 0; i < 50 && !exited; i++) await sleep(100);
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      /* gone */
    }
    liveGroups.delete(child.pid);
    fs.rmSync(persist, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`npm run dev exited (${JSON.stringify(exited)}):\n${log}`);
    }
    try {
      const res = await fetch(`${base}/api/health/`, { signal: AbortSignal.timeout(2000) });
      if (res.ok && (await res.json()).status === "ok") break;
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

/** A JSON call to the API (for setting up and checking what the CLI did). */
export async function api(base, method, p, { token, body } = {}) {
  const res = await fetch(`${base}/api${p}`, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${p} → ${res.status}: ${text}`);
  return json;
}

/**
 * Runs the CLI: resolves {code, stdout, stderr, ms, json()} (never rejects on a non-zero exit).
 * Only PATH and the given env are passed, so the developer's own DEVFOCUS_* settings never leak in.
 */
export function cli(args, { env = {}, input, cwd, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(NODE, [CLI, ...args], {
      cwd: cwd || os.tmpdir(),
      env: { PATH: process.env.PATH, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
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
        json() {
          try {
            return JSON.parse(stdout);
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
export function git(cwd, args, { env = {}, allowFail = false } = {}) {
  const r = spawnSync("git", args, { cwd, env: { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: "1", ...env }, encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0 && !allowFail) throw new Error(`git ${args.join(" ")} → ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** A repository with one commit on main, an origin remote, and the given branches. */
export function makeRepo({ origin = "https://github.com/acme/widgets.git", branches = [] } = {}) {
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
export async function waitFor(fn, { timeoutMs = 15_000, every = 100, what = "condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ""}`);
    await sleep(every);
  }
}

export const readLines = (file) => {
  try {
    return fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
};
