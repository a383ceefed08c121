import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../../env";

/** Placeholder until the events module lands: accepts and drops events. */
export class EventHub extends DurableObject<Bindings> {
  async publish(_event: { type: string; data: unknown }): Promise<void> {}
}
