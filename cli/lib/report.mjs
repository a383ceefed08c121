// Rendering a daily or weekly report for the terminal: headline totals, a bar per day (weekly) or per
// task and session (daily), the week-over-week change, and the insights with their advice.
import { bar, duration, table, truncate } from "./output.mjs";

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const weekday = (day) => WEEKDAYS[new Date(`${day}T12:00:00Z`).getUTCDay()];
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const signed = (n, fmt = String) => (n > 0 ? `+${fmt(n)}` : n < 0 ? `-${fmt(-n)}` : "±0");

function totalsBlock(t, c) {
  return table([
    ["  " + c.dim("focus"), c.bold(duration(t.focus_minutes)), c.dim("sessions"), String(t.sessions)],
    ["  " + c.dim("switches"), `${t.switches} (${t.switches_per_hour}/focus h)`, c.dim("interrupts"), `${t.interrupts}${t.quick_fixes ? ` + ${t.quick_fixes} quick fixes` : ""}`],
    ["  " + c.dim("deep work"), plural(t.deep_work_blocks, "block"), c.dim("longest"), duration(t.longest_stretch_minutes)],
  ]);
}

function insightsBlock(insights, c) {
  if (!insights || !insights.length) return [];
  const lines = ["", c.bold("Insights")];
  for (const i of insights) {
    const mark = i.level === "WARN" ? c.yellow("⚠ WARN") : c.cyan("ℹ INFO");
    lines.push(`  ${mark} ${c.bold(i.code)}`);
    lines.push(`    ${i.message}`);
  }
  return lines;
}

/** The report the API returned from POST /api/reports/daily/ or /weekly/ (with `insights`), as text. */
export function renderReport(report, c) {
  const p = report.payload || {};
  const t = p.totals || {};
  const lines = [];
  const team = report.team ? ` · team ${report.team}` : "";
  if (report.type === "WEEKLY") {
    lines.push(c.bold(`Weekly report · ${report.period_start} → ${report.period_end}`) + c.dim(` (${report.timezone}${team})`));
  } else {
    lines.push(c.bold(`Daily report · ${report.period_start}`) + c.dim(` (${report.timezone}${team})`));
  }
  if (report.summary) lines.push(c.dim(report.summary));
  lines.push("", totalsBlock(t, c));

  if (report.type === "WEEKLY" && Array.isArray(p.days)) {
    const max = Math.max(0, ...p.days.map((d) => d.focus_minutes));
    lines.push("", c.bold("Focus per day"));
    lines.push(
      table(
        p.days.map((d) => [
          `  ${weekday(d.date)} ${d.date.slice(5)}`,
          c.green(bar(d.focus_minutes, max)) || c.dim("·"),
          duration(d.focus_minutes),
          c.dim(`${plural(d.sessions, "session")} · ${plural(d.switches, "switch", "switches")}${d.interrupts ? ` · ${d.interrupts} interrupts` : ""}`),
        ]),
      ),
    );
    if (p.change) {
      const ch = p.change;
      lines.push(
        "",
        c.bold("vs the week before") +
          `  focus ${signed(ch.focus_minutes, duration)} · sessions ${signed(ch.sessions)} · switches ${signed(ch.switches)}` +
          ` · interrupts ${signed(ch.interrupts)} · deep-work blocks ${signed(ch.deep_work_blocks)}`,
      );
    }
  }

  const sessions = Array.isArray(p.sessions) ? p.sessions : [];
  if (report.type !== "WEEKLY" && sessions.length) {
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

  const tasks = Array.isArray(t.top_tasks) ? t.top_tasks : [];
  if (tasks.length) {
    const max = Math.max(0, ...tasks.map((x) => x.sessions));
    lines.push("", c.bold("Tasks"));
    lines.push(
      table(
        tasks.map((x) => [
          `  #${x.id} ${truncate(x.title, 28)}`,
          c.blue(bar(x.sessions, max, 12)),
          `${plural(x.sessions, "session")}`,
          c.dim(`${plural(x.switches, "switch", "switches")} · ${x.type}`),
        ]),
      ),
    );
  }

  lines.push(...insightsBlock(report.insights, c));
  if (report.type === "DAILY" && (!report.insights || !report.insights.length) && t.sessions > 0) {
    lines.push("", c.dim("No insights: nothing stood out."));
  }
  return lines.join("\n");
}
