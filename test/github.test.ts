import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from "vitest";
import { normalizeLabel, priorityFromLabels, statusFromState, typeFromLabels, hasNextPage } from "../src/modules/github/mapping";
import type { ImportPageMessage } from "../src/platform/queue-messages";
import { api, deliver, expectError, nextPage, openapiDocument, openStream, teamWithRoles, unchecked, walk, type Schemas } from "./harness";

// ─── A fake GitHub at the fetch boundary ─────────────────────────────────────────────────────────

const GITHUB = "https://api.github.com";

interface FakeItem {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  labels: { id: number; name: string; color: string }[];
  pullRequest: boolean;
}

type Override = (req: Request, page: number) => Response | Promise<Response> | undefined;

/** What GitHub's REST API answers for GET /repos/{owner}/{repo}/issues, for the repos registered here. */
class FakeGithub {
  repos = new Map<string, FakeItem[]>();
  overrides = new Map<string, Override>();
  requests: { url: URL; authorization: string | null }[] = [];

  handle = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const m = url.pathname.match(/^\/repos\/([^/]+)\/([^/]+)\/issues$/);
    if (url.origin !== GITHUB || !m || req.method !== "GET") {
      return new Response(`fake GitHub has no ${req.method} ${req.url}`, { status: 599 });
    }
    this.requests.push({ url, authorization: req.headers.get("authorization") });
    const key = `${m[1]}/${m[2]}`;
    const page = Number(url.searchParams.get("page") ?? 1);
    const override = this.overrides.get(key);
    const answered = override && (await override(req, page));
    if (answered) return answered;
    const items = this.repos.get(key);
    if (!items) return json({ message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" }, 404);
    const state = url.searchParams.get("state") ?? "open";
    const perPage = Number(url.searchParams.get("per_page") ?? 30);
    const matching = items.filter((i) => state === "all" || i.state === state);
    const last = Math.max(1, Math.ceil(matching.length / perPage));
    const slice = matching.slice((page - 1) * perPage, page * perPage);
    const link = (p: number) => {
      const u = new URL(`${GITHUB}/repositories/4242/issues`);
      u.search = url.search;
      u.searchParams.set("page", String(p));
      return `<${u}>`;
    };
    const rels = [];
    if (page < last) rels.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`);
    if (page > 1) rels.push(`${link(1)}; rel="first"`, `${link(page - 1)}; rel="prev"`);
    return json(slice.map((i) => toPayload(key, i)), 200, {
      ...(rels.length ? { link: rels.join(", ") } : {}),
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "4999",
      "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
    });
  };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8", ...headers } });

function toPayload(repo: string, i: FakeItem) {
  const html = `https://github.com/${repo}/${i.pullRequest ? "pull" : "issues"}/${i.number}`;
  return {
    url: `${GITHUB}/repos/${repo}/issues/${i.number}`,
    html_url: html,
    id: i.id,
    node_id: `I_kwDO${i.id}`,
    number: i.number,
    title: i.title,
    user: { login: "octocat", id: 1, type: "User" },
    labels: i.labels.map((l) => ({ ...l, url: `${GITHUB}/repos/${repo}/labels/${encodeURIComponent(l.name)}`, default: false })),
    state: i.state,
    locked: false,
    assignee: null,
    assignees: [],
    comments: 0,
    created_at: "2025-01-01T00:00:00Z",
    updated_at: "2025-01-02T00:00:00Z",
    closed_at: i.state === "closed" ? "2025-01-03T00:00:00Z" : null,
    author_association: "MEMBER",
    body: i.body,
    ...(i.pullRequest
      ? { pull_request: { url: `${GITHUB}/repos/${repo}/pulls/${i.number}`, html_url: html, diff_url: `${html}.diff`, patch_url: `${html}.patch`, merged_at: null } }
      : {}),
  };
}

const label = (name: string, id = name.length) => ({ id, name, color: "ededed" });

/** Six label sets, cycled by issue number, and what each must map to (written out, not computed). */
const LABEL_SETS = [
  { labels: [label("bug"), label("P1")], type: "BUG", priority: "HIGH" },
  { labels: [label("Tech Debt"), label("low")], type: "REFACTOR", priority: "LOW" },
  { labels: [], type: "FEATURE", priority: "MED" },
  { labels: [label("enhancement"), label("Critical")], type: "FEATURE", priority: "HIGH" },
  { labels: [label("cleanup")], type: "REFACTOR", priority: "MED" },
  { labels: [label("BUG"), label("p3")], type: "BUG", priority: "LOW" },
] as const;

/** n items numbered 1..n; every 12th is a pull request, every 5th is closed, every 7th has no body. */
function makeItems(n: number, idBase: number): FakeItem[] {
  return Array.from({ length: n }, (_, k) => {
    const number = k + 1;
    return {
      id: idBase + number,
      number,
      title: `Issue number ${number}`,
      body: number % 7 === 0 ? null : `Steps to reproduce #${number}`,
      state: number % 5 === 0 ? "closed" : "open",
      labels: LABEL_SETS[number % 6]!.labels.map((l) => ({ ...l })),
      pullRequest: number % 12 === 0,
    };
  });
}

const github = new FakeGithub();
let fetchSpy: MockInstance<typeof fetch>;

beforeAll(() => {
  fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => github.handle(new Request(input, init)));
});
afterAll(() => fetchSpy.mockRestore());

// ─── Helpers ─────────────────────────────────────────────────────────────────────────────────────

let repoSeq = 0;
const uniqueRepo = () => `widgets-${Date.now().toString(36)}-${repoSeq++}`;

/** A team of importers: its owner, and one member per role asked for. */
async function teamWith<R extends "ADMIN" | "MEMBER" | "VIEWER">(roles: R[] = []) {
  const { team, users } = await teamWithRoles(roles);
  return { owner: users.OWNER, team, members: users };
}

async function waitForJob(id: number, token: string, until: Schemas["ImportJob"]["status"][] = ["DONE", "FAILED"], timeoutMs = 25_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api(`/api/imports/${id}/`, { token });
    expect(res.status).toBe(200);
    if (until.includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`import ${id} still ${res.body.status} after ${timeoutMs} ms: ${res.text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A job row made directly, so that only the messages a test delivers itself ever run for it. */
async function insertJob(teamId: number, userId: number, owner: string, repo: string, state = "all") {
  const row = await env.DB.prepare("INSERT INTO import_jobs (team_id, created_by, owner, repo, state) VALUES (?, ?, ?, ?, ?) RETURNING id")
    .bind(teamId, userId, owner, repo, state)
    .first<{ id: number }>();
  return row!.id;
}

const pageMsg = (jobId: number, page: number, token?: string): ImportPageMessage => ({ kind: "import_page", jobId, page, ...(token ? { token } : {}) });

const jobRow = (id: number) => env.DB.prepare("SELECT * FROM import_jobs WHERE id = ?").bind(id).first<Record<string, any>>();

async function teamTasks(teamId: number) {
  const { results } = await env.DB.prepare("SELECT * FROM tasks WHERE team_id = ? ORDER BY id").bind(teamId).all<Record<string, any>>();
  return results;
}

// ─── Mapping (pure) ──────────────────────────────────────────────────────────────────────────────

describe("github: label and state mapping", () => {
  it("maps type from labels, case-insensitively, objects or strings", () => {
    expect(typeFromLabels([{ name: "Bug" }])).toBe("BUG");
    expect(typeFromLabels(["type: bug"])).toBe("BUG");
    expect(typeFromLabels(["kind/bug"])).toBe("BUG");
    expect(typeFromLabels([{ name: "refactor" }])).toBe("REFACTOR");
    expect(typeFromLabels(["Tech Debt"])).toBe("REFACTOR");
    expect(typeFromLabels(["tech-debt"])).toBe("REFACTOR");
    expect(typeFromLabels(["CLEANUP"])).toBe("REFACTOR");
    expect(typeFromLabels(["cleanup", "bug"])).toBe("BUG");
    expect(typeFromLabels(["enhancement", { name: null }])).toBe("FEATURE");
    expect(typeFromLabels([])).toBe("FEATURE");
    expect(typeFromLabels(["debugging"])).toBe("FEATURE");
  });

  it("maps priority from labels", () => {
    for (const l of ["critical", "Urgent", "P0", "p1", "High", "priority: high", "high priority"]) expect(priorityFromLabels([l])).toBe("HIGH");
    for (const l of ["low", "P3", "Priority: Low"]) expect(priorityFromLabels([{ name: l }])).toBe("LOW");
    for (const l of ["p2", "medium", "low-hanging fruit", "highlight"]) expect(priorityFromLabels([l])).toBe("MED");
    expect(priorityFromLabels(["low", "critical"])).toBe("HIGH");
    expect(priorityFromLabels()).toBe("MED");
  });

  it("maps state and reads Link headers", () => {
    expect(statusFromState("closed")).toBe("DONE");
    expect(statusFromState("open")).toBe("TODO");
    expect(normalizeLabel({ name: " Tech_Debt " })).toBe("tech debt");
    expect(hasNextPage('<https://x/issues?page=2>; rel="next", <https://x/issues?page=5>; rel="last"')).toBe(true);
    expect(hasNextPage('<https://x/issues?page=1>; rel="first", <https://x/issues?page=4>; rel="prev"')).toBe(false);
    expect(hasNextPage(undefined)).toBe(false);
  });
});

// ─── Happy path ──────────────────────────────────────────────────────────────────────────────────

describe("github: happy path", () => {
  it("imports 250 items over 3 pages: 230 tasks with the right mapping, 20 PRs skipped", async () => {
    const { owner, team, members } = await teamWith(["ADMIN"]);
    const repo = uniqueRepo();
    const items = makeItems(250, 9_000_000);
    github.repos.set(`acme/${repo}`, items);
    const before = github.requests.length;

    const res = await api("/api/tasks/import_github/", {
      token: members.ADMIN.token,
      body: { owner: "acme", repo, team_id: team.id, state: "all", token: "ghp_happyPathToken123" },
    });
    expect(res.status).toBe(202);
    expect(res.headers.get("Location")).toBe(`/api/imports/${res.body.id}/`);
    expect(res.body).toMatchObject({ team: team.id, owner: "acme", repo, state: "all", status: "PENDING", pages_done: 0 });

    const job = await waitForJob(res.body.id, owner.token);
    expect(job).toMatchObject({
      status: "DONE",
      pages_done: 3,
      created_count: 230,
      updated_count: 0,
      skipped_pull_requests: 20,
      error_message: null,
    });
    expect(job.finished_at).toMatch(/Z$/);

    const calls = github.requests.slice(before).filter((r) => r.url.pathname === `/repos/acme/${repo}/issues`);
    expect(calls.map((c) => c.url.searchParams.get("page"))).toEqual(["1", "2", "3"]);
    for (const c of calls) {
      expect(c.url.searchParams.get("per_page")).toBe("100");
      expect(c.url.searchParams.get("state")).toBe("all");
      expect(c.authorization).toBe("token ghp_happyPathToken123");
    }

    const tasks = await teamTasks(team.id);
    expect(tasks).toHaveLength(230);
    const byId = new Map(tasks.map((t) => [t.external_id, t]));
    for (const i of items) {
      const t = byId.get(String(i.id));
      if (i.pullRequest) {
        expect(t).toBeUndefined();
        continue;
      }
      const want = LABEL_SETS[i.number % 6]!;
      expect(t).toMatchObject({
        title: i.title,
        description: i.body ?? "",
        type: want.type,
        priority: want.priority,
        status: i.state === "closed" ? "DONE" : "TODO",
        external_source: "GITHUB",
        external_key: `acme/${repo}#${i.number}`,
        external_url: `https://github.com/acme/${repo}/issues/${i.number}`,
        created_by: members.ADMIN.id,
      });
    }
    // Spot checks of the mapping across the whole set, so a table bug cannot hide behind the loop above.
    const count = (f: (t: Record<string, any>) => boolean) => tasks.filter(f).length;
    expect(count((t) => t.status === "DONE")).toBe(items.filter((i) => !i.pullRequest && i.number % 5 === 0).length);
    expect(count((t) => t.type === "BUG")).toBeGreaterThan(0);
    expect(count((t) => t.type === "REFACTOR")).toBeGreaterThan(0);
    expect(count((t) => t.priority === "LOW")).toBeGreaterThan(0);
  });

  it("a second import updates changed fields only, creates only new issues, and never duplicates", async () => {
    const { owner, team } = await teamWith();
    const repo = uniqueRepo();
    const items = makeItems(120, 7_000_000);
    github.repos.set(`acme/${repo}`, items);
    const start = () => api("/api/tasks/import_github/", { token: owner.token, body: { owner: "acme", repo, team_id: team.id, state: "all" } });

    const first = await waitForJob((await start()).body.id, owner.token);
    expect(first).toMatchObject({ status: "DONE", created_count: 110, updated_count: 0, skipped_pull_requests: 10, pages_done: 2 });
    const before = new Map((await teamTasks(team.id)).map((t) => [t.external_id, t]));
    await new Promise((r) => setTimeout(r, 5)); // so a rewritten updated_at would differ

    items[0]!.title = "Renamed on GitHub";
    items[1]!.state = "closed";
    items[2]!.labels = [label("bug"), label("urgent")];
    items[3]!.body = "Edited body";
    items.push({ ...makeItems(121, 7_000_000)[120]!, pullRequest: false });

    const second = await waitForJob((await start()).body.id, owner.token);
    expect(second).toMatchObject({ status: "DONE", created_count: 1, updated_count: 110, skipped_pull_requests: 10, pages_done: 2 });

    const after = await teamTasks(team.id);
    expect(after).toHaveLength(111);
    const dupes = await env.DB.prepare(
      "SELECT external_id FROM tasks WHERE team_id = ? GROUP BY external_source, external_id HAVING count(*) > 1",
    ).bind(team.id).all();
    expect(dupes.results).toEqual([]);

    const changed: Record<string, Record<string, unknown>> = {
      [String(items[0]!.id)]: { title: "Renamed on GitHub" },
      [String(items[1]!.id)]: { status: "DONE" },
      [String(items[2]!.id)]: { type: "BUG", priority: "HIGH" },
      [String(items[3]!.id)]: { description: "Edited body" },
    };
    for (const t of after) {
      const old = before.get(t.external_id);
      if (!old) {
        expect(t.external_key).toBe(`acme/${repo}#121`);
        continue;
      }
      const diff = changed[t.external_id];
      if (!diff) {
        expect(t).toEqual(old); // untouched, updated_at included
        continue;
      }
      expect(t).toEqual({ ...old, ...diff, priority_rank: t.priority_rank, updated_at: t.updated_at });
      expect(t.updated_at > old.updated_at).toBe(true);
      expect(t.created_at).toBe(old.created_at);
    }
  });

  it("a duplicated page message keeps the counters exact", async () => {
    const { owner, team } = await teamWith();
    const repo = uniqueRepo();
    github.repos.set(`acme/${repo}`, makeItems(150, 6_000_000)); // pages of 100 + 50; 12 PRs
    const id = await insertJob(team.id, owner.id, "acme", repo);

    // Two copies of page 1 in one batch run side by side; page 2 goes through the real queue.
    const { result } = await deliver("devfocus-github-import", [pageMsg(id, 1), pageMsg(id, 1)]);
    expect(result.retryMessages).toEqual([]);
    const done = await waitForJob(id, owner.token);
    const exact = { status: "DONE", pages_done: 2, created_count: 138, updated_count: 0, skipped_pull_requests: 12 };
    expect(done).toMatchObject(exact);

    // Late copies of both pages, after the job finished.
    const again = await deliver("devfocus-github-import", [pageMsg(id, 2), pageMsg(id, 1)]);
    expect(again.result.explicitAcks).toHaveLength(2);
    expect(await api(`/api/imports/${id}/`, { token: owner.token })).toMatchObject({ body: exact });
    const pages = await env.DB.prepare("SELECT page, created_count FROM import_job_pages WHERE job_id = ? ORDER BY page").bind(id).all();
    expect(pages.results).toEqual([{ page: 1, created_count: 92 }, { page: 2, created_count: 46 }]);
    expect(await teamTasks(team.id)).toHaveLength(138);
  });

  it("publishes import.updated to the team's stream, and the tasks API lists what was imported", async () => {
    const { owner, team, members } = await teamWith(["VIEWER"]);
    const repo = uniqueRepo();
    github.repos.set(`acme/${repo}`, makeItems(30, 3_000_000));
    const res = await api("/api/tasks/import_github/", { token: owner.token, body: { owner: "acme", repo, team_id: team.id } });
    const job = await waitForJob(res.body.id, owner.token);
    expect(job).toMatchObject({ status: "DONE", created_count: 22 }); // open only: 30 − 2 PRs − 6 closed

    const listed = await walk(`/api/tasks/?team=${team.id}&external_source=GITHUB&page_size=10`, members.VIEWER.token);
    expect(listed.rows).toHaveLength(22);
    expect(listed.rows.find((t) => t.external_key === `acme/${repo}#1`)).toMatchObject({
      team: team.id, external_source: "GITHUB", external_url: `https://github.com/acme/${repo}/issues/1`, status: "TODO",
    });

    // The team hub keeps its recent events: replay them from the start and read the import's updates.
    const stream = await openStream(`/api/events/stream/?team=${team.id}&last_event_id=0`, members.VIEWER.token);
    expect(stream.res.status).toBe(200);
    const updates: Schemas["ImportJob"][] = [];
    const deadline = Date.now() + 5000;
    try {
      while (!updates.some((u) => u.status === "DONE") && Date.now() < deadline) {
        const f = await stream.read(Math.max(1, deadline - Date.now()));
        if (f === null || f === "timeout") break;
        if (f.event !== "import.updated") continue;
        const data = JSON.parse(f.data!) as Schemas["ImportJob"];
        if (data.id === job.id) updates.push(data);
      }
    } finally {
      await stream.cancel();
    }
    expect(updates[0]).toMatchObject({ status: "RUNNING", pages_done: 0 });
    expect(updates.at(-1)).toMatchObject({ status: "DONE", pages_done: 1, created_count: 22 });
    for (const u of updates) expect(Object.keys(u)).not.toContain("token");
  });

  it("a page of 100 issues with 60,000-character bodies is split into statements D1 accepts", async () => {
    const { owner, team } = await teamWith();
    const repo = uniqueRepo();
    const items = makeItems(100, 2_000_000).map((i) => ({ ...i, pullRequest: false, body: `${i.number}:`.padEnd(60_000, "é") }));
    github.repos.set(`acme/${repo}`, items);
    const id = await insertJob(team.id, owner.id, "acme", repo);
    const logs = vi.spyOn(console, "log");
    try {
      const { result } = await deliver("devfocus-github-import", [pageMsg(id, 1)]);
      expect(result.retryMessages).toEqual([]);
      const line = logs.mock.calls.map((c) => String(c[0])).find((l) => l.includes('"msg":"import page"') && l.includes(`"job":${id},`));
      // 12 MB of UTF-8 in chunks of ≤ 512 KiB: at least 24 upserts, plus the page row and the counters.
      expect(JSON.parse(line!).d1_statements).toBeGreaterThanOrEqual(1 + 1 + 24 + 2);
    } finally {
      logs.mockRestore();
    }
    expect(await jobRow(id)).toMatchObject({ status: "DONE", created_count: 100 });
    const lengths = await env.DB.prepare("SELECT count(*) AS n, min(length(description)) AS shortest FROM tasks WHERE team_id = ?").bind(team.id).first();
    expect(lengths).toEqual({ n: 100, shortest: 60_000 });
  });

  it("lists the jobs of the caller's teams, filtered by team, newest first", async () => {
    const a = await teamWith(["VIEWER"]);
    const b = await teamWith();
    const ja = await insertJob(a.team.id, a.owner.id, "acme", "one");
    const ja2 = await insertJob(a.team.id, a.owner.id, "acme", "two");
    const jb = await insertJob(b.team.id, b.owner.id, "acme", "three");
    const viewer = a.members.VIEWER;
    const list = await api("/api/imports/", { token: viewer.token });
    expect(list.status).toBe(200);
    expect(list.body.results.map((j) => j.id)).toEqual([ja2, ja]);
    const filtered = await api(`/api/imports/?team=${a.team.id}&page_size=1`, { token: viewer.token });
    expect(filtered.body.results.map((j) => j.id)).toEqual([ja2]);
    expect((await nextPage(filtered.body, viewer.token)).body.results.map((j) => j.id)).toEqual([ja]);
    expect((await api(`/api/imports/?team=${b.team.id}`, { token: viewer.token })).body.results).toEqual([]);
    expect((await api(`/api/imports/${ja}/`, { token: viewer.token })).body).toMatchObject({ id: ja, repo: "one", status: "PENDING" });
    expectError(await api(`/api/imports/${jb}/`, { token: viewer.token }), 404, "NOT_FOUND");
  });
});

