// What `npm run bench` measures, per dataset: every request built by the typed client, with the cursors deep
// pages need (walked through `next` links). bench/run.ts measures these; bench/baseline.ts counts the round
// trips of the same list on an older design, matched by `id`.
import {
  createContextSwitchRequestReasonValues,
  pathsApiSessionsGetParametersQueryOrderingValues,
  pathsApiTasksGetParametersQueryOrderingValues,
} from "../../client/index.ts";
import type { Meta } from "../generate.ts";
import { apiClient, cursorAfterSessionRow, cursorAfterTask, type Prepared, prepare, type SessionQuery, type TaskQuery, type Walked } from "./api.ts";
import type { LoadRequest, MakeRequest } from "./load.ts";

export const PAGE = 50;

export type Kind = "health" | "list" | "detail" | "write" | "report";

/** How many requests measure() sends to one endpoint (its defaults are the bench's PLAN). */
export interface MeasureOptions {
  latencyRounds?: number;
  perRound?: number;
  tput?: boolean;
  warmup?: number;
  tputConcurrency?: number;
}

export interface Endpoint {
  /** Stable across datasets and designs (a name may carry a dataset's figures). */
  id: string;
  name: string;
  group: string;
  kind: Kind;
  pageSize?: number;
  search?: "needle" | "broad";
  report?: "daily" | "weekly";
  opts?: MeasureOptions;
  make: MakeRequest;
}

/** The element at `i`, which must exist. */
export const at = <T>(list: readonly T[], i: number): T => {
  const v = list[i];
  if (v === undefined) throw new Error(`no element ${i} of ${list.length}`);
  return v;
};
export const firstToken = (meta: Meta): string => at(meta.tokens, 0);

/** The same request every time. */
export const fixed = (req: Prepared, token?: string): MakeRequest => {
  const r: LoadRequest = { ...req, token };
  return () => r;
};

/** The session orderings whose deep pages are measured: switch_count has few values, so it is tie-heavy. */
export const SESSION_DEEP_ORDERINGS = pathsApiSessionsGetParametersQueryOrderingValues.filter((o) => o === "-switch_count" || o === "switch_count");
type SessionOrdering = (typeof SESSION_DEEP_ORDERINGS)[number];

/** Cursors into the middle of the lists, found by walking them from their first page (see lib/api.ts cursorAfter). */
export interface Extra {
  middleCursor: string;
  middlePriorityCursor: string;
  sessionCursors: Record<string, string>;
}

export interface Walks {
  default: Omit<Walked, "cursor">;
  priority: Omit<Walked, "cursor">;
  sessions: Record<string, Omit<Walked, "cursor">>;
  seconds: number;
}

const walkOf = ({ pages, position }: Walked) => ({ pages, position });

/**
 * Cursors just after the middle task (by id) of the default ordering and of -priority, and just after row
 * sessions ÷ 2 of the team's session list (its OWNER sees every member's) under each SESSION_DEEP_ORDERINGS,
 * all walked from page 1 at once.
 */
export async function middleCursors(base: string, meta: Meta): Promise<{ extra: Extra; walks: Walks }> {
  const t0 = performance.now();
  const api = apiClient(base, firstToken(meta));
  const mid = Math.floor(meta.counts.tasks / 2);
  const midSession = Math.floor(meta.counts.sessions / 2);
  const [byDefault, byPriority, ...bySessions] = await Promise.all([
    cursorAfterTask(api, {}, mid),
    cursorAfterTask(api, { ordering: "-priority" }, mid),
    ...SESSION_DEEP_ORDERINGS.map((ordering) => cursorAfterSessionRow(api, { team: meta.teamId, ordering }, midSession)),
  ]);
  if (!byDefault || !byPriority) throw new Error("no task cursors");
  const sessions = SESSION_DEEP_ORDERINGS.map((o, i) => [o, at(bySessions, i)] as const);
  return {
    extra: {
      middleCursor: byDefault.cursor,
      middlePriorityCursor: byPriority.cursor,
      sessionCursors: Object.fromEntries(sessions.map(([o, w]) => [o, w.cursor])),
    },
    walks: {
      default: walkOf(byDefault),
      priority: walkOf(byPriority),
      sessions: Object.fromEntries(sessions.map(([o, w]) => [o, walkOf(w)])),
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    },
  };
}

// Every ordering of the task list, each ascending then descending (the API's own list of them).
const ORDERINGS = pathsApiTasksGetParametersQueryOrderingValues.filter((o) => !o.startsWith("-")).flatMap((o) =>
  pathsApiTasksGetParametersQueryOrderingValues.filter((x) => x === o || x === `-${o}`),
);
const SWITCH_REASONS = createContextSwitchRequestReasonValues;

