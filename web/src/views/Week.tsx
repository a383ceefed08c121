/**
 * The week: focus minutes and switches per day as charts, deep-work blocks, the change against the week
 * before — for the user, and for a team whose ADMIN or OWNER the user is (who may generate its reports).
 * The numbers are the weekly report's (POST /api/reports/weekly/), the same the CLI and the cron produce.
 */
import type { ChartConfiguration } from "chart.js";
import { useMemo, useState } from "preact/hooks";
import type { Schemas } from "../../../client/index.ts";
import type { change, Totals } from "../../../src/modules/reports/metrics.ts";
import { api, ok } from "../api.ts";
import { addDays, dayLabel, duration, signed, signedDuration, todayOf, weekOf } from "../calendar.ts";
import { Chart, PALETTE } from "../components/Chart.tsx";
import { ErrorLine, Section, Select, useAction, useLoad } from "../components/ui.tsx";
import { useLive } from "../live.ts";
import { useMe } from "../session.ts";

// The OpenAPI document types `payload` as an open object; its shape is the reports module's
// (src/modules/reports: metrics.ts for the totals, generate.ts for the weekly days and change).
type DayLine = Pick<Totals, "sessions" | "focus_minutes" | "switches" | "interrupts" | "deep_work_blocks"> & { date: string };
interface WeeklyPayload {
  week_start: string;
  week_end: string;
  totals: Totals;
  days: DayLine[];
  previous_week: { week_start: string; totals: Totals };
  change: ReturnType<typeof change>;
}

const CHANGE_ROWS: { key: keyof ReturnType<typeof change>; label: string; minutes?: boolean; lowerIsBetter?: boolean }[] = [
  { key: "focus_minutes", label: "Focus", minutes: true },
  { key: "sessions", label: "Sessions" },
  { key: "switches", label: "Context switches", lowerIsBetter: true },
  { key: "switches_per_hour", label: "Switches per focus hour", lowerIsBetter: true },
  { key: "interrupts", label: "Interrupts", lowerIsBetter: true },
  { key: "deep_work_blocks", label: "Deep-work blocks" },
];

export function Week() {
  const { user } = useMe();
  const today = todayOf(user);
  const [weekDay, setWeekDay] = useState(today);
  const [team, setTeam] = useState("");
  const week = weekOf(user, weekDay);
  const current = week.first <= today && today <= week.last;
  const teams = useLoad(() => ok(api.GET("/api/teams", { params: { query: { page_size: 200 } } })), []);
  // Team reports: generating needs ADMIN or OWNER.
  const adminTeams = (teams.data?.results ?? []).filter((t) => t.role === "ADMIN" || t.role === "OWNER");
  const teamId = team ? Number(team) : undefined;

  const report = useLoad(async (): Promise<Schemas["Report"]> => {
    if (!current) {
      // A past week's report, as stored; made now if there is none yet.
      const stored = await ok(
        api.GET("/api/reports", { params: { query: { type: "WEEKLY", date_from: week.first, date_to: week.first, page_size: 10, ...(teamId ? { team: teamId } : {}) } } }),
      );
      const mine = stored.results.find((r) => r.team === (teamId ?? null));
      if (mine) return mine;
    }
    // This week changes as you work: always computed afresh.
    return ok(api.POST("/api/reports/weekly", { body: { week_of: week.first, ...(teamId ? { team: teamId } : {}) } }));
  }, [week.first, team]);
  const refresh = useAction();

  useLive(teamId ?? "me", "report.created", (r) => {
    if (r.type === "WEEKLY" && r.period_start === week.first && r.team === (teamId ?? null)) report.setData(r);
  });

  const p = report.data?.payload as WeeklyPayload | undefined;
  return (
    <div class="view week">
      <div class="view-head">
        <h1>Week</h1>
        <p class="sub">
          {week.first} – {week.last}
        </p>
      </div>
      <div class="toolbar" role="group" aria-label="Which week">
        <button type="button" class="secondary" onClick={() => setWeekDay(addDays(week.first, -7))}>
          ← Previous week
        </button>
        <button type="button" class="secondary" disabled={current} onClick={() => setWeekDay(today)}>
          This week
        </button>
        <button type="button" class="secondary" disabled={current} onClick={() => setWeekDay(addDays(week.first, 7))}>
          Next week →
        </button>
        {adminTeams.length > 0 && (
          <Select label="Whose week" value={team} onValue={setTeam} empty="Mine" options={adminTeams.map((t) => ({ value: String(t.id), label: `Team ${t.name}` }))} />
        )}
        <button
          type="button"
          class="secondary"
          disabled={refresh.busy}
          onClick={() =>
            void refresh.run(async () => report.setData(await ok(api.POST("/api/reports/weekly", { body: { week_of: week.first, ...(teamId ? { team: teamId } : {}) } }))))
          }
        >
          Recompute
        </button>
      </div>
      <ErrorLine error={report.error ?? refresh.error ?? teams.error} />
      {!p && !report.error && <p class="loading">Loading…</p>}
      {p && <WeekReport p={p} summary={report.data?.summary ?? ""} />}
    </div>
  );
}

