import type { Bindings } from "../../env";
import { backoffSeconds, type InsightsMessage, type ReportMessage } from "../../platform/queue-messages";
import { failRequest, recordRequestFailure, REPORT_MAX_ATTEMPTS, reportById, runReportRequest, runScheduledReport } from "./requests";
import { generateInsights } from "./generate";


const errorText = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/** Each message is acked or retried on its own, with exponential backoff. */
export async function consumeReports(batch: MessageBatch<ReportMessage>, env: Bindings): Promise<void> {
  for (const msg of batch.messages) {
    const body = msg.body;
    try {
      if (body.kind === "report_request") await runReportRequest(env, body.requestId, msg.attempts);
      else await runScheduledReport(env, body);
      msg.ack();
    } catch (err) {
      const final = msg.attempts >= REPORT_MAX_ATTEMPTS;
      console.error(JSON.stringify({ level: "error", msg: "report message failed", kind: body.kind, attempts: msg.attempts, final, error: errorText(err) }));
      if (body.kind === "report_request") {
        await recordRequestFailure(env, body.requestId, msg.attempts, errorText(err), final).catch(() => undefined);
      }
      if (final && body.kind === "report_request") msg.ack();
      else msg.retry({ delaySeconds: backoffSeconds(msg.attempts) });
    }
  }
}

export async function consumeInsights(batch: MessageBatch<InsightsMessage>, env: Bindings): Promise<void> {
  for (const msg of batch.messages) {
    try {
      const { db, report } = await reportById(env, msg.body.reportId);
      if (report) await generateInsights(env, db, report);
      msg.ack();
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "insights message failed", attempts: msg.attempts, error: errorText(err) }));
      msg.retry({ delaySeconds: backoffSeconds(msg.attempts) });
    }
  }
}

/** A report message that exhausted its retries: its request (if any) is FAILED for good. */
export async function failReportFromDeadLetter(env: Bindings, msg: ReportMessage | InsightsMessage): Promise<void> {
  if (msg.kind === "report_request") {
    await failRequest(env, msg.requestId, "The report could not be generated after every retry.");
  } else {
    console.error(JSON.stringify({ level: "error", msg: "report work dead-lettered", kind: msg.kind }));
  }
}
