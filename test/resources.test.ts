import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import {
  addMember,
  api,
  createResource,
  createTask,
  createTeam,
  errorOf,
  expectError,
  insertSession as session,
  makeUser,
  roleMatrix,
  ROLES,
  teamWithRoles,
  unchecked,
  walk,
  type ApiResponse,
  type RoleRow,
  type Schemas,
  type TestUser,
} from "./harness";

const task = (token: string, body: Partial<Schemas["CreateTaskRequest"]>) => createTask(token, { title: "A task", ...body });
const link = (token: string, body: Partial<Schemas["CreateResourceRequest"]>) => createResource(token, { url: "https://example.com/doc", ...body });

const ids = (rows: { id: number }[]) => rows.map((r) => r.id);
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
/** The fields an error names, sorted. */
const paths = (res: ApiResponse<unknown>) => errorOf(res).details.map((d) => d.path).sort();

describe("resources: happy path", () => {
  it("links a resource to a personal task, with defaults", async () => {
    const u = await makeUser();
    const t = await task(u.token, {});
    const res = await api("/api/resources/", { token: u.token, body: { task: t.id, url: "https://github.com/acme/widgets/pull/7" } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(Number),
      dev_session: null,
      task: t.id,
      type: "OTHER",
      title: "",
      url: "https://github.com/acme/widgets/pull/7",
      team: null,
      user: u.id,
      created_at: expect.stringMatching(/Z$/),
      updated_at: res.body.created_at,
    });
    expect((await api(`/api/resources/${res.body.id}`, { token: u.token })).body).toEqual(res.body);
  });

  it("a team task's link is in the team's scope and every member sees it", async () => {
    const { team, users } = await teamWithRoles();
    const t = await task(users.MEMBER.token, { team: team.id });
    const l = await link(users.MEMBER.token, { task: t.id, type: "PR", title: "Fix" });
    expect(l).toMatchObject({ team: team.id, user: users.MEMBER.id, type: "PR" });
    for (const who of ROLES) {
      expect((await api(`/api/resources/${l.id}/`, { token: users[who].token })).status).toBe(200);
      expect(ids((await api(`/api/resources/?task=${t.id}`, { token: users[who].token })).body.results)).toEqual([l.id]);
    }
  });

  it("links to the caller's own session, alone or with a task of its scope", async () => {
    const { team, users } = await teamWithRoles();
    const m = users.MEMBER;
    const personal = await session(m.id);
    const inTeam = await session(m.id, team.id);
    expect(await link(m.token, { dev_session: personal })).toMatchObject({ dev_session: personal, task: null, team: null });
    expect(await link(m.token, { dev_session: inTeam })).toMatchObject({ dev_session: inTeam, team: team.id });
    const teamTask = await task(m.token, { team: team.id });
    const myTask = await task(m.token, {});
    expect(await link(m.token, { dev_session: inTeam, task: teamTask.id })).toMatchObject({ team: team.id });
    expect(await link(m.token, { dev_session: personal, task: myTask.id })).toMatchObject({ team: null });
  });

  it("edits type, title, url, and re-points within the same scope", async () => {
    const { team, users } = await teamWithRoles();
    const a = await task(users.MEMBER.token, { team: team.id });
    const b = await task(users.OWNER.token, { team: team.id });
    const l = await link(users.MEMBER.token, { task: a.id });
    await new Promise((r) => setTimeout(r, 5));
    const res = await api(`/api/resources/${l.id}`, {
      method: "PATCH", token: users.ADMIN.token, body: { type: "DOC", title: "Spec", url: "http://intranet.example/spec", task: b.id },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ type: "DOC", title: "Spec", url: "http://intranet.example/spec", task: b.id, team: team.id, user: users.MEMBER.id });
    expect(res.body.updated_at > l.updated_at).toBe(true);
    // Adding the author's own team session to a link that has a task is fine; dropping the task then too.
    const s = await session(users.MEMBER.id, team.id);
    expect((await api(`/api/resources/${l.id}`, { method: "PATCH", token: users.MEMBER.token, body: { dev_session: s } })).body.dev_session).toBe(s);
    const dropped = await api(`/api/resources/${l.id}`, { method: "PATCH", token: users.ADMIN.token, body: { task: null } });
    expect(dropped.body).toMatchObject({ task: null, dev_session: s, team: team.id });
  });

  it("deleting a link, and deleting its task, remove it", async () => {
    const u = await makeUser();
    const t = await task(u.token, {});
    const a = await link(u.token, { task: t.id });
    const b = await link(u.token, { task: t.id });
    expect((await api(`/api/resources/${a.id}/`, { method: "DELETE", token: u.token })).status).toBe(204);
    expectError(await api(`/api/resources/${a.id}/`, { token: u.token }), 404, "NOT_FOUND");
    expect((await api(`/api/tasks/${t.id}/`, { method: "DELETE", token: u.token })).status).toBe(204);
    expectError(await api(`/api/resources/${b.id}/`, { token: u.token }), 404, "NOT_FOUND");
  });
});

