// Task references: what the user typed (`42`, `acme/widgets#42`, an issue URL) or what a git branch is
// called (`42-fix-login`, `gh-42`, `task-17`, `feature/acme-widgets-42`), turned into candidates that are
// looked up in order — by id or by external_key — when the API can be reached.
import { execFileSync } from "node:child_process";
import type { Schemas } from "../../client/index.ts";
import { isStatus, type Api } from "./api.ts";
import { UsageError } from "./errors.ts";

export type Candidate = { id: number } | { external_key: string } | { github_number: number };

/** A task as the user named it; `soft` refs come from branch names: when nothing matches they are dropped instead of failing. */
export interface TaskRef {
  label: string;
  id?: number;
  title?: string;
  candidates: Candidate[];
  soft?: boolean;
}

/** What the CLI knows of a task once found: a full Task, or just the id and title it already had. */
export type FoundTask = Pick<Schemas["Task"], "id" | "title"> & Partial<Pick<Schemas["Task"], "external_key">>;

export type SwitchReason = Schemas["CreateContextSwitchRequest"]["reason"];

const KEY = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)#(\d+)$/;

/** A task argument: an id, `owner/repo#number`, a GitHub issue URL, or a tracker key like `ABC-123`. */
export function parseTaskArg(text: string): TaskRef {
  const s = text.trim();
  let m: RegExpExecArray | null;
  if ((m = /^#?(\d+)$/.exec(s))) return { label: `#${m[1]}`, candidates: [{ id: Number(m[1]) }] };
  if (KEY.test(s)) return { label: s, candidates: [{ external_key: s }] };
  if ((m = /^https?:\/\/[^/]+\/([^/]+)\/([^/]+)\/(?:issues|pull)\/(\d+)\/?$/.exec(s))) {
    const key = `${m[1]}/${m[2]}#${m[3]}`;
    return { label: key, candidates: [{ external_key: key }] };
  }
  if (/^[A-Z][A-Z0-9]+-\d+$/.test(s)) return { label: s, candidates: [{ external_key: s }] };
  throw new UsageError(`"${s}" is not a task: use an id (42), owner/repo#number (acme/widgets#42) or a key like ABC-123.`);
}

/** "acme/widgets" from an origin URL (https, ssh or scp-like; any host), or null. */
export function repoFromRemote(url: string): string | null {
  const m = /(?:[:/])([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(url.trim());
  return m ? `${m[1]}/${m[2]}` : null;
}

function git(cwd: string, args: string[]): string | null {
  try {
    return execFileSync("git", args, { cwd, stdio: ["ignore", "pipe", "ignore"], timeout: 2000 }).toString().trim() || null;
  } catch {
    return null;
  }
}

export function gitOriginRepo(cwd: string): string | null {
  const url = git(cwd, ["remote", "get-url", "origin"]);
  return url ? repoFromRemote(url) : null;
}

export const gitCurrentBranch = (cwd: string): string | null => git(cwd, ["symbolic-ref", "--short", "-q", "HEAD"]);

export const gitTopLevel = (cwd: string): string => git(cwd, ["rev-parse", "--show-toplevel"]) ?? cwd;

/** How many owner/repo splits of `acme-widgets-42` to try at most. */
const MAX_SPLITS = 6;

export interface BranchTask {
  label: string;
  candidates: Candidate[];
  /** hotfix branches are quick fixes; otherwise the API's default reason */
  reason: SwitchReason | undefined;
  soft: true;
}

/**
 * The task a branch name points at, as candidates in lookup order, and the switch reason it implies.
 * `origin` ("owner/repo", from the repository's remote) turns a bare number into an external_key.
 * Returns null for a branch that names no task (main, develop, feature/new-ui, …).
 *
 *   42-fix-login              → acme/widgets#42 (with an origin), then id 42
 *   gh-42, issue-42           → acme/widgets#42 (with an origin), else the one GitHub task numbered 42
 *   task-17, task17           → id 17
 *   feature/acme-widgets-42   → acme/widgets#42 (every owner/repo split of the dashed name)
 *   feature/ABC-123-login     → ABC-123
 *   hotfix/…                  → reason QUICK_FIX
 */
export function parseBranch(branch: string | null | undefined, origin: string | null = null): BranchTask | null {
  if (!branch) return null;
  const name = branch.trim();
  const parts = name.split("/");
  const last = parts[parts.length - 1] ?? "";
  const hotfix = parts.slice(0, -1).some((p) => /^hotfix$/i.test(p)) || /^hotfix[-_]/i.test(last);
  const tail = "(?:[-_].*)?$"; // not ".": `1.2-release` is a version, not task 1
  let candidates: Candidate[] = [];
  let m: RegExpExecArray | null;
  if ((m = new RegExp(`^task[-_]?(\\d+)${tail}`, "i").exec(last))) {
    candidates = [{ id: Number(m[1]) }];
  } else if ((m = new RegExp(`^(?:gh|issue)[-_]?(\\d+)${tail}`, "i").exec(last))) {
    const n = Number(m[1]);
    candidates = origin ? [{ external_key: `${origin}#${n}` }, { github_number: n }] : [{ github_number: n }];
  } else if ((m = new RegExp(`^(\\d+)${tail}`).exec(last))) {
    const n = Number(m[1]);
    candidates = origin ? [{ external_key: `${origin}#${n}` }, { id: n }] : [{ id: n }];
  } else if ((m = /^([A-Z][A-Z0-9]+-\d+)(?:[-_].*)?$/.exec(last))) {
    candidates = [{ external_key: m[1] ?? "" }];
  } else if ((m = /^([A-Za-z0-9_.]+(?:-[A-Za-z0-9_.]+)+)-(\d+)$/.exec(last))) {
    const words = (m[1] ?? "").split("-");
    const n = Number(m[2]);
    const keys: string[] = [];
    for (let i = 1; i < words.length; i++) keys.push(`${words.slice(0, i).join("-")}/${words.slice(i).join("-")}#${n}`);
    // The repository's own origin first, when it is one of the splits.
    const own = origin !== null ? `${origin}#${n}` : null;
    keys.sort((a, b) => Number(b === own) - Number(a === own));
    candidates = keys.slice(0, MAX_SPLITS).map((k) => ({ external_key: k }));
  }
  if (!candidates.length) return null;
  return { label: name, candidates, reason: hotfix ? "QUICK_FIX" : undefined, soft: true };
}

/** Looks a ref up: the first candidate that names a task the caller can see. null when none does. */
export async function resolveTask(api: Api, ref: TaskRef | null): Promise<FoundTask | null> {
  if (!ref) return null;
  if (typeof ref.id === "number") return { id: ref.id, title: ref.title ?? ref.label };
  const { client } = api;
  for (const c of ref.candidates) {
    if ("id" in c) {
      try {
        return await api.data(client.GET("/api/tasks/{id}", { params: { path: { id: c.id } } }));
      } catch (err) {
        if (!(isStatus(err, 404) || isStatus(err, 400))) throw err;
      }
    } else if ("external_key" in c) {
      const page = await api.data(client.GET("/api/tasks", { params: { query: { external_key: c.external_key, page_size: 1 } } }));
      if (page.results[0]) return page.results[0];
    } else {
      const rows = await api.all((cursor) =>
        api.data(client.GET("/api/tasks", { params: { query: { external_source: "GITHUB", page_size: 200, cursor } } })),
      );
      const hits = rows.filter((t) => typeof t.external_key === "string" && t.external_key.endsWith(`#${c.github_number}`));
      if (hits.length === 1 && hits[0]) return hits[0];
    }
  }
  return null;
}

/** A found task as a ref kept in local state. */
export const refOf = (task: FoundTask, label?: string | null): TaskRef => ({
  id: task.id,
  title: task.title,
  label: label || task.external_key || `#${task.id}`,
  candidates: [{ id: task.id }],
});

/** How a ref reads in messages: `#12 Fix login` or the unresolved label. */
export const describeRef = (ref: TaskRef | null | undefined): string =>
  !ref ? "—" : typeof ref.id === "number" ? `#${ref.id}${ref.title ? ` ${ref.title}` : ""}` : ref.label;
