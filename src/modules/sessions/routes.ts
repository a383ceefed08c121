import { createRouter } from "../../platform/router";

/** Placeholder: filled in by the sessions module. */
export const sessionsRouter = createRouter();
