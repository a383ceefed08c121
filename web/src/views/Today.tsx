/**
 * Today: the day's sessions on a timeline (pauses, each switch with its reason and note), focus so far,
 * the running session live with its controls (start, pause, resume, stop, switch, link), and the day's
 * report with its insights as they arrive.
 */
import type { ChartConfiguration } from "chart.js";
import { useMemo, useState } from "preact/hooks";
import {
  createContextSwitchRequestReasonValues as REASONS,
  createResourceRequestTypeValues as RESOURCE_TYPES,
  type Schemas,
} from "../../../client/index.ts";
import { api, ok } from "../api.ts";
import { clock, duration, todayOf } from "../calendar.ts";
import { Chart, PALETTE } from "../components/Chart.tsx";
import { ErrorLine, Field, Notice, Section, Select, useAction, useLoad, useNow, words } from "../components/ui.tsx";
import { InsightList } from "./Insights.tsx";
import { useLive } from "../live.ts";
import { useMe, type User } from "../session.ts";
import { currentTask, entriesOf, timelineOf, type Session, type SessionTimeline, type Switch } from "./timeline.ts";

type Task = Schemas["Task"];
type Reason = (typeof REASONS)[number];
type ResourceType = (typeof RESOURCE_TYPES)[number];

interface DayData {
  sessions: { session: Session; switches: Switch[] }[];
  tasks: Task[];
  teams: Schemas["Team"][];
  report: Schemas["Report"] | null;
  insights: Schemas["Insight"][];
}

async function loadDay(day: string): Promise<DayData> {
  const list = (query: { status?: "OPEN" | "PAUSED"; date_from?: string; date_to?: string; page_size: number }) =>
    ok(api.GET("/api/sessions", { params: { query: { ordering: "started_at", ...query } } }));
  const [ofDay, open, paused, tasks, teams, reports, insights] = await Promise.all([
    list({ date_from: day, date_to: day, page_size: 200 }),
    // A session still running may have started on an earlier day: it is today's running session all the same.
    list({ status: "OPEN", page_size: 1 }),
    list({ status: "PAUSED", page_size: 1 }),
    ok(api.GET("/api/tasks", { params: { query: { ordering: "-updated_at", page_size: 200 } } })),
    ok(api.GET("/api/teams", { params: { query: { page_size: 200 } } })),
    ok(api.GET("/api/reports", { params: { query: { type: "DAILY", date_from: day, date_to: day, page_size: 10 } } })),
    ok(api.GET("/api/insights", { params: { query: { date_from: day, date_to: day, page_size: 50 } } })),
  ]);
  const ids = [...new Set([...ofDay.results, ...open.results, ...paused.results].map((s) => s.id))];
  const sessions = await Promise.all(
    ids.map(async (id) => {
      const [session, switches] = await Promise.all([
        ok(api.GET("/api/sessions/{id}", { params: { path: { id } } })),
        ok(api.GET("/api/context-switches", { params: { query: { dev_session: id, ordering: "happened_at", page_size: 200 } } })),
      ]);
      return { session, switches: switches.results };
    }),
  );
  sessions.sort((a, b) => Date.parse(a.session.started_at) - Date.parse(b.session.started_at));
  return {
    sessions,
    tasks: tasks.results,
    teams: teams.results,
    report: reports.results.find((r) => r.team === null) ?? null,
    insights: insights.results.filter((i) => i.team === null),
  };
}

const taskName = (tasks: Task[], id: number | null) => {
  if (id === null) return "no task";
  const t = tasks.find((x) => x.id === id);
  return t ? (t.external_key ? `${t.title} (${t.external_key})` : t.title) : `task #${id}`;
};

const sessionName = (s: Session) => s.title || `Session #${s.id}`;