describe("resources: errors", () => {
  let u: TestUser;
  let t: { id: number };
  beforeAll(async () => {
    u = await makeUser();
    t = await task(u.token, {});
  });

  it("only http and https URLs are accepted", async () => {
    for (const url of ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "ftp://example.com/f", "data:text/html,<b>x</b>", "file:///etc/passwd", "http:example.com", "//example.com", "example.com"]) {
      const res = await api("/api/resources/", { token: u.token, body: { task: t.id, url } });
      expectError(res, 400, "VALIDATION_FAILED");
      expect(paths(res), url).toEqual(["url"]);
    }
    for (const url of ["http://example.com", "HTTPS://Example.com/a?b=c#d"]) expect((await link(u.token, { task: t.id, url })).url).toBe(url);
    const l = await link(u.token, { task: t.id });
    const patch = await api(`/api/resources/${l.id}/`, { method: "PATCH", token: u.token, body: { url: "javascript:void(0)" } });
    expectError(patch, 400, "VALIDATION_FAILED");
    expect(paths(patch)).toEqual(["url"]);
  });

  it("needs a task or a session: 400 naming both", async () => {
    for (const body of [{ url: "https://example.com" }, { url: "https://example.com", task: null, dev_session: null }]) {
      const res = await api("/api/resources/", { token: u.token, body });
      expectError(res, 400, "VALIDATION_FAILED");
      expect(paths(res)).toEqual(["dev_session", "task"]);
    }
    const l = await link(u.token, { task: t.id });
    const res = await api(`/api/resources/${l.id}/`, { method: "PATCH", token: u.token, body: { task: null } });
    expectError(res, 400, "VALIDATION_FAILED");
    expect(paths(res)).toEqual(["dev_session", "task"]);
  });

  it("an invalid type is 400 naming type, in a body and in a filter", async () => {
    const res = await api("/api/resources/", { token: u.token, body: unchecked({ task: t.id, url: "https://example.com", type: "VIDEO" }) });
    expectError(res, 400, "VALIDATION_FAILED");
    expect(paths(res)).toEqual(["type"]);
    const filter = await api("/api/resources/?type=pr", { token: u.token });
    expectError(filter, 400, "VALIDATION_FAILED");
    expect(paths(filter)).toEqual(["type"]);
    expect(paths(await api("/api/resources/?ordering=url", { token: u.token }))).toEqual(["ordering"]);
  });

  it("a task and a session from different scopes is 400 naming task", async () => {
    const { team, users } = await teamWithRoles();
    const m = users.MEMBER;
    const teamTask = await task(m.token, { team: team.id });
    const myTask = await task(m.token, {});
    const personal = await session(m.id);
    const inTeam = await session(m.id, team.id);
    for (const body of [{ task: teamTask.id, dev_session: personal }, { task: myTask.id, dev_session: inTeam }]) {
      const res = await api("/api/resources/", { token: m.token, body: { ...body, url: "https://example.com" } });
      expectError(res, 400, "VALIDATION_FAILED");
      expect(paths(res)).toEqual(["task"]);
    }
    // PATCH cannot move a link to another scope either.
    const l = await link(m.token, { task: teamTask.id });
    const moved = await api(`/api/resources/${l.id}/`, { method: "PATCH", token: m.token, body: { task: myTask.id } });
    expectError(moved, 400, "VALIDATION_FAILED");
    expect(paths(moved)).toEqual(["task"]);
    const toSession = await api(`/api/resources/${l.id}/`, { method: "PATCH", token: m.token, body: { dev_session: personal } });
    expectError(toSession, 400, "VALIDATION_FAILED");
    expect(paths(toSession)).toEqual(["dev_session"]);
  });
});

