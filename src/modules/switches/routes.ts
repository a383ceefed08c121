import { createRouter } from "../../platform/router";

/** Placeholder: filled in by the switches module. */
export const switchesRouter = createRouter();
