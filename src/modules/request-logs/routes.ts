import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, commonErrors, errorResponse } from "../../platform/errors";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../../platform/pagination";
import { LOG_BLOBS, LOG_DOUBLES } from "../../platform/request-log";
import { bearer, createRouter, jsonContent } from "../../platform/router";

/** The Analytics Engine dataset the Worker writes to (wrangler.toml `analytics_engine_datasets`). */
export const REQUEST_LOG_DATASET = "devfocus_requests";
const SQL_API = (account: string) => `https://api.cloudflare.com/client/v4/accounts/${account}/analytics_engine/sql`;

const LogEntry = z
  .object({
    timestamp: z.string(),
    method: z.string(),
    route: z.string(),
    path: z.string(),
    status: z.number(),
    duration_ms: z.number(),
    response_bytes: z.number(),
    request_id: z.string(),
    colo: z.string(),
    team: z.string(),
  })
  .openapi("RequestLogEntry");

const Query = z.object({
  page_size: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: z.iso.datetime().optional().openapi({ description: "Timestamp of the last row of the previous page." }),
});

const listRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["request-logs"],
  security: bearer,
  summary: "The caller's own API requests, newest first (from Analytics Engine; sampled)",
  request: { query: Query },
  responses: {
    200: jsonContent(z.object({ results: z.array(LogEntry), next: z.string().nullable() }), "Requests."),
    ...commonErrors,
    502: errorResponse("The Analytics Engine SQL API failed."),
    503: errorResponse("CF_ACCOUNT_ID / CF_ANALYTICS_API_TOKEN are not configured."),
  },
});

const blob = (name: (typeof LOG_BLOBS)[number]) => `blob${LOG_BLOBS.indexOf(name) + 1}`;
const double = (name: (typeof LOG_DOUBLES)[number]) => `double${LOG_DOUBLES.indexOf(name) + 1}`;

/** Analytics Engine SQL has no bound parameters: every interpolated value is validated to digits or an ISO timestamp first. */
function buildSql(userId: number, limit: number, before?: string) {
  const cursor = before ? `AND timestamp < toDateTime('${before.slice(0, 19).replace("T", " ")}')` : "";
  return `SELECT timestamp, ${blob("method")} AS method, ${blob("route")} AS route, ${blob("path")} AS path,
  ${double("status")} AS status, ${double("duration_ms")} AS duration_ms, ${double("response_bytes")} AS response_bytes,
  ${blob("request_id")} AS request_id, ${blob("colo")} AS colo, ${blob("team")} AS team
FROM ${REQUEST_LOG_DATASET}
WHERE index1 = '${userId}' AND timestamp > NOW() - INTERVAL '30' DAY ${cursor}
ORDER BY timestamp DESC
LIMIT ${limit}
FORMAT JSON`;
}

interface SqlRow {
  timestamp: string;
  method: string;
  route: string;
  path: string;
  status: number | string;
  duration_ms: number | string;
  response_bytes: number | string;
  request_id: string;
  colo: string;
  team: string;
}

export const requestLogsRouter = createRouter().openapi(listRoute, async (c) => {
  const { CF_ACCOUNT_ID: account, CF_ANALYTICS_API_TOKEN: apiToken } = c.env;
  if (!account || !apiToken) {
    throw new ApiError(
      "SERVICE_UNAVAILABLE",
      "Request logs are not configured: set the CF_ACCOUNT_ID and CF_ANALYTICS_API_TOKEN secrets.",
    );
  }
  const { page_size, cursor } = c.req.valid("query");
  const res = await fetch(SQL_API(account), {
    method: "POST",
    headers: { Authorization: `Bearer ${apiToken}` },
    body: buildSql(c.var.actor.id, page_size + 1, cursor),
  });
  if (!res.ok) {
    console.error(JSON.stringify({ level: "error", msg: "analytics sql failed", status: res.status, request_id: c.var.requestId }));
    throw new ApiError("UPSTREAM_FAILED", "The Analytics Engine SQL API failed; try again later.");
  }
  const { data } = (await res.json()) as { data: SqlRow[] };
  const rows = data.slice(0, page_size).map((r) => ({
    timestamp: new Date(r.timestamp.replace(" ", "T") + (r.timestamp.endsWith("Z") ? "" : "Z")).toISOString(),
    method: r.method,
    route: r.route,
    path: r.path,
    status: Number(r.status),
    duration_ms: Number(r.duration_ms),
    response_bytes: Number(r.response_bytes),
    request_id: r.request_id,
    colo: r.colo,
    team: r.team,
  }));
  let next: string | null = null;
  if (data.length > page_size && rows.length) {
    const url = new URL(c.req.url);
    url.searchParams.set("cursor", rows[rows.length - 1]!.timestamp);
    next = url.toString();
  }
  return c.json({ results: rows, next }, 200);
});