export function Today() {
  const { user } = useMe();
  const now = useNow(15_000);
  const day = todayOf(user, now);
  const { data, setData, error, reload } = useLoad(() => loadDay(day), [day]);
  const [request, setRequest] = useState<Schemas["ReportRequest"] | null>(null);

  useLive("me", "session.closed", reload);
  useLive("me", "report_request.updated", (r) => setRequest((cur) => (cur && cur.id === r.id ? r : cur)));
  useLive("me", "report.created", (r) => {
    if (r.type === "DAILY" && r.team === null && r.period_start === day) setData((d) => d && { ...d, report: r });
  });
  useLive("me", "insight.created", (i) => {
    if (i.team !== null || i.period_start !== day) return;
    setData((d) => d && { ...d, insights: [i, ...d.insights.filter((x) => x.id !== i.id && !(x.report === i.report && x.code === i.code))] });
  });

  const timelines = useMemo(() => (data ? data.sessions.map(({ session, switches }) => timelineOf(session, switches, now)) : []), [data, now]);
  const running = timelines.find((t) => t.running) ?? null;
  const ofToday = timelines.filter((t) => todayOf(user, t.start) === day);
  const focus = ofToday.reduce((m, t) => m + t.focusMinutes, 0);
  const switches = ofToday.reduce((n, t) => n + t.switches.length, 0);

  return (
    <div class="view today">
      <div class="view-head">
        <h1>Today</h1>
        <p class="sub">
          {day} · {user.timezone}
        </p>
      </div>
      <ErrorLine error={error} />
      {!data && !error && <p class="loading">Loading…</p>}
      {data && (
        <>
          <div class="stats" aria-label="Today so far">
            <Stat label="Focus so far" value={duration(focus)} testid="focus-so-far" />
            <Stat label="Sessions" value={String(ofToday.length)} />
            <Stat label="Context switches" value={String(switches)} />
            <Stat label="Deep-work blocks" value={String(ofToday.reduce((n, t) => n + t.deepWorkBlocks, 0))} />
          </div>
          <div class="grid two">
            {running ? (
              <Running t={running} tasks={data.tasks} user={user} onChange={reload} />
            ) : (
              <StartSession tasks={data.tasks} teams={data.teams} onStarted={reload} />
            )}
            <DayReport day={day} report={data.report} insights={data.insights} request={request} onRequested={setRequest} />
          </div>
          <Timeline user={user} timelines={ofToday} tasks={data.tasks} />
        </>
      )}
    </div>
  );
}

function Stat({ label, value, testid }: { label: string; value: string; testid?: string }) {
  return (
    <div class="stat">
      <span class="stat-label">{label}</span>
      <span class="stat-value" data-testid={testid}>
        {value}
      </span>
    </div>
  );
}

/** Starting late: "I began 30 minutes ago" (the API takes any started_at not in the future). */
const STARTED_AGO = [
  { value: "0", label: "Now" },
  ...[5, 15, 30, 45, 60, 90, 120].map((m) => ({ value: String(m), label: m < 60 ? `${m} minutes ago` : `${m / 60} hour${m === 60 ? "" : "s"} ago` })),
];

function StartSession({ tasks, teams, onStarted }: { tasks: Task[]; teams: Schemas["Team"][]; onStarted: () => void }) {
  const [title, setTitle] = useState("");
  const [task, setTask] = useState("");
  const [team, setTeam] = useState("");
  const [ago, setAgo] = useState("0");
  const { busy, error, run } = useAction();
  // A team session needs MEMBER or above; its tasks are the team's (or the user's personal ones).
  const writable = teams.filter((t) => t.role !== "VIEWER");
  const scoped = tasks.filter((t) => t.status !== "DONE" && (t.team === null || String(t.team) === team));
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const startedAt = ago === "0" ? {} : { started_at: new Date(Date.now() - Number(ago) * 60_000).toISOString() };
      const s = await ok(api.POST("/api/sessions", { body: { title, ...startedAt, ...(team ? { team: Number(team) } : {}) } }));
      if (task) await ok(api.POST("/api/sessions/{id}/attach_task", { params: { path: { id: s.id } }, body: { task_id: Number(task), role: "MAIN" } }));
      setTitle("");
      setTask("");
      onStarted();
    });
  };
  return (
    <Section title="Start a session">
      <form onSubmit={submit} class="stack">
        <Field label="What are you working on?" value={title} onValue={setTitle} maxLength={255} placeholder="Fix the login redirect" />
        <div class="row">
          <Select label="Task" value={task} onValue={setTask} empty="No task" options={scoped.map((t) => ({ value: String(t.id), label: t.title }))} />
          {writable.length > 0 && (
            <Select label="Team" value={team} onValue={setTeam} empty="Personal" options={writable.map((t) => ({ value: String(t.id), label: t.name }))} />
          )}
          <Select label="Started" value={ago} onValue={(v) => setAgo(v || "0")} options={STARTED_AGO} />
        </div>
        <ErrorLine error={error} />
        <button type="submit" disabled={busy}>
          Start session
        </button>
      </form>
    </Section>
  );
}

