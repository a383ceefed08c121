/**
 * The DevFocus API client: openapi-fetch calls typed by `schema.ts`, which `npm run client:generate`
 * writes from the Worker's own OpenAPI document. The CLI, the benchmarks, the dashboard and the HTTP
 * tests call the API through this, so none of them restates a path, a field, an enum or a cursor.
 *
 *   const api = createApiClient({ baseUrl: "http://localhost:8787", token });
 *   const { data, error } = await api.GET("/api/tasks/{id}", { params: { path: { id: 7 } } });
 *   // data: Schemas["Task"]; error: ErrorEnvelope (the API's {"error": {code, message, details, request_id}})
 *
 * Behaviour every request needs is a middleware (openapi-fetch's onRequest/onResponse/onError), given
 * in `middleware` or added with `api.use()`: the bearer token is one.
 */
import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema.ts";

export * from "./schema.ts";
export type { Middleware };

export type ApiClient = Client<paths>;
export type Schemas = components["schemas"];
/** The body of every error answer. */
export type ErrorEnvelope = Schemas["Error"];
export type ErrorCode = ErrorEnvelope["error"]["code"];

export interface ClientOptions {
  /** The API's origin, e.g. `http://localhost:8787` (the paths start with /api). */
  baseUrl: string;
  /** An API token (`dfk_…`), sent as `Authorization: Bearer`. */
  token?: string | null;
  headers?: Record<string, string>;
  /** Middleware run on every request, after the token's. */
  middleware?: Middleware[];
  /** The fetch to use (defaults to the global one): timeouts, retries or a test double go here. */
  fetch?: (request: Request) => Promise<Response>;
  /**
   * Where the last D1 bookmark is kept (default: in memory, for this client). Each answer's X-D1-Bookmark
   * is stored and sent back with the next request, so a read after a write sees it even from a replica.
   * `false`: send none.
   */
  bookmarks?: BookmarkStore | false;
}

/** Holds the latest X-D1-Bookmark an answer gave (the CLI keeps it in a file, between invocations). */
export interface BookmarkStore {
  get(): string | null | undefined;
  set(bookmark: string): void;
}

export const BOOKMARK_HEADER = "X-D1-Bookmark";

export function memoryBookmarks(): BookmarkStore {
  let last: string | null = null;
  return { get: () => last, set: (b) => (last = b) };
}

/** Sends the stored bookmark with every request and stores the one each answer brings. */
export function bookmarks(store: BookmarkStore): Middleware {
  return {
    onRequest({ request }) {
      const bookmark = store.get();
      if (bookmark && !request.headers.has(BOOKMARK_HEADER)) request.headers.set(BOOKMARK_HEADER, bookmark);
      return request;
    },
    onResponse({ response }) {
      const bookmark = response.headers.get(BOOKMARK_HEADER);
      if (bookmark) store.set(bookmark);
      return response;
    },
  };
}

export function createApiClient(options: ClientOptions): ApiClient {
  const client = createClient<paths>({ baseUrl: options.baseUrl, headers: options.headers, fetch: options.fetch });
  if (options.token) client.use(bearerToken(options.token));
  if (options.bookmarks !== false) client.use(bookmarks(options.bookmarks ?? memoryBookmarks()));
  client.use(...(options.middleware ?? []));
  return client;
}

export function bearerToken(token: string): Middleware {
  return {
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${token}`);
      return request;
    },
  };
}

/** Whether an error body is the API's envelope (a gateway in front of it may answer with anything). */
export function isErrorEnvelope(body: unknown): body is ErrorEnvelope {
  if (typeof body !== "object" || body === null || !("error" in body)) return false;
  const e = body.error;
  return typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" && "message" in e;
}

/**
 * The `cursor` to send for the page after this one, or undefined on the last page. A list answers
 * `next` as a full URL; its cursor is opaque and only ever copied from there.
 */
export function nextCursor(page: { next: string | null }): string | undefined {
  return page.next ? (new URL(page.next).searchParams.get("cursor") ?? undefined) : undefined;
}
