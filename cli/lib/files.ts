// Where the CLI keeps its files, and how it writes them: private (0600 in a 0700 directory), atomically.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** $XDG_CONFIG_HOME/devfocus, else ~/.config/devfocus. */
export function configDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME || os.homedir(), ".config");
  return path.join(base, "devfocus");
}

export interface Paths {
  dir: string;
  config: string;
  state: string;
  journal: string;
  journalLock: string;
  syncLock: string;
  hookLock: string;
  hookLog: string;
  /** The last X-D1-Bookmark the API answered: the next command's reads see this one's writes. */
  bookmark: string;
}

export const paths = (dir: string): Paths => ({
  dir,
  config: path.join(dir, "config.json"),
  state: path.join(dir, "state.json"),
  journal: path.join(dir, "journal.json"),
  journalLock: path.join(dir, "journal.lock"),
  syncLock: path.join(dir, "sync.lock"),
  hookLock: path.join(dir, "hook.lock"),
  hookLog: path.join(dir, "hook.log"),
  bookmark: path.join(dir, "d1-bookmark"),
});

export function ensureDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

const errCode = (err: unknown) => (err instanceof Error && "code" in err ? err.code : undefined);

/** The parsed JSON in a file; undefined when it does not exist (or is unreadable garbage). */
export function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if (errCode(err) === "ENOENT") return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Writes JSON through a temporary file and a rename, so readers never see half a file; mode 0600. */
export function writeJson(file: string, value: unknown): void {
  ensureDir(path.dirname(file));
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + "\n", { mode: 0o600 });
  fs.chmodSync(tmp, 0o600); // the mode above only applies when the file is created, and umask may trim it
  fs.renameSync(tmp, file);
}

export function removeFile(file: string): boolean {
  try {
    fs.unlinkSync(file);
    return true;
  } catch (err) {
    if (errCode(err) === "ENOENT") return false;
    throw err;
  }
}

/** Blocks the thread for `ms` (used only while waiting for a lock, a few milliseconds at a time). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function mtimeOf(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return Date.now();
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errCode(err) === "EPERM";
  }
}

interface LockHolder {
  pid: number;
  at: number;
}

const holderOf = (v: unknown): LockHolder | null =>
  isRecord(v) && typeof v.pid === "number" && typeof v.at === "number" ? { pid: v.pid, at: v.at } : null;

export type Release = () => void;

/**
 * An exclusive lock file (O_EXCL). Waits up to `waitMs`; a lock whose process is gone or which is older
 * than `staleMs` is taken over. Returns a release function, or null when the lock stayed busy.
 */
export function acquireLock(file: string, { waitMs = 2000, staleMs = 60_000 } = {}): Release | null {
  ensureDir(path.dirname(file));
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = fs.openSync(file, "wx", 0o600);
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, at: Date.now() }));
      fs.closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        removeFile(file);
      };
    } catch (err) {
      if (errCode(err) !== "EEXIST") throw err;
    }
    const seen = readJson(file);
    const holder = holderOf(seen);
    // An empty lock is one being written right now, unless it has stayed empty for a while.
    const stale = holder ? !pidAlive(holder.pid) || Date.now() - holder.at > staleMs : Date.now() - mtimeOf(file) > 2000;
    if (stale) {
      // Only remove it if it is still the same stale lock (another waiter may have replaced it already).
      if (JSON.stringify(readJson(file)) === JSON.stringify(seen)) removeFile(file);
      continue;
    }
    if (Date.now() >= deadline) return null;
    sleepSync(15);
  }
}
