import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectError, makeUser, newMember, roleMatrix, ROLES, teamWithRoles, unchecked, type RoleRow, type TestUser } from "./harness";

describe("teams: happy path", () => {
  it("creates a team with a derived slug; the creator is OWNER", async () => {
    const u = await makeUser();
    const res = await api("/api/teams/", { token: u.token, body: { name: "Acme Platform!" } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: "Acme Platform!", slug: expect.stringMatching(/^acme-platform/), role: "OWNER" });
    const list = await api("/api/teams", { token: u.token });
    expect(list.body.results.map((t) => t.id)).toEqual([res.body.id]);
  });

  it("lists members with their user and role", async () => {
    const { team, users } = await teamWithRoles();
    const res = await api(`/api/teams/${team.id}/members/`, { token: users.VIEWER.token });
    expect(res.status).toBe(200);
    const byRole = Object.fromEntries(res.body.results.map((m) => [m.role, m.user]));
    for (const role of ROLES) expect(byRole[role]).toMatchObject({ id: users[role].id, email: users[role].email, name: role === "OWNER" ? "Owner" : role });
  });

  it("deleting a team removes its memberships and team data in one go", async () => {
    const { team, users } = await teamWithRoles();
    await env.DB.prepare("INSERT INTO tasks (team_id, title, created_by) VALUES (?, 'x', ?)").bind(team.id, users.OWNER.id).run();
    expect((await api(`/api/teams/${team.id}/`, { method: "DELETE", token: users.OWNER.token })).status).toBe(204);
    const left = await env.DB.prepare(
      "SELECT (SELECT count(*) FROM memberships WHERE team_id = ?1) + (SELECT count(*) FROM tasks WHERE team_id = ?1) AS n",
    ).bind(team.id).first<{ n: number }>();
    expect(left!.n).toBe(0);
    expectError(await api(`/api/teams/${team.id}/`, { token: users.OWNER.token }), 404, "NOT_FOUND");
  });

  it("anyone may leave", async () => {
    const { team, users } = await teamWithRoles();
    expect((await api(`/api/teams/${team.id}/members/${users.VIEWER.id}/`, { method: "DELETE", token: users.VIEWER.token })).status).toBe(204);
    expectError(await api(`/api/teams/${team.id}/`, { token: users.VIEWER.token }), 404, "NOT_FOUND");
  });
});

describe("teams: errors", () => {
  it("duplicate explicit slug is 409", async () => {
    const u = await makeUser();
    expect((await api("/api/teams/", { token: u.token, body: { name: "One", slug: "dup-slug" } })).status).toBe(201);
    expectError(await api("/api/teams/", { token: u.token, body: { name: "Two", slug: "dup-slug" } }), 409, "CONFLICT");
  });

  it("the last OWNER can neither leave nor be demoted; with a second owner they can", async () => {
    const { team, users } = await teamWithRoles();
    const o = users.OWNER;
    expectError(await api(`/api/teams/${team.id}/members/${o.id}/`, { method: "DELETE", token: o.token }), 409, "CONFLICT");
    expectError(await api(`/api/teams/${team.id}/members/${o.id}/`, { method: "PATCH", token: o.token, body: { role: "ADMIN" } }), 409, "CONFLICT");
    expect((await api(`/api/teams/${team.id}/members/${users.ADMIN.id}/`, { method: "PATCH", token: o.token, body: { role: "OWNER" } })).status).toBe(200);
    expect((await api(`/api/teams/${team.id}/members/${o.id}/`, { method: "DELETE", token: o.token })).status).toBe(204);
  });

  it("two owners removing each other at once leave one owner", async () => {
    const { team, users } = await teamWithRoles();
    await api(`/api/teams/${team.id}/members/${users.ADMIN.id}/`, { method: "PATCH", token: users.OWNER.token, body: { role: "OWNER" } });
    const [a, b] = await Promise.all([
      api(`/api/teams/${team.id}/members/${users.ADMIN.id}/`, { method: "DELETE", token: users.OWNER.token }),
      api(`/api/teams/${team.id}/members/${users.OWNER.id}/`, { method: "DELETE", token: users.ADMIN.token }),
    ]);
    expect([a.status, b.status].sort()).toEqual([204, 409]);
    const owners = await env.DB.prepare("SELECT count(*) AS n FROM memberships WHERE team_id = ? AND role = 'OWNER'").bind(team.id).first<{ n: number }>();
    expect(owners!.n).toBe(1);
  });

  it("adding an existing member is 409; an unknown email is 404 naming the field; a bad role is 400", async () => {
    const { team, users } = await teamWithRoles();
    expectError(await api(`/api/teams/${team.id}/members/`, { token: users.OWNER.token, body: { email: users.MEMBER.email, role: "VIEWER" } }), 409, "CONFLICT");
    const unknown = await api(`/api/teams/${team.id}/members/`, { token: users.OWNER.token, body: { email: "ghost@example.com", role: "VIEWER" } });
    expectError(unknown, 404, "NOT_FOUND");
    expect(unknown.body.error.details[0]!.path).toBe("email");
    const bad = await api(`/api/teams/${team.id}/members/`, { token: users.OWNER.token, body: unchecked({ email: users.OUTSIDER.email, role: "KING" }) });
    expectError(bad, 400, "VALIDATION_FAILED");
    expect(bad.body.error.details[0]!.path).toBe("role");
  });
});

