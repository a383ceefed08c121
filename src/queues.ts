import type { Bindings } from "./env";

export type QueueHandler = (batch: MessageBatch<unknown>, env: Bindings, ctx: ExecutionContext) => Promise<void>;

/** Consumers by queue name (wrangler.toml `queues.consumers`). */
const handlers: Record<string, QueueHandler> = {};

export function registerQueueHandler(queue: string, handler: QueueHandler) {
  handlers[queue] = handler;
}

export async function handleQueueBatch(batch: MessageBatch<unknown>, env: Bindings, ctx: ExecutionContext) {
  const handler = handlers[batch.queue];
  if (!handler) {
    console.error(JSON.stringify({ level: "error", msg: "no consumer for queue", queue: batch.queue }));
    batch.retryAll();
    return;
  }
  await handler(batch, env, ctx);
}
