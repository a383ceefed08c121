/**
 * What travels on the queues, and how consumers back off: a leaf module (it imports nothing), so the
 * producers (routes, the cron), the consumers and the dispatcher in src/queues.ts all depend on it and
 * never on each other.
 */

/** Queue names, as in wrangler.toml. */
export const QUEUES = {
  reports: "devfocus-reports",
  insights: "devfocus-insights",
  githubImport: "devfocus-github-import",
  deadLetter: "devfocus-dlq",
} as const;

export type ReportMessage =
  | { kind: "report_request"; requestId: number }
  | { kind: "scheduled_report"; userId: number; type: "DAILY" | "WEEKLY"; day: string };

export interface InsightsMessage {
  kind: "insights";
  reportId: number;
}

/** One page of one import job; the token travels only here, never in D1 or logs. */
export interface ImportPageMessage {
  kind: "import_page";
  jobId: number;
  page: number;
  token?: string;
}

/** Every message says what it is, so the dead-letter consumer can tell whose work failed for good. */
export type QueueMessage = ReportMessage | InsightsMessage | ImportPageMessage;

/** Retry delay for the n-th attempt: 2^n seconds, capped at the platform's 12 hours. */
export const backoffSeconds = (attempts: number) => Math.min(2 ** attempts, 12 * 60 * 60);
