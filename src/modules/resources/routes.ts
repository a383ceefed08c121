import { createRouter } from "../../platform/router";

/** Placeholder: filled in by the resources module. */
export const resourcesRouter = createRouter();
