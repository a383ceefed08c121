import type { Bindings } from "./env";
import { consumeImportPages, failImportFromDeadLetter, type ImportPageMessage } from "./modules/github/consumer";
import {
  consumeInsights,
  consumeReports,
  failReportFromDeadLetter,
  type InsightsMessage,
  type ReportMessage,
} from "./modules/reports/consumer";

/** Queue names, as in wrangler.toml. */
export const QUEUES = {
  reports: "devfocus-reports",
  insights: "devfocus-insights",
  githubImport: "devfocus-github-import",
  deadLetter: "devfocus-dlq",
} as const;

/** Every message says what it is, so the dead-letter consumer can tell whose work failed for good. */
export type QueueMessage = ReportMessage | InsightsMessage | ImportPageMessage;

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

export async function handleQueueBatch(batch: MessageBatch<unknown>, env: Bindings, ctx: ExecutionContext) {
  const consumer = consumers[batch.queue];
  if (!consumer) {
    console.error(JSON.stringify({ level: "error", msg: "no consumer for queue", queue: batch.queue }));
    batch.retryAll();
    return;
  }
  await consumer(batch as MessageBatch<QueueMessage>, env, ctx);
}

/** Retry delay for the n-th attempt: 2^n seconds, capped at the platform's 12 hours. */
export const backoffSeconds = (attempts: number) => Math.min(2 ** attempts, 12 * 60 * 60);
