// Task references: what the user typed (`42`, `acme/widgets#42`, an issue URL) or what a git branch is
// called (`42-fix-login`, `gh-42`, `task-17`, `feature/acme-widgets-42`), turned into candidates that are
// looked up in order — by id or by external_key — when the API can be reached.
import { execFileSync } from "node:child_process";
import { ApiError } from "./api.mjs";
import { UsageError } from "./errors.mjs";

/**
 * @typedef {{id: number} | {external_key: string} | {github_number: number}} Candidate
 * @typedef {{label: string, id?: number, title?: string, candidates: Candidate[], soft?: boolean}} TaskRef
 *   `soft` refs come from branch names: when nothing matches they are dropped instead of failing.
 */

const KEY = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)#(\d+)$/;

/** A task argument: an id, `owner/repo#number`, a GitHub issue URL, or a tracker key like `ABC-123`. */
export function parseTaskArg(text) {
  const s = String(text ?? "").trim();
  let m;
  if ((m = /^#?(\d+)$/.exec(s))) return { label: `#${m[1]}`, candidates: [{ id: Number(m[1]) }] };
  if (KEY.test(s)) return { label: s, candidates: [{ external_key: s }] };
  if ((m = /^https?:\/\/[^/]+\/([^/]+)\/([^/]+)\/(?:issues|pull)\/(\d+)\/?$/.exec(s))) {
    const key = `${m[1]}/${m[2]}#${m[3]}`;
    return { label: key, candidates: [{ external_key: key }] };
  }
  if ((m = /^[A-Z][A-Z0-9]+-\d+$/.exec(s))) return { label: s, candidates: [{ external_key: s }] };
  throw new UsageError(`"${s}" is not a task: use an id (42), owner/repo#number (acme/widgets#42) or a key like ABC-123.`);
}

/** "acme/widgets" from an origin URL (https, ssh or scp-like; any host), or null. */
export function repoFromRemote(url) {
  const m = /(?:[:/])([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(String(url || "").trim());
  return m ? `${m[1]}/${m[2]}` : null;
}

export function gitOriginRepo(cwd = process.cwd()) {
  try {
    const url = execFileSync("git", ["remote", "get-url", "origin"], { cwd, stdio: ["ignore", "pipe", "ignore"], timeout: 2000 });
    return repoFromRemote(url.toString());
  } catch {
    return null;
  }
}

export function gitCurrentBranch(cwd = process.cwd()) {
  try {
    const out = execFileSync("git", ["symbolic-ref", "--short", "-q", "HEAD"], { cwd, stdio: ["ignore", "pipe", "ignore"], timeout: 2000 });
    return out.toString().trim() || null;
  } catch {
    return null;
  }
}

/** How many owner/repo splits of `acme-widgets-42` to try at most. */
const MAX_SPLITS = 6;

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
 *
 * @returns {{label: string, candidates: Candidate[], reason: string, soft: true} | null}
 */
export function parseBranch(branch, origin = null) {
  if (!branch) return null;
  const name = String(branch).trim();
  const parts = name.split("/");
  const last = parts[parts.length - 1];
  const reason = parts.slice(0, -1).some((p) => /^hotfix$/i.test(p)) || /^hotfix[-_]/i.test(last) ? "QUICK_FIX" : "OTHER";
  const tail = "(?:[-_].*)?$"; // not ".": `1.2-release` is a version, not task 1
  /** @type {Candidate[]} */
  let candidates = [];
  let m;
  if ((m = new RegExp(`^task[-_]?(\\d+)${tail}`, "i").exec(last))) {
    candidates = [{ id: Number(m[1]) }];
  } else if ((m = new RegExp(`^(?:gh|issue)[-_]?(\\d+)${tail}`, "i").exec(last))) {
    const n = Number(m[1]);
    candidates = origin ? [{ external_key: `${origin}#${n}` }, { github_number: n }] : [{ github_number: n }];
  } else if ((m = new RegExp(`^(\\d+)${tail}`).exec(last))) {
    const n = Number(m[1]);
    candidates = origin ? [{ external_key: `${origin}#${n}` }, { id: n }] : [{ id: n }];
  } else if ((m = /^([A-Z][A-Z0-9]+-\d+)(?:[-_].*)?$/.exec(last))) {
    candidates = [{ external_key: m[1] }];
  } else if ((m = /^([A-Za-z0-9_.]+(?:-[A-Za-z0-9_.]+)+)-(\d+)$/.exec(last))) {
    const words = m[1].split("-");
    const n = Number(m[2]);
    const keys = [];
    for (let i = 1; i < words.length; i++) keys.push(`${words.slice(0, i).join("-")}/${words.slice(i).join("-")}#${n}`);
    // The repository's own origin first, when it is one of the splits.
    keys.sort((a, b) => Number(origin !== null && b === `${origin}#${n}`) - Number(origin !== null && a === `${origin}#${n}`));
    candidates = keys.slice(0, MAX_SPLITS).map((k) => ({ external_key: k }));
  }
  if (!candidates.length) return null;
  return { label: name, candidates, reason, soft: true };
}

/** Looks a ref up: the first candidate that names a task the caller can see. null when none does. */
export async function resolveTask(api, ref) {
  if (!ref) return null;
  if (typeof ref.id === "number") return { id: ref.id, title: ref.title ?? ref.label };
  for (const c of ref.candidates || []) {
    if ("id" in c) {
      try {
        const t = await api.get(`/tasks/${c.id}/`);
        if (t) return t;
      } catch (err) {
        if (!(err instanceof ApiError && (err.status === 404 || err.status === 400))) throw err;
      }
    } else if ("external_key" in c) {
      const page = await api.get("/tasks/", { external_key: c.external_key, page_size: 1 });
      if (page.results.length) return page.results[0];
    } else if ("github_number" in c) {
      const rows = await api.list("/tasks/", { external_source: "GITHUB" }, { max: 1000 });
      const hits = rows.filter((t) => typeof t.external_key === "string" && t.external_key.endsWith(`#${c.github_number}`));
      if (hits.length === 1) return hits[0];
    }
  }
  return null;
}

/** A resolved task as a ref kept in local state. */
export const refOf = (task, label) => ({ id: task.id, title: task.title, label: label || task.external_key || `#${task.id}`, candidates: [{ id: task.id }] });

/** How a ref reads in messages: `#12 Fix login` or the unresolved label. */
export const describeRef = (ref) => (!ref ? "—" : typeof ref.id === "number" ? `#${ref.id}${ref.title ? ` ${ref.title}` : ""}` : ref.label);
