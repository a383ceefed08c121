// devfocus hook install | uninstall | status — and `hook run`, what the installed hook calls.
import { fileURLToPath } from "node:url";
import { out, type Command } from "../lib/command.ts";
import { describeOp, errorText, hookLog, record, sessRef, type Context } from "../lib/context.ts";
import { UsageError } from "../lib/errors.ts";
import { acquireLock, type Release } from "../lib/files.ts";
import { hookStatus, installHook, uninstallHook } from "../lib/hook.ts";
import type { AttachOp, SwitchOp } from "../lib/ops.ts";
import { gitOriginRepo, gitTopLevel, parseBranch, refOf, type TaskRef } from "../lib/tasks.ts";
import { switchedTo } from "./switch.ts";

/** This program: the bundle `devfocus` runs (the hook calls it with the same node). */
const CLI_PATH = fileURLToPath(import.meta.url);

/** Called by the hook, in the background: never prints, never fails. */
async function hookRun(ctx: Context, from: string, to: string) {
  const at = new Date().toISOString();
  const log = (msg: string) => hookLog(ctx, `${at} ${from || "-"} → ${to || "-"}: ${msg}`);
  // Whatever happens, this process is gone soon.
  setTimeout(() => process.exit(0), Number(ctx.env.DEVFOCUS_HOOK_DEADLINE_MS) || 20_000).unref();
  ctx.settings.timeoutMs = Number(ctx.env.DEVFOCUS_HOOK_TIMEOUT_MS) || 3000;
  ctx.resetApi();
  let release: Release | null = null;
  try {
    if (!to || from === to) return out({ skipped: "no branch change" }, "");
    if (!ctx.settings.token) return log("skipped: not logged in"), out({ skipped: "not logged in" }, "");
    release = acquireLock(ctx.files.hookLock, { waitMs: 10_000 });
    const state = ctx.state.read();
    const session = state.session;
    if (!session) return log("skipped: no session running"), out({ skipped: "no session" }, "");
    const origin = gitOriginRepo(ctx.cwd);
    const parsedTo = parseBranch(to, origin);
    if (!parsedTo) return log("skipped: not a task branch"), out({ skipped: "not a task branch" }, "");
    const repo = gitTopLevel(ctx.cwd);
    const cached = (b: string) => state.branches[`${repo}\t${b}`];
    const cachedTo = cached(to);
    const toRef: TaskRef = cachedTo ? { ...refOf(cachedTo, to), soft: true } : { label: to, candidates: parsedTo.candidates, soft: true };
    const parsedFrom = from ? parseBranch(from, origin) : null;
    const cachedFrom = from ? cached(from) : undefined;
    const fromRef: TaskRef | null = cachedFrom ? refOf(cachedFrom, from) : parsedFrom ? { label: from, candidates: parsedFrom.candidates, soft: true } : null;
    const fallback = session.task;
    const op: SwitchOp | AttachOp =
      !fromRef && !fallback
        ? { op: "attach", session: sessRef(session), task: toRef, role: "MAIN", at }
        : {
            op: "switch",
            session: sessRef(session),
            from: fromRef ?? fallback,
            fromFallback: fromRef ? fallback : null,
            to: toRef,
            reason: parsedTo.reason,
            note: `git checkout ${from || "(detached)"} → ${to}`,
            at,
            explicit: true,
            source: "GIT",
          };
    const r = await record(ctx, op);
    const clock = await ctx.clock();
    if (r.mode === "offline") {
      ctx.state.update((s) => {
        if (s.session) s.session.task = toRef;
      });
      log(`API unreachable, journaled (${describeOp(op, clock)})`);
      return out({ offline: true }, "");
    }
    const result = r.result;
    if (result.skipped) return log(`skipped: ${result.skipped}`), out({ skipped: result.skipped }, "");
    const toTask = "switch" in result ? result.to : result.task;
    const fromTask = "switch" in result ? result.from : null;
    if (!toTask) return log("skipped: no task found"), out({ skipped: "no task" }, "");
    ctx.state.update((s) => {
      s.branches[`${repo}\t${to}`] = { id: toTask.id, title: toTask.title };
      if (fromTask && parsedFrom && from) s.branches[`${repo}\t${from}`] = { id: fromTask.id, title: fromTask.title };
      if (s.session) {
        switchedTo(s.session, refOf(toTask, to), op.op === "attach" ? "MAIN" : "SIDE");
      }
    });
    const sw = "switch" in result ? result.switch : null;
    log(sw ? `recorded switch #${sw.id}: ${fromTask ? `#${fromTask.id}` : "—"} → #${toTask.id} (${sw.reason})` : `attached #${toTask.id} as MAIN`);
    return out({ recorded: op.op, result }, "");
  } catch (err) {
    const text = errorText(err instanceof Error ? err : new Error(String(err)));
    log(`failed: ${text}`);
    return out({ failed: text }, "");
  } finally {
    if (release) release();
  }
}

export const hook: Command = {
  name: "hook",
  group: "Git",
  summary: "Install or remove the git post-checkout hook",
  usage: "devfocus hook install | uninstall | status",
  description:
    "install: in a git repository, adds a post-checkout hook that records a switch in the running session when you change\n" +
    "branch (from the previous branch's task to the new one). An existing hook is kept and still runs first; uninstall puts it back.\n" +
    "Branches map to tasks by id or external_key: 42-fix-login, gh-42, task-17, feature/acme-widgets-42; hotfix/* → QUICK_FIX.\n" +
    "It runs in the background and is silent: what it did is in hook.log next to config.json. DEVFOCUS_HOOK_DISABLE=1 skips it.",
  options: { from: { type: "string", hidden: true }, to: { type: "string", hidden: true } },
  positionals: [1, 1],
  api: (args) => args.positionals[0] === "run",
  async run(ctx, args) {
    const action = args.positionals[0];
    const { c } = ctx;
    switch (action) {
      case "install": {
        const r = installHook({ cwd: ctx.cwd, node: process.execPath, cli: CLI_PATH });
        const lines = [`${c.green("✓")} ${r.refreshed ? "Updated" : "Installed"} the post-checkout hook: ${r.file}`];
        if (r.chained) lines.push(c.dim(`  Your existing hook is kept as ${r.chained} and still runs first.`));
        lines.push(
          c.dim("  On a branch checkout it records a switch in the running session, from the previous branch's task to the new one."),
          c.dim("  Branches it understands: 42-fix-login, gh-42, task-17, feature/acme-widgets-42; hotfix/* switches are QUICK_FIX."),
          c.dim(`  It runs in the background and is silent; what it did is in ${ctx.files.hookLog}.`),
        );
        return out({ installed: true, ...r }, lines.join("\n"));
      }
      case "uninstall": {
        const r = uninstallHook({ cwd: ctx.cwd });
        if (!r.removed) return out({ removed: false }, c.dim("The devfocus hook is not installed here."));
        return out(r, `${c.green("✓")} Removed the post-checkout hook${r.restored ? `; your previous hook is back at ${r.restored}` : ""}.`);
      }
      case "status": {
        const s = hookStatus(ctx.cwd);
        const text = s.installed
          ? `${c.green("●")} installed: ${s.file}${s.chained ? c.dim(` (chains to ${s.chained})`) : ""}`
          : `${c.dim("○")} not installed${s.other ? c.dim(` (another post-checkout hook is there: ${s.file})`) : ""}`;
        return out(s, text);
      }
      case "run":
        return hookRun(ctx, args.string("from") ?? "", args.string("to") ?? "");
      default:
        throw new UsageError(action ? `Unknown hook action "${action}": use install, uninstall or status.` : "devfocus hook install | uninstall | status");
    }
  },
};
