// devfocus watch: the live event stream, one line per event.
import type { Schemas } from "../../client/index.ts";
import { teamOption, type Command } from "../lib/command.ts";
import { clockFor } from "../lib/calendar.ts";
import { requireToken } from "../lib/context.ts";
import { UsageError } from "../lib/errors.ts";
import { isRecord } from "../lib/files.ts";
import { resolveTeam } from "../lib/ops.ts";
import { duration, plural, truncate, type Palette } from "../lib/output.ts";
import { followStream, type SseEvent } from "../lib/sse.ts";

function parse(data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
}

/** One line for an event. Its data is what the API published for that type (the row, serialized as in its list). */
function eventLine(e: SseEvent, data: unknown, c: Palette): string {
  const fields = isRecord(data) ? data : {};
  switch (e.event) {
    case "report.created": {
      const d = fields as Partial<Schemas["Report"]>;
      const period = d.period_end && d.period_end !== d.period_start ? `${d.period_start}→${d.period_end}` : `${d.period_start}`;
      return `${c.green(e.event)} ${d.type} ${period} ${c.dim(truncate(d.summary, 90))}`;
    }
    case "insight.created": {
      const d = fields as Partial<Schemas["Insight"]>;
      return `${c.yellow(e.event)} ${d.level} ${d.code} ${c.dim(truncate(d.message, 90))}`;
    }
    case "report_request.updated": {
      const d = fields as Partial<Schemas["ReportRequest"]>;
      return `${c.cyan(e.event)} #${d.id} ${d.type} ${d.day} ${d.status}${d.error_message ? ` — ${d.error_message}` : ""}`;
    }
    case "import.updated": {
      const d = fields as Partial<Schemas["ImportJob"]>;
      return `${c.cyan(e.event)} #${d.id} ${d.owner}/${d.repo} ${d.status} · ${plural(d.pages_done ?? 0, "page")} · +${d.created_count ?? 0} ~${d.updated_count ?? 0}`;
    }
    case "session.closed": {
      const d = fields as Partial<Schemas["DevSession"]>;
      return `${c.magenta(e.event)} #${d.id} "${d.title}" · ${duration(d.total_focus_minutes ?? 0)} focus · ${plural(d.switch_count ?? 0, "switch", "switches")}`;
    }
    default:
      return `${e.event} ${truncate(typeof data === "string" ? data : JSON.stringify(data), 100)}`;
  }
}

export const watch: Command = {
  name: "watch",
  group: "Tasks & reports",
  summary: "Follow the live event stream, one line per event",
  usage: "devfocus watch [--team <slug>] [--max <n>]",
  description: "Reconnects by itself (after the server's retry delay) with Last-Event-ID, so no kept event is missed. Ctrl-C stops.",
  options: {
    team: { ...teamOption, desc: "A team's events instead of yours" },
    max: { type: "string", arg: "<n>", desc: "Exit after n events" },
    "last-event-id": { type: "string", arg: "<id>", desc: "Start after this event id (replays what came after it)" },
  },
  positionals: [0, 0],
  api: true,
  async run(ctx, args) {
    requireToken(ctx);
    const maxArg = args.string("max");
    const max = maxArg !== undefined ? Number(maxArg) : Infinity;
    if (!(max > 0)) throw new UsageError("--max must be a positive number.");
    const team = (await resolveTeam(ctx.api, args.string("team")))?.id;
    const { c, ce } = ctx;
    const prefs = await ctx.calendar();
    const ctrl = new AbortController();
    const stopOn = () => ctrl.abort();
    process.once("SIGINT", stopOn);
    process.once("SIGTERM", stopOn);
    let seen = 0;
    const print = (line: string) => ctx.stdout.write(`${line}\n`);
    const now = () => clockFor(prefs)(new Date().toISOString()); // a watch may outlast a day

    try {
      await followStream(ctx.api, {
        team,
        signal: ctrl.signal,
        lastEventId: args.string("last-event-id") ?? null,
        onStatus: (s) => {
          if (ctx.json) return;
          if (s.state === "connected") {
            ctx.note(ce.dim(`${s.connection === 1 ? "● watching" : "● reconnected to"} ${ctx.settings.url}${team ? ` (team ${team})` : ""} — Ctrl-C to stop`));
          } else {
            const retry = Math.round((s.retryMs ?? 0) / 100) / 10;
            ctx.note(ce.yellow(`○ stream lost (${s.error ? s.error.message : "closed"}); reconnecting in ${retry}s with Last-Event-ID`));
          }
        },
        onEvent: (e, connection) => {
          const data = parse(e.data);
          // Every connection starts with the latest reports and insights: shown once, not on each reconnect.
          if (e.event === "reports" || e.event === "insights") {
            if (connection > 1) return true;
            if (ctx.json) print(JSON.stringify({ id: e.id, event: e.event, data }));
            else print(c.dim(`${now()}  recent ${e.event}: ${Array.isArray(data) ? data.length : 0}`));
            return true;
          }
          if (ctx.json) print(JSON.stringify({ id: e.id, event: e.event, data }));
          else print(`${c.dim(now())}  ${c.dim(`#${e.id ?? "-"}`)} ${eventLine(e, data, c)}`);
          seen++;
          return seen < max;
        },
      });
      return undefined;
    } finally {
      process.off("SIGINT", stopOn);
      process.off("SIGTERM", stopOn);
    }
  },
};

