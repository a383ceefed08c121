// devfocus link <url>: a resource link on the current session and task.
import { createResourceRequestTypeValues as TYPES } from "../../client/index.ts";
import { out, type Command } from "../lib/command.ts";
import { currentSession, describeSession, journaled, nowIso, offlineText, record, requireToken, sessRef } from "../lib/context.ts";
import { CliError, UsageError } from "../lib/errors.ts";
import type { LinkOp, ResourceType } from "../lib/ops.ts";
import { oneOf } from "../lib/output.ts";
import { describeRef, parseTaskArg } from "../lib/tasks.ts";

/** --type, or a guess from GitHub/GitLab pull-request and issue URLs; undefined leaves it to the API. */
function typeOf(value: string | undefined, url: string): ResourceType | undefined {
  if (value === undefined) {
    if (/\/pull\/\d+|\/merge_requests\/\d+/.test(url)) return "PR";
    if (/\/issues\/\d+/.test(url)) return "ISSUE";
    return undefined;
  }
  const t = value.trim().toUpperCase();
  const hit = TYPES.find((x) => x === t);
  if (!hit) throw new UsageError(`--type must be one of ${TYPES.join(", ")} (got "${value}").`);
  return hit;
}

export const link: Command = {
  name: "link",
  group: "Session",
  summary: "Link a URL (PR, issue, doc…) to the current session and task",
  usage: `devfocus link <url> [--type ${TYPES.join("|")}] [--title <text>] [--task <id|owner/repo#n>]`,
  description: "The type is guessed from GitHub/GitLab pull-request and issue URLs when --type is not given.",
  options: {
    type: { type: "string", arg: "<type>", desc: oneOf(TYPES) },
    title: { type: "string", arg: "<text>", desc: "A title for the link" },
    task: { type: "string", arg: "<id|owner/repo#n>", desc: "Link to this task (default: the current task)" },
  },
  positionals: [1, 1],
  api: true,
  async run(ctx, args) {
    const url = args.positionals[0] ?? "";
    if (!/^https?:\/\/\S+$/i.test(url)) throw new UsageError(`"${url}" is not an http(s) URL.`);
    const type = typeOf(args.string("type"), url);
    requireToken(ctx);
    const taskArg = args.string("task");
    const task = taskArg ? parseTaskArg(taskArg) : null;
    const cur = await currentSession(ctx);
    if (!cur.session && !task) {
      throw new CliError("No session running and no --task: nothing to link the URL to.", {
        code: "NO_SESSION",
        hint: "Pass --task <id|owner/repo#n>, or start a session.",
      });
    }
    const op: LinkOp = {
      op: "link",
      session: cur.session ? sessRef(cur.session) : null,
      task: task ?? cur.session?.task ?? null,
      url,
      type,
      title: args.string("title") ?? "",
      at: nowIso(),
    };
    const r = await record(ctx, op);
    const { c } = ctx;
    const where = [cur.session ? `session ${describeSession(cur.session)}` : null, op.task ? `task ${describeRef(op.task)}` : null].filter(Boolean).join(" and ");
    if (r.mode === "online") {
      const res = r.result.resource;
      return out({ offline: false, resource: res }, `${c.blue("🔗")} Linked ${c.bold(res.title || url)} ${c.dim(`(${res.type})`)} to ${where}.`);
    }
    return out(journaled(ctx, r.entry, op), `${c.blue("🔗")} Linked ${url}${type ? ` (${type})` : ""} to ${where}.\n${offlineText(ctx, r)}`);
  },
};