function Running({ t, tasks, user, onChange }: { t: SessionTimeline; tasks: Task[]; user: User; onChange: () => void }) {
  const s = t.session;
  const { busy, error, run } = useAction();
  const [panel, setPanel] = useState<"switch" | "link" | null>(null);
  const on = currentTask(s, t.switches);
  const path = { params: { path: { id: s.id } }, body: {} };
  const act = (work: () => Promise<unknown>) => void run(async () => (await work(), onChange()));
  const stretch = t.stretches.at(-1);
  const inStretch = s.status === "OPEN" && stretch && stretch.end >= t.end ? stretch.minutes : 0;
  return (
    <Section title="Running session" id="running">
      <p class="running-title">
        <strong>{sessionName(s)}</strong> <span class={`badge status-${s.status}`}>{words(s.status)}</span>
      </p>
      <dl class="facts">
        <dt>Started</dt>
        <dd>{clock(user, t.start)}</dd>
        <dt>Focus</dt>
        <dd data-testid="running-focus">{duration(t.focusMinutes)}</dd>
        <dt>Current stretch</dt>
        <dd>{duration(inStretch)}</dd>
        <dt>On</dt>
        <dd>{taskName(tasks, on)}</dd>
        <dt>Switches</dt>
        <dd>{t.switches.length}</dd>
      </dl>
      <div class="actions" role="group" aria-label="Session controls">
        {s.status === "OPEN" ? (
          <button type="button" disabled={busy} onClick={() => act(() => ok(api.POST("/api/sessions/{id}/pause", path)))}>
            Pause
          </button>
        ) : (
          <button type="button" disabled={busy} onClick={() => act(() => ok(api.POST("/api/sessions/{id}/resume", path)))}>
            Resume
          </button>
        )}
        <button type="button" class="secondary" aria-expanded={panel === "switch"} onClick={() => setPanel(panel === "switch" ? null : "switch")}>
          Switch…
        </button>
        <button type="button" class="secondary" aria-expanded={panel === "link"} onClick={() => setPanel(panel === "link" ? null : "link")}>
          Link a resource…
        </button>
        <button type="button" class="danger" disabled={busy} onClick={() => act(() => ok(api.POST("/api/sessions/{id}/close", path)))}>
          Stop
        </button>
      </div>
      <ErrorLine error={error} />
      {panel === "switch" && (
        <SwitchForm
          session={s}
          from={on}
          tasks={tasks}
          onDone={() => {
            setPanel(null);
            onChange();
          }}
        />
      )}
      {panel === "link" && <LinkForm session={s} task={on} onDone={() => setPanel(null)} />}
    </Section>
  );
}

function SwitchForm({ session, from, tasks, onDone }: { session: Session; from: number | null; tasks: Task[]; onDone: () => void }) {
  const [reason, setReason] = useState<Reason>("INTERRUPT");
  const [note, setNote] = useState("");
  const [to, setTo] = useState("");
  const { busy, error, run } = useAction();
  // A switch's target must be in the session's scope: its team's tasks, or the user's personal ones.
  const targets = tasks.filter((t) => t.id !== from && t.status !== "DONE" && (t.team === null || t.team === session.team));
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      await ok(api.POST("/api/context-switches", { body: { dev_session: session.id, from_task: from, to_task: to ? Number(to) : null, reason, note } }));
      onDone();
    });
  };
  return (
    <form class="panel stack" onSubmit={submit} aria-label="Record a context switch">
      <div class="row">
        <Select label="Reason" value={reason} options={REASONS} onValue={(v) => v && setReason(v)} />
        <Select label="Switch to" value={to} onValue={setTo} empty="No task" options={targets.map((t) => ({ value: String(t.id), label: t.title }))} />
      </div>
      <Field label="Note (optional)" value={note} onValue={setNote} maxLength={2000} placeholder="prod alert" />
      <ErrorLine error={error} />
      <button type="submit" disabled={busy}>
        Record switch
      </button>
    </form>
  );
}

