import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { commonErrors, notFound, writeErrors } from "../../platform/errors";
import { bearer, createRouter, ctx, jsonBody, jsonContent } from "../../platform/router";
import { Id } from "../../platform/validators";
import { PING_INTERVAL_MS, RETRY_MS, SSE_HEADERS } from "./hub";
import { EVENT_TYPES } from "./publisher";
import { openStream, publishTeamEvent, SNAPSHOT_SIZE } from "./service";

const tags = ["events"];

const EventId = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const StreamQuery = z.object({
  team: Id.optional().openapi({ description: "A team id: stream the team's events (any member). Omit for your own events.", example: 1 }),
  last_event_id: EventId.optional().openapi({
    description: "Replay the kept events after this id. The `Last-Event-ID` header, when sent, takes precedence.",
    example: 42,
  }),
});

const StreamHeaders = z.object({
  "last-event-id": EventId.optional().openapi({
    description: "Sent by EventSource when it reconnects: replay the kept events after this id.",
    example: 42,
  }),
});

const stream = createRoute({
  method: "get",
  path: "/stream",
  tags,
  security: bearer,
  summary: "Live events of the caller, or of a team (Server-Sent Events)",
  description: [
    `Opens a \`text/event-stream\`. It starts with \`retry: ${RETRY_MS}\`, then an \`event: reports\` and an`,
    `\`event: insights\` frame whose data are the latest ${SNAPSHOT_SIZE} of each (JSON arrays, newest first),`,
    "then every kept event after `Last-Event-ID`, then live events as they happen.",
    `Each event is \`id: <seq>\`, \`event: <type>\`, \`data: <json>\`; a \`: ping\` comment comes every ${PING_INTERVAL_MS / 1000} s.`,
    `Types: ${EVENT_TYPES.map((t) => `\`${t}\``).join(", ")}. Each hub keeps its last 500 events of the last 24 h for replay.`,
  ].join(" "),
  request: { query: StreamQuery, headers: StreamHeaders },
  responses: {
    200: {
      description: "The event stream.",
      content: {
        "text/event-stream": {
          schema: z.string().openapi({
            example:
              'retry: 3000\n\nevent: reports\ndata: []\n\nevent: insights\ndata: []\n\nid: 7\nevent: report.created\ndata: {"id":12,"type":"DAILY"}\n\n',
          }),
        },
      },
    },
    ...commonErrors,
  },
});

/** Dev-only: lets the benchmark publish from outside the Worker. Off unless ENABLE_BENCH_ROUTES is "true". */
const BenchPublishBody = z.object({
  team: Id,
  type: z.enum(EVENT_TYPES),
  data: z.unknown(),
});
const benchPublish = createRoute({
  method: "post",
  path: "/_bench_publish",
  hide: true,
  tags,
  security: bearer,
  request: jsonBody(BenchPublishBody),
  responses: { 200: jsonContent(z.object({ ok: z.literal(true) }), "Published."), ...writeErrors },
});

interface BenchVars {
  ENABLE_BENCH_ROUTES?: string;
}

const benchRoutesOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  // Checked before validation, so a deployment without the var does not even reveal the route exists.
  if ((c.env as BenchVars).ENABLE_BENCH_ROUTES !== "true") throw notFound("Route");
  await next();
};

export const eventsRouter = createRouter();

eventsRouter.use("/_bench_publish", benchRoutesOnly);

eventsRouter
  .openapi(stream, async (c) => {
    const { team, last_event_id } = c.req.valid("query");
    const header = c.req.valid("header")["last-event-id"];
    if (team !== undefined) c.set("logTeam", team);
    const res = await openStream(ctx(c), { team, lastEventId: header ?? last_event_id ?? null });
    if (!res.ok || !res.body) throw new Error(`event hub refused the stream: ${res.status}`);
    // Through c.body, so the headers set by the app's middleware (X-Request-Id) are on the stream too.
    return c.body(res.body, 200, SSE_HEADERS);
  })
  .openapi(benchPublish, async (c) => {
    const { team, type, data } = c.req.valid("json");
    c.set("logTeam", team);
    return c.json(await publishTeamEvent(ctx(c), { team, type, data }), 200);
  });
