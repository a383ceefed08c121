// devfocus pause / devfocus resume
import { out, type Command } from "../lib/command.ts";
import { describeSession, journaled, nowIso, offlineText, record, requireSession, requireToken, sessRef } from "../lib/context.ts";
import { CliError } from "../lib/errors.ts";
import type { TransitionOp } from "../lib/ops.ts";

function pauseOrResume(action: "pause" | "resume"): Command["run"] {
  return async (ctx) => {
    requireToken(ctx);
    const cur = await requireSession(ctx);
    const { session } = cur;
    const want = action === "pause" ? "OPEN" : "PAUSED";
    // Online, the API is the judge (and its message is shown); offline, the local record is.
    if ((cur.unreachable || !session.id) && session.status !== want) {
      throw new CliError(`Cannot ${action} a session that is ${session.status} (local record).`, { code: "CONFLICT" });
    }
    const op: TransitionOp = { op: action, session: sessRef(session), at: nowIso() };
    const r = await record(ctx, op);
    const { c } = ctx;
    const at = r.mode === "online" ? r.result.session.updated_at : op.at;
    ctx.state.update((s) => {
      if (!s.session) return;
      s.session.status = action === "pause" ? "PAUSED" : "OPEN";
      if (action === "pause") s.session.pauses.push({ from: at, to: null });
      else for (const p of s.session.pauses) if (!p.to) p.to = at;
    });
    const clock = await ctx.clock();
    const mark = action === "pause" ? c.yellow("❚❚ Paused") : c.green("▶ Resumed");
    const head = `${mark} ${describeSession(r.mode === "online" ? r.result.session : session)} at ${clock(at)}.`;
    if (r.mode === "online") return out({ offline: false, session: r.result.session }, head);
    return out(journaled(ctx, r.entry, op), `${head}\n${offlineText(ctx, r)}`);
  };
}

export const pause: Command = {
  name: "pause",
  group: "Session",
  summary: "Pause the current session",
  usage: "devfocus pause",
  positionals: [0, 0],
  api: true,
  run: pauseOrResume("pause"),
};

export const resume: Command = {
  name: "resume",
  group: "Session",
  summary: "Resume the paused session",
  usage: "devfocus resume",
  positionals: [0, 0],
  api: true,
  run: pauseOrResume("resume"),
};