function LinkForm({ session, task, onDone }: { session: Session; task: number | null; onDone: () => void }) {
  const [url, setUrl] = useState("");
  const [title, setTitle] = useState("");
  const [type, setType] = useState<ResourceType>("PR");
  const { busy, error, run } = useAction();
  const [linked, setLinked] = useState<Schemas["ResourceLink"] | null>(null);
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      setLinked(await ok(api.POST("/api/resources", { body: { dev_session: session.id, task, type, title, url } })));
      setUrl("");
      setTitle("");
    });
  };
  return (
    <form class="panel stack" onSubmit={submit} aria-label="Link a resource">
      <Field label="URL" type="url" required value={url} onValue={setUrl} placeholder="https://github.com/acme/widgets/pull/7" />
      <div class="row">
        <Select label="Type" value={type} options={RESOURCE_TYPES} onValue={(v) => v && setType(v)} />
        <Field label="Title (optional)" value={title} onValue={setTitle} maxLength={255} />
      </div>
      <ErrorLine error={error} />
      {linked && <Notice>Linked {linked.title || linked.url}.</Notice>}
      <div class="actions">
        <button type="submit" disabled={busy}>
          Link
        </button>
        <button type="button" class="ghost" onClick={onDone}>
          Done
        </button>
      </div>
    </form>
  );
}

function DayReport(props: {
  day: string;
  report: Schemas["Report"] | null;
  insights: Schemas["Insight"][];
  request: Schemas["ReportRequest"] | null;
  onRequested: (r: Schemas["ReportRequest"]) => void;
}) {
  const { busy, error, run } = useAction();
  const generate = () => void run(async () => props.onRequested(await ok(api.POST("/api/reports/daily-async", { body: { date: props.day } }))));
  const r = props.request;
  return (
    <Section
      title="Today's report"
      actions={
        <button type="button" class="secondary" disabled={busy || r?.status === "PENDING" || r?.status === "RUNNING"} onClick={generate}>
          {props.report ? "Generate again" : "Generate report"}
        </button>
      }
    >
      <ErrorLine error={error} />
      {r && (
        <p class="request" role="status" data-testid="report-request" data-status={r.status}>
          Report request #{r.id}: {words(r.status)}
          {r.error_message ? ` — ${r.error_message}` : ""}
        </p>
      )}
      {props.report ? <p class="summary">{props.report.summary}</p> : <p class="muted">No report for today yet. Generate one to get insights.</p>}
      <h3>Insights</h3>
      <InsightList insights={props.insights} empty="No insights for today." />
    </Section>
  );
}

const REASON_STYLE: Record<Reason, { pointStyle: "triangle" | "rectRot" | "circle" | "crossRot"; mark: string }> = {
  INTERRUPT: { pointStyle: "triangle", mark: "▲" },
  QUICK_FIX: { pointStyle: "rectRot", mark: "◆" },
  MEETING: { pointStyle: "circle", mark: "●" },
  OTHER: { pointStyle: "crossRot", mark: "✕" },
};

function Timeline({ user, timelines, tasks }: { user: User; timelines: SessionTimeline[]; tasks: Task[] }) {
  const config = useMemo(() => timelineChart(user, timelines, tasks), [user, timelines, tasks]);
  return (
    <Section title="Timeline">
      {timelines.length === 0 ? (
        <p class="muted">No sessions today yet.</p>
      ) : (
        <>
          <Chart config={config} label={`Today's ${timelines.length} session(s) on a time axis: focus, pauses and switches`} height={`${4 + timelines.length * 3}rem`}>
            <p class="muted">The same timeline in words is below the chart.</p>
          </Chart>
          <p class="legend" aria-hidden="true">
            {REASONS.map((r) => (
              <span key={r}>
                <span class="mark">{REASON_STYLE[r].mark}</span> {words(r)}
              </span>
            ))}
          </p>
          {timelines.map((t) => (
            <TimelineList key={t.session.id} t={t} user={user} tasks={tasks} />
          ))}
        </>
      )}
    </Section>
  );
}

