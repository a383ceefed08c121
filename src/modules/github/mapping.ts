import type { TASK_PRIORITIES, TASK_STATUSES, TASK_TYPES } from "../../db/schema";

type TaskType = (typeof TASK_TYPES)[number];
type TaskPriority = (typeof TASK_PRIORITIES)[number];
type TaskStatus = (typeof TASK_STATUSES)[number];

/** GitHub returns label objects; older payloads and hand-written fixtures use plain names. */
export type GithubLabel = string | { name?: string | null };

/** The fields of a GitHub issue (or pull request) the importer reads. */
export interface GithubIssue {
  id: number;
  number: number;
  title: string;
  body?: string | null;
  state: string;
  html_url: string;
  labels?: GithubLabel[];
  pull_request?: unknown;
}

/** The task columns an issue sets, on insert and on every re-import. */
export interface ImportedTask {
  title: string;
  description: string;
  type: TaskType;
  priority: TaskPriority;
  status: TaskStatus;
  externalId: string;
  externalKey: string;
  externalUrl: string;
}

/** Label names as written in DESIGN.md; matched case-insensitively, with punctuation read as spaces. */
export const TYPE_LABELS: Record<Exclude<TaskType, "FEATURE">, readonly string[]> = {
  BUG: ["bug"],
  REFACTOR: ["refactor", "tech debt", "techdebt", "cleanup", "clean up"],
};
export const PRIORITY_LABELS: Record<Exclude<TaskPriority, "MED">, readonly string[]> = {
  HIGH: ["critical", "urgent", "p0", "p1", "high"],
  LOW: ["low", "p3"],
};

// "type: bug", "kind/bug", "priority: high", "high priority" and "P1" all name the same thing;
// the qualifier is dropped, but a label is never matched on a word inside it ("low-hanging fruit" is not LOW).
const QUALIFIER = /^(?:type|kind|priority|prio|severity|sev) | (?:priority|prio)$/g;

/** "Tech-Debt" → "tech debt", "priority: High" → "high". */
export function normalizeLabel(label: GithubLabel): string {
  const name = typeof label === "string" ? label : (label?.name ?? "");
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim()
    .replace(QUALIFIER, "")
    .trim();
}

const hasAny = (names: Set<string>, wanted: readonly string[]) => wanted.some((w) => names.has(w));

/** bug → BUG; refactor / tech debt / cleanup → REFACTOR; else FEATURE. BUG wins over REFACTOR. */
export function typeFromLabels(labels: readonly GithubLabel[] = []): TaskType {
  const names = new Set(labels.map(normalizeLabel));
  if (hasAny(names, TYPE_LABELS.BUG)) return "BUG";
  if (hasAny(names, TYPE_LABELS.REFACTOR)) return "REFACTOR";
  return "FEATURE";
}

/** critical / urgent / p0 / p1 / high → HIGH; low / p3 → LOW; else MED. HIGH wins over LOW. */
export function priorityFromLabels(labels: readonly GithubLabel[] = []): TaskPriority {
  const names = new Set(labels.map(normalizeLabel));
  if (hasAny(names, PRIORITY_LABELS.HIGH)) return "HIGH";
  if (hasAny(names, PRIORITY_LABELS.LOW)) return "LOW";
  return "MED";
}

/** closed → DONE; open (or anything else GitHub may add) → TODO. */
export const statusFromState = (state: string): TaskStatus => (state.toLowerCase() === "closed" ? "DONE" : "TODO");

export const isPullRequest = (item: GithubIssue) => item.pull_request != null;

export const TITLE_MAX = 255;

export function issueToTask(issue: GithubIssue, repo: { owner: string; repo: string }): ImportedTask {
  const labels = issue.labels ?? [];
  return {
    title: (issue.title?.trim() || `Issue #${issue.number}`).slice(0, TITLE_MAX),
    description: issue.body ?? "",
    type: typeFromLabels(labels),
    priority: priorityFromLabels(labels),
    status: statusFromState(issue.state),
    externalId: String(issue.id),
    externalKey: `${repo.owner}/${repo.repo}#${issue.number}`,
    externalUrl: issue.html_url,
  };
}

/** True when a Link header has a rel="next" target. */
export function hasNextPage(link: string | null | undefined): boolean {
  return !!link && link.split(",").some((part) => /;\s*rel="?([^"]*\s)?next(\s[^"]*)?"?\s*(;|$)/.test(part));
}
