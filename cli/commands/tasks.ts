// devfocus tasks: the tasks you can see.
import { taskStatusValues as STATUSES } from "../../client/index.ts";
import { out, teamOption, type Command } from "../lib/command.ts";
import { requireToken } from "../lib/context.ts";
import { UsageError } from "../lib/errors.ts";
import { resolveTeam } from "../lib/ops.ts";
import { oneOf, table, truncate } from "../lib/output.ts";

export const tasks: Command = {
  name: "tasks",
  group: "Tasks & reports",
  summary: "List the tasks you can see",
  usage: `devfocus tasks [--search <text>] [--status ${STATUSES.join("|")}] [--team <slug>] [--limit <n>]`,
  options: {
    search: { type: "string", arg: "<text>", desc: "In title or description, case-insensitive" },
    status: { type: "string", arg: "<status>", desc: oneOf(STATUSES) },
    team: teamOption,
    limit: { type: "string", arg: "<n>", desc: "At most this many (default 50)" },
  },
  positionals: [0, 0],
  api: true,
  async run(ctx, args) {
    requireToken(ctx);
    const limitArg = args.string("limit");
    const limit = limitArg ? Number(limitArg) : 50;
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError("--limit must be a positive integer.");
    const statusArg = args.string("status");
    const status = statusArg === undefined ? undefined : STATUSES.find((s) => s === statusArg.trim().toUpperCase().replace(/[-\s]/g, "_"));
    if (statusArg !== undefined && !status) throw new UsageError(`--status must be one of ${STATUSES.join(", ")} (got "${statusArg}").`);
    const search = args.string("search") || undefined;
    const team = (await resolveTeam(ctx.api, args.string("team")))?.id;
    const { api } = ctx;
    const rows = await api.all(
      (cursor) => api.data(api.client.GET("/api/tasks", { params: { query: { search, status, team, cursor, page_size: Math.min(200, limit) } } })),
      limit,
    );
    const { c } = ctx;
    const currentId = ctx.state.read().session?.task?.id;
    if (!rows.length) return out({ results: [] }, c.dim(search ? `No task matches "${search}".` : "No tasks."));
    const text = table([
      [c.dim("  ID"), c.dim("KEY"), c.dim("STATUS"), c.dim("PRI"), c.dim("TYPE"), c.dim("TITLE")],
      ...rows.map((t) => [
        `${t.id === currentId ? c.green("▸") : " "} ${t.id}`,
        t.external_key || c.dim("—"),
        t.status === "DONE" ? c.dim(t.status) : t.status === "IN_PROGRESS" ? c.cyan(t.status) : t.status,
        t.priority === "HIGH" ? c.red(t.priority) : t.priority,
        t.type,
        truncate(t.title, 60) + (t.team ? c.dim(` · team ${t.team}`) : ""),
      ]),
    ]);
    return out({ results: rows }, text);
  },
};
