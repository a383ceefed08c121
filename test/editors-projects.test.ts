/**
 * Editor projects mapped to teams: a mapped project's derived sessions open in the team (MEMBER and up), the
 * others stay personal, and a change of scope cuts the session so that no team sees time spent elsewhere.
 */
import { describe, expect, it } from "vitest";
import { addDays, dayOf, dayStart } from "../src/platform/time";
import { api, createTask, createTeam, expectError, makeUser, newMember, ok, walk, type TestUser } from "./harness";

const MIN = 60_000;
const BULK = "/api/compat/wakatime/v1/users/current/heartbeats.bulk";
const basic = (key: string) => `Basic ${btoa(key)}`;

async function editorKey(user: TestUser) {
  return (await ok(api("/api/auth/tokens/", { token: user.token, body: { name: "editors", scope: "EDITOR" } }))).token;
}

const hb = (ms: number, project: string, branch = "main") => ({ entity: `/src/${project}.ts`, type: "file" as const, time: ms / 1000, category: "coding", project, branch, language: "Go" });
const base = () => dayStart(addDays(dayOf(Date.now(), { timezone: "UTC", dayStartHour: 0 }), -2), { timezone: "UTC", dayStartHour: 0 });
const minutes = (b: number, from: number, to: number, project: string, branch?: string) =>
  Array.from({ length: (to - from) / 2 + 1 }, (_, i) => hb(b + (from + i * 2) * MIN, project, branch));

async function send(key: string, beats: ReturnType<typeof hb>[]) {
  const res = await api(BULK, { method: "POST", headers: { Authorization: basic(key) }, body: beats });
  expect(res.status, res.text).toBe(202);
}

describe("editor projects: happy path", () => {
  it("a mapped project's sessions open in the team, the others stay personal; the scope change cuts the session", async () => {
    const owner = await makeUser();
    const team = await createTeam(owner, { name: "Billing" });
    const dev = await newMember(team.id, owner, "MEMBER");
    const mapped = await api("/api/editor-projects/", { token: dev.token, body: { project: "billing-service", team: team.id } });
    expect(mapped.status).toBe(201);
    expect(mapped.body).toMatchObject({ project: "billing-service", team: team.id });
    expect((await ok(api("/api/editor-projects/", { token: dev.token }))).results.map((p) => p.project)).toEqual(["billing-service"]);

    const b = base();
    await send(await editorKey(dev), [...minutes(b, 600, 620, "devfocus-api"), ...minutes(b, 622, 650, "billing-service"), ...minutes(b, 652, 670, "devfocus-api")]);
    const { rows } = await walk("/api/sessions/?source=EDITOR&ordering=started_at", dev.token);
    expect(rows.map((s) => [s.title, s.team, s.started_at, s.switch_count])).toEqual([
      ["devfocus-api", null, new Date(b + 600 * MIN).toISOString(), 0],
      ["billing-service", team.id, new Date(b + 622 * MIN).toISOString(), 0],
      ["devfocus-api", null, new Date(b + 652 * MIN).toISOString(), 0],
    ]);
    // The team's ADMIN/OWNER sees the team session, and only that one.
    const teamView = await walk(`/api/sessions/?team=${team.id}&source=EDITOR`, owner.token);
    expect(teamView.rows.map((s) => s.title)).toEqual(["billing-service"]);
  });

  it("a team session takes the team's tasks from branch names; a personal one does not", async () => {
    const owner = await makeUser();
    const team = await createTeam(owner, { name: "Billing" });
    const dev = await newMember(team.id, owner, "MEMBER");
    const teamTask = await createTask(dev.token, { title: "Refund bug", team: team.id });
    await ok(api("/api/editor-projects/", { token: dev.token, body: { project: "billing-service", team: team.id } }));
    const b = base();
    await send(await editorKey(dev), [...minutes(b, 600, 610, "billing-service", `${teamTask.id}-refunds`), ...minutes(b, 700, 710, "scratch", `${teamTask.id}-refunds`)]);
    const { rows } = await walk("/api/sessions/?source=EDITOR&ordering=started_at", dev.token);
    const details = await Promise.all(rows.map((s) => ok(api(`/api/sessions/${s.id}/`, { token: dev.token }))));
    expect(details.map((d) => [d.team, d.tasks.map((t) => t.task)])).toEqual([
      [team.id, [teamTask.id]],
      [null, []],
    ]);
  });
});

describe("editor projects: errors", () => {
  it("a project maps once (409 until that mapping is deleted); the fields are checked", async () => {
    const u = await makeUser();
    const team = await createTeam(u);
    const first = await ok(api("/api/editor-projects/", { token: u.token, body: { project: "api", team: team.id } }));
    expectError(await api("/api/editor-projects/", { token: u.token, body: { project: "api", team: team.id } }), 409, "CONFLICT");
    expect((await api(`/api/editor-projects/${first.id}/`, { method: "DELETE", token: u.token })).status).toBe(204);
    expect((await api("/api/editor-projects/", { token: u.token, body: { project: "api", team: team.id } })).status).toBe(201);
    const bad = await api("/api/editor-projects/", { token: u.token, body: { project: "", team: team.id } });
    expectError(bad, 400, "VALIDATION_FAILED");
    expect(bad.body.error.details[0]!.path).toBe("project");
  });
});

describe("editor projects: security", () => {
  it("a VIEWER may not map (403), an outsider's team is a 404, another user's mapping is a 404", async () => {
    const owner = await makeUser();
    const team = await createTeam(owner);
    const viewer = await newMember(team.id, owner, "VIEWER");
    const outsider = await makeUser();
    expectError(await api("/api/editor-projects/", { token: viewer.token, body: { project: "x", team: team.id } }), 403, "FORBIDDEN");
    expectError(await api("/api/editor-projects/", { token: outsider.token, body: { project: "x", team: team.id } }), 404, "NOT_FOUND");
    const mine = await ok(api("/api/editor-projects/", { token: owner.token, body: { project: "x", team: team.id } }));
    expectError(await api(`/api/editor-projects/${mine.id}/`, { method: "DELETE", token: outsider.token }), 404, "NOT_FOUND");
    expect((await ok(api("/api/editor-projects/", { token: outsider.token }))).results).toEqual([]);
  });

  it("a member demoted to VIEWER no longer opens sessions in the team: the mapping is ignored", async () => {
    const owner = await makeUser();
    const team = await createTeam(owner);
    const dev = await newMember(team.id, owner, "MEMBER");
    await ok(api("/api/editor-projects/", { token: dev.token, body: { project: "billing-service", team: team.id } }));
    await ok(api(`/api/teams/${team.id}/members/${dev.id}/`, { method: "PATCH", token: owner.token, body: { role: "VIEWER" } }));
    await send(await editorKey(dev), minutes(base(), 600, 620, "billing-service"));
    const { rows } = await walk("/api/sessions/?source=EDITOR", dev.token);
    expect(rows.map((s) => s.team)).toEqual([null]);
  });
});