describe("resources: filters, search and pagination", () => {
  let me: TestUser;
  let teamId: number;
  let t1: { id: number };
  let t2: { id: number };
  let s1: number;
  const made: Record<string, { id: number }> = {};

  beforeAll(async () => {
    me = await makeUser();
    const other = await makeUser();
    teamId = (await createTeam(me, { name: "Team" })).id;
    t1 = await task(me.token, {});
    t2 = await task(me.token, { team: teamId });
    s1 = await session(me.id, teamId);
    made.pr = await link(me.token, { task: t2.id, type: "PR", title: "Fix LOGIN redirect", url: "https://github.com/acme/w/pull/1" });
    made.issue = await link(me.token, { task: t2.id, dev_session: s1, type: "ISSUE", title: "Crash", url: "https://github.com/acme/w/issues/9" });
    made.doc = await link(me.token, { task: t1.id, type: "DOC", title: "Runbook", url: "https://wiki.example/Login-Flow" });
    made.tool = await link(me.token, { dev_session: s1, type: "TOOL", title: "Grafana", url: "https://grafana.example" });
    // Another user's personal link matches every filter but must never show.
    const theirs = await task(other.token, {});
    await link(other.token, { task: theirs.id, type: "PR", title: "login", url: "https://github.com/x" });
  });

  it("every filter returns exactly the matching visible links", async () => {
    const cases: Record<string, { id: number }[]> = {
      "": [made.pr!, made.issue!, made.doc!, made.tool!],
      "type=PR": [made.pr!],
      "type=TOOL": [made.tool!],
      [`task=${t2.id}`]: [made.pr!, made.issue!],
      [`task=${t1.id}`]: [made.doc!],
      [`dev_session=${s1}`]: [made.issue!, made.tool!],
      "search=login": [made.pr!, made.doc!], // a title match and a URL match, either case
      "search=GITHUB.COM": [made.pr!, made.issue!],
      [`type=ISSUE&task=${t2.id}&dev_session=${s1}&search=crash`]: [made.issue!],
      "search=nothing-like-this": [],
    };
    for (const [q, want] of Object.entries(cases)) {
      const res = await api(`/api/resources/?${q}`, { token: me.token });
      expect(res.status, q).toBe(200);
      expect(sorted(ids(res.body.results)), q).toEqual(sorted(ids(want)));
    }
  });

  it("pages walk every link exactly once under each ordering, ties included", async () => {
    // Tied created_at / updated_at / title across the personal and the team scope.
    const stmt = env.DB.prepare(
      "INSERT INTO resource_links (user_id, team_id, task_id, type, title, url, created_at, updated_at) VALUES (?, ?, ?, 'OTHER', ?, 'https://t.example', ?, ?)",
    );
    const stamps = ["2026-03-01T00:00:00.000Z", "2026-03-02T00:00:00.000Z"];
    await env.DB.batch(
      Array.from({ length: 30 }, (_, i) =>
        stmt.bind(me.id, i % 2 ? teamId : null, i % 2 ? t2.id : t1.id, ["same", "Same", "same"][i % 3], stamps[i % 2], stamps[(i >> 1) % 2]),
      ),
    );
    const all = (await walk("/api/resources/?page_size=200", me.token)).rows;
    expect(all).toHaveLength(34);
    for (const field of ["created_at", "updated_at", "title"] as const) {
      for (const ordering of [field, `-${field}`]) {
        const sign = ordering.startsWith("-") ? -1 : 1;
        const want = [...all]
          .sort((a, b) => sign * ((a[field] < b[field] ? -1 : a[field] > b[field] ? 1 : 0) || a.id - b.id))
          .map((r) => r.id);
        const got = await walk(`/api/resources/?ordering=${ordering}&page_size=4`, me.token);
        expect(ids(got.rows), ordering).toEqual(want);
      }
    }
  });
});

