// wrangler dev for the benchmarks (bench/run.mjs, bench/events.mjs, bench/github-import.mjs): a snapshot of
// the sources, its own process group, a free loopback port, a given --persist-to directory, optional extra
// `wrangler dev` arguments; plus the process tools the memory measurement needs.
import { execFileSync, spawn } from "node:child_process";
import { cpSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const HOST = "127.0.0.1";
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

const SNAPSHOT = ["src", "migrations", "scripts", "wrangler.toml", "package.json", "tsconfig.json"];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A copy of what `npm run dev` needs (node_modules linked) in `dir`: edits made to the working tree while the
 * benchmark runs neither reload wrangler dev nor change what is measured. BENCH_SOURCE=head takes the last commit.
 */
export function snapshotSources(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (process.env.BENCH_SOURCE === "head") {
    const tar = execFileSync("git", ["archive", "--format=tar", "HEAD", ...SNAPSHOT], { cwd: root, maxBuffer: 256 * 1024 * 1024 });
    execFileSync("tar", ["-x", "-C", dir], { input: tar });
  } else {
    for (const entry of SNAPSHOT) cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
  }
  symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

const quietEnv = () => ({ ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" });

/** Applies migrations/ to a local D1 under `persistTo` (the same state `wrangler dev --persist-to` uses). */
export function migrate(appDir, persistTo) {
  execFileSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo], {
    cwd: appDir,
    env: quietEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** The SQLite file miniflare keeps the D1 database in. */
export function d1File(persistTo) {
  const dir = path.join(persistTo, "v3", "d1", "miniflare-D1DatabaseObject");
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite") : [];
  if (files.length !== 1) throw new Error(`expected one D1 database in ${dir}, found ${files.length}`);
  return path.join(dir, files[0]);
}

/** A JSON API call for benchmark set-up; throws with the status and body on anything but 2xx. */
export async function call(base, method, p, token, body) {
  const res = await fetch(base + p, {
    method,
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p} → ${res.status} ${text}`);
  return JSON.parse(text);
}

export class DevServer {
  /**
   * `extraArgs` go after the common `wrangler dev` arguments, e.g. ["--var", "ENABLE_BENCH_ROUTES:true"].
   */
  constructor(name, appDir, persistTo, logFile, { extraArgs = [] } = {}) {
    Object.assign(this, { name, appDir, persistTo, logFile, extraArgs, child: null, base: "" });
  }

  async start(timeoutMs = 120_000) {
    const [port, inspectorPort] = [await freePort(), await freePort()];
    const log = createWriteStream(this.logFile);
    const args = ["run", "dev", "--", "--ip", HOST, "--port", String(port), "--inspector-port", String(inspectorPort), "--persist-to", this.persistTo, ...this.extraArgs];
    this.child = spawn("npm", args, { cwd: this.appDir, detached: true, stdio: ["ignore", "pipe", "pipe"], env: quietEnv() });
    this.child.stdout.pipe(log);
    this.child.stderr.pipe(log);
    this.base = `http://${HOST}:${port}`;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`${this.name}: wrangler dev exited with ${this.child.exitCode}; see ${this.logFile}`);
      try {
        // A build error leaves wrangler listening but never answering: bound each probe.
        const res = await fetch(`${this.base}/api/health/`, { signal: AbortSignal.timeout(3000) });
        if (res.ok) return this.base;
      } catch {
        /* not up yet */
      }
      await sleep(250);
    }
    throw new Error(`${this.name}: wrangler dev did not answer within ${timeoutMs} ms; see ${this.logFile}`);
  }

  /** Kills the whole process group (npm, scripts/dev.mjs, wrangler, workerd) and waits for it to go. */
  async stop() {
    const child = this.child;
    if (!child) return;
    this.child = null;
    const alive = () => {
      try {
        process.kill(-child.pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (const [sig, waitMs] of [["SIGTERM", 5000], ["SIGKILL", 2000]]) {
      if (!alive()) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        return;
      }
      const until = Date.now() + waitMs;
      while (alive() && Date.now() < until) await sleep(100);
    }
  }

  /** Synchronous best-effort kill of the group (for exit handlers). */
  killNow() {
    if (!this.child) return;
    try {
      process.kill(-this.child.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }

  /** pids of the workerd processes of this server's process group. */
  workerdPids() {
    if (!this.child) return [];
    const pgid = this.child.pid;
    const pids = [];
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        const close = stat.lastIndexOf(")");
        const comm = stat.slice(stat.indexOf("(") + 1, close);
        const fields = stat.slice(close + 2).split(" ");
        if (Number(fields[2]) === pgid && comm.startsWith("workerd")) pids.push(Number(entry));
      } catch {
        /* exited meanwhile */
      }
    }
    return pids;
  }
}

/** VmRSS of a process, in KiB (0 if it is gone). */
export function rssKiB(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Samples the summed RSS of `pids()` every `everyMs` until stopped; returns {baseline, peak, samples}. */
export function rssSampler(pids, everyMs = 50) {
  const read = () => pids().reduce((sum, pid) => sum + rssKiB(pid), 0);
  const baseline = read();
  let peak = baseline;
  let samples = 1;
  const timer = setInterval(() => {
    const v = read();
    samples++;
    if (v > peak) peak = v;
  }, everyMs);
  return {
    baseline,
    stop() {
      clearInterval(timer);
      const last = read();
      if (last > peak) peak = last;
      return { baselineKiB: baseline, peakKiB: peak, endKiB: last, samples: samples + 1 };
    },
  };
}
