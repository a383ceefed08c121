import type { Bindings } from "../../env";

export async function runHourlyCron(_env: Bindings, _scheduledTime: number): Promise<void> {}
