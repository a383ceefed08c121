// Rendering a daily or weekly report for the terminal: headline totals, a bar per day (weekly) or per
// task and session (daily), the week-over-week change, and the insights with their advice.
import type { Schemas } from "../../client/index.ts";
import type { change, SessionLine, Totals } from "../../src/modules/reports/metrics.ts";
import { isoWeekday } from "../../src/platform/time.ts";
import { bar, duration, plural, signed, table, truncate, type Palette } from "./output.ts";

// The OpenAPI document types `payload` as an open object; its shape is the reports module's own
// (src/modules/reports: metrics.ts for totals and sessions, service.ts for the weekly days and change).
type DayLine = Pick<Totals, "sessions" | "focus_minutes" | "switches" | "interrupts" | "deep_work_blocks"> & { date: string };
interface Payload {
  totals?: Totals;
  sessions?: SessionLine[];
  days?: DayLine[];
  change?: ReturnType<typeof change>;
}

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const weekday = (day: string) => WEEKDAYS[isoWeekday(day) - 1] ?? "";

/** The totals this view shows. */
type Shown = Omit<Totals, "tasks_by_type">;

function totalsBlock(t: Shown, c: Palette): string {
  const quickFixes = t.quick_fixes ? ` + ${plural(t.quick_fixes, "quick fix", "quick fixes")}` : "";
  return table([
    ["  " + c.dim("focus"), c.bold(duration(t.focus_minutes)), c.dim("sessions"), String(t.sessions)],
    ["  " + c.dim("switches"), `${t.switches} (${t.switches_per_hour}/focus h)`, c.dim("interrupts"), `${t.interrupts}${quickFixes}`],
    ["  " + c.dim("deep work"), plural(t.deep_work_blocks, "block"), c.dim("longest"), duration(t.longest_stretch_minutes)],
  ]);
}

function insightsBlock(insights: Schemas["Insight"][], c: Palette): string[] {
  if (!insights.length) return [];
  const lines = ["", c.bold("Insights")];
  for (const i of insights) {
    const mark = i.level === "WARN" ? c.yellow("⚠ WARN") : c.cyan("ℹ INFO");
    lines.push(`  ${mark} ${c.bold(i.code)}`, `    ${i.message}`);
  }
  return lines;
}

const NO_TOTALS: Shown = {
  sessions: 0,
  focus_minutes: 0,
  switches: 0,
  switches_per_hour: 0,
  interrupts: 0,
  quick_fixes: 0,
  short_sessions: 0,
  deep_work_blocks: 0,
  longest_stretch_minutes: 0,
  top_tasks: [],
};

/** The report POST /api/reports/daily/ or /weekly/ returned (with its insights), as text. */
export function renderReport(report: Schemas["GeneratedReport"], c: Palette): string {
  const p: Payload = report.payload;
  const t: Shown = p.totals ?? NO_TOTALS;
  const weekly = report.type === "WEEKLY";
  const lines: string[] = [];
  const where = c.dim(` (${report.timezone}${report.team ? ` · team ${report.team}` : ""})`);
  lines.push(c.bold(weekly ? `Weekly report · ${report.period_start} → ${report.period_end}` : `Daily report · ${report.period_start}`) + where);
  if (report.summary) lines.push(c.dim(report.summary));
  lines.push("", totalsBlock(t, c));

  if (weekly && p.days) {
    const max = Math.max(0, ...p.days.map((d) => d.focus_minutes));
    lines.push("", c.bold("Focus per day"));
    lines.push(
      table(
        p.days.map((d) => [
          `  ${weekday(d.date)} ${d.date.slice(5)}`,
          c.green(bar(d.focus_minutes, max)) || c.dim("·"),
          duration(d.focus_minutes),
          c.dim(`${plural(d.sessions, "session")} · ${plural(d.switches, "switch", "switches")}${d.interrupts ? ` · ${plural(d.interrupts, "interrupt")}` : ""}`),
        ]),
      ),
    );
    const ch = p.change;
    if (ch) {
      lines.push(
        "",
        c.bold("vs the week before") +
          `  focus ${signed(ch.focus_minutes, duration)} · sessions ${signed(ch.sessions)} · switches ${signed(ch.switches)}` +
          ` · interrupts ${signed(ch.interrupts)} · deep-work blocks ${signed(ch.deep_work_blocks)}`,
      );
    }
  }

  const sessions = p.sessions ?? [];
  if (!weekly && sessions.length) {
    const max = Math.max(0, ...sessions.map((s) => s.total_focus_minutes));
    lines.push("", c.bold("Focus per session"));
    lines.push(
      table(
        sessions.map((s) => [
          `  #${s.id} ${truncate(s.title || "(untitled)", 28)}`,
          c.green(bar(s.total_focus_minutes, max)) || c.dim("·"),
          duration(s.total_focus_minutes),
          c.dim(`${plural(s.switch_count, "switch", "switches")}${s.status !== "DONE" ? ` · ${s.status.toLowerCase()}` : ""}`),
        ]),
      ),
    );
  }

  if (t.top_tasks.length) {
    const max = Math.max(0, ...t.top_tasks.map((x) => x.sessions));
    lines.push("", c.bold("Tasks"));
    lines.push(
      table(
        t.top_tasks.map((x) => [
          `  #${x.id} ${truncate(x.title, 28)}`,
          c.blue(bar(x.sessions, max, 12)),
          plural(x.sessions, "session"),
          c.dim(`${plural(x.switches, "switch", "switches")} · ${x.type}`),
        ]),
      ),
    );
  }

  lines.push(...insightsBlock(report.insights, c));
  if (report.type === "DAILY" && !report.insights.length && t.sessions > 0) lines.push("", c.dim("No insights: nothing stood out."));
  return lines.join("\n");
}
