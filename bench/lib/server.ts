// wrangler dev for the benchmarks (bench/run.ts, bench/events.ts, bench/github-import.ts): a snapshot of
// the sources, its own process group, a free loopback port, a given --persist-to directory, optional extra
// `wrangler dev` arguments; plus the process tools the memory measurement needs.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { constants, copyFileSync, cpSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const HOST = "127.0.0.1";
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

const SNAPSHOT = ["src", "migrations", "scripts", "wrangler.toml", "package.json", "tsconfig.json"];
/** The bench's own Workers (the bare one bench/run.ts measures DevFocus against): instruments, always the working tree's. */
const INSTRUMENTS = ["bench/bare"];
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, HOST, () => {
      const address = srv.address();
      if (address === null || typeof address === "string") return reject(new Error("no TCP port"));
      srv.close(() => resolve(address.port));
    });
  });
}

/** The commit BENCH_SOURCE=head asks for, or null for the working tree. */
const sourceCommit = (): string | null => (process.env.BENCH_SOURCE === "head" ? "HEAD" : null);

/**
 * A copy of what `npm run dev` needs (node_modules linked) in `dir`: edits made to the working tree while the
 * benchmark runs neither reload wrangler dev nor change what is measured. BENCH_SOURCE=head takes the last
 * commit; `commit` takes that one (bench/baseline.ts: an older design), with the paths it has of SNAPSHOT.
 * The INSTRUMENTS come from the working tree either way: they measure the app, they are not the app.
 */
export function snapshotSources(dir: string, commit: string | null = sourceCommit()): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (commit !== null) {
    const tree = execFileSync("git", ["ls-tree", "--name-only", commit, "--", ...SNAPSHOT], { cwd: root, encoding: "utf8" }).split("\n").filter(Boolean);
    const tar = execFileSync("git", ["archive", "--format=tar", commit, ...tree], { cwd: root, maxBuffer: 256 * 1024 * 1024 });
    execFileSync("tar", ["-x", "-C", dir], { input: tar });
  } else {
    for (const entry of SNAPSHOT) cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
  }
  for (const entry of INSTRUMENTS) cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true, filter: (src) => !src.includes(`${path.sep}.wrangler`) });
  symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

export const sourceLabel = () => (process.env.BENCH_SOURCE === "head" ? "HEAD" : "working tree");

export const wranglerVersion = (): string => {
  const pkg: unknown = JSON.parse(readFileSync(path.join(root, "node_modules", "wrangler", "package.json"), "utf8"));
  return typeof pkg === "object" && pkg !== null && "version" in pkg && typeof pkg.version === "string" ? pkg.version : "unknown";
};