describe("resources: security", () => {
  /** Each row runs on a link to a team task, both made by a second MEMBER ("another member's link"). */
  type Ctx = { teamTask: { id: number }; link: { id: number }; own?: number; teamSession?: number };
  const ROWS: RoleRow<Ctx>[] = [
    { action: "read a team link", min: "VIEWER", ok: 200, call: ({ actor, link }) => api(`/api/resources/${link.id}/`, { token: actor.token }) },
    {
      action: "link to a team task", min: "MEMBER", ok: 201,
      call: ({ actor, teamTask }) => api("/api/resources/", { token: actor.token, body: { task: teamTask.id, url: "https://example.com" } }),
    },
    {
      action: "link to their own team session", min: "MEMBER", ok: 201,
      arrange: async ({ actor, team }) => ({ teamSession: await session(actor.id, team.id) }),
      call: ({ actor, teamSession }) => api("/api/resources/", { token: actor.token, body: { dev_session: teamSession, url: "https://example.com" } }),
    },
    { action: "edit a team link", min: "MEMBER", ok: 200, call: ({ actor, link }) => api(`/api/resources/${link.id}/`, { method: "PATCH", token: actor.token, body: { title: "Edited" } }) },
    { action: "delete another member's link", min: "ADMIN", ok: 204, call: ({ actor, link }) => api(`/api/resources/${link.id}/`, { method: "DELETE", token: actor.token }) },
    {
      action: "delete a link they made", min: "MEMBER", ok: 204,
      arrange: async ({ actor, team, teamTask }) => {
        const row = await env.DB.prepare("INSERT INTO resource_links (user_id, team_id, task_id, url) VALUES (?, ?, ?, 'https://example.com') RETURNING id")
          .bind(actor.id, team.id, teamTask.id)
          .first<{ id: number }>();
        return { own: row!.id };
      },
      call: ({ actor, own }) => api(`/api/resources/${own}/`, { method: "DELETE", token: actor.token }),
    },
  ];
  roleMatrix(ROWS, async ({ team, users }) => {
    const author = await makeUser();
    await addMember(team.id, users.OWNER, author, "MEMBER");
    const teamTask = await task(author.token, { team: team.id });
    return { teamTask, link: await link(author.token, { task: teamTask.id, title: "Original" }) };
  });

  it("an outsider gets 404 on every path and never sees a team link listed", async () => {
    const { team, users } = await teamWithRoles();
    const t = await task(users.MEMBER.token, { team: team.id });
    const l = await link(users.MEMBER.token, { task: t.id, title: "Internal postmortem" });
    const o = users.OUTSIDER.token;
    expectError(await api(`/api/resources/${l.id}`, { token: o }), 404, "NOT_FOUND");
    expectError(await api(`/api/resources/${l.id}`, { method: "PATCH", token: o, body: { title: "x" } }), 404, "NOT_FOUND");
    expectError(await api(`/api/resources/${l.id}`, { method: "DELETE", token: o }), 404, "NOT_FOUND");
    expect((await api(`/api/resources/?task=${t.id}`, { token: o })).body.results).toEqual([]);
    expect((await api("/api/resources/?search=postmortem", { token: o })).body.results).toEqual([]);
  });

  it("personal links are visible to their user only", async () => {
    const { team, users } = await teamWithRoles();
    const mine = await task(users.MEMBER.token, {});
    const l = await link(users.MEMBER.token, { task: mine.id, title: "My notes" });
    for (const who of ["OWNER", "ADMIN", "VIEWER", "OUTSIDER"] as const) {
      const t = users[who].token;
      expectError(await api(`/api/resources/${l.id}`, { token: t }), 404, "NOT_FOUND");
      expectError(await api(`/api/resources/${l.id}`, { method: "DELETE", token: t }), 404, "NOT_FOUND");
      expect(ids((await api("/api/resources/", { token: t })).body.results), who).not.toContain(l.id);
    }
    expect(ids((await api("/api/resources/", { token: users.MEMBER.token })).body.results)).toContain(l.id);
    expect(team.id).toBeGreaterThan(0);
  });

  it("a task the caller cannot see, or a session that is not theirs, is 404 naming the field", async () => {
    const { team, users } = await teamWithRoles();
    const teamTask = await task(users.OWNER.token, { team: team.id });
    const othersPersonalTask = await task(users.OWNER.token, {});
    const res = await api("/api/resources/", { token: users.OUTSIDER.token, body: { task: teamTask.id, url: "https://example.com" } });
    expectError(res, 404, "NOT_FOUND");
    expect(paths(res)).toEqual(["task"]);
    expect(paths(await api("/api/resources/", { token: users.ADMIN.token, body: { task: othersPersonalTask.id, url: "https://example.com" } }))).toEqual(["task"]);
    // Even an OWNER, who may read a member's team session, cannot link resources to it: only its user records on it.
    const membersSession = await session(users.MEMBER.id, team.id);
    const bySomeoneElse = await api("/api/resources/", { token: users.OWNER.token, body: { dev_session: membersSession, url: "https://example.com" } });
    expectError(bySomeoneElse, 404, "NOT_FOUND");
    expect(paths(bySomeoneElse)).toEqual(["dev_session"]);
  });
});
