import type { Bindings } from "./env";
import { consumeImportPages, failImportFromDeadLetter } from "./modules/github/consumer";
import { consumeInsights, consumeReports, failReportFromDeadLetter } from "./modules/reports/consumer";
import { QUEUES, type QueueMessage } from "./platform/queue-messages";

type Consumer = (batch: MessageBatch<QueueMessage>, env: Bindings, ctx: ExecutionContext) => Promise<void>;

/** Messages that exhausted their retries: record the failure on the job they belonged to, then ack. */
async function consumeDeadLetters(batch: MessageBatch<QueueMessage>, env: Bindings) {
  for (const msg of batch.messages) {
    const body = msg.body;
    try {
      if (body.kind === "report_request" || body.kind === "scheduled_report" || body.kind === "insights") {
        await failReportFromDeadLetter(env, body);
      } else if (body.kind === "import_page") {
        await failImportFromDeadLetter(env, body);
      }
      msg.ack();
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "dead letter handling failed", kind: body.kind, error: String(err) }));
      msg.retry({ delaySeconds: 30 });
    }
  }
}

const consumers: Record<string, Consumer> = {
  [QUEUES.reports]: consumeReports as Consumer,
  [QUEUES.insights]: consumeInsights as Consumer,
  [QUEUES.githubImport]: consumeImportPages as Consumer,
  [QUEUES.deadLetter]: consumeDeadLetters,
};

/** The kinds of message each queue carries. */
const KINDS: Record<string, readonly QueueMessage["kind"][]> = {
  [QUEUES.reports]: ["report_request", "scheduled_report"],
  [QUEUES.insights]: ["insights"],
  [QUEUES.githubImport]: ["import_page"],
  [QUEUES.deadLetter]: ["report_request", "scheduled_report", "insights", "import_page"],
};

export async function handleQueueBatch(batch: MessageBatch<unknown>, env: Bindings, ctx: ExecutionContext) {
  const consumer = consumers[batch.queue];
  if (!consumer) {
    console.error(JSON.stringify({ level: "error", msg: "no consumer for queue", queue: batch.queue }));
    batch.retryAll();
    return;
  }
  // A message without an object body of a known kind can never succeed: logged (never its body, which may
  // hold a token) and acked. Before, a null body threw inside the consumers' own error handling and the
  // whole batch failed, its good messages unprocessed, redelivered until the dead-letter queue.
  const kinds = KINDS[batch.queue]!;
  const wellFormed: Message<QueueMessage>[] = [];
  for (const msg of batch.messages) {
    const body = msg.body as { kind?: unknown } | null;
    if (typeof body === "object" && body !== null && kinds.includes(body.kind as QueueMessage["kind"])) {
      wellFormed.push(msg as Message<QueueMessage>);
    } else {
      console.error(JSON.stringify({ level: "error", msg: "malformed queue message dropped", queue: batch.queue, id: msg.id, attempts: msg.attempts }));
      msg.ack();
    }
  }
  if (!wellFormed.length) return;
  const checked: MessageBatch<QueueMessage> = {
    queue: batch.queue,
    messages: wellFormed,
    metadata: batch.metadata,
    ackAll: () => wellFormed.forEach((m) => m.ack()),
    retryAll: (options?: QueueRetryOptions) => wellFormed.forEach((m) => m.retry(options)),
  };
  await consumer(checked, env, ctx);
}
