import { createRouter } from "../../platform/router";

/** Placeholder: filled in by the tasks module. */
export const tasksRouter = createRouter();