/** Every endpoint the bench measures on one dataset, reads first, in the order they are measured. */
export async function endpoints(meta: Meta, extra: Extra, { quick = false } = {}): Promise<Endpoint[]> {
  const tok = firstToken(meta);
  const list = async (name: string, query: TaskQuery, o: Partial<Endpoint> = {}): Promise<Endpoint> => ({
    id: name,
    name,
    group: "tasks list",
    kind: "list",
    pageSize: PAGE,
    make: fixed(await prepare((api) => api.GET("/api/tasks", { params: { query: { page_size: PAGE, ...query } } })), tok),
    ...o,
  });
  const sessionList = async (name: string, query: SessionQuery): Promise<Endpoint> => ({
    id: name,
    name,
    group: "sessions list",
    kind: "list",
    pageSize: PAGE,
    make: fixed(await prepare((api) => api.GET("/api/sessions", { params: { query: { page_size: PAGE, ...query } } })), tok),
  });
  const sessionCursor = (o: SessionOrdering): string => {
    const c = extra.sessionCursors[o];
    if (c === undefined) throw new Error(`no session cursor for ${o}`);
    return c;
  };
  const n = meta.counts.tasks;
  const sessions = meta.benchUserSessions;
  const { date_from, date_to } = meta.sessionRange;
  const range = `date_from=${date_from}&date_to=${date_to}`;
  const externalKey = meta.externalKey;
  if (externalKey === null) throw new Error(`${meta.size}: the dataset has no GitHub task in its second half`);
  const search = (which: "needle" | "broad", term: string, matches: number) => {
    const id = `tasks: search "${term}"`;
    return list(`${id} (${matches} matches)`, { search: term }, { id, search: which });
  };
  return Promise.all([
    { id: "GET /api/health/", name: "GET /api/health/", group: "health", kind: "health" as const, make: fixed(await prepare((api) => api.GET("/api/health"))) },
    list("tasks: default (-created_at)", {}),
    list("tasks: type=BUG", { type: "BUG" }),
    list("tasks: priority=HIGH", { priority: "HIGH" }),
    list("tasks: status=DONE", { status: "DONE" }),
    list("tasks: external_source=GITHUB", { external_source: "GITHUB" }),
    list("tasks: external_key", { external_key: externalKey }),
    list("tasks: team", { team: meta.teamId }),
    search("needle", meta.search.needle, meta.search.needleMatches),
    // A word in ~5 % of the tasks, under an unrelated ordering: no index yields its page directly.
    search("broad", meta.search.broad, meta.search.broadMatches),
    ...ORDERINGS.map((ordering) => list(`tasks: ordering=${ordering}`, { ordering })),
    list("tasks: a page in the middle (cursor)", { cursor: extra.middleCursor }),
    // Priority has three values: a deep page sits among ~a third of the tasks that tie with it.
    list("tasks: ordering=-priority, a page in the middle (cursor)", { ordering: "-priority", cursor: extra.middlePriorityCursor }),
    {
      id: "task detail",
      name: "task detail",
      group: "task detail",
      kind: "detail" as const,
      make: async (i: number) => ({ ...(await prepare((api) => api.GET("/api/tasks/{id}", { params: { path: { id: 1 + ((i * 7919) % n) } } }))), token: tok }),
    },
    sessionList(`sessions: ${range}`, { date_from, date_to }),
    // The team's sessions (every member's, for its OWNER): switch_count has a few dozen values over ~50,000
    // sessions, the deepest ties of any list.
    ...SESSION_DEEP_ORDERINGS.map((ordering) =>
      sessionList(`sessions: team, ordering=${ordering}, a page in the middle (cursor)`, { team: meta.teamId, ordering, cursor: sessionCursor(ordering) }),
    ),
    {
      id: "session detail",
      name: "session detail",
      group: "session detail",
      kind: "detail" as const,
      make: async (i: number) => ({ ...(await prepare((api) => api.GET("/api/sessions/{id}", { params: { path: { id: at(sessions, i % sessions.length) } } }))), token: tok }),
    },
    {
      id: `context switches: ${range}`,
      name: `context switches: ${range}`,
      group: "switches list",
      kind: "list" as const,
      pageSize: PAGE,
      make: fixed(await prepare((api) => api.GET("/api/context-switches", { params: { query: { page_size: PAGE, date_from, date_to } } })), tok),
    },
    // Writes: switch creation (each of the 20 users into their open session), daily and weekly reports.
    {
      id: "POST /api/context-switches/",
      name: "POST /api/context-switches/",
      group: "switch create",
      kind: "write" as const,
      make: async (i: number) => {
        const user = i % meta.tokens.length;
        const devSession = meta.openSessions[user + 1];
        if (devSession === undefined) throw new Error(`user ${user + 1} has no open session`);
        const body = { dev_session: devSession, reason: at(SWITCH_REASONS, i % SWITCH_REASONS.length), note: "bench" };
        return { ...(await prepare((api) => api.POST("/api/context-switches", { body }))), token: at(meta.tokens, user) };
      },
    },
    {
      id: "POST /api/reports/daily/",
      name: "POST /api/reports/daily/ (40 sessions, 400 switches)",
      group: "report",
      kind: "report" as const,
      report: "daily" as const,
      opts: { perRound: quick ? 2 : 4, tput: false, warmup: 2 },
      make: fixed(await prepare((api) => api.POST("/api/reports/daily", { body: { date: meta.reportDay } })), tok),
    },
    {
      id: "POST /api/reports/weekly/",
      name: "POST /api/reports/weekly/ (this week and the one before)",
      group: "report",
      kind: "report" as const,
      report: "weekly" as const,
      opts: { perRound: quick ? 2 : 3, tput: false, warmup: 2 },
      make: fixed(await prepare((api) => api.POST("/api/reports/weekly", { body: { week_of: meta.weekOf } })), tok),
    },
  ]);
}
