/**
 * Tasks: filters, search, ordering and cursor paging over GET /api/tasks/; create and edit; the list's
 * CSV/JSON export as a download; GitHub import into a team, its progress live from the team's stream.
 */
import { useState } from "preact/hooks";
import {
  importGithubRequestStateValues as GITHUB_STATES,
  nextCursor,
  pathsApiTasksGetParametersQueryOrderingValues as ORDERINGS,
  pathsApiTasksExportGetParametersQueryFormatValues as FORMATS,
  taskPriorityValues as PRIORITIES,
  taskStatusValues as STATUSES,
  taskTypeValues as TYPES,
  type Schemas,
} from "../../../client/index.ts";
import { api, attachmentName, download, ok } from "../api.ts";
import { CardTable, ErrorLine, Field, FilterActions, Notice, Section, Select, useAction, useLoad, words } from "../components/ui.tsx";
import { useLive } from "../live.ts";
import { useMe } from "../session.ts";

type Task = Schemas["Task"];
type Team = Schemas["Team"];
type Ordering = (typeof ORDERINGS)[number];
type Type = (typeof TYPES)[number];
type Priority = (typeof PRIORITIES)[number];
type Status = (typeof STATUSES)[number];

interface Filters {
  type: Type | "";
  priority: Priority | "";
  status: Status | "";
  team: string;
  search: string;
  ordering: Ordering;
}

const NO_FILTERS: Filters = { type: "", priority: "", status: "", team: "", search: "", ordering: "-created_at" };
const PAGE_SIZE = 20;

function filterQuery(f: Filters) {
  return {
    ordering: f.ordering,
    ...(f.type ? { type: f.type } : {}),
    ...(f.priority ? { priority: f.priority } : {}),
    ...(f.status ? { status: f.status } : {}),
    ...(f.team ? { team: Number(f.team) } : {}),
    ...(f.search.trim() ? { search: f.search.trim() } : {}),
  };
}

const orderingLabel = (o: Ordering) => `${words(o.replace(/^-/, ""))} ${o.startsWith("-") ? "↓" : "↑"}`;

export function Tasks() {
  const teams = useLoad(() => ok(api.GET("/api/teams", { params: { query: { page_size: 200 } } })), []);
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  // Cursor paging: the cursors of the pages before this one, copied from each page's `next`.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors.at(-1);
  const page = useLoad(
    () => ok(api.GET("/api/tasks", { params: { query: { ...filterQuery(filters), page_size: PAGE_SIZE, ...(cursor ? { cursor } : {}) } } })),
    [filters, cursor],
  );
  const [editing, setEditing] = useState<number | "new" | null>(null);
  const exporting = useAction();
  const set = <K extends keyof Filters>(k: K) => (v: Filters[K]) => setDraft({ ...draft, [k]: v });
  const apply = (f: Filters) => {
    setFilters(f);
    setCursors([undefined]);
  };
  const teamList = teams.data?.results ?? [];
  const teamName = (id: number | null) => (id === null ? "Personal" : (teamList.find((t) => t.id === id)?.name ?? `Team #${id}`));

  const exportAs = (format: (typeof FORMATS)[number]) =>
    void exporting.run(async () => {
      const answer = await api.GET("/api/tasks/export", { params: { query: { ...filterQuery(filters), format } }, parseAs: "blob" });
      const blob = await ok(Promise.resolve(answer));
      download(blob, attachmentName(answer.response, `tasks.${format}`));
    });

  return (
    <div class="view tasks">
      <div class="view-head">
        <h1>Tasks</h1>
        <div class="actions">
          <button type="button" onClick={() => setEditing(editing === "new" ? null : "new")} aria-expanded={editing === "new"}>
            New task
          </button>
          {FORMATS.map((f) => (
            <button key={f} type="button" class="secondary" disabled={exporting.busy} onClick={() => exportAs(f)}>
              Export {f.toUpperCase()}
            </button>
          ))}
        </div>
      </div>
      <ErrorLine error={exporting.error ?? teams.error} />
      {editing === "new" && (
        <Section title="New task">
          <TaskForm
            teams={teamList}
            onSaved={() => {
              setEditing(null);
              page.reload();
            }}
            onCancel={() => setEditing(null)}
          />
        </Section>
      )}
      <Section title="Filter and order">
        <form
          class="filters"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            apply(draft);
          }}
        >
          <Field label="Search" type="search" value={draft.search} onValue={set("search")} placeholder="title or description" />
          <Select label="Type" value={draft.type} options={TYPES} empty="Any type" onValue={set("type")} />
          <Select label="Priority" value={draft.priority} options={PRIORITIES} empty="Any priority" onValue={set("priority")} />
          <Select label="Status" value={draft.status} options={STATUSES} empty="Any status" onValue={set("status")} />
          <Select label="Team" value={draft.team} empty="All of mine" options={teamList.map((t) => ({ value: String(t.id), label: t.name }))} onValue={set("team")} />
          <Select
            label="Order by"
            value={draft.ordering}
            options={ORDERINGS.map((o) => ({ value: o, label: orderingLabel(o) }))}
            onValue={(v) => v && setDraft({ ...draft, ordering: v })}
          />
          <FilterActions
            onClear={() => {
              setDraft(NO_FILTERS);
              apply(NO_FILTERS);
            }}
          />
        </form>
      </Section>
      <Section title="Tasks">
        <ErrorLine error={page.error} />
        {!page.data && !page.error && <p class="loading">Loading…</p>}
        {page.data && page.data.results.length === 0 && <p class="muted">No task matches.</p>}
        {page.data && page.data.results.length > 0 && (
          <CardTable name="tasks-table" columns={["Title", "Type", "Priority", "Status", "Team"]}>
            {page.data.results.map((t) => (
              <TaskRow
                key={t.id}
                task={t}
                teamName={teamName(t.team)}
                writable={t.team === null || teamList.some((x) => x.id === t.team && x.role !== "VIEWER")}
                editing={editing === t.id}
                onEdit={() => setEditing(editing === t.id ? null : t.id)}
                onSaved={(saved) => {
                  setEditing(null);
                  page.setData((p) => p && { ...p, results: p.results.map((x) => (x.id === saved.id ? saved : x)) });
                }}
                teams={teamList}
              />
            ))}
          </CardTable>
        )}
        <nav class="pager" aria-label="Task pages">
          <button type="button" class="secondary" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
            ← Previous page
          </button>
          <span>Page {cursors.length}</span>
          <button
            type="button"
            class="secondary"
            disabled={!page.data?.next}
            onClick={() => {
              const next = page.data && nextCursor(page.data);
              if (next) setCursors([...cursors, next]);
            }}
          >
            Next page →
          </button>
        </nav>
      </Section>
      <GithubImport teams={teamList} onProgress={page.reload} />
    </div>
  );
}

