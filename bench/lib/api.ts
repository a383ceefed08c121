// The benchmarks reach the API through the one typed client (client/index.ts): set-up calls go through it,
// and the load loop replays requests it built, so no path, field, enum or cursor is written by hand here.
import { readFileSync } from "node:fs";
import { type ApiClient, createApiClient, nextCursor, type paths } from "../../client/index.ts";

export type { ApiClient };
export type TaskQuery = NonNullable<paths["/api/tasks"]["get"]["parameters"]["query"]>;

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

/**
 * The cursor of the page that starts right after task `taskId` in the list `query` selects, found by walking
 * the list from its first page with the `next` links the API returns (cursors are opaque: never built here).
 * The page holding the task is fetched again, cut just after it, so the cursor is the one its `next` gives.
 * Returns the cursor and the number of pages walked.
 */
export async function cursorAfterTask(api: ApiClient, query: TaskQuery, taskId: number): Promise<{ cursor: string; pages: number; position: number }> {
  let cursor: string | undefined;
  let pages = 0;
  let seen = 0;
  const pageSize = maxPageSize();
  for (;;) {
    const page = await ok(api.GET("/api/tasks", { params: { query: { ...query, page_size: pageSize, cursor } } }));
    pages++;
    const at = page.results.findIndex((t) => t.id === taskId);
    if (at >= 0) {
      const cut = await ok(api.GET("/api/tasks", { params: { query: { ...query, page_size: at + 1, cursor } } }));
      const after = nextCursor(cut);
      if (!after) throw new Error(`task ${taskId} is the last of the list: no page after it`);
      return { cursor: after, pages: pages + 1, position: seen + at + 1 };
    }
    seen += page.results.length;
    cursor = nextCursor(page);
    if (!cursor) throw new Error(`task ${taskId} is not in the list ${JSON.stringify(query)}`);
  }
}

/** Registers a fresh user and returns its API token (the events and GitHub benchmarks start from an empty D1). */
export async function registerUser(base: string, password: string): Promise<string> {
  const email = `bench-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const { token } = await ok(apiClient(base).POST("/api/auth/register", { body: { email, password } }));
  if (!token) throw new Error("POST /api/auth/register answered no API token");
  return token;
}
