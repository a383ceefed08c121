/**
 * The visibility matrix: for every resource, its list, detail, filters, export, actions and the event
 * stream, a second user and an outsider team can neither see nor touch another user's or team's objects —
 * not directly, not through references (from_task, to_task, task_id, task, dev_session, team, team_id),
 * not with a cursor taken from someone else's list. Inside a team, the roles of DESIGN.md hold.
 * Every check is one counted case; a leak is any case that fails. The suite expects zero.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { TestUser } from "../helpers";
import { MAX_STREAM_AGE_MS, type EventHub } from "../../src/modules/events/hub";
import { hubFor } from "../../src/modules/events/publisher";
import { api } from "../helpers";
import { assertInvariants, invariantStats } from "./invariants";
import { fastUser, ok, openStream, reportFigures, teamWith } from "./support";

const DAY = "2026-01-30";
const MARK = `SECRET-${crypto.randomUUID().slice(0, 8)}`;

interface Objects {
  team: number;
  personalTask: number;
  teamTask: number;
  personalSession: number;
  teamSession: number;
  openPersonalSession: number;
  openTeamSession: number;
  personalSwitch: number;
  teamSwitch: number;
  personalResource: number;
  teamResource: number;
  personalReport: number;
  teamReport: number;
  personalInsight: number;
  teamInsight: number;
  reportRequest: number;
  importJob: number;
  tokenId: number;
}

let A: TestUser; // owner of team T, holder of every object under test
let V: TestUser; // VIEWER in T
let M: TestUser; // MEMBER in T
let D: TestUser; // ADMIN in T
let B: TestUser; // a second user, in no team
let C: TestUser; // owner of an outsider team O
let outsiderTeam: number;
let o: Objects;

const cases = { total: 0, byActor: {} as Record<string, number> };
const leaks: string[] = [];

/** One counted case of the matrix: `good` says whether visibility held. */
function check(actor: string, label: string, good: boolean, detail = "") {
  cases.total++;
  cases.byActor[actor] = (cases.byActor[actor] ?? 0) + 1;
  if (!good) leaks.push(`${actor}: ${label}${detail ? ` — ${detail}` : ""}`);
}

/** A call that must be refused as if the object did not exist (404), or as invalid (400) for a bad reference. */
async function refused(actor: string, who: TestUser, label: string, path: string, opts: { method?: string; body?: unknown } = {}, allowed = [404]) {
  const res = await api(path, { ...opts, token: who.token });
  const good = allowed.includes(res.status) && !res.text.includes(MARK);
  check(actor, `${opts.method ?? (opts.body ? "POST" : "GET")} ${path} ${label}`, good, `${res.status} ${res.text.slice(0, 200)}`);
  return res;
}

/** A list, filter or export the actor may call, whose answer must not hold any of A's objects. */
async function clean(actor: string, who: TestUser, path: string, ids: number[] = []) {
  const res = await api(path, { token: who.token });
  const rows: any[] = Array.isArray(res.body?.results) ? res.body.results : Array.isArray(res.body) ? res.body : [];
  const leaked = rows.filter((r) => ids.includes(r?.id));
  check(actor, `GET ${path} shows none of A's objects`, res.status === 200 && !res.text.includes(MARK) && leaked.length === 0, `${res.status} ${res.text.slice(0, 200)}`);
  return res;
}

/** A call the actor's role allows: must succeed. */
async function allowed(actor: string, who: TestUser, label: string, path: string, opts: { method?: string; body?: unknown } = {}, statuses = [200, 201, 204]) {
  const res = await api(path, { ...opts, token: who.token });
  check(actor, `${opts.method ?? (opts.body ? "POST" : "GET")} ${path} ${label}`, statuses.includes(res.status), `${res.status} ${res.text.slice(0, 200)}`);
  return res;
}

