import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../platform/router";

const health = createRoute({
  method: "get",
  path: "/",
  tags: ["health"],
  summary: "Liveness check (no token needed)",
  responses: {
    200: {
      description: "The API is up.",
      content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } },
    },
  },
});

export const healthRouter = createRouter().openapi(health, (c) => c.json({ status: "ok" as const }, 200));
