// devfocus sync: replay the offline journal now.
import { ApiError, Unreachable } from "../lib/api.ts";
import { out, type Command } from "../lib/command.ts";
import { describeOp, errorText, requireToken, syncJournal } from "../lib/context.ts";
import { CliError, EXIT } from "../lib/errors.ts";
import type { OpResult } from "../lib/ops.ts";
import { plural } from "../lib/output.ts";

/** What a replayed action produced, in a few ids (for --json). */
function summarize(result: OpResult) {
  if ("skipped" in result && result.skipped) return { skipped: result.skipped };
  if ("switch" in result && result.switch) return { switch: result.switch.id };
  if ("resource" in result) return { resource: result.resource.id };
  if ("session" in result && result.session) return { session: result.session.id, status: result.session.status };
  return null;
}

function resultNote(result: OpResult): string {
  if ("skipped" in result && result.skipped) return ` — skipped: ${result.skipped}`;
  if ("switch" in result && result.switch) return ` → switch #${result.switch.id}`;
  if ("resource" in result) return ` → resource #${result.resource.id}`;
  if ("session" in result && result.session) {
    const already = "already" in result && result.already ? " (already done)" : "";
    const warning = "warning" in result && result.warning ? ` — ${result.warning}` : "";
    return ` → session #${result.session.id}${already}${warning}`;
  }
  return "";
}

export const sync: Command = {
  name: "sync",
  group: "Offline",
  summary: "Replay the offline journal now (also tried before every command)",
  usage: "devfocus sync",
  description: "Actions recorded while the API was unreachable are replayed in order, once, with their real timestamps.",
  positionals: [0, 0],
  async run(ctx) {
    const { c } = ctx;
    if (!ctx.journal.count()) return out({ replayed: [], failed: [], remaining: 0 }, c.dim("Journal empty: nothing to replay."));
    requireToken(ctx);
    const r = await syncJournal(ctx, { waitMs: 15_000, quiet: true });
    const clock = await ctx.clock();
    const json = {
      replayed: r.replayed.map(({ entry, result }) => ({ seq: entry.seq, op: entry.op, result: summarize(result) })),
      failed: r.failed.map(({ entry, error }) => ({ seq: entry.seq, op: entry.op, error: error instanceof ApiError ? error.toJSON() : { message: error.message } })),
      remaining: r.remaining,
      busy: r.busy,
    };
    const lines: string[] = [];
    for (const { entry, result } of r.replayed) lines.push(`${c.green("✓")} ${describeOp(entry.op, clock)}${resultNote(result)}`);
    for (const { entry, error } of r.failed) lines.push(`${c.red("✗")} ${describeOp(entry.op, clock)}: ${errorText(error)}`);
    if (r.busy) lines.push(c.yellow(`Another devfocus is replaying the journal right now (${r.remaining} waiting).`));
    if (r.stopped) {
      const err = r.stopped;
      const e =
        err instanceof Unreachable
          ? new CliError(`${err.message} ${plural(r.remaining, "action")} still waiting in the journal.`, { code: "UNREACHABLE", exitCode: EXIT.UNREACHABLE })
          : err instanceof CliError
            ? err
            : new CliError(err.message);
      e.partial = out(json, lines.join("\n"));
      throw e;
    }
    lines.push(c.dim(`Replayed ${r.replayed.length}, refused ${r.failed.length}, waiting ${r.remaining}.`));
    return { ...out(json, lines.join("\n")), exitCode: r.failed.length ? EXIT.ERROR : EXIT.OK };
  },
};
