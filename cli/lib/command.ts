// What a command is: its place in --help, its options, and `run`. cli/commands/index.ts lists them all.
import type { Context } from "./context.ts";
import type { Output } from "./errors.ts";

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** the value's placeholder in help, e.g. "<id>" */
  arg?: string;
  desc?: string;
  hidden?: boolean;
}

/** Parsed arguments: the options' values and the positionals. */
export class Args {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];

  constructor(values: Record<string, string | boolean | undefined>, positionals: string[]) {
    this.values = values;
    this.positionals = positionals;
  }

  string(name: string): string | undefined {
    const v = this.values[name];
    return typeof v === "string" ? v : undefined;
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }
}

export type Group = "Account" | "Session" | "Tasks & reports" | "Offline" | "Git" | "Editors";

export interface Command {
  name: string;
  group: Group;
  summary: string;
  usage: string;
  description?: string;
  options?: Record<string, OptionSpec>;
  /** how many positionals it takes: [min, max] */
  positionals?: readonly [number, number];
  /** it reads or records through the API, so the offline journal is replayed before it runs */
  api?: boolean | ((args: Args) => boolean);
  hidden?: boolean;
  /** nothing returned: the command printed what it had to (watch) */
  run(ctx: Context, args: Args): Promise<Output | undefined>;
}

export const out = (json: unknown, text: string): Output => ({ json, text });

export const teamOption: OptionSpec = { type: "string", arg: "<slug|id>", desc: "A team you belong to" };