/**
 * The role table of DESIGN.md, for the team rows: each row lists the lowest role allowed and a request.
 * Every role and an outsider is tried: allowed roles get the success status, lower roles 403, the outsider 404.
 */
/** What a row's arrange step made: someone to add, or a member to remove. */
type Made = { newcomer?: TestUser; target?: TestUser };
const ROWS: RoleRow<Made>[] = [
  { action: "read team", min: "VIEWER", ok: 200, call: ({ team, actor }) => api(`/api/teams/${team.id}/`, { token: actor.token }) },
  { action: "read members", min: "VIEWER", ok: 200, call: ({ team, actor }) => api(`/api/teams/${team.id}/members/`, { token: actor.token }) },
  {
    action: "add a VIEWER",
    min: "ADMIN",
    ok: 201,
    arrange: async () => ({ newcomer: await makeUser() }),
    call: ({ team, actor, newcomer }) => api(`/api/teams/${team.id}/members/`, { token: actor.token, body: { email: newcomer!.email, role: "VIEWER" } }),
  },
  {
    action: "change a MEMBER to VIEWER",
    min: "ADMIN",
    ok: 200,
    call: ({ team, actor, users }) => api(`/api/teams/${team.id}/members/${users.MEMBER.id}/`, { method: "PATCH", token: actor.token, body: { role: "VIEWER" } }),
  },
  {
    action: "remove a VIEWER",
    min: "ADMIN",
    ok: 204,
    // Someone other than the actor, so removing them is not "leaving".
    arrange: async ({ team, users }) => ({ target: await newMember(team.id, users.OWNER, "VIEWER") }),
    call: ({ team, actor, target }) => api(`/api/teams/${team.id}/members/${target!.id}/`, { method: "DELETE", token: actor.token }),
  },
  {
    action: "grant ADMIN",
    min: "OWNER",
    ok: 200,
    call: ({ team, actor, users }) => api(`/api/teams/${team.id}/members/${users.MEMBER.id}/`, { method: "PATCH", token: actor.token, body: { role: "ADMIN" } }),
  },
  {
    action: "revoke ADMIN",
    min: "OWNER",
    ok: 204,
    arrange: async ({ team, users }) => ({ target: await newMember(team.id, users.OWNER, "ADMIN") }),
    call: ({ team, actor, target }) => api(`/api/teams/${team.id}/members/${target!.id}/`, { method: "DELETE", token: actor.token }),
  },
  { action: "rename", min: "OWNER", ok: 200, call: ({ team, actor }) => api(`/api/teams/${team.id}/`, { method: "PATCH", token: actor.token, body: { name: "Renamed" } }) },
  { action: "delete the team", min: "OWNER", ok: 204, call: ({ team, actor }) => api(`/api/teams/${team.id}/`, { method: "DELETE", token: actor.token }) },
];

describe("teams: security", () => {
  roleMatrix(ROWS);
});
