// devfocus switch [--to <task>] [--reason …] [--note …]: a context switch in the running session.
import { createContextSwitchRequestReasonValues as REASONS } from "../../client/index.ts";
import { out, type Command } from "../lib/command.ts";
import { journaled, nowIso, offlineText, record, requireSession, requireToken, sessRef } from "../lib/context.ts";
import { UsageError } from "../lib/errors.ts";
import type { SwitchOp } from "../lib/ops.ts";
import { oneOf } from "../lib/output.ts";
import type { LocalSession, TaskRole } from "../lib/state.ts";
import { describeRef, parseTaskArg, refOf, type SwitchReason, type TaskRef } from "../lib/tasks.ts";

/** "interrupt", "quick-fix", "Quick fix" → the API's value; undefined (the API's default) when not given. */
function normReason(value: string | undefined): SwitchReason | undefined {
  if (value === undefined) return undefined;
  const r = value.trim().toUpperCase().replace(/[-\s]/g, "_");
  const hit = REASONS.find((x) => x === r);
  if (!hit) throw new UsageError(`--reason must be one of ${REASONS.join(", ")} (got "${value}").`);
  return hit;
}

/** The session's current task becomes `to` (null: on no task), and `to` joins its tasks. */
export function switchedTo(session: LocalSession, to: TaskRef | null, role: TaskRole = "SIDE"): void {
  session.task = to;
  if (to && !session.tasks.some((t) => (to.id ? t.id === to.id : !t.id && t.label === to.label))) session.tasks.push({ ...to, role });
}

export const switchTask: Command = {
  name: "switch",
  group: "Session",
  summary: "Record a context switch (to another task, or away to none)",
  usage: `devfocus switch [--to <id|owner/repo#n>] [--reason ${REASONS.join("|")}] [--note <text>]`,
  description:
    "The switch is from the task you are on (the last one started or switched to) to --to.\n" +
    "Without --to it records a switch to no task (a meeting, an interruption): say why with --reason and/or --note.",
  options: {
    to: { type: "string", arg: "<id|owner/repo#n>", desc: "The task you switch to (none: away from your task)" },
    reason: { type: "string", arg: "<reason>", desc: oneOf(REASONS) },
    note: { type: "string", arg: "<text>", desc: "Why, in a few words" },
  },
  positionals: [0, 1],
  api: true,
  async run(ctx, args) {
    const target = args.string("to") ?? args.positionals[0];
    const reason = normReason(args.string("reason"));
    const note = args.string("note") ?? "";
    if (!target && !reason && !note) {
      throw new UsageError("Where to, or why? devfocus switch --to <id|owner/repo#n>, or --reason/--note for a switch to no task.");
    }
    const to = target ? parseTaskArg(target) : null;
    requireToken(ctx);
    const { session } = await requireSession(ctx);
    const from = session.task;
    const op: SwitchOp = { op: "switch", session: sessRef(session), from, to, reason, note, at: nowIso() };
    const r = await record(ctx, op);
    const { c } = ctx;
    const clock = await ctx.clock();
    const noTarget = to ? "" : `\n${c.dim("  Recorded with no target task; `devfocus switch --to <task>` when you are on one again.")}`;
    if (r.mode === "online") {
      const { switch: sw, skipped } = r.result;
      if (skipped || !sw) return out({ offline: false, skipped }, c.dim(`Nothing recorded: ${skipped}.`));
      const ref = r.result.to ? refOf(r.result.to, to?.label) : null;
      ctx.state.update((s) => {
        if (s.session) switchedTo(s.session, ref);
      });
      const fromText = describeRef(r.result.from ? refOf(r.result.from) : null);
      const toText = ref ? c.bold(describeRef(ref)) : c.bold("no task");
      const text = `${c.magenta("⇄")} ${fromText} → ${toText} · ${sw.reason}${sw.note ? c.dim(` · “${sw.note}”`) : ""} ${c.dim(`at ${clock(sw.happened_at)}`)}${noTarget}`;
      return out({ offline: false, switch: sw, from: r.result.from, to: r.result.to }, text);
    }
    ctx.state.update((s) => {
      if (s.session) switchedTo(s.session, to);
    });
    const text = `${c.magenta("⇄")} ${describeRef(from)} → ${c.bold(to ? describeRef(to) : "no task")}${reason ? ` · ${reason}` : ""} at ${clock(op.at)}.${noTarget}\n${offlineText(ctx, r)}`;
    return out(journaled(ctx, r.entry, op), text);
  },
};
