// Task references: what the user typed (`42`, `acme/widgets#42`, an issue URL) or what a git branch is
// called (`42-fix-login`, `gh-42`, `task-17`, `feature/acme-widgets-42`), turned into candidates that are
// looked up in order — by id or by external_key — when the API can be reached.
import { execFileSync } from "node:child_process";
import type { Schemas } from "../../client/index.ts";
import { isStatus, type Api } from "./api.ts";
import type { Candidate } from "../../src/modules/editors/branches.ts";
import { UsageError } from "./errors.ts";

// Branch names → task candidates: the server's own rule (editor heartbeats use it too), one implementation.
export { parseBranch, type BranchTask, type Candidate } from "../../src/modules/editors/branches.ts";

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