// ─── Errors ──────────────────────────────────────────────────────────────────────────────────────

describe("github: errors", () => {
  it("404 from GitHub fails the job with a message a user understands", async () => {
    const { owner, team } = await teamWith();
    const res = await api("/api/tasks/import_github/", {
      token: owner.token,
      body: { owner: "acme", repo: "does-not-exist", team_id: team.id },
    });
    expect(res.status).toBe(202);
    const job = await waitForJob(res.body.id, owner.token);
    expect(job.status).toBe("FAILED");
    expect(job.error_message).toContain("repository not found or token lacks access");
    expect(job.finished_at).not.toBeNull();
  });

  it("401 fails the job too, and the message is acked rather than retried", async () => {
    const { owner, team } = await teamWith();
    const repo = uniqueRepo();
    github.overrides.set(`acme/${repo}`, () => json({ message: "Bad credentials" }, 401));
    const id = await insertJob(team.id, owner.id, "acme", repo);
    const { ids, result } = await deliver("devfocus-github-import", [pageMsg(id, 1, "ghp_revoked")]);
    expect(result.explicitAcks).toEqual(ids);
    expect(result.retryMessages).toEqual([]);
    expect(await jobRow(id)).toMatchObject({ status: "FAILED", error_message: expect.stringContaining("repository not found or token lacks access") });
  });

  it("a rate limit retries the page after the reset, then the import carries on", async () => {
    const { owner, team } = await teamWith();
    const repo = uniqueRepo();
    github.repos.set(`acme/${repo}`, makeItems(30, 5_000_000));
    let reset = 0;
    github.overrides.set(`acme/${repo}`, () => {
      if (!reset) return undefined;
      return json({ message: "API rate limit exceeded for 203.0.113.9." }, 403, {
        "x-ratelimit-limit": "60",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(reset),
      });
    });
    const id = await insertJob(team.id, owner.id, "acme", repo);

    reset = Math.floor(Date.now() / 1000) + 1800;
    const limited = await deliver("devfocus-github-import", [pageMsg(id, 1)]);
    expect(limited.result.retryMessages).toHaveLength(1);
    const delay = limited.result.retryMessages[0]!.delaySeconds!;
    expect(delay).toBeGreaterThanOrEqual(1799);
    expect(delay).toBeLessThanOrEqual(1802);
    expect(await jobRow(id)).toMatchObject({ status: "RUNNING", error_message: expect.stringContaining("rate limited") });

    // A reset two days away is capped at the queue's 12 hours.
    reset = Math.floor(Date.now() / 1000) + 2 * 86_400;
    const capped = await deliver("devfocus-github-import", [pageMsg(id, 1)], 2);
    expect(capped.result.retryMessages[0]!.delaySeconds).toBe(12 * 3600);

    reset = 0;
    const ok = await deliver("devfocus-github-import", [pageMsg(id, 1)], 3);
    expect(ok.result.explicitAcks).toHaveLength(1);
    expect(await jobRow(id)).toMatchObject({ status: "DONE", created_count: 28, skipped_pull_requests: 2, error_message: null });
  });

  it("a 429 with Retry-After waits that long", async () => {
    const { owner, team } = await teamWith();
    const repo = uniqueRepo();
    github.overrides.set(`acme/${repo}`, () => json({ message: "You have exceeded a secondary rate limit." }, 429, { "retry-after": "120" }));
    const id = await insertJob(team.id, owner.id, "acme", repo);
    const { result } = await deliver("devfocus-github-import", [pageMsg(id, 1)]);
    expect(result.retryMessages.map((r) => r.delaySeconds)).toEqual([120]);
  });

  it("5xx and network errors back off, and the dead-letter queue fails the job", async () => {
    const { owner, team } = await teamWith();
    const repo = uniqueRepo();
    let mode: "502" | "network" = "502";
    github.overrides.set(`acme/${repo}`, () => {
      if (mode === "network") throw new TypeError("Network connection lost.");
      return new Response("<html>Bad gateway</html>", { status: 502, headers: { "content-type": "text/html" } });
    });
    const id = await insertJob(team.id, owner.id, "acme", repo);

    const first = await deliver("devfocus-github-import", [pageMsg(id, 1)], 1);
    expect(first.result.retryMessages.map((r) => r.delaySeconds)).toEqual([2]);
    expect((await jobRow(id))!.error_message).toContain("GitHub answered 502");
    mode = "network";
    const later = await deliver("devfocus-github-import", [pageMsg(id, 1)], 4);
    expect(later.result.retryMessages.map((r) => r.delaySeconds)).toEqual([16]);
    expect((await jobRow(id))!.error_message).toContain("GitHub could not be reached");
    expect((await jobRow(id))!.status).toBe("RUNNING");

    const dead = await deliver("devfocus-dlq", [pageMsg(id, 1)]);
    expect(dead.result.explicitAcks).toHaveLength(1);
    const failed = (await api(`/api/imports/${id}/`, { token: owner.token })).body;
    expect(failed.status).toBe("FAILED");
    expect(failed.error_message).toMatch(/Page 1 could not be imported after repeated attempts.*GitHub could not be reached/);
    expect(failed.finished_at).not.toBeNull();
  });
});

