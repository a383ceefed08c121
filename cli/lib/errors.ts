// The failures the CLI reports. Every one carries a code (for --json), maybe a hint, its exit code, and
// maybe the output of the part that succeeded (`sync` replays some actions, then stops).

export const EXIT = { OK: 0, ERROR: 1, USAGE: 2, UNREACHABLE: 3 } as const;

/** What a command prints: `json` with --json, `text` otherwise. */
export interface Output {
  json: unknown;
  text: string;
  exitCode?: number;
}

export interface CliErrorOptions {
  code?: string;
  hint?: string;
  exitCode?: number;
}

/** Something the CLI refuses or cannot do (no session running, not logged in, …): exit code 1. */
export class CliError extends Error {
  override name = "CliError";
  code: string;
  hint: string | undefined;
  exitCode: number;
  partial: Output | undefined;

  constructor(message: string, { code = "CLI_ERROR", hint, exitCode = EXIT.ERROR }: CliErrorOptions = {}) {
    super(message);
    this.code = code;
    this.hint = hint;
    this.exitCode = exitCode;
  }
}

/** Wrong arguments: exit code 2, with a pointer to --help. */
export class UsageError extends CliError {
  override name = "UsageError";

  constructor(message: string) {
    super(message, { code: "USAGE", exitCode: EXIT.USAGE });
  }
}
