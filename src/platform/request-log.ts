import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppEnv } from "../env";

const USER_AGENT_MAX = 256;

/** The columns of one request-log data point, in Analytics Engine order (blob1…, double1…). */
export const LOG_BLOBS = ["method", "route", "path", "status_class", "user_agent", "ip", "request_id", "colo", "team"] as const;
export const LOG_DOUBLES = ["status", "duration_ms", "response_bytes", "d1_queries", "d1_rows_read", "d1_rows_written"] as const;

/** A successful request is printed only when it took at least this long. */
export const SLOW_REQUEST_MS = 1000;

/**
 * One Analytics Engine data point per /api request — the request log (GET /api/request-logs/ reads it), written
 * without waiting — and a JSON log line for the requests an operator looks for: failures (status ≥ 400) and
 * slow ones (≥ SLOW_REQUEST_MS). Every request is in Workers Logs' invocation log anyway ([observability] in
 * wrangler.toml); a line per success cost this Worker 35 % of its throughput under wrangler dev (README,
 * "Request log"). Only metadata is recorded: never headers such as Authorization, never bodies.
 */
export const requestLog: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = performance.now();
  await next();
  const durationMs = Math.round((performance.now() - started) * 100) / 100;
  const status = c.res.status;
  const actor = c.get("actor");
  const usage = c.get("d1Usage");
  const cf = (c.req.raw as { cf?: { colo?: string } }).cf;
  const blobs = {
    method: c.req.method,
    // After next(), the route index still points at the handler that answered.
    route: routePath(c) || c.req.path,
    path: new URL(c.req.url).pathname,
    status_class: `${Math.floor(status / 100)}xx`,
    user_agent: (c.req.header("User-Agent") ?? "").slice(0, USER_AGENT_MAX),
    ip: c.req.header("CF-Connecting-IP") ?? "",
    request_id: c.get("requestId"),
    colo: cf?.colo ?? "",
    team: c.get("logTeam")?.toString() ?? "",
  } satisfies Record<(typeof LOG_BLOBS)[number], string>;
  const doubles = {
    status,
    duration_ms: durationMs,
    response_bytes: Number(c.res.headers.get("Content-Length") ?? 0),
    d1_queries: usage?.queries ?? 0,
    d1_rows_read: usage?.rowsRead ?? 0,
    d1_rows_written: usage?.rowsWritten ?? 0,
  } satisfies Record<(typeof LOG_DOUBLES)[number], number>;
  c.env.REQUEST_LOG.writeDataPoint({
    indexes: [actor ? String(actor.id) : "anon"],
    blobs: LOG_BLOBS.map((k) => blobs[k]),
    doubles: LOG_DOUBLES.map((k) => doubles[k]),
  });
  if (status >= 400 || durationMs >= SLOW_REQUEST_MS) {
    console.log(JSON.stringify({ level: status >= 500 ? "error" : "info", msg: "request", user: actor?.id ?? null, ...blobs, ...doubles }));
  }
};
