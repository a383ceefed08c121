import type { Bindings } from "../../env";

export type ReportMessage =
  | { kind: "report_request"; requestId: number }
  | { kind: "scheduled_report"; userId: number; type: "DAILY" | "WEEKLY"; day: string };
export interface InsightsMessage {
  kind: "insights";
  reportId: number;
}

/** Placeholder until the reports module lands. */
export async function consumeReports(batch: MessageBatch<ReportMessage>, _env: Bindings): Promise<void> {
  batch.retryAll();
}
export async function consumeInsights(batch: MessageBatch<InsightsMessage>, _env: Bindings): Promise<void> {
  batch.retryAll();
}
export async function failReportFromDeadLetter(_env: Bindings, _msg: ReportMessage | InsightsMessage): Promise<void> {}