function TaskRow(props: {
  task: Task;
  teamName: string;
  writable: boolean;
  editing: boolean;
  onEdit: () => void;
  onSaved: (t: Task) => void;
  teams: Team[];
}) {
  const t = props.task;
  return (
    <>
      <tr>
        <td class="cell-title">
          <span class="task-title">{t.title}</span>
          {t.external_key && (
            <>
              {" "}
              {t.external_url ? (
                <a href={t.external_url} rel="noreferrer" target="_blank" class="muted">
                  {t.external_key}
                </a>
              ) : (
                <span class="muted">{t.external_key}</span>
              )}
            </>
          )}
        </td>
        <td data-label="Type">{words(t.type)}</td>
        <td data-label="Priority">
          <span class={`badge prio-${t.priority}`}>{words(t.priority)}</span>
        </td>
        <td data-label="Status">{words(t.status)}</td>
        <td data-label="Team">{props.teamName}</td>
        <td class="cell-actions">
          {props.writable && (
            <button type="button" class="ghost small" aria-expanded={props.editing} onClick={props.onEdit} aria-label={`Edit ${t.title}`}>
              Edit
            </button>
          )}
        </td>
      </tr>
      {props.editing && (
        <tr class="edit-row">
          <td colSpan={6}>
            <TaskForm task={t} teams={props.teams} onSaved={props.onSaved} onCancel={props.onEdit} />
          </td>
        </tr>
      )}
    </>
  );
}