/** The environment wrangler runs in: no prompts, no telemetry, no colour codes in the logs. */
export const quietEnv = (): NodeJS.ProcessEnv => ({ ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" });

/** Applies migrations/ to a local D1 under `persistTo` (the same state `wrangler dev --persist-to` uses). */
export function migrate(appDir: string, persistTo: string): void {
  execFileSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo], {
    cwd: appDir,
    env: quietEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** The SQLite file miniflare keeps the D1 database in. */
export function d1File(persistTo: string): string {
  const dir = path.join(persistTo, "v3", "d1", "miniflare-D1DatabaseObject");
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite") : [];
  const [file] = files;
  if (files.length !== 1 || file === undefined) throw new Error(`expected one D1 database in ${dir}, found ${files.length}`);
  return path.join(dir, file);
}

/**
 * A copy of the local D1 under `persistTo` into `copyTo` (the same database id, so the same file name): a second
 * `wrangler dev` cannot share the first one's file — workerd keeps its SQLite database locked (SQLITE_BUSY
 * "Failed to get session commit token" from the other process, seen here) — so it gets the same bytes instead.
 */
export function copyD1(persistTo: string, copyTo: string): string {
  const file = d1File(persistTo);
  const dir = path.join(copyTo, path.relative(persistTo, path.dirname(file)));
  rmSync(copyTo, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // The database and miniflare's metadata beside it, with their WAL files if any (no process has them open yet).
  for (const f of readdirSync(path.dirname(file))) copyFileSync(path.join(path.dirname(file), f), path.join(dir, f), constants.COPYFILE_FICLONE);
  return copyTo;
}

export interface DevServerOptions {
  /** Go after the common `wrangler dev` arguments, e.g. ["--var", "ENABLE_BENCH_ROUTES:true"]. */
  extraArgs?: string[];
  /**
   * A wrangler config (relative to appDir) to serve with `npx wrangler dev --config` instead of the app's
   * `npm run dev` (which also migrates): another Worker on the same wrangler and workerd, e.g. bench/bare.
   */
  config?: string;
  /** The path that answers 2xx once the Worker is up. */
  probePath?: string;
}

export class DevServer {
  readonly name: string;
  readonly appDir: string;
  readonly persistTo: string;
  readonly logFile: string;
  readonly extraArgs: string[];
  readonly config: string | undefined;
  readonly probePath: string;
  /** The origin it serves, e.g. http://127.0.0.1:41234, once started. */
  base = "";
  private child: ChildProcess | null = null;

  constructor(name: string, appDir: string, persistTo: string, logFile: string, { extraArgs = [], config, probePath = "/api/health/" }: DevServerOptions = {}) {
    this.name = name;
    this.appDir = appDir;
    this.persistTo = persistTo;
    this.logFile = logFile;
    this.extraArgs = extraArgs;
    this.config = config;
    this.probePath = probePath;
  }

  async start(timeoutMs = 120_000): Promise<string> {
    const [port, inspectorPort] = [await freePort(), await freePort()];
    const log = createWriteStream(this.logFile);
    const common = ["--ip", HOST, "--port", String(port), "--inspector-port", String(inspectorPort), "--persist-to", this.persistTo, ...this.extraArgs];
    const [command, ...args] = this.config ? ["npx", "wrangler", "dev", "--config", this.config, ...common] : ["npm", "run", "dev", "--", ...common];
    const child = spawn(command, args, { cwd: this.appDir, detached: true, stdio: ["ignore", "pipe", "pipe"], env: quietEnv() });
    this.child = child;
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    this.base = `http://${HOST}:${port}`;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${this.name}: wrangler dev exited with ${child.exitCode}; see ${this.logFile}`);
      try {
        // A build error leaves wrangler listening but never answering: bound each probe.
        const res = await fetch(`${this.base}${this.probePath}`, { signal: AbortSignal.timeout(3000) });
        if (res.ok) return this.base;
      } catch {
        /* not up yet */
      }
      await sleep(250);
    }
    throw new Error(`${this.name}: wrangler dev did not answer within ${timeoutMs} ms; see ${this.logFile}`);
  }

  /** Kills the whole process group (npm, scripts/dev.mjs, wrangler, workerd) and waits for it to go. */
  async stop(): Promise<void> {
    const pgid = this.child?.pid;
    this.child = null;
    if (pgid === undefined) return;
    const alive = () => {
      try {
        process.kill(-pgid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const steps: [NodeJS.Signals, number][] = [["SIGTERM", 5000], ["SIGKILL", 2000]];
    for (const [sig, waitMs] of steps) {
      if (!alive()) return;
      try {
        process.kill(-pgid, sig);
      } catch {
        return;
      }
      const until = Date.now() + waitMs;
      while (alive() && Date.now() < until) await sleep(100);
    }
  }

  /** Synchronous best-effort kill of the group (for exit handlers). */
  killNow(): void {
    const pgid = this.child?.pid;
    if (pgid === undefined) return;
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      /* gone */
    }
  }

  /** pids of the workerd processes of this server's process group. */
  workerdPids(): number[] {
    const pgid = this.child?.pid;
    if (pgid === undefined) return [];
    const pids: number[] = [];
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
export function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export interface RssSummary {
  baselineKiB: number;
  peakKiB: number;
  endKiB: number;
  samples: number;
}

/** Samples the summed RSS of `pids()` every `everyMs` until stopped. */
export function rssSampler(pids: () => number[], everyMs = 50): { baseline: number; stop(): RssSummary } {
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
