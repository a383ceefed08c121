// devfocus start "<title>" [--task …] [--team …]
import { out, teamOption, type Command } from "../lib/command.ts";
import { currentSession, describeSession, journaled, newLocalId, nowIso, offlineText, record, requireToken } from "../lib/context.ts";
import { CliError, UsageError } from "../lib/errors.ts";
import type { StartOp } from "../lib/ops.ts";
import { sessionFromApi } from "../lib/state.ts";
import { describeRef, gitCurrentBranch, gitOriginRepo, parseBranch, parseTaskArg, refOf, type TaskRef } from "../lib/tasks.ts";

export const start: Command = {
  name: "start",
  group: "Session",
  summary: "Start a session (attaching its task as MAIN)",
  usage: 'devfocus start "<title>" [--task <id|owner/repo#n>] [--team <slug>]',
  description: "Without --task, inside a git repository on a task branch (42-fix-login, gh-42, task-17, …), that branch's task is attached.",
  options: { task: { type: "string", arg: "<id|owner/repo#n>", desc: "The task you start on (attached as MAIN)" }, team: teamOption },
  positionals: [0, Infinity],
  api: true,
  async run(ctx, args) {
    const title = args.positionals.join(" ").trim();
    if (!title) throw new UsageError('Give the session a title: devfocus start "Fix the login redirect"');
    requireToken(ctx);
    const cur = await currentSession(ctx);
    if (cur.session) {
      const clock = await ctx.clock();
      throw new CliError(`A session is already running: ${describeSession(cur.session)}, started ${clock(cur.session.started_at)}.`, {
        code: "SESSION_RUNNING",
        hint: "Stop it first with `devfocus stop`.",
      });
    }
    let task: TaskRef | null = null;
    let branch: string | null = null;
    const taskArg = args.string("task");
    if (taskArg) task = parseTaskArg(taskArg);
    else {
      branch = gitCurrentBranch(ctx.cwd);
      const parsed = branch ? parseBranch(branch, gitOriginRepo(ctx.cwd)) : null;
      if (parsed) task = { label: parsed.label, candidates: parsed.candidates, soft: true };
      else branch = null;
    }
    const op: StartOp = { op: "start", local: newLocalId(), title, team: args.string("team") ?? null, task, at: nowIso() };
    const r = await record(ctx, op);
    const { c } = ctx;
    const clock = await ctx.clock();
    if (r.mode === "online") {
      const { session, task: resolved, attachQueued } = r.result;
      const local = sessionFromApi(session);
      if (resolved) local.task = refOf(resolved, task?.label);
      else if (attachQueued && task) local.task = task;
      ctx.state.update((s) => {
        s.session = local;
      });
      const lines = [`${c.green("▶")} Started ${c.bold(describeSession(session))} at ${clock(session.started_at)}${session.team ? c.dim(` · team ${session.team}`) : ""}.`];
      if (resolved) {
        const key = resolved.external_key ? c.dim(` (${resolved.external_key})`) : "";
        lines.push(`  task ${describeRef(refOf(resolved))}${key} ${c.dim("MAIN")}${branch ? c.dim(` — from branch ${branch}`) : ""}`);
      } else if (branch) lines.push(c.dim(`  branch ${branch} names no task you can see; no task attached.`));
      if (attachQueued) lines.push(c.yellow("  The API went away before the task was attached: that is journaled and will follow."));
      return out({ offline: false, session, task: resolved }, lines.join("\n"));
    }
    ctx.state.update((s) => {
      s.session = { id: null, local: op.local, title, team: op.team, started_at: op.at, status: "OPEN", pauses: [], task, tasks: task ? [{ ...task, role: "MAIN" }] : [] };
    });
    const text = `${c.green("▶")} Started ${c.bold(`"${title}"`)} at ${clock(op.at)}${task ? ` on ${describeRef(task)}` : ""}.\n${offlineText(ctx, r)}`;
    return out(journaled(ctx, r.entry, op), text);
  },
};
