/**
 * Branch names → tasks: the one rule the server (editor heartbeats), the CLI (`devfocus start`) and the git
 * hook share. Pure and import-free on purpose: the CLI's bundle and its tests (Node, type stripping) import
 * this very file.
 */

/** How a task is looked up: by id, by external_key, or as the one GitHub task numbered n. */
export type Candidate = { id: number } | { external_key: string } | { github_number: number };

export interface BranchTask {
  label: string;
  /** In lookup order: the first that names a task the caller can see wins. */
  candidates: Candidate[];
  /** hotfix branches are quick fixes; otherwise the API's default reason */
  reason: "QUICK_FIX" | undefined;
  soft: true;
}

/** How many owner/repo splits of `acme-widgets-42` to try at most. */
const MAX_SPLITS = 6;

/** `hotfix/…`, `…/hotfix/…` and `hotfix-…` branches: a switch to one is a QUICK_FIX. */
export function isHotfixBranch(branch: string | null | undefined): boolean {
  if (!branch) return false;
  const parts = branch.trim().split("/");
  const last = parts[parts.length - 1] ?? "";
  return parts.slice(0, -1).some((p) => /^hotfix$/i.test(p)) || /^hotfix[-_]/i.test(last);
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
  return { label: name, candidates, reason: isHotfixBranch(name) ? "QUICK_FIX" : undefined, soft: true };
}

/** A task as the lookup sees it: enough to apply the candidates' rules. */
export interface TaskKey {
  id: number;
  externalSource: string;
  externalKey: string | null;
}

/**
 * The first candidate that names one of `tasks` (the tasks the caller may use, already fetched): by id, by
 * external_key, or the one GitHub task whose key ends in `#n` (none when several do). The same order the CLI
 * looks candidates up in through the API.
 */
export function pickTask<T extends TaskKey>(candidates: Candidate[], tasks: T[]): T | null {
  for (const c of candidates) {
    if ("id" in c) {
      const hit = tasks.find((t) => t.id === c.id);
      if (hit) return hit;
    } else if ("external_key" in c) {
      const hit = tasks.find((t) => t.externalKey === c.external_key);
      if (hit) return hit;
    } else {
      const hits = tasks.filter((t) => t.externalSource === "GITHUB" && t.externalKey?.endsWith(`#${c.github_number}`));
      if (hits.length === 1) return hits[0]!;
    }
  }
  return null;
}
