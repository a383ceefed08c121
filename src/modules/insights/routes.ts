import { createRouter } from "../../platform/router";

/** Placeholder: filled in by the insights module. */
export const insightsRouter = createRouter();
