import { createRouter } from "../../platform/router";

/** Placeholder: filled in by the events module. */
export const eventsRouter = createRouter();