/** What A sees of its own objects: compared before and after the intruders, it proves nothing was touched. */
async function snapshotOfA() {
  const paths = [
    `/api/tasks/${o.personalTask}/`,
    `/api/tasks/${o.teamTask}/`,
    `/api/sessions/${o.personalSession}/`,
    `/api/sessions/${o.teamSession}/`,
    `/api/sessions/${o.openPersonalSession}/`,
    `/api/sessions/${o.openTeamSession}/`,
    `/api/context-switches/${o.personalSwitch}/`,
    `/api/context-switches/${o.teamSwitch}/`,
    `/api/resources/${o.personalResource}/`,
    `/api/resources/${o.teamResource}/`,
    `/api/reports/${o.personalReport}/`,
    `/api/reports/${o.teamReport}/`,
    `/api/insights/${o.personalInsight}/`,
    `/api/insights/${o.teamInsight}/`,
    `/api/report-requests/${o.reportRequest}/`,
    `/api/imports/${o.importJob}/`,
    `/api/teams/${o.team}/`,
    `/api/teams/${o.team}/members/`,
    "/api/auth/tokens/",
  ];
  const out: Record<string, string> = {};
  for (const p of paths) {
    const res = await api(p, { token: A.token });
    // Authentication itself stamps a token's last_used_at: not a change made by anyone else.
    out[p] = `${res.status} ${res.text.replace(/"last_used_at":("[^"]*"|null)/g, "")}`;
  }
  return out;
}

beforeAll(async () => {
  // Report requests and imports made here must not run in the background: their queues are stubbed.
  for (const q of [env.REPORTS_QUEUE, env.INSIGHTS_QUEUE, env.GITHUB_IMPORT_QUEUE]) {
    vi.spyOn(q, "send").mockImplementation(async () => ({}) as QueueSendResponse);
    vi.spyOn(q, "sendBatch").mockImplementation(async () => ({}) as QueueSendBatchResponse);
  }
  [A, V, M, D, B, C] = await Promise.all([fastUser(), fastUser(), fastUser(), fastUser(), fastUser(), fastUser()]);
  const t = A.token;
  const team = (await ok(api("/api/teams/", { token: t, body: { name: `Team ${MARK}` } }))).id as number;
  for (const [u, role] of [[V, "VIEWER"], [M, "MEMBER"], [D, "ADMIN"]] as const) {
    await ok(api(`/api/teams/${team}/members/`, { token: t, body: { email: u.email, role } }));
  }
  outsiderTeam = (await ok(api("/api/teams/", { token: C.token, body: { name: "Outsiders" } }))).id;

  const task = async (body: object) => (await ok(api("/api/tasks/", { token: t, body: { title: `Task ${MARK}`, description: MARK, external_key: MARK, ...body } }))).id as number;
  const personalTask = await task({});
  const teamTask = await task({ team });
  const session = async (body: object) => (await ok(api("/api/sessions/", { token: t, body: { title: `Session ${MARK}`, description: MARK, ...body } }))).id as number;
  const personalSession = await session({ started_at: `${DAY}T09:00:00Z` });
  const teamSession = await session({ team, started_at: `${DAY}T10:00:00Z` });
  const openPersonalSession = await session({});
  const openTeamSession = await session({ team });
  await ok(api(`/api/sessions/${personalSession}/attach_task/`, { token: t, body: { task_id: personalTask } }));
  await ok(api(`/api/sessions/${teamSession}/attach_task/`, { token: t, body: { task_id: teamTask } }));
  const personalSwitch = (await ok(api("/api/context-switches/", { token: t, body: { dev_session: personalSession, from_task: personalTask, happened_at: `${DAY}T09:05:00Z`, note: MARK } }))).id;
  const teamSwitch = (await ok(api("/api/context-switches/", { token: t, body: { dev_session: teamSession, to_task: teamTask, happened_at: `${DAY}T10:05:00Z`, note: MARK } }))).id;
  const personalResource = (await ok(api("/api/resources/", { token: t, body: { task: personalTask, dev_session: personalSession, title: MARK, url: `https://example.com/${MARK}` } }))).id;
  const teamResource = (await ok(api("/api/resources/", { token: t, body: { task: teamTask, dev_session: teamSession, title: MARK, url: `https://example.com/${MARK}` } }))).id;
  await ok(api(`/api/sessions/${personalSession}/close/`, { token: t, body: { ended_at: `${DAY}T09:20:00Z` } }));
  await ok(api(`/api/sessions/${teamSession}/close/`, { token: t, body: { ended_at: `${DAY}T10:10:00Z` } }));
  const personal = await ok(api("/api/reports/daily/", { token: t, body: { date: DAY } }));
  const teamReport = await ok(api("/api/reports/daily/", { token: t, body: { date: DAY, team } }));
  expect(personal.insights.length).toBeGreaterThan(0);
  expect(teamReport.insights.length).toBeGreaterThan(0);
  const reportRequest = (await ok(api("/api/report-requests/", { token: t, body: { type: "DAILY", day: DAY } }))).id;
  const importJob = (await ok(api("/api/tasks/import_github/", { token: t, body: { owner: "acme", repo: MARK, team_id: team } }))).id;
  const tokenId = (await ok(api("/api/auth/tokens/", { token: t, body: { name: MARK } }))).id;
  // Second ones, so every list of A's has a second page to take a cursor from.
  await ok(api("/api/report-requests/", { token: t, body: { type: "WEEKLY", day: DAY } }));
  await ok(api("/api/tasks/import_github/", { token: t, body: { owner: "acme", repo: `${MARK}-2`, team_id: team } }));
  await ok(api("/api/teams/", { token: t, body: { name: `Second ${MARK}` } }));
  o = {
    team,
    personalTask,
    teamTask,
    personalSession,
    teamSession,
    openPersonalSession,
    openTeamSession,
    personalSwitch,
    teamSwitch,
    personalResource,
    teamResource,
    personalReport: personal.id,
    teamReport: teamReport.id,
    personalInsight: personal.insights[0].id,
    teamInsight: teamReport.insights[0].id,
    reportRequest,
    importJob,
    tokenId,
  };
});

