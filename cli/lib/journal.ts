// The offline journal: actions recorded while the API could not be reached, replayed in order, once.
//
// journal.json = {seq, entries: [{seq, status: "pending"|"attempted", recorded_at, op}], refs, failed}
// - Every change to the file happens under journal.lock (read, modify, atomic rename), so the git hook
//   and a command running at the same moment never lose each other's entries.
// - One replay at a time (sync.lock). An entry is marked "attempted" before it is sent and removed once
//   the API has it; an entry found "attempted" (its answer was lost) is looked up before being re-sent.
// - refs maps the local id of an offline `start` to the session id the API gave it, so the entries after
//   it (switch, pause, stop…) reach the right session.
// - An entry the API refuses (400/404/409…) is moved to `failed` with the API's message and not retried;
//   401, 429 and 5xx stop the replay and keep the entry for the next one.
import { ApiError, Unreachable, type Api } from "./api.ts";
import { acquireLock, isRecord, readJson, writeJson, type Paths } from "./files.ts";
import { runOp, type Op, type OpResult } from "./ops.ts";

export interface Entry {
  seq: number;
  status: "pending" | "attempted";
  recorded_at: string;
  op: Op;
}

interface FailedEntry extends Entry {
  failed_at: string;
  error: ReturnType<typeof errorInfo>;
}

interface JournalData {
  version: number;
  seq: number;
  entries: Entry[];
  refs: Record<string, number>;
  failed: FailedEntry[];
}

export interface SyncResult {
  replayed: { entry: Entry; result: OpResult }[];
  failed: { entry: Entry; error: Error }[];
  remaining: number;
  /** another process holds the replay */
  busy: boolean;
  /** what stopped the replay before its end (the API is away, or said 401/429/5xx) */
  stopped: Error | null;
}

export interface SyncOptions {
  waitMs?: number;
  onApplied?: (entry: Entry, result: OpResult, refs: Record<string, number>) => void;
  onFailed?: (entry: Entry, err: Error) => void;
}

const EMPTY = (): JournalData => ({ version: 1, seq: 0, entries: [], refs: {}, failed: [] });
const KEEP_FAILED = 50;
const KEEP_REFS = 200;

export class Journal {
  readonly files: Pick<Paths, "journal" | "journalLock" | "syncLock">;

  constructor(files: Pick<Paths, "journal" | "journalLock" | "syncLock">) {
    this.files = files;
  }

  read(): JournalData {
    const data = readJson(this.files.journal);
    // Our own file: its shape is what this module writes.
    return isRecord(data) && Array.isArray(data.entries) ? { ...EMPTY(), ...(data as Partial<JournalData>) } : EMPTY();
  }

  count(): number {
    return this.read().entries.length;
  }

  /** Read-modify-write under the journal lock. */
  mutate<T>(fn: (d: JournalData) => T): T {
    const release = acquireLock(this.files.journalLock, { waitMs: 5000 });
    try {
      const data = this.read();
      const out = fn(data);
      writeJson(this.files.journal, data);
      return out;
    } finally {
      if (release) release();
    }
  }

  /** Appends an op (it carries its own timestamp, `at`); returns the entry. */
  append(op: Op): Entry {
    return this.mutate((d) => {
      const entry: Entry = { seq: ++d.seq, status: "pending", recorded_at: new Date().toISOString(), op };
      d.entries.push(entry);
      return entry;
    });
  }

  private setStatus(seq: number, status: Entry["status"]) {
    this.mutate((d) => {
      const e = d.entries.find((x) => x.seq === seq);
      if (e) e.status = status;
    });
  }

  /** Replays the journal in order. Returns what happened; never throws for the API's answers. */
  async sync(api: Api, { waitMs = 0, onApplied = () => {}, onFailed = () => {} }: SyncOptions = {}): Promise<SyncResult> {
    const out: SyncResult = { replayed: [], failed: [], remaining: 0, busy: false, stopped: null };
    if (!this.count()) return out;
    const release = acquireLock(this.files.syncLock, { waitMs, staleMs: 5 * 60_000 });
    if (!release) {
      out.busy = true;
      out.remaining = this.count();
      return out;
    }
    try {
      for (;;) {
        const data = this.read();
        const entry = data.entries[0];
        if (!entry) break;
        const attempted = entry.status === "attempted";
        this.setStatus(entry.seq, "attempted");
        let result: OpResult;
        try {
          result = await runOp(api, entry.op, { replay: true, attempted, refs: data.refs });
        } catch (caught) {
          const err = caught instanceof Error ? caught : new Error(String(caught));
          const transient = err instanceof Unreachable || (err instanceof ApiError && (err.status === 401 || err.status === 429 || err.status >= 500));
          if (transient) {
            // Nothing was written: the next replay need not look for it.
            if ((err instanceof ApiError && err.status === 401) || (err instanceof Unreachable && err.notSent)) {
              this.setStatus(entry.seq, attempted ? "attempted" : "pending");
            }
            out.stopped = err;
            break;
          }
          this.mutate((d) => {
            d.entries = d.entries.filter((x) => x.seq !== entry.seq);
            d.failed.push({ ...entry, failed_at: new Date().toISOString(), error: errorInfo(err) });
            d.failed = d.failed.slice(-KEEP_FAILED);
          });
          out.failed.push({ entry, error: err });
          onFailed(entry, err);
          continue;
        }
        const refs = this.mutate((d) => {
          d.entries = d.entries.filter((x) => x.seq !== entry.seq);
          if (entry.op.op === "start" && "session" in result && result.session) {
            d.refs[entry.op.local] = result.session.id;
            const keys = Object.keys(d.refs);
            for (const k of keys.slice(0, Math.max(0, keys.length - KEEP_REFS))) delete d.refs[k];
          }
          return d.refs;
        });
        out.replayed.push({ entry, result });
        onApplied(entry, result, refs);
      }
    } finally {
      release();
    }
    out.remaining = this.count();
    return out;
  }
}

export function errorInfo(err: Error): { status?: number; code: string; message: string } {
  if (err instanceof ApiError) return err.toJSON();
  return { code: "code" in err && typeof err.code === "string" ? err.code : err.name, message: err.message };
}