function TaskForm({ task, teams, onSaved, onCancel }: { task?: Task; teams: Team[]; onSaved: (t: Task) => void; onCancel: () => void }) {
  const [title, setTitle] = useState(task?.title ?? "");
  const [description, setDescription] = useState(task?.description ?? "");
  const [type, setType] = useState<Type>(task?.type ?? "FEATURE");
  const [priority, setPriority] = useState<Priority>(task?.priority ?? "MED");
  const [status, setStatus] = useState<Status>(task?.status ?? "TODO");
  const [team, setTeam] = useState("");
  const { busy, error, run } = useAction();
  const writable = teams.filter((t) => t.role !== "VIEWER");
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const body = { title, description, type, priority, status };
      onSaved(
        task
          ? await ok(api.PATCH("/api/tasks/{id}", { params: { path: { id: task.id } }, body }))
          : await ok(api.POST("/api/tasks", { body: { ...body, ...(team ? { team: Number(team) } : {}) } })),
      );
    });
  };
  return (
    <form class="stack" onSubmit={submit} aria-label={task ? `Edit ${task.title}` : "New task"}>
      <Field label="Title" required maxLength={255} value={title} onValue={setTitle} />
      <div class="field">
        <label for={`desc-${task?.id ?? "new"}`}>Description</label>
        <textarea id={`desc-${task?.id ?? "new"}`} rows={3} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </div>
      <div class="row">
        <Select label="Type" value={type} options={TYPES} onValue={(v) => v && setType(v)} />
        <Select label="Priority" value={priority} options={PRIORITIES} onValue={(v) => v && setPriority(v)} />
        <Select label="Status" value={status} options={STATUSES} onValue={(v) => v && setStatus(v)} />
        {!task && writable.length > 0 && (
          <Select label="Team" value={team} empty="Personal" options={writable.map((t) => ({ value: String(t.id), label: t.name }))} onValue={setTeam} />
        )}
      </div>
      <ErrorLine error={error} />
      <div class="actions">
        <button type="submit" disabled={busy}>
          {task ? "Save" : "Create task"}
        </button>
        <button type="button" class="ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function GithubImport({ teams, onProgress }: { teams: Team[]; onProgress: () => void }) {
  const { user } = useMe();
  // Importing needs ADMIN or OWNER of the team the tasks go into.
  const allowed = teams.filter((t) => t.role === "ADMIN" || t.role === "OWNER");
  const [team, setTeam] = useState("");
  const [owner, setOwner] = useState("");
  const [repo, setRepo] = useState("");
  const [state, setState] = useState<(typeof GITHUB_STATES)[number]>("open");
  const [token, setToken] = useState("");
  const { busy, error, run } = useAction();
  const teamId = Number(team || allowed[0]?.id || 0) || null;
  const jobs = useLoad(
    async () => (teamId ? (await ok(api.GET("/api/imports", { params: { query: { team: teamId, page_size: 5 } } }))).results : []),
    [teamId],
  );
  useLive(teamId, "import.updated", (job) => {
    jobs.setData((list) => [job, ...(list ?? []).filter((j) => j.id !== job.id)].slice(0, 5));
    if (job.status === "DONE") onProgress();
  });
  if (!allowed.length) return null;
  const submit = (e: Event) => {
    e.preventDefault();
    if (!teamId) return;
    void run(async () => {
      const job = await ok(api.POST("/api/tasks/import_github", { body: { owner, repo, team_id: teamId, state, ...(token ? { token } : {}) } }));
      jobs.setData((list) => [job, ...(list ?? []).filter((j) => j.id !== job.id)].slice(0, 5));
      setToken("");
    });
  };
  return (
    <Section title="Import from GitHub">
      <form class="filters" onSubmit={submit}>
        <Select label="Into team" value={String(teamId ?? "")} options={allowed.map((t) => ({ value: String(t.id), label: t.name }))} onValue={setTeam} />
        <Field label="Owner" required value={owner} onValue={setOwner} placeholder="acme" />
        <Field label="Repository" required value={repo} onValue={setRepo} placeholder="widgets" />
        <Select label="Issues" value={state} options={GITHUB_STATES} onValue={(v) => v && setState(v)} />
        <Field label="GitHub token (optional)" type="password" autoComplete="off" value={token} onValue={setToken} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            Import issues
          </button>
        </div>
      </form>
      <p class="hint">A token is only needed for private repositories; it is used for this import and never stored.</p>
      <ErrorLine error={error ?? jobs.error} />
      {jobs.data && jobs.data.length > 0 && (
        <ul class="jobs" aria-live="polite" aria-label="Imports">
          {jobs.data.map((j) => (
            <li key={j.id} data-testid={`import-${j.id}`} data-status={j.status}>
              <strong>
                {j.owner}/{j.repo}
              </strong>{" "}
              <span class={`badge job-${j.status}`}>{words(j.status)}</span> {j.pages_done} page{j.pages_done === 1 ? "" : "s"}, {j.created_count} new,{" "}
              {j.updated_count} updated, {j.skipped_pull_requests} pull requests skipped
              {j.error_message && <span class="muted"> — {j.error_message}</span>}
              {j.created_by === user.id ? "" : " (by another member)"}
            </li>
          ))}
        </ul>
      )}
      {jobs.data?.length === 0 && <Notice>No imports into this team yet.</Notice>}
    </Section>
  );
}