const allIdsOf = (kind: "task" | "session" | "switch" | "resource" | "report" | "insight") =>
  ({
    task: [o.personalTask, o.teamTask],
    session: [o.personalSession, o.teamSession, o.openPersonalSession, o.openTeamSession],
    switch: [o.personalSwitch, o.teamSwitch],
    resource: [o.personalResource, o.teamResource],
    report: [o.personalReport, o.teamReport],
    insight: [o.personalInsight, o.teamInsight],
  })[kind];

/** Everything a user outside A's team tries against A's objects. */
async function intruderMatrix(name: string, X: TestUser) {
  // X's own objects, to aim references from.
  const ownTask = (await ok(api("/api/tasks/", { token: X.token, body: { title: "mine" } }))).id;
  const ownSession = (await ok(api("/api/sessions/", { token: X.token, body: { title: "mine" } }))).id;
  const ownResource = (await ok(api("/api/resources/", { token: X.token, body: { task: ownTask, url: "https://example.com/mine" } }))).id;

  // Details.
  const details: [string, number[]][] = [
    ["/api/tasks/", allIdsOf("task")],
    ["/api/sessions/", allIdsOf("session")],
    ["/api/context-switches/", allIdsOf("switch")],
    ["/api/resources/", allIdsOf("resource")],
    ["/api/reports/", allIdsOf("report")],
    ["/api/insights/", allIdsOf("insight")],
    ["/api/report-requests/", [o.reportRequest]],
    ["/api/imports/", [o.importJob]],
    ["/api/teams/", [o.team]],
  ];
  for (const [base, ids] of details) for (const id of ids) await refused(name, X, "detail", `${base}${id}/`);
  await refused(name, X, "members", `/api/teams/${o.team}/members/`);

  // Actions on A's objects.
  for (const id of allIdsOf("task")) {
    await refused(name, X, "edit", `/api/tasks/${id}/`, { method: "PATCH", body: { title: "pwned" } });
    await refused(name, X, "delete", `/api/tasks/${id}/`, { method: "DELETE" });
  }
  for (const id of allIdsOf("session")) {
    await refused(name, X, "edit", `/api/sessions/${id}/`, { method: "PATCH", body: { title: "pwned" } });
    await refused(name, X, "delete", `/api/sessions/${id}/`, { method: "DELETE" });
    for (const action of ["pause", "resume", "close"]) await refused(name, X, action, `/api/sessions/${id}/${action}/`, { body: {} });
    await refused(name, X, "attach own task", `/api/sessions/${id}/attach_task/`, { body: { task_id: ownTask } });
  }
  for (const id of allIdsOf("switch")) await refused(name, X, "delete", `/api/context-switches/${id}/`, { method: "DELETE" });
  for (const id of allIdsOf("resource")) {
    await refused(name, X, "edit", `/api/resources/${id}/`, { method: "PATCH", body: { title: "pwned" } });
    await refused(name, X, "delete", `/api/resources/${id}/`, { method: "DELETE" });
  }
  await refused(name, X, "rename team", `/api/teams/${o.team}/`, { method: "PATCH", body: { name: "pwned" } });
  await refused(name, X, "delete team", `/api/teams/${o.team}/`, { method: "DELETE" });
  await refused(name, X, "invite self as OWNER", `/api/teams/${o.team}/members/`, { body: { email: X.email, role: "OWNER" } });
  await refused(name, X, "demote the owner", `/api/teams/${o.team}/members/${A.id}/`, { method: "PATCH", body: { role: "VIEWER" } });
  await refused(name, X, "remove the owner", `/api/teams/${o.team}/members/${A.id}/`, { method: "DELETE" });
  await refused(name, X, "revoke A's token", `/api/auth/tokens/${o.tokenId}/`, { method: "DELETE" });

  // References from X's own requests to A's objects.
  const refs = [400, 404];
  await refused(name, X, "task in A's team", "/api/tasks/", { body: { title: "in", team: o.team } });
  await refused(name, X, "session in A's team", "/api/sessions/", { body: { team: o.team } });
  for (const id of allIdsOf("session")) await refused(name, X, "switch in A's session", "/api/context-switches/", { body: { dev_session: id } }, refs);
  for (const id of allIdsOf("task")) {
    await refused(name, X, "from_task of A", "/api/context-switches/", { body: { dev_session: ownSession, from_task: id } }, refs);
    await refused(name, X, "to_task of A", "/api/context-switches/", { body: { dev_session: ownSession, to_task: id } }, refs);
    await refused(name, X, "attach A's task", `/api/sessions/${ownSession}/attach_task/`, { body: { task_id: id } }, refs);
    await refused(name, X, "resource on A's task", "/api/resources/", { body: { task: id, url: "https://example.com/x" } }, refs);
    await refused(name, X, "re-point own resource to A's task", `/api/resources/${ownResource}/`, { method: "PATCH", body: { task: id } }, refs);
  }
  for (const id of allIdsOf("session")) {
    await refused(name, X, "resource on A's session", "/api/resources/", { body: { dev_session: id, url: "https://example.com/x" } }, refs);
    await refused(name, X, "own task + A's session", "/api/resources/", { body: { task: ownTask, dev_session: id, url: "https://example.com/x" } }, refs);
    await refused(name, X, "re-point own resource to A's session", `/api/resources/${ownResource}/`, { method: "PATCH", body: { dev_session: id } }, refs);
  }
  await refused(name, X, "daily report of A's team", "/api/reports/daily/", { body: { date: DAY, team: o.team } });
  await refused(name, X, "weekly report of A's team", "/api/reports/weekly/", { body: { week_of: DAY, team: o.team } });
  await refused(name, X, "import into A's team", "/api/tasks/import_github/", { body: { owner: "acme", repo: "x", team_id: o.team } });
  await refused(name, X, "stream A's team", `/api/events/stream/?team=${o.team}`);

  // Lists, filters and exports.
  await clean(name, X, "/api/tasks/?page_size=200", allIdsOf("task"));
  await clean(name, X, `/api/tasks/?search=${MARK}`);
  await clean(name, X, `/api/tasks/?external_key=${MARK}`);
  await refused(name, X, "team filter", `/api/tasks/?team=${o.team}`);
  await clean(name, X, "/api/sessions/?page_size=200", allIdsOf("session"));
  await clean(name, X, `/api/sessions/?search=${MARK}`);
  await clean(name, X, `/api/sessions/?date_from=${DAY}&date_to=${DAY}`, allIdsOf("session"));
  await refused(name, X, "team filter", `/api/sessions/?team=${o.team}`);
  await clean(name, X, "/api/context-switches/", allIdsOf("switch"));
  for (const id of allIdsOf("session")) await clean(name, X, `/api/context-switches/?dev_session=${id}`, allIdsOf("switch"));
  await clean(name, X, "/api/resources/", allIdsOf("resource"));
  for (const id of allIdsOf("task")) await clean(name, X, `/api/resources/?task=${id}`, allIdsOf("resource"));
  for (const id of allIdsOf("session")) await clean(name, X, `/api/resources/?dev_session=${id}`, allIdsOf("resource"));
  await clean(name, X, `/api/resources/?search=${MARK}`);
  await clean(name, X, "/api/reports/", allIdsOf("report"));
  await clean(name, X, `/api/reports/?date_from=${DAY}&date_to=${DAY}`, allIdsOf("report"));
  await refused(name, X, "team filter", `/api/reports/?team=${o.team}`);
  await clean(name, X, "/api/insights/", allIdsOf("insight"));
  await refused(name, X, "team filter", `/api/insights/?team=${o.team}`);
  await clean(name, X, "/api/report-requests/", [o.reportRequest]);
  await clean(name, X, "/api/imports/", [o.importJob]);
  await clean(name, X, `/api/imports/?team=${o.team}`, [o.importJob]);
  await clean(name, X, "/api/teams/", [o.team]);
  await clean(name, X, "/api/auth/tokens/", [o.tokenId]);
  for (const kind of ["tasks", "sessions", "reports", "insights"]) {
    for (const format of ["csv", "json"]) {
      const res = await api(`/api/${kind}/export/?format=${format}`, { token: X.token });
      check(name, `export ${kind}.${format}`, res.status === 200 && !res.text.includes(MARK), `${res.status} ${res.text.slice(0, 200)}`);
      await refused(name, X, "team export", `/api/${kind}/export/?format=${format}&team=${o.team}`);
    }
  }

  // A cursor taken from A's list pages X's own rows only.
  const lists: [string, number[], number[]][] = [
    ["/api/tasks/", allIdsOf("task"), [404]],
    ["/api/sessions/", allIdsOf("session"), [404]],
    ["/api/context-switches/", allIdsOf("switch"), [200]],
    ["/api/resources/", allIdsOf("resource"), [200]],
    ["/api/reports/", allIdsOf("report"), [404]],
    ["/api/insights/", allIdsOf("insight"), [404]],
    ["/api/report-requests/", [o.reportRequest], [200]],
    ["/api/imports/", [o.importJob], [200]],
    ["/api/teams/", [o.team], [200]],
  ];
  for (const [list, ids, withTeam] of lists) {
    const page = await api(`${list}?page_size=1`, { token: A.token });
    const next = page.body?.next ? new URL(page.body.next) : null;
    const cursor = next?.searchParams.get("cursor");
    check(name, `A's ${list} has a second page to take a cursor from`, !!cursor);
    if (!cursor) continue;
    await clean(name, X, `${next!.pathname}${next!.search}`, ids);
    // With A's team as well: a team filter X may not use is a 404; lists without one ignore it.
    await refused(name, X, "A's cursor with A's team", `${list}?team=${o.team}&cursor=${encodeURIComponent(cursor)}`, {}, withTeam);
  }
}

