import { Scalar } from "@scalar/hono-api-reference";
import { drizzle } from "drizzle-orm/d1";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import type { AppEnv, Bindings } from "./env";
import { authRouter } from "./modules/auth/routes";
import { editorProjectsRouter, editorsRouter } from "./modules/editors/routes";
import { healthRouter } from "./modules/health/routes";
import { requestLogsRouter } from "./modules/request-logs/routes";
import { teamsRouter } from "./modules/teams/routes";
import { eventsRouter } from "./modules/events/routes";
import { importGithubRouter, importsRouter } from "./modules/github/routes";
import { insightsRouter } from "./modules/insights/routes";
import { reportRequestsRouter, reportsRouter } from "./modules/reports/routes";
import { resourcesRouter } from "./modules/resources/routes";
import { sessionsRouter } from "./modules/sessions/routes";
import { switchesRouter } from "./modules/switches/routes";
import { tasksRouter } from "./modules/tasks/routes";
import { authenticate, COMPAT_PREFIX, isCompatPath, StaleActor } from "./platform/auth";
import { BOOKMARK_HEADER, d1SessionStart, meteredD1, newUsage, serverTiming } from "./platform/d1-metrics";
import { ApiError, errorBody, type ErrorCode } from "./platform/errors";
import { requestLog } from "./platform/request-log";
import { createRouter } from "./platform/router";

export const MAX_BODY_BYTES = 1024 * 1024;
/** Where the dashboard's build puts @scalar/api-reference's browser bundle (web/, a static asset). */
export const DOCS_SCRIPT = "/vendor/scalar/standalone.js";

/**
 * Paths answered without a credential (compared without a trailing slash), whatever the method — a wrong
 * method is a 404, not a 401 — except the "<METHOD> <path>" pairs that sign a credential out.
 */
const PUBLIC_PATHS = new Set([
  "/api/health",
  "/api/openapi.json",
  "/api/docs",
  "/api/auth/register",
  "/api/auth/login",
  "/api/auth/session",
  "/api/auth/session/register",
]);
const NEEDS_CREDENTIAL = new Set(["DELETE /api/auth/session"]);
const isPublic = (method: string, path: string) => PUBLIC_PATHS.has(path) && !NEEDS_CREDENTIAL.has(`${method} ${path}`);

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The CORS_ORIGINS var: comma-separated exact origins (scheme://host[:port]) allowed to call the API from a browser. */
function corsOrigins(env: Bindings): Set<string> {
  return new Set(
    String(env.CORS_ORIGINS ?? "")
      .split(",")
      .map((o) => o.trim())
      .filter(Boolean),
  );
}

/**
 * CSRF: a request that writes with the session cookie (or asks for one) must come from a page of the API's
 * own origin, or of an origin CORS_ORIGINS lists. Browsers send `Origin` on every cross-origin request and on
 * same-origin writes; `Sec-Fetch-Site` is the fallback. A cookie-authenticated write with neither is refused
 * (no browser sends that); sign-in without either is allowed (curl), as it carries no cookie to abuse.
 */
function crossSiteRefusal(c: Context<AppEnv>, cookieAuthenticated: boolean): ApiError | null {
  const origin = c.req.header("Origin");
  const own = new URL(c.req.url).origin;
  if (origin !== undefined && origin !== "null") {
    return origin === own || corsOrigins(c.env).has(origin) ? null : forbiddenCrossSite(origin);
  }
  const site = c.req.header("Sec-Fetch-Site");
  if (site !== undefined) return site === "same-origin" ? null : forbiddenCrossSite(site);
  return cookieAuthenticated ? forbiddenCrossSite("unknown") : null;
}
const forbiddenCrossSite = (from: string) =>
  new ApiError("FORBIDDEN", `Cross-site request refused (from ${from}): a write signed with the session cookie must come from this site.`);

/** Writes that set a session cookie: login CSRF (signing a victim into another account) is refused the same way. */
const ISSUES_SESSION = new Set(["/api/auth/session", "/api/auth/session/register"]);

const corsHeaders = cors({
  origin: (origin) => origin, // only reached for listed origins (below)
  credentials: true,
  allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
  allowHeaders: ["Authorization", "Content-Type", "Last-Event-ID", "X-Request-Id", "X-D1-Bookmark"],
  exposeHeaders: ["X-Request-Id", "Server-Timing", "Location", "Retry-After", "Content-Disposition", "X-D1-Bookmark"],
  maxAge: 600,
});

const HTTP_EXCEPTION_CODES: Record<number, ErrorCode> = {
  400: "INVALID_JSON",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
};

function toApiError(err: unknown, c: Context<AppEnv>): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException) {
    const code = HTTP_EXCEPTION_CODES[err.status];
    if (code === "INVALID_JSON") return new ApiError(code, "Malformed JSON in request body.", [{ path: "body", message: err.message }]);
    if (code) return new ApiError(code, err.message);
  }
  // A unique index caught a race the service's own check could not see: still a conflict, not a crash.
  if (err instanceof Error && /UNIQUE constraint failed/.test(String(err.message) + String(err.cause ?? ""))) {
    return new ApiError("CONFLICT", "This object already exists.");
  }
  // A row the write refers to (a team, session or task) was deleted between the request's check and its write.
  if (err instanceof Error && /FOREIGN KEY constraint failed/.test(String(err.message) + String(err.cause ?? ""))) {
    return new ApiError("NOT_FOUND", "An object this request refers to no longer exists.");
  }
  console.error(
    JSON.stringify({
      level: "error",
      msg: "unhandled error",
      request_id: c.get("requestId"),
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      stack: err instanceof Error ? err.stack : undefined,
    }),
  );
  return new ApiError("INTERNAL", "Internal server error.");
}

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const ESCAPED_SURROGATE = /\\u[dD][89a-fA-F]/;

