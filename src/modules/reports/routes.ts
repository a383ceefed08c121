import { createRouter } from "../../platform/router";

/** Placeholder: filled in by the reports module. */
export const reportsRouter = createRouter();

/** Placeholder: filled in by the reports module. */
export const reportRequestsRouter = createRouter();
