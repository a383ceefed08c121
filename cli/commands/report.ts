// devfocus report [today | week [<day>] | <day>] [--team …]
import { out, teamOption, type Command } from "../lib/command.ts";
import { requireToken } from "../lib/context.ts";
import { UsageError } from "../lib/errors.ts";
import { resolveTeam } from "../lib/ops.ts";
import { renderReport } from "../lib/report.ts";

const isDay = (s: string | undefined): s is string => /^\d{4}-\d{2}-\d{2}$/.test(s ?? "");

export const report: Command = {
  name: "report",
  group: "Tasks & reports",
  summary: "Your daily or weekly report, with insights and advice",
  usage: "devfocus report [today | week [<YYYY-MM-DD>] | <YYYY-MM-DD>] [--team <slug>]",
  description: "Generates the report now (the same one the API keeps) and shows totals, a bar per session and task (daily) or per day (weekly), and the insights.",
  options: { team: { ...teamOption, desc: "The team's report (ADMIN or OWNER)" } },
  positionals: [0, 2],
  api: true,
  async run(ctx, args) {
    requireToken(ctx);
    const [what = "today", when] = args.positionals;
    const { api } = ctx;
    const team = (await resolveTeam(api, args.string("team")))?.id;
    let res;
    if (what === "week") {
      if (when !== undefined && !isDay(when)) throw new UsageError(`"${when}" is not a day (YYYY-MM-DD).`);
      res = await api.data(api.client.POST("/api/reports/weekly", { body: { week_of: when, team } }));
    } else if (what === "today" || isDay(what)) {
      if (when !== undefined) throw new UsageError("Too many arguments: devfocus report [today|week [<day>]|<YYYY-MM-DD>]");
      res = await api.data(api.client.POST("/api/reports/daily", { body: { date: isDay(what) ? what : undefined, team } }));
    } else {
      throw new UsageError(`"${what}" is not a period: use today, week, week <YYYY-MM-DD> or a day YYYY-MM-DD.`);
    }
    return out(res, renderReport(res, ctx.c));
  },
};
