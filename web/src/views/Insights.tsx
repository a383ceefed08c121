/** Insights with their advice, filtered by code, level and dates (and team), a page at a time; new ones arrive live. */
import { useState } from "preact/hooks";
import { insightCodeValues as CODES, insightLevelValues as LEVELS, nextCursor, type Schemas } from "../../../client/index.ts";
import { api, ok } from "../api.ts";
import { ErrorLine, Field, FilterActions, Section, Select, useAction, useLoad, words } from "../components/ui.tsx";
import { useLive } from "../live.ts";

type Insight = Schemas["Insight"];
type Code = (typeof CODES)[number];
type Level = (typeof LEVELS)[number];

export function InsightList({ insights, empty }: { insights: Insight[]; empty: string }) {
  if (!insights.length) return <p class="muted">{empty}</p>;
  return (
    <ul class="insights" aria-live="polite">
      {insights.map((i) => (
        <li key={i.id} class={`insight level-${i.level}`} data-code={i.code}>
          <div class="insight-head">
            <span class={`badge level-${i.level}`}>{words(i.level)}</span> <strong>{words(i.code)}</strong>{" "}
            <span class="muted">{i.period_start}</span>
          </div>
          <p>{i.message}</p>
          {Object.keys(i.meta).length > 0 && (
            <p class="meta">
              {Object.entries(i.meta)
                .map(([k, v]) => `${k.replaceAll("_", " ")}: ${v}`)
                .join(" · ")}
            </p>
          )}
        </li>
      ))}
    </ul>
  );
}

interface Filters {
  code: Code | "";
  level: Level | "";
  date_from: string;
  date_to: string;
  team: string;
}

const NO_FILTERS: Filters = { code: "", level: "", date_from: "", date_to: "", team: "" };

function query(f: Filters, cursor?: string) {
  return {
    page_size: 20,
    ...(f.code ? { code: f.code } : {}),
    ...(f.level ? { level: f.level } : {}),
    ...(f.date_from ? { date_from: f.date_from } : {}),
    ...(f.date_to ? { date_to: f.date_to } : {}),
    ...(f.team ? { team: Number(f.team) } : {}),
    ...(cursor ? { cursor } : {}),
  };
}

const matches = (f: Filters, i: Insight) =>
  (!f.code || i.code === f.code) &&
  (!f.level || i.level === f.level) &&
  (!f.date_from || i.period_start >= f.date_from) &&
  (!f.date_to || i.period_start <= f.date_to) &&
  (f.team ? i.team === Number(f.team) : true);

export function Insights() {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const teams = useLoad(() => ok(api.GET("/api/teams", { params: { query: { page_size: 200 } } })), []);
  const page = useLoad(() => ok(api.GET("/api/insights", { params: { query: query(filters) } })), [filters]);
  const more = useAction();
  const set = <K extends keyof Filters>(k: K) => (v: Filters[K]) => setDraft({ ...draft, [k]: v });

  useLive("me", "insight.created", (i) => {
    if (!matches(filters, i)) return;
    page.setData((p) => p && { ...p, results: [i, ...p.results.filter((x) => x.id !== i.id)] });
  });

  const loadMore = () => {
    const cursor = page.data && nextCursor(page.data);
    if (!cursor) return;
    void more.run(async () => {
      const next = await ok(api.GET("/api/insights", { params: { query: query(filters, cursor) } }));
      page.setData((p) => p && { results: [...p.results, ...next.results], next: next.next });
    });
  };

  return (
    <div class="view">
      <div class="view-head">
        <h1>Insights</h1>
        <p class="sub">What your days say, and one next step each.</p>
      </div>
      <Section title="Filter">
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            setFilters(draft);
          }}
        >
          <Select label="Code" value={draft.code} options={CODES} empty="Any code" onValue={set("code")} />
          <Select label="Level" value={draft.level} options={LEVELS} empty="Any level" onValue={set("level")} />
          <Field label="From" type="date" value={draft.date_from} onValue={set("date_from")} />
          <Field label="To" type="date" value={draft.date_to} onValue={set("date_to")} />
          <Select
            label="Team"
            value={draft.team}
            empty="Mine"
            options={(teams.data?.results ?? []).map((t) => ({ value: String(t.id), label: t.name }))}
            onValue={set("team")}
          />
          <FilterActions
            onClear={() => {
              setDraft(NO_FILTERS);
              setFilters(NO_FILTERS);
            }}
          />
        </form>
      </Section>
      <Section title="Insights">
        <ErrorLine error={page.error ?? more.error} />
        {page.data ? <InsightList insights={page.data.results} empty="No insight matches these filters." /> : !page.error && <p class="loading">Loading…</p>}
        {page.data?.next && (
          <button type="button" class="secondary" disabled={more.busy} onClick={loadMore}>
            Load more
          </button>
        )}
      </Section>
    </div>
  );
}
