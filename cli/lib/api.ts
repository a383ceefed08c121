// The CLI's side of the typed client (client/): a timeout on every request, and two kinds of failure —
// the API answered with an error (ApiError, carrying its envelope), or it could not be reached at all
// (Unreachable: the signal for the offline journal).
import { createApiClient, isErrorEnvelope, nextCursor, type ApiClient, type BookmarkStore, type ErrorEnvelope } from "../../client/index.ts";
import { CliError, EXIT } from "./errors.ts";

export const DEFAULT_URL = "http://localhost:8787";

type Envelope = ErrorEnvelope["error"];

/** The API answered with an error: `{"error": {code, message, details, request_id}}`. */
export class ApiError extends CliError {
  override name = "ApiError";
  readonly status: number;
  readonly details: Envelope["details"];
  readonly requestId: string | null;

  constructor(status: number, body: Partial<Envelope>) {
    super(body.message || `HTTP ${status}`, { code: body.code ?? `HTTP_${status}` });
    this.status = status;
    this.details = Array.isArray(body.details) ? body.details : [];
    this.requestId = body.request_id ?? null;
  }

  toJSON() {
    return { status: this.status, code: this.code, message: this.message, details: this.details, request_id: this.requestId };
  }
}

/** Node's network errors: a code on the error's cause, or on the first of an AggregateError's errors. */
function causeCode(err: unknown): string | null {
  const cause = err instanceof Error ? err.cause : undefined;
  if (!(cause instanceof Error)) return null;
  if ("code" in cause && typeof cause.code === "string") return cause.code;
  const first = cause instanceof AggregateError ? cause.errors[0] : undefined;
  return first instanceof Error && "code" in first && typeof first.code === "string" ? first.code : null;
}

function describeCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === "TimeoutError" || err.name === "AbortError") return "timed out";
  return causeCode(err) ?? (err.cause instanceof Error ? err.cause.message : err.message);
}

const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);

/** The API could not be reached (connection refused, DNS, timeout, a gateway with no Worker behind it). */
export class Unreachable extends CliError {
  override name = "Unreachable";
  readonly url: string;
  /** The request certainly never reached the server (no connection was made). */
  readonly notSent: boolean;

  constructor(url: string, cause?: unknown) {
    super(`Cannot reach the DevFocus API at ${url}${cause ? ` (${describeCause(cause)})` : ""}.`, {
      code: "UNREACHABLE",
      exitCode: EXIT.UNREACHABLE,
    });
    this.url = url;
    const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause.message : "";
    this.notSent = NOT_SENT.has(causeCode(cause) ?? "") || /bad port/i.test(inner);
  }
}

/** "http://host:8787/" or "http://host:8787/api" → "http://host:8787" */
export function normalizeBase(url: string): string {
  let u = url.trim();
  if (!/^https?:\/\//i.test(u)) u = `http://${u}`;
  return u.replace(/\/+$/, "").replace(/\/api$/, "");
}

/** AbortSignal.any, with a fallback for Node 20 releases before 20.3. */
function anySignal(signals: AbortSignal[]): AbortSignal {
  if (typeof AbortSignal.any === "function") return AbortSignal.any(signals);
  const ctrl = new AbortController();
  for (const s of signals) {
    if (s.aborted) {
      ctrl.abort(s.reason);
      break;
    }
    s.addEventListener("abort", () => ctrl.abort(s.reason), { once: true });
  }
  return ctrl.signal;
}

export type Fetch = (request: Request) => Promise<Response>;

/**
 * A fetch that gives up after `timeoutMs` (event streams excepted: they keep their own idle timeout)
 * and says Unreachable when nothing answered — unless the caller itself aborted.
 */
function timedFetch(base: string, timeoutMs: number, inner: Fetch): Fetch {
  return async (request) => {
    const streaming = request.headers.get("Accept") === "text/event-stream";
    const signal = timeoutMs > 0 && !streaming ? anySignal([request.signal, AbortSignal.timeout(timeoutMs)]) : request.signal;
    try {
      return await inner(signal === request.signal ? request : new Request(request, { signal }));
    } catch (err) {
      if (request.signal.aborted) throw err;
      throw new Unreachable(base, err);
    }
  };
}

/** One answer of the typed client (openapi-fetch's FetchResponse, of any operation). */
interface Answer {
  data?: unknown;
  error?: unknown;
  response: Response;
}
/** The success body of an answer. */
type DataOf<A> = A extends { data: infer D; error?: never } ? D : never;

export interface ApiOptions {
  url: string;
  token?: string | null;
  timeoutMs?: number;
  userAgent?: string;
  /** The underlying fetch (tests pass an in-memory API). */
  fetch?: Fetch;
  /** Where the last D1 bookmark is kept between commands (the context's file), else in memory. */
  bookmarks?: BookmarkStore;
}

export class Api {
  readonly base: string;
  /** The typed client: paths, parameters and bodies are checked against the API's OpenAPI document. */
  readonly client: ApiClient;
  /** Set once a call found the API unreachable: later best-effort calls (the calendar) are skipped. */
  unreachable = false;

  constructor({ url, token = null, timeoutMs = 10_000, userAgent = "devfocus-cli", fetch = (r) => globalThis.fetch(r), bookmarks }: ApiOptions) {
    this.base = normalizeBase(url);
    this.client = createApiClient({
      baseUrl: this.base,
      token,
      bookmarks,
      headers: { Accept: "application/json", "User-Agent": userAgent },
      fetch: timedFetch(this.base, timeoutMs, fetch),
    });
  }

  /** The success body of a call, or ApiError (the API said no) / Unreachable (nothing answered). */
  async data<A extends Answer>(call: Promise<A>): Promise<DataOf<A>> {
    let answer: A;
    try {
      answer = await call;
    } catch (err) {
      if (err instanceof Unreachable) this.unreachable = true;
      if (err instanceof CliError) throw err;
      if (err instanceof SyntaxError) {
        throw new CliError(`${this.base} answered with something that is not JSON: is it a DevFocus API?`, { code: "NOT_JSON" });
      }
      this.unreachable = true;
      throw new Unreachable(this.base, err); // the body broke off, or the connection did
    }
    const { response } = answer;
    if (response.ok) return answer.data as DataOf<A>;
    const body = answer.error;
    if (isErrorEnvelope(body)) throw new ApiError(response.status, body.error);
    // A gateway error without the API's own envelope means no Worker answered: treat it as offline.
    if ([502, 503, 504].includes(response.status)) {
      this.unreachable = true;
      throw new Unreachable(this.base, new Error(`HTTP ${response.status}`));
    }
    throw new ApiError(response.status, { message: `HTTP ${response.status} ${response.statusText}`.trim() });
  }

  /** Every row of a paginated list, page after page (up to `max` rows); `page` fetches one, from a cursor. */
  async all<T>(page: (cursor: string | undefined) => Promise<{ results: T[]; next: string | null }>, max = 1000): Promise<T[]> {
    const rows: T[] = [];
    let cursor: string | undefined;
    do {
      const p = await page(cursor);
      rows.push(...p.results);
      cursor = nextCursor(p);
    } while (cursor && rows.length < max);
    return rows.slice(0, max);
  }
}

export const isStatus = (err: unknown, status: number): err is ApiError => err instanceof ApiError && err.status === status;
