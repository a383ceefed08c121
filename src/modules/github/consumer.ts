import type { Bindings } from "../../env";

/** One page of one import job; the token travels only here, never in D1 or logs. */
export interface ImportPageMessage {
  kind: "import_page";
  jobId: number;
  page: number;
  token?: string;
}

/** Placeholder until the GitHub module lands. */
export async function consumeImportPages(batch: MessageBatch<ImportPageMessage>, _env: Bindings): Promise<void> {
  batch.retryAll();
}

export async function failImportFromDeadLetter(_env: Bindings, _msg: ImportPageMessage): Promise<void> {}
