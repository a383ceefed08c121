import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../../env";

export class EventHub extends DurableObject<Bindings> {}