describe("visibility: a second user and an outsider team", () => {
  it("nothing of A's is visible or touchable by B (no team) or C (owner of another team)", { timeout: 120_000 }, async () => {
    const before = await snapshotOfA();
    await intruderMatrix("second user", B);
    await intruderMatrix("outsider team", C);
    // The outsider's own team members add nothing either: a member of O is still an outsider to T.
    await ok(api(`/api/teams/${outsiderTeam}/members/`, { token: C.token, body: { email: B.email, role: "ADMIN" } }));
    await refused("outsider team", B, "detail through the other team", `/api/tasks/${o.teamTask}/`);
    const after = await snapshotOfA();
    for (const p of Object.keys(before)) check("both", `A's ${p} unchanged`, before[p] === after[p], `${before[p]?.slice(0, 120)} → ${after[p]?.slice(0, 120)}`);
    await assertInvariants("the intruders");
    expect(leaks).toEqual([]);
  });

  it("the event stream: no frame of A's reaches B's or C's streams, snapshots included", { timeout: 60_000 }, async () => {
    const streams = [
      ["second user", await openStream("/api/events/stream/", B.token)],
      ["outsider team", await openStream("/api/events/stream/", C.token)],
      ["outsider team", await openStream(`/api/events/stream/?team=${outsiderTeam}`, C.token)],
    ] as const;
    for (const [name, s] of streams) {
      const opening = await s.drain(300);
      check(name, "stream opening has nothing of A's", !JSON.stringify(opening).includes(MARK) && opening.length >= 3);
    }
    // A's events: a closed session (user:A and team:T), regenerated reports and insights.
    await ok(api(`/api/sessions/${o.openTeamSession}/close/`, { token: A.token, body: {} }));
    await ok(api("/api/reports/daily/", { token: A.token, body: { date: DAY, team: o.team } }));
    await ok(api("/api/reports/weekly/", { token: A.token, body: { week_of: DAY } }));
    await ok(api("/api/reports/daily/", { token: A.token, body: { date: DAY } }));
    // A's own team stream does get them (the events happened), the others none.
    const own = await openStream(`/api/events/stream/?team=${o.team}&last_event_id=0`, A.token);
    const ownFrames = await own.drain(300);
    check("owner", "A's team stream replays A's events", ownFrames.some((f) => f.event === "session.closed") && ownFrames.some((f) => f.event === "report.created"));
    await own.cancel();
    for (const [name, s] of streams) {
      const frames = await s.drain(400);
      check(name, "no live frame of A's", frames.every((f) => !f.event || f.event === "reports" || f.event === "insights") && !JSON.stringify(frames).includes(MARK), JSON.stringify(frames).slice(0, 300));
      await s.cancel();
    }
    // Replay from 0 on one's own hub never holds another's events either.
    const replay = await openStream("/api/events/stream/?last_event_id=0", B.token);
    check("second user", "replay of own hub from 0", !JSON.stringify(await replay.drain(300)).includes(MARK));
    await replay.cancel();
    expect(leaks).toEqual([]);
  });
});