function TimelineList({ t, user, tasks }: { t: SessionTimeline; user: User; tasks: Task[] }) {
  return (
    <div class="timeline-list">
      <h3>
        {sessionName(t.session)} <span class={`badge status-${t.session.status}`}>{words(t.session.status)}</span>{" "}
        {t.session.source === "EDITOR" && (
          <>
            <span class="badge source-EDITOR">from your editor</span>{" "}
          </>
        )}
        <span class="muted">· {duration(t.focusMinutes)} focus</span>
      </h3>
      <ol data-testid={`timeline-${t.session.id}`}>
        {entriesOf(t).map((e, i) => (
          <li key={i} class={`entry entry-${e.kind}`}>
            <time dateTime={new Date(e.at).toISOString()}>{clock(user, e.at)}</time>{" "}
            {e.kind === "start" && "Started"}
            {e.kind === "pause" && (e.until === null ? "Paused (still paused)" : `Paused until ${clock(user, e.until)}`)}
            {e.kind === "resume" && "Resumed"}
            {e.kind === "switch" && (
              <>
                <span class="mark" aria-hidden="true">
                  {REASON_STYLE[e.item.reason].mark}
                </span>{" "}
                Switch · <strong>{words(e.item.reason)}</strong>
                {e.item.note && <> — “{e.item.note}”</>} → {taskName(tasks, e.item.to_task)}
              </>
            )}
            {e.kind === "end" && `Stopped · ${duration(e.focusMinutes)} of focus`}
          </li>
        ))}
      </ol>
    </div>
  );
}

type Range = { x: [number, number]; y: string };
type Point = { x: number; y: string };

function timelineChart(user: User, timelines: SessionTimeline[], tasks: Task[]): ChartConfiguration<"bar" | "scatter", (Range | Point)[], string> {
  const HOUR = 3_600_000;
  const labels = timelines.map((t) => sessionName(t.session));
  const min = Math.floor(Math.min(...timelines.map((t) => t.start)) / HOUR) * HOUR;
  const max = Math.ceil(Math.max(...timelines.map((t) => t.end)) / HOUR) * HOUR;
  const label = (t: SessionTimeline) => sessionName(t.session);
  const notes = new Map<string, Switch>();
  const switchPoints = timelines.flatMap((t) =>
    t.switches.map((w) => {
      const p = { x: Date.parse(w.happened_at), y: label(t) };
      notes.set(`${p.x}|${p.y}`, w);
      return p;
    }),
  );
  return {
    type: "bar",
    data: {
      labels,
      datasets: [
        {
          type: "bar",
          label: "Focus",
          data: timelines.flatMap((t) => t.stretches.map((s): Range => ({ x: [s.start, s.end], y: label(t) }))),
          backgroundColor: PALETTE.focus,
          grouped: false,
          order: 2,
          barPercentage: 0.6,
          categoryPercentage: 1,
        },
        {
          type: "bar",
          label: "Paused",
          data: timelines.flatMap((t) => t.pauses.map((p): Range => ({ x: [p.from, p.to], y: label(t) }))),
          backgroundColor: PALETTE.paused,
          grouped: false,
          order: 2,
          barPercentage: 0.6,
          categoryPercentage: 1,
        },
        {
          type: "scatter",
          label: "Switches",
          data: switchPoints,
          backgroundColor: PALETTE.switches,
          // Crosses are drawn by their border only.
          borderColor: timelines.flatMap((t) => t.switches.map((w) => (REASON_STYLE[w.reason].pointStyle === "crossRot" ? PALETTE.switches : "#ffffff"))),
          borderWidth: timelines.flatMap((t) => t.switches.map((w) => (REASON_STYLE[w.reason].pointStyle === "crossRot" ? 3 : 1))),
          pointRadius: 7,
          pointHoverRadius: 9,
          pointStyle: timelines.flatMap((t) => t.switches.map((w) => REASON_STYLE[w.reason].pointStyle)),
          // Drawn over the bars (a lower order is drawn later).
          order: 1,
        },
      ],
    },
    options: {
      indexAxis: "y",
      scales: {
        x: {
          type: "linear",
          min,
          max: Math.max(max, min + HOUR),
          ticks: { stepSize: HOUR, callback: (v) => clock(user, Number(v)) },
          grid: { color: "#e5e9f0" },
        },
        y: { type: "category", labels, grid: { display: false } },
      },
      plugins: {
        legend: { position: "bottom" },
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const raw = ctx.raw as Range | Point;
              if (Array.isArray(raw.x)) return `${ctx.dataset.label}: ${clock(user, raw.x[0])}–${clock(user, raw.x[1])}`;
              const w = notes.get(`${raw.x}|${raw.y}`);
              if (!w) return "Switch";
              return `${clock(user, raw.x)} ${words(w.reason)}${w.note ? ` — ${w.note}` : ""} → ${taskName(tasks, w.to_task)}`;
            },
          },
        },
      },
    },
  };
}
