// Errors the CLI reports itself (besides the API's own ApiError and Unreachable from api.mjs).

/** Wrong arguments: exit code 2, with a pointer to --help. */
export class UsageError extends Error {
  constructor(message) {
    super(message);
    this.name = "UsageError";
    this.code = "USAGE";
  }
}

/** Something the CLI refuses or cannot do (no session running, not logged in, …): exit code 1. */
export class CliError extends Error {
  /** @param {string} message @param {{code?: string, hint?: string}} [opts] */
  constructor(message, { code = "CLI_ERROR", hint } = {}) {
    super(message);
    this.name = "CliError";
    this.code = code;
    this.hint = hint;
  }
}

export const EXIT = { OK: 0, ERROR: 1, USAGE: 2, UNREACHABLE: 3 };
