import { createRouter } from "../../platform/router";

/** Placeholder: filled in by the github module. */
export const importGithubRouter = createRouter();

/** Placeholder: filled in by the github module. */
export const importsRouter = createRouter();
