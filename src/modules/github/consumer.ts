import type { Bindings } from "../../env";
import { backoffSeconds, type ImportPageMessage } from "../../platform/queue-messages";
import { classifyPageError } from "./github-api";
import { failJob, getJobRow, importPage, noteRetry, type PageReport } from "./import-page";


const log = (level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown>) =>
  (level === "info" ? console.log : level === "warn" ? console.warn : console.error)(JSON.stringify({ level, msg, ...fields }));

/**
 * The github-import queue: each message imports one page and queues the next. Each message is acked or
 * retried on its own; GitHub's answer decides between failing the job, waiting for a rate-limit reset,
 * and backing off (after the queue's max_retries the dead-letter consumer fails the job).
 */
export async function consumeImportPages(batch: MessageBatch<ImportPageMessage>, env: Bindings): Promise<void> {
  await Promise.all(batch.messages.map((msg) => consumeOne(msg, env)));
}

async function consumeOne(msg: Message<ImportPageMessage>, env: Bindings) {
  const { jobId, page } = msg.body;
  let report: PageReport;
  try {
    report = await importPage(env, msg.body);
  } catch (err) {
    const failure = classifyPageError(err, Date.now());
    // Only our own wording and GitHub's status reach the log: never the message body (it holds the token).
    log(failure.action === "fail" ? "warn" : "error", "import page failed", {
      job: jobId,
      page,
      attempts: msg.attempts,
      action: failure.action,
      reason: failure.message,
      error: err instanceof Error && err.name !== "HttpError" ? `${err.name}: ${err.message}` : undefined,
    });
    try {
      if (failure.action === "fail") {
        await failJob(env, jobId, failure.message);
        msg.ack();
        return;
      }
      const delaySeconds = failure.delaySeconds ?? backoffSeconds(msg.attempts);
      const until = new Date(Date.now() + delaySeconds * 1000).toISOString();
      await noteRetry(env, jobId, `Page ${page}: ${failure.message}; retrying at ${until}.`);
      msg.retry({ delaySeconds });
    } catch (bookkeeping) {
      log("error", "import failure bookkeeping failed", { job: jobId, page, error: String(bookkeeping) });
      msg.retry({ delaySeconds: backoffSeconds(msg.attempts) });
    }
    return;
  }
  log("info", "import page", {
    job: jobId,
    page,
    imported: report.imported,
    issues: report.issues,
    pull_requests: report.pullRequests,
    d1_statements: report.statements,
    d1_rows_written: report.rowsWritten,
    github_ms: Math.round(report.githubMs * 10) / 10,
    d1_ms: Math.round(report.d1Ms * 10) / 10,
  });
  msg.ack();
}

/** A page that exhausted its retries: the job stops as FAILED, saying what went wrong last. */
export async function failImportFromDeadLetter(env: Bindings, msg: ImportPageMessage): Promise<void> {
  const job = await getJobRow(env, msg.jobId);
  if (!job) return;
  const last = job.errorMessage ? ` Last error: ${job.errorMessage.replace(/; retrying at .*$/, ".")}` : "";
  await failJob(
    env,
    msg.jobId,
    `Page ${msg.page} could not be imported after repeated attempts; the import stopped.${last} Start the import again to resume: pages already imported are updated, not duplicated.`,
  );
}