function WeekReport({ p, summary }: { p: WeeklyPayload; summary: string }) {
  const labels = p.days.map((d) => dayLabel(d.date));
  const focus = useMemo(
    (): ChartConfiguration<"bar"> => ({
      type: "bar",
      data: { labels, datasets: [{ label: "Focus minutes", data: p.days.map((d) => d.focus_minutes), backgroundColor: PALETTE.focus }] },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: "minutes" } } }, plugins: { legend: { display: false } } },
    }),
    [p],
  );
  const switches = useMemo(
    (): ChartConfiguration<"bar"> => ({
      type: "bar",
      data: {
        labels,
        datasets: [
          { label: "Switches", data: p.days.map((d) => d.switches), backgroundColor: PALETTE.switches },
          { label: "of which interrupts", data: p.days.map((d) => d.interrupts), backgroundColor: PALETTE.previous },
        ],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { position: "bottom" } } },
    }),
    [p],
  );
  const t = p.totals;
  return (
    <>
      <div class="stats" aria-label="The week's totals">
        <div class="stat">
          <span class="stat-label">Focus</span>
          <span class="stat-value">{duration(t.focus_minutes)}</span>
        </div>
        <div class="stat">
          <span class="stat-label">Sessions</span>
          <span class="stat-value">{t.sessions}</span>
        </div>
        <div class="stat">
          <span class="stat-label">Switches</span>
          <span class="stat-value">{t.switches}</span>
        </div>
        <div class="stat">
          <span class="stat-label">Deep-work blocks</span>
          <span class="stat-value">{t.deep_work_blocks}</span>
        </div>
      </div>
      <p class="summary">{summary}</p>
      <div class="grid two">
        <Section title="Focus minutes per day">
          <Chart config={focus} label={`Focus minutes per day: ${p.days.map((d) => `${dayLabel(d.date)} ${d.focus_minutes}`).join(", ")}`}>
            <DaysTable days={p.days} />
          </Chart>
        </Section>
        <Section title="Switches per day">
          <Chart config={switches} label={`Context switches per day: ${p.days.map((d) => `${dayLabel(d.date)} ${d.switches}`).join(", ")}`}>
            <DaysTable days={p.days} />
          </Chart>
        </Section>
      </div>
      <div class="grid two">
        <Section title="Against the week before">
          <table class="change">
            <caption class="sr-only">Change against the week of {p.previous_week.week_start}</caption>
            <thead>
              <tr>
                <th scope="col">Measure</th>
                <th scope="col">This week</th>
                <th scope="col">Week before</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {CHANGE_ROWS.map((r) => {
                const d = p.change[r.key];
                const good = d === 0 ? "same" : (d > 0) !== !!r.lowerIsBetter ? "better" : "worse";
                const show = (n: number) => (r.minutes ? duration(n) : String(n));
                return (
                  <tr key={r.key}>
                    <th scope="row">{r.label}</th>
                    <td>{show(p.totals[r.key])}</td>
                    <td>{show(p.previous_week.totals[r.key])}</td>
                    <td class={`delta ${good}`}>{r.minutes ? signedDuration(d) : signed(d)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </Section>
        <Section title="Deep-work blocks">
          <p>
            <strong>{t.deep_work_blocks}</strong> stretch{t.deep_work_blocks === 1 ? "" : "es"} of an hour or more this week; the longest lasted{" "}
            <strong>{duration(t.longest_stretch_minutes)}</strong>.
          </p>
          <ul class="days">
            {p.days.map((d) => (
              <li key={d.date}>
                <span>{dayLabel(d.date)}</span> <span class="blocks" aria-label={`${d.deep_work_blocks} deep-work blocks`}>{"■".repeat(d.deep_work_blocks) || "–"}</span>
              </li>
            ))}
          </ul>
        </Section>
      </div>
    </>
  );
}

function DaysTable({ days }: { days: DayLine[] }) {
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Day</th>
          <th scope="col">Focus (min)</th>
          <th scope="col">Switches</th>
          <th scope="col">Interrupts</th>
          <th scope="col">Deep-work blocks</th>
        </tr>
      </thead>
      <tbody>
        {days.map((d) => (
          <tr key={d.date}>
            <th scope="row">{d.date}</th>
            <td>{d.focus_minutes}</td>
            <td>{d.switches}</td>
            <td>{d.interrupts}</td>
            <td>{d.deep_work_blocks}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