const badText = (message: string) => new ApiError("INVALID_JSON", "Malformed JSON in request body.", [{ path: "body", message }]);

/**
 * A body is stored as sent or not at all: bytes that are not UTF-8 (which a plain decode would replace with
 * U+FFFD) and JSON strings holding a lone surrogate (which SQLite cannot store as sent) are a 400.
 * The bytes stay cached on the request for the validators, which decode them again.
 */
async function refuseIllFormedText(c: Context<AppEnv>) {
  let text: string;
  try {
    text = strictUtf8.decode(await c.req.arrayBuffer());
  } catch (err) {
    if (err instanceof ApiError) throw err; // the body limit
    throw badText("The body is not valid UTF-8.");
  }
  if (!ESCAPED_SURROGATE.test(text)) return;
  let lone = false;
  try {
    JSON.parse(text, (key, value: unknown) => {
      if (!key.isWellFormed() || (typeof value === "string" && !value.isWellFormed())) lone = true;
      return value;
    });
  } catch {
    return; // malformed JSON: the validator says so
  }
  if (lone) throw badText("A string holds an unpaired UTF-16 surrogate (\\uD800–\\uDFFF); it cannot be stored as sent.");
}

export function createApp() {
  const app = createRouter();

  app.use("*", requestId({ headerName: "X-Request-Id", generator: () => crypto.randomUUID() }));
  // CORS for the listed origins only: any other origin gets no CORS header at all (its preflight a bare 204).
  app.use("/api/*", async (c, next) => {
    const origins = corsOrigins(c.env);
    if (origins.size) c.header("Vary", "Origin", { append: true });
    const origin = c.req.header("Origin");
    if (origin && origins.has(origin)) return corsHeaders(c, next);
    if (c.req.method === "OPTIONS" && c.req.header("Access-Control-Request-Method")) return c.body(null, 204);
    await next();
  });
  app.use("/api/*", requestLog);
  app.use("/api/*", async (c, next) => {
    const started = performance.now();
    const usage = newUsage();
    c.set("d1Usage", usage);
    // D1's Sessions API: reads from the nearest replica (or one at least as new as the client's bookmark),
    // writes from the primary; the answer carries the session's bookmark for the client's next request.
    const session = c.env.DB.withSession(d1SessionStart(c.req.method, c.req.header(BOOKMARK_HEADER)));
    const { d1, request } = meteredD1(session, usage);
    c.set("d1", request);
    c.set("db", drizzle(d1));
    await next();
    const headers: [string, string][] = [["Server-Timing", serverTiming(usage, performance.now() - started)]];
    const bookmark = usage.queries > 0 ? session.getBookmark() : null;
    if (bookmark) headers.push([BOOKMARK_HEADER, bookmark]);
    try {
      for (const [k, v] of headers) c.res.headers.set(k, v);
    } catch {
      // Headers of a proxied response (e.g. a Durable Object's stream) are immutable: copy them.
      c.res = new Response(c.res.body, c.res);
      for (const [k, v] of headers) c.res.headers.set(k, v);
    }
  });
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError("PAYLOAD_TOO_LARGE", `Request body is larger than ${MAX_BODY_BYTES} bytes.`);
      },
    }),
  );
  app.use("/api/*", async (c, next) => {
    const method = c.req.method;
    const path = c.req.path.replace(/\/+$/, "");
    // Who is asking, and (for the cookie) from where, before anything about the body: a forged cross-site
    // write is a 403 whatever it sends (a text/plain form post too), not a 415.
    if (!isPublic(method, path)) {
      // The WakaTime-compatible API takes editor keys and tokens (Basic, Bearer, ?api_key=), never the cookie.
      // A read runs as the actor this isolate last saw for the credential, checked in its first round trip.
      const actor = await authenticate(c, { compat: isCompatPath(path), speculate: method === "GET" || method === "HEAD" });
      if (actor.credential === "SESSION" && UNSAFE_METHODS.has(method)) {
        const refusal = crossSiteRefusal(c, true);
        if (refusal) throw refusal;
      }
      c.set("actor", actor);
    } else if (method === "POST" && ISSUES_SESSION.has(path)) {
      const refusal = crossSiteRefusal(c, false);
      if (refusal) throw refusal;
    }
    if (method === "POST" || method === "PUT" || method === "PATCH") {
      const hasBody = c.req.raw.body !== null && c.req.header("Content-Length") !== "0";
      if (hasBody && !JSON_TYPE.test(c.req.header("Content-Type") ?? "")) {
        throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json.");
      }
      if (hasBody) await refuseIllFormedText(c);
    }
    await next();
    // Every route's handler settles the credential check itself (router.ts); what no route answered (a 404)
    // still waits for it, so a refused credential is a 401 there as before.
    if (!isPublic(method, path)) {
      try {
        await c.var.d1.settle();
      } catch (err) {
        if (!(err instanceof StaleActor)) throw err;
      }
    }
  });

  app.route("/api/health", healthRouter);
  app.route("/api/auth", authRouter);
  app.route("/api/request-logs", requestLogsRouter);
  app.route("/api/teams", teamsRouter);
  // Before the tasks router, so "import_github" is never read as a task id.
  app.route("/api/tasks/import_github", importGithubRouter);
  app.route("/api/tasks", tasksRouter);
  app.route("/api/imports", importsRouter);
  app.route("/api/resources", resourcesRouter);
  app.route("/api/sessions", sessionsRouter);
  app.route("/api/context-switches", switchesRouter);
  app.route("/api/reports", reportsRouter);
  app.route("/api/report-requests", reportRequestsRouter);
  app.route("/api/insights", insightsRouter);
  app.route("/api/events", eventsRouter);
  app.route(COMPAT_PREFIX, editorsRouter);
  app.route("/api/editor-projects", editorProjectsRouter);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An API token (`dfk_…`) from register, login or POST /api/auth/tokens/.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "editorKey", {
    type: "http",
    scheme: "basic",
    description:
      "An editor key (`waka_<uuid4>`, POST /api/auth/tokens/ with scope EDITOR) as wakatime-cli sends it: `Authorization: Basic base64(<key>)`, " +
      "the bare key with no `user:`. `Bearer <key>` and `?api_key=<key>` work too. Valid only under /api/compat/wakatime/.",
  });
  app.doc31("/api/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "DevFocus API",
      version: "1.0.0",
      description: "Developer context intelligence: sessions, tasks, context switches, focus reports and insights.",
    },
  });
  // The reference UI's script is one of the Worker's static assets (copied there by the dashboard's build):
  // nothing is loaded from another host, so the page renders offline.
  app.get("/api/docs", Scalar({ url: "/api/openapi.json", pageTitle: "DevFocus API", cdn: DOCS_SCRIPT, withDefaultFonts: false }));

  app.notFound((c) => {
    const err = new ApiError("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}.`);
    return c.json(errorBody(err, c.get("requestId")), 404);
  });
  app.onError((err, c) => {
    const apiErr = toApiError(err, c);
    return c.json(errorBody(apiErr, c.get("requestId")), apiErr.status, apiErr.headers);
  });
  return app;
}

export const app = createApp();
