import { Octokit } from "@octokit/core";
import type { importJobs } from "../../db/schema";
import type { Bindings } from "../../env";
import { hasNextPage, type GithubIssue } from "./mapping";

type ImportJobRow = typeof importJobs.$inferSelect;

/** The GitHub side of an import: one page of issues through octokit, and what its failures mean. */

export const PER_PAGE = 100;
/** How long one GitHub request may take before the page is retried ("GitHub could not be reached"). */
export const GITHUB_TIMEOUT_MS = 30_000;
/** The longest a queue message may be delayed (Cloudflare Queues' limit). */
export const MAX_DELAY_SECONDS = 12 * 60 * 60;
/** What a user reads when GitHub will not show the repository: no distinction, as GitHub itself makes none. */
export const NOT_FOUND_MESSAGE = "repository not found or token lacks access";

export interface IssuesPage {
  items: GithubIssue[];
  hasNext: boolean;
  /** Seconds until the rate limit resets when this response used up the last request, else 0. */
  exhaustedForSeconds: number;
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * One page of a repository's issues (pull requests included, as GitHub lists them), oldest first:
 * issues opened while an import runs land on later pages instead of shifting earlier ones.
 */
export async function fetchIssuesPage(
  env: Bindings,
  job: Pick<ImportJobRow, "owner" | "repo" | "state">,
  page: number,
  token: string | undefined,
): Promise<IssuesPage> {
  const octokit = new Octokit({
    baseUrl: String(env.GITHUB_API_URL).replace(/\/+$/, ""),
    auth: token,
    userAgent: "devfocus-github-import",
    log: quiet,
    // Looked up at call time, so the test suite's spy on globalThis.fetch sees every request. Bounded in
    // time: a GitHub that never answers would otherwise hold the consumer until the platform kills it.
    request: {
      fetch: (input: RequestInfo | URL, init?: RequestInit) =>
        globalThis.fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(GITHUB_TIMEOUT_MS) }),
    },
  });
  const res = await octokit.request("GET /repos/{owner}/{repo}/issues", {
    owner: job.owner,
    repo: job.repo,
    state: job.state,
    sort: "created",
    direction: "asc",
    per_page: PER_PAGE,
    page,
  });
  const headers = res.headers as Record<string, string | undefined>;
  return {
    items: res.data as unknown as GithubIssue[],
    hasNext: hasNextPage(headers.link),
    exhaustedForSeconds: headers["x-ratelimit-remaining"] === "0" ? (rateLimitDelay(headers, Date.now()) ?? 0) : 0,
  };
}

/** Seconds to wait before GitHub accepts requests again, from its headers; null when they say nothing. */
export function rateLimitDelay(headers: Record<string, string | undefined>, nowMs: number): number | null {
  const retryAfter = Number(headers["retry-after"]);
  if (headers["retry-after"] !== undefined && Number.isFinite(retryAfter)) {
    return Math.min(Math.max(Math.ceil(retryAfter), 1), MAX_DELAY_SECONDS);
  }
  const reset = Number(headers["x-ratelimit-reset"]);
  if (headers["x-ratelimit-remaining"] === "0" && Number.isFinite(reset)) {
    // +1: the reset is a whole epoch second, and arriving a moment early costs a whole retry.
    return Math.min(Math.max(Math.ceil(reset - nowMs / 1000) + 1, 1), MAX_DELAY_SECONDS);
  }
  return null;
}

/** The shape of @octokit/request's RequestError (not imported: it is a dependency of a dependency). */
interface GithubError extends Error {
  status: number;
  response?: { headers: Record<string, string | undefined> };
}
const isGithubError = (err: unknown): err is GithubError =>
  err instanceof Error && err.name === "HttpError" && typeof (err as Partial<GithubError>).status === "number";

export type PageFailure =
  | { action: "fail"; message: string }
  | { action: "retry"; message: string; delaySeconds?: number; rateLimited?: boolean };

/**
 * What to do about an error while importing a page. GitHub's answer decides: 401/404 (and a 403 that is
 * not a rate limit) will not change by retrying; rate limits wait for the reset; 5xx, network and
 * database errors retry with the queue's backoff (delaySeconds left to the caller).
 */
export function classifyPageError(err: unknown, nowMs: number): PageFailure {
  if (!isGithubError(err)) {
    return { action: "retry", message: "an internal error occurred while importing the page" };
  }
  const status = err.status;
  const headers = err.response?.headers ?? {};
  if (status === 401 || status === 404) return { action: "fail", message: `GitHub answered ${status}: ${NOT_FOUND_MESSAGE}.` };
  if (status === 403 || status === 429) {
    const delay = rateLimitDelay(headers, nowMs);
    if (delay !== null) return { action: "retry", rateLimited: true, delaySeconds: delay, message: "rate limited by GitHub" };
    // A secondary rate limit may come without headers: GitHub asks to wait at least a minute.
    if (status === 429 || /rate limit/i.test(err.message)) {
      return { action: "retry", rateLimited: true, delaySeconds: 60, message: "rate limited by GitHub" };
    }
    return { action: "fail", message: `GitHub answered 403: ${NOT_FOUND_MESSAGE}.` };
  }
  // @octokit/request reports a failed fetch (DNS, connection reset, timeout) as status 500 without a response.
  if (!err.response) return { action: "retry", message: "GitHub could not be reached" };
  if (status >= 500) return { action: "retry", message: `GitHub answered ${status}` };
  return { action: "fail", message: `GitHub refused the request (HTTP ${status}).` };
}
