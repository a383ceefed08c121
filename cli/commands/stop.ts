// devfocus stop: close the session; the API computes its focus time.
import { out, type Command } from "../lib/command.ts";
import { describeSession, journaled, nowIso, offlineText, record, requireSession, requireToken, sessRef } from "../lib/context.ts";
import type { TransitionOp } from "../lib/ops.ts";
import { duration, plural } from "../lib/output.ts";
import { focusNow } from "../lib/state.ts";

export const stop: Command = {
  name: "stop",
  group: "Session",
  summary: "Close the current session (computes its focus time)",
  usage: "devfocus stop",
  positionals: [0, 0],
  api: true,
  async run(ctx) {
    requireToken(ctx);
    const { session } = await requireSession(ctx);
    const op: TransitionOp = { op: "stop", session: sessRef(session), at: nowIso() };
    const r = await record(ctx, op);
    const { c } = ctx;
    if (r.mode === "online") {
      const d = r.result.session;
      ctx.state.update((s) => {
        s.session = null;
        s.last = { id: d.id, local: null, title: d.title, ended_at: d.ended_at, focus_minutes: d.total_focus_minutes, switch_count: d.switch_count };
      });
      const text = `${c.red("■")} Stopped ${c.bold(describeSession(d))} · ${duration(d.total_focus_minutes)} of focus · ${plural(d.switch_count, "switch", "switches")}.`;
      return out({ offline: false, session: d }, text);
    }
    const { focusMinutes } = focusNow(session, [], Date.parse(op.at));
    ctx.state.update((s) => {
      s.session = null;
      s.last = { id: session.id, local: session.local, title: session.title, ended_at: op.at, focus_minutes: focusMinutes };
    });
    const clock = await ctx.clock();
    const text = `${c.red("■")} Stopped ${c.bold(describeSession(session))} at ${clock(op.at)} · about ${duration(focusMinutes)} of focus.\n${offlineText(ctx, r)}`;
    return out(journaled(ctx, r.entry, op), text);
  },
};