describe("visibility: roles inside the team", () => {
  it("VIEWER, MEMBER and ADMIN see and do what DESIGN.md's role table says, and no member sees A's personal objects", { timeout: 120_000 }, async () => {
    const personal: [string, number][] = [
      ["/api/tasks/", o.personalTask],
      ["/api/sessions/", o.personalSession],
      ["/api/sessions/", o.openPersonalSession],
      ["/api/context-switches/", o.personalSwitch],
      ["/api/resources/", o.personalResource],
      ["/api/reports/", o.personalReport],
      ["/api/insights/", o.personalInsight],
      ["/api/report-requests/", o.reportRequest],
    ];
    for (const [name, X] of [["viewer", V], ["member", M], ["admin", D]] as const) {
      for (const [base, id] of personal) await refused(name, X, "A's personal object", `${base}${id}/`);
      await refused(name, X, "A's token", `/api/auth/tokens/${o.tokenId}/`, { method: "DELETE" });
      // Readable by every member.
      for (const path of [`/api/tasks/${o.teamTask}/`, `/api/resources/${o.teamResource}/`, `/api/reports/${o.teamReport}/`, `/api/insights/${o.teamInsight}/`, `/api/teams/${o.team}/`, `/api/teams/${o.team}/members/`, `/api/imports/${o.importJob}/`]) {
        await allowed(name, X, "team object", path);
      }
      const teamStream = await openStream(`/api/events/stream/?team=${o.team}`, X.token);
      check(name, "team stream opens", teamStream.res.status === 200);
      await teamStream.cancel();
      // Lists show the team's objects but none of A's personal ones.
      const tasks = await api(`/api/tasks/?team=${o.team}`, { token: X.token });
      check(name, "team task list", tasks.status === 200 && tasks.body.results.some((t: any) => t.id === o.teamTask) && !tasks.body.results.some((t: any) => t.id === o.personalTask));
      const all = await api("/api/tasks/?page_size=200", { token: X.token });
      check(name, "own task list", !all.body.results.some((t: any) => t.id === o.personalTask));
      const exported = await api("/api/reports/export/?format=json", { token: X.token });
      check(name, "report export", exported.status === 200 && !exported.body.some((r: any) => r.id === o.personalReport) && exported.body.some((r: any) => r.id === o.teamReport));
      // Nobody below OWNER renames, deletes the team or touches its OWNER.
      await refused(name, X, "rename", `/api/teams/${o.team}/`, { method: "PATCH", body: { name: "x" } }, [403]);
      await refused(name, X, "delete team", `/api/teams/${o.team}/`, { method: "DELETE" }, [403]);
      await refused(name, X, "demote the owner", `/api/teams/${o.team}/members/${A.id}/`, { method: "PATCH", body: { role: "MEMBER" } }, [403]);
      await refused(name, X, "remove the owner", `/api/teams/${o.team}/members/${A.id}/`, { method: "DELETE" }, [403]);
      await refused(name, X, "grant OWNER", `/api/teams/${o.team}/members/${X.id}/`, { method: "PATCH", body: { role: "OWNER" } }, [403]);
    }

    // VIEWER: reads only.
    await refused("viewer", V, "edit team task", `/api/tasks/${o.teamTask}/`, { method: "PATCH", body: { priority: "HIGH" } }, [403]);
    await refused("viewer", V, "create team task", "/api/tasks/", { body: { title: "v", team: o.team } }, [403]);
    await refused("viewer", V, "open team session", "/api/sessions/", { body: { team: o.team } }, [403]);
    await refused("viewer", V, "link team resource", "/api/resources/", { body: { task: o.teamTask, url: "https://example.com/v" } }, [403]);
    await refused("viewer", V, "edit team resource", `/api/resources/${o.teamResource}/`, { method: "PATCH", body: { title: "v" } }, [403]);
    await refused("viewer", V, "delete team task", `/api/tasks/${o.teamTask}/`, { method: "DELETE" }, [403]);
    await refused("viewer", V, "A's team session (ADMIN+ only)", `/api/sessions/${o.teamSession}/`);
    await refused("viewer", V, "A's team switch", `/api/context-switches/${o.teamSwitch}/`);
    await refused("viewer", V, "team sessions of others", `/api/sessions/?team=${o.team}`, {}, [200]).then((res) =>
      check("viewer", "team session list has only own sessions", !res.body.results.some((s: any) => s.user === A.id)),
    );

    // MEMBER: writes team tasks and resources, deletes only their own, no admin work.
    await allowed("member", M, "edit team task", `/api/tasks/${o.teamTask}/`, { method: "PATCH", body: { priority: "HIGH" } });
    const memberTask = (await allowed("member", M, "create team task", "/api/tasks/", { body: { title: "m", team: o.team } })).body.id;
    await allowed("member", M, "link team resource", "/api/resources/", { body: { task: o.teamTask, url: "https://example.com/m" } });
    await refused("member", M, "delete A's team task", `/api/tasks/${o.teamTask}/`, { method: "DELETE" }, [403]);
    await refused("member", M, "delete A's team resource", `/api/resources/${o.teamResource}/`, { method: "DELETE" }, [403]);
    await refused("member", M, "A's team session", `/api/sessions/${o.teamSession}/`);
    await refused("member", M, "team daily report", "/api/reports/daily/", { body: { date: DAY, team: o.team } }, [403]);
    await refused("member", M, "import", "/api/tasks/import_github/", { body: { owner: "acme", repo: "x", team_id: o.team } }, [403]);
    await refused("member", M, "add a member", `/api/teams/${o.team}/members/`, { body: { email: B.email, role: "VIEWER" } }, [403]);
    await refused("member", M, "change a role", `/api/teams/${o.team}/members/${V.id}/`, { method: "PATCH", body: { role: "MEMBER" } }, [403]);
    await refused("member", M, "switch in A's team session", "/api/context-switches/", { body: { dev_session: o.openTeamSession } });
    // A member's own session in the team may use team tasks, never A's personal ones.
    const memberSession = (await allowed("member", M, "open team session", "/api/sessions/", { body: { team: o.team } })).body.id;
    await allowed("member", M, "attach team task", `/api/sessions/${memberSession}/attach_task/`, { body: { task_id: o.teamTask } });
    await refused("member", M, "attach A's personal task", `/api/sessions/${memberSession}/attach_task/`, { body: { task_id: o.personalTask } });
    await refused("member", M, "switch to A's personal task", "/api/context-switches/", { body: { dev_session: memberSession, to_task: o.personalTask } });
    await refused("member", M, "resource on A's personal task", "/api/resources/", { body: { task: o.personalTask, dev_session: memberSession, url: "https://example.com/x" } });

    // ADMIN: members' team sessions and switches, membership below ADMIN, team reports, imports.
    await allowed("admin", D, "A's team session", `/api/sessions/${o.teamSession}/`);
    await allowed("admin", D, "A's team switch", `/api/context-switches/${o.teamSwitch}/`);
    await allowed("admin", D, "team session list", `/api/sessions/?team=${o.team}`).then((res) =>
      check("admin", "team session list holds A's team sessions only", res.body.results.some((s: any) => s.id === o.teamSession) && !res.body.results.some((s: any) => s.team === null)),
    );
    await refused("admin", D, "edit A's team session", `/api/sessions/${o.teamSession}/`, { method: "PATCH", body: { title: "x" } });
    await refused("admin", D, "close A's open team session", `/api/sessions/${o.openTeamSession}/close/`, { body: {} }, [404, 409]);
    await allowed("admin", D, "delete a member's team task", `/api/tasks/${memberTask}/`, { method: "DELETE" });
    await allowed("admin", D, "team daily report", "/api/reports/daily/", { body: { date: DAY, team: o.team } });
    await refused("admin", D, "grant ADMIN", `/api/teams/${o.team}/members/${V.id}/`, { method: "PATCH", body: { role: "ADMIN" } }, [403]);
    await allowed("admin", D, "raise VIEWER to MEMBER", `/api/teams/${o.team}/members/${V.id}/`, { method: "PATCH", body: { role: "MEMBER" } });
    await allowed("admin", D, "lower back to VIEWER", `/api/teams/${o.team}/members/${V.id}/`, { method: "PATCH", body: { role: "VIEWER" } });

    // A removed member loses access on the very next request; so does one who leaves.
    await ok(api(`/api/teams/${o.team}/members/`, { token: A.token, body: { email: B.email, role: "MEMBER" } }));
    await allowed("second user", B, "as a member", `/api/tasks/${o.teamTask}/`);
    await allowed("admin", D, "remove a MEMBER", `/api/teams/${o.team}/members/${B.id}/`, { method: "DELETE" });
    await refused("second user", B, "after removal", `/api/tasks/${o.teamTask}/`);
    await refused("second user", B, "stream after removal", `/api/events/stream/?team=${o.team}`);
    await ok(api(`/api/teams/${o.team}/members/`, { token: A.token, body: { email: B.email, role: "VIEWER" } }));
    await allowed("second user", B, "leave", `/api/teams/${o.team}/members/${B.id}/`, { method: "DELETE" });
    await refused("second user", B, "after leaving", `/api/resources/${o.teamResource}/`);
    // The last OWNER cannot leave.
    await refused("owner", A, "last owner leaves", `/api/teams/${o.team}/members/${A.id}/`, { method: "DELETE" }, [409]);

    await assertInvariants("the role matrix");
    expect(leaks).toEqual([]);
  });

  it("a stream opened before access was taken away ends within MAX_STREAM_AGE_MS, and its reconnect is refused", async () => {
    const owner = await fastUser();
    const member = await fastUser();
    const team = await teamWith(owner, [[member, "VIEWER"]]);
    const second = (await ok(api("/api/auth/tokens/", { token: owner.token, body: { name: "laptop" } }))).token as string;
    const memberStream = await openStream(`/api/events/stream/?team=${team}`, member.token);
    const ownerStream = await openStream(`/api/events/stream/?team=${team}`, owner.token);
    const tokenStream = await openStream("/api/events/stream/", second);
    for (const st of [memberStream, ownerStream, tokenStream]) await st.drain(200);
    await ok(api(`/api/teams/${team}/members/${member.id}/`, { method: "DELETE", token: owner.token }));
    await ok(api("/api/auth/logout/", { method: "POST", token: second }));
    // The next heartbeat of each hub finds the streams past their age, as they would be after 5 minutes.
    for (const channel of [`team:${team}`, `user:${owner.id}`] as const) {
      const hub = hubFor(env, channel);
      await runInDurableObject(hub, (instance: EventHub) => {
        for (const c of (instance as unknown as { clients: Set<{ openedAt: number }> }).clients) c.openedAt -= MAX_STREAM_AGE_MS;
      });
      await runDurableObjectAlarm(hub);
    }
    for (const [name, st] of [["removed member", memberStream], ["owner", ownerStream], ["logged-out token", tokenStream]] as const) {
      await st.drain(300);
      check(name, "stream ended at its age limit", (await st.next(50)) === null);
      await st.cancel();
    }
    // Reconnecting re-authorizes: the owner is back, the others are refused.
    const back = await openStream(`/api/events/stream/?team=${team}`, owner.token);
    check("owner", "reconnects", back.res.status === 200);
    await back.cancel();
    await refused("removed member", member, "reconnect to the team stream", `/api/events/stream/?team=${team}`);
    const res = await api("/api/events/stream/", { token: second });
    check("logged-out token", "reconnect refused", res.status === 401);
    expect(leaks).toEqual([]);
  });

  it("reports the matrix", async () => {
    reportFigures("visibility", { cases: cases.total, by_actor: cases.byActor, leaks: leaks.length, invariant_checks: invariantStats.checks });
    expect(cases.total).toBeGreaterThan(400);
    expect(leaks).toEqual([]);
  });
});