// ─── Security ────────────────────────────────────────────────────────────────────────────────────

describe("github: security", () => {
  it("ADMIN may import; MEMBER and VIEWER get 403; an outsider 404", async () => {
    const { team, members } = await teamWith(["ADMIN", "MEMBER", "VIEWER"]);
    const outsider = members.OUTSIDER;
    const body = { owner: "acme", repo: "private-repo", team_id: team.id };
    github.overrides.set("acme/private-repo", () => json({ message: "Not Found" }, 404));
    expectError(await api("/api/tasks/import_github/", { token: members.MEMBER.token, body }), 403, "FORBIDDEN");
    expectError(await api("/api/tasks/import_github/", { token: members.VIEWER.token, body }), 403, "FORBIDDEN");
    expectError(await api("/api/tasks/import_github/", { token: outsider.token, body }), 404, "NOT_FOUND");
    expectError(await api("/api/tasks/import_github/", { body }), 401, "UNAUTHORIZED");
    const jobs = await env.DB.prepare("SELECT count(*) AS n FROM import_jobs WHERE team_id = ?").bind(team.id).first<{ n: number }>();
    expect(jobs!.n).toBe(0);
    const ok = await api("/api/tasks/import_github", { token: members.ADMIN.token, body });
    expect(ok.status).toBe(202);
    expectError(await api(`/api/imports/${ok.body.id}/`, { token: outsider.token }), 404, "NOT_FOUND");
    expect((await api("/api/imports/", { token: outsider.token })).body.results).toEqual([]);
    await waitForJob(ok.body.id, members.ADMIN.token);
  });

  it("the OpenAPI document declares the endpoints, and the job schema has no token", async () => {
    const doc = await openapiDocument();
    const paths = Object.keys(doc.paths);
    const importPath = paths.find((p) => p.startsWith("/api/tasks/import_github"))! as "/api/tasks/import_github";
    expect(Object.keys(doc.paths[importPath].post.responses)).toEqual(expect.arrayContaining(["202", "400", "401", "403", "404"]));
    expect(paths).toEqual(expect.arrayContaining([expect.stringMatching(/^\/api\/imports\/?$/), "/api/imports/{id}"]));
    expect(Object.keys(doc.components.schemas.ImportJob.properties)).not.toContain("token");
  });

  it("400 names every missing or invalid field", async () => {
    const { owner, team } = await teamWith();
    const missing = await api("/api/tasks/import_github/", { token: owner.token, body: unchecked({}) });
    expectError(missing, 400, "VALIDATION_FAILED");
    expect([...new Set(missing.body.error.details.map((d) => d.path))].sort()).toEqual(["owner", "repo", "team_id"]);
    const bad = await api("/api/tasks/import_github/", {
      token: owner.token,
      body: unchecked({ owner: "acme/../x", repo: "..", team_id: team.id, state: "merged" }),
    });
    expectError(bad, 400, "VALIDATION_FAILED");
    expect([...new Set(bad.body.error.details.map((d) => d.path))].sort()).toEqual(["owner", "repo", "state"]);
  });

  it("the token is used against GitHub but appears in no D1 row, response or log line", async () => {
    const secret = "ghp_S3cretTokenThatMustNeverLeak0000";
    const logs = [vi.spyOn(console, "log"), vi.spyOn(console, "warn"), vi.spyOn(console, "error"), vi.spyOn(console, "info")];
    try {
      const { owner, team } = await teamWith();
      const repo = uniqueRepo();
      github.repos.set(`acme/${repo}`, makeItems(130, 4_000_000));
      // The second page fails once with a 502, so the failure paths run with the token in hand too.
      let failedOnce = false;
      github.overrides.set(`acme/${repo}`, (_req, page) => {
        if (page === 2 && !failedOnce) {
          failedOnce = true;
          return new Response("oops", { status: 502 });
        }
        return undefined;
      });
      const res = await api("/api/tasks/import_github/", { token: owner.token, body: { owner: "acme", repo, team_id: team.id, state: "all", token: secret } });
      expect(res.status).toBe(202);
      expect(res.text).not.toContain(secret);
      // Page 2 is retried by the real queue after its 2 s backoff.
      const job = await waitForJob(res.body.id, owner.token);
      expect(failedOnce).toBe(true);
      expect(job).toMatchObject({ status: "DONE", pages_done: 2, created_count: 120, skipped_pull_requests: 10 });
      expect(JSON.stringify(job)).not.toContain(secret);
      expect(github.requests.some((r) => r.authorization === `token ${secret}`)).toBe(true);

      const tables = await env.DB.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
      ).all<{ name: string }>();
      expect(tables.results.map((t) => t.name)).toEqual(expect.arrayContaining(["import_jobs", "import_job_pages", "tasks"]));
      for (const { name } of tables.results) {
        const rows = await env.DB.prepare(`SELECT * FROM "${name}"`).all();
        expect(JSON.stringify(rows.results), `table ${name}`).not.toContain(secret);
        expect(JSON.stringify(rows.results), `table ${name}`).not.toContain("S3cretToken");
      }
      const printed = logs.flatMap((s) => s.mock.calls.map((c) => c.map(String).join(" ")));
      expect(printed.some((l) => l.includes('"msg":"import page"'))).toBe(true);
      for (const line of printed) expect(line).not.toContain("S3cretToken");
    } finally {
      for (const s of logs) s.mockRestore();
    }
  });
});
