// The benchmarks reach the API through the one typed client (client/index.ts): set-up calls go through it,
// and the load loop replays requests it built, so no path, field, enum or cursor is written by hand here.
import { readFileSync } from "node:fs";
import { type ApiClient, createApiClient, nextCursor, type paths } from "../../client/index.ts";

export type { ApiClient };
export type TaskQuery = NonNullable<paths["/api/tasks"]["get"]["parameters"]["query"]>;
export type SessionQuery = NonNullable<paths["/api/sessions"]["get"]["parameters"]["query"]>;

/** A client for set-up and checks: `token` on every request. */
export const apiClient = (base: string, token?: string): ApiClient => createApiClient({ baseUrl: base, token });

/** What every openapi-fetch call resolves to: data on a 2xx, error otherwise. */
interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a 2xx answer; anything else throws with the request, the status and the body. */
export async function ok<T>(answer: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await answer;
  if (!response.ok || data === undefined) {
    const url = new URL(response.url);
    throw new Error(`${url.pathname}${url.search} → ${response.status} ${JSON.stringify(error ?? null)}`);
  }
  return data;
}

/** A request the typed client built but did not send, for the load loop to replay as it is. */
export interface Prepared {
  method: string;
  /** Path and query, e.g. /api/tasks?page_size=50&type=BUG. */
  path: string;
  body?: string;
  contentType?: string;
}

class Captured extends Error {
  readonly request: Request;
  constructor(request: Request) {
    super("captured");
    this.request = request;
  }
}

// Its fetch never sends: it hands the request back through a rejection, so concurrent builds cannot mix.
const builder = createApiClient({ baseUrl: "http://bench.invalid", fetch: (request) => Promise.reject(new Captured(request)) });

/** The request `build` makes with the typed client: `prepare((api) => api.GET("/api/tasks/{id}", …))`. */
export async function prepare(build: (api: ApiClient) => Promise<unknown>): Promise<Prepared> {
  try {
    await build(builder);
  } catch (err) {
    if (!(err instanceof Captured)) throw err;
    const { request } = err;
    const url = new URL(request.url);
    const prepared: Prepared = { method: request.method, path: url.pathname + url.search };
    if (request.body !== null) {
      prepared.body = await request.text();
      prepared.contentType = request.headers.get("content-type") ?? undefined;
    }
    return prepared;
  }
  throw new Error("prepare: the client made no request");
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** The largest page_size the task list takes, read from the client's OpenAPI document (client/openapi.json). */
export function maxPageSize(): number {
  const doc: unknown = JSON.parse(readFileSync(new URL("../../client/openapi.json", import.meta.url), "utf8"));
  const get = isRecord(doc) && isRecord(doc.paths) && isRecord(doc.paths["/api/tasks"]) ? doc.paths["/api/tasks"].get : undefined;
  const params = isRecord(get) && Array.isArray(get.parameters) ? get.parameters : [];
  const pageSize: unknown = params.find((p: unknown) => isRecord(p) && p.name === "page_size");
  const max = isRecord(pageSize) && isRecord(pageSize.schema) ? pageSize.schema.maximum : undefined;
  if (typeof max !== "number") throw new Error("client/openapi.json: no maximum for GET /api/tasks page_size");
  return max;
}

/** One page of any list: rows with an id, and the `next` link. */
export interface Listed {
  results: { id: number }[];
  next: string | null;
}

/** Fetches a page of one list, given the cursor (none: the first page) and the page size. */
export type FetchPage = (cursor: string | undefined, pageSize: number) => Promise<Listed>;

export interface Walked {
  cursor: string;
  pages: number;
  /** The 1-based position in the list of the row the cursor starts after. */
  position: number;
}

/**
 * The cursor of the page that starts right after the first row `stop(id, position)` accepts, found by walking
 * the list from its first page with the `next` links the API returns (cursors are opaque: never built here).
 * The page holding the row is fetched again, cut just after it, so the cursor is the one its `next` gives.
 */
export async function cursorAfter(fetchPage: FetchPage, stop: (id: number, position: number) => boolean): Promise<Walked> {
  let cursor: string | undefined;
  let pages = 0;
  let seen = 0;
  const pageSize = maxPageSize();
  for (;;) {
    const page = await fetchPage(cursor, pageSize);
    pages++;
    const at = page.results.findIndex((row, i) => stop(row.id, seen + i + 1));
    if (at >= 0) {
      const after = nextCursor(await fetchPage(cursor, at + 1));
      if (!after) throw new Error(`row ${seen + at + 1} is the last of the list: no page after it`);
      return { cursor: after, pages: pages + 1, position: seen + at + 1 };
    }
    seen += page.results.length;
    cursor = nextCursor(page);
    if (!cursor) throw new Error(`the list ended after ${seen} rows without the row looked for`);
  }
}

/** The cursor right after task `taskId` in the task list `query` selects (see cursorAfter). */
export const cursorAfterTask = (api: ApiClient, query: TaskQuery, taskId: number): Promise<Walked> =>
  cursorAfter((cursor, page_size) => ok(api.GET("/api/tasks", { params: { query: { ...query, page_size, cursor } } })), (id) => id === taskId);

/** The cursor right after row `position` of the session list `query` selects (see cursorAfter). */
export const cursorAfterSessionRow = (api: ApiClient, query: SessionQuery, position: number): Promise<Walked> =>
  cursorAfter((cursor, page_size) => ok(api.GET("/api/sessions", { params: { query: { ...query, page_size, cursor } } })), (_, at) => at === position);

/** Registers a fresh user and returns its API token (the events and GitHub benchmarks start from an empty D1). */
export async function registerUser(base: string, password: string): Promise<string> {
  const email = `bench-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const { token } = await ok(apiClient(base).POST("/api/auth/register", { body: { email, password } }));
  if (!token) throw new Error("POST /api/auth/register answered no API token");
  return token;
}
