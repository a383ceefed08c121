import { app } from "./app";
import type { Bindings } from "./env";
import { handleQueueBatch } from "./queues";
import { runHourlyCron } from "./modules/reports/cron";

export { EventHub } from "./modules/events/hub";

export default {
  fetch: app.fetch,
  queue: (batch, env, ctx) => handleQueueBatch(batch, env, ctx),
  scheduled: (controller, env, ctx) => {
    ctx.waitUntil(runHourlyCron(env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Bindings>;
