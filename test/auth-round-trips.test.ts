/**
 * One D1 round trip per authenticated read (issue 16): once this isolate has seen a credential, a read runs
 * as the actor it had and the credential check travels in one batch with the read's first statement. These
 * tests pin that nothing is weakened: every change to a credential, a membership, a role or a setting is
 * seen by the very next request, exactly as a request with no guess would see it.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { addMember, api, createTask, createTeam, timing, issueToken, makeUser, openSession, openStream, rawRequest, expectError } from "./harness";

const roundTrips = (res: { headers: Headers }) => timing(res, "d1-queries");

describe("auth: one round trip per read", () => {
  it("a credential's first read waits for the check, then the data; every later read is one round trip", async () => {
    const u = await makeUser();
    const task = await createTask(u.token, { title: "Only mine" });
    const fresh = await issueToken(u, { name: "reader" });
    const first = await api("/api/tasks/", { token: fresh.token });
    expect(first.status).toBe(200);
    expect(roundTrips(first)).toBe(2);
    for (const path of ["/api/tasks/", `/api/tasks/${task.id}/`, "/api/auth/me/", "/api/teams/", "/api/sessions/", "/api/reports/", "/api/insights/"]) {
      const res = await api(path, { token: fresh.token });
      expect(res.status, path).toBe(200);
      expect(roundTrips(res), path).toBe(1);
    }
    const again = await api("/api/tasks/", { token: fresh.token });
    expect(again.body).toEqual(first.body);
  });

  it("a revoked token is refused by the very next read, in its one round trip, with nothing of the data", async () => {
    const u = await makeUser();
    await createTask(u.token, { title: "Secret plan" });
    const second = await issueToken(u, { name: "second" });
    expect((await api("/api/tasks/", { token: second.token })).status).toBe(200);
    expect((await api(`/api/auth/tokens/${second.id}/`, { method: "DELETE", token: u.token })).status).toBe(204);
    const res = await rawRequest({ method: "GET", path: "/api/tasks/", headers: { Authorization: `Bearer ${second.token}` } });
    expect(res.status).toBe(401);
    expect(res.text).not.toContain("Secret plan");
    expect(JSON.parse(res.text).error.message).toBe("This token has been revoked.");
    // Still refused afterwards, and on a path no route answers (a 401 before, not a 404).
    expectError(await api("/api/tasks/", { token: second.token }), 401, "UNAUTHORIZED");
    expectError(await api("/api/no-such-thing/", { token: second.token }), 401, "UNAUTHORIZED");
  });

  it("an expired token, a stream and an export are refused the same way", async () => {
    const u = await makeUser();
    const team = await createTeam(u);
    const short = await issueToken(u, { name: "short" });
    for (const path of ["/api/tasks/", "/api/tasks/export/?format=csv", "/api/no-such-thing/"]) {
      const res = await api(path, { token: short.token });
      expect(res.status, path).toBe(path.includes("no-such") ? 404 : 200);
    }
    const live = await openStream(`/api/events/stream/?team=${team.id}`, short.token);
    expect(live.res.status).toBe(200);
    await live.cancel();
    await env.DB.prepare("UPDATE api_tokens SET expires_at = ? WHERE id = ?").bind("2020-01-01T00:00:00.000Z", short.id).run();
    for (const path of ["/api/tasks/", "/api/tasks/export/?format=csv", "/api/auth/me/", "/api/no-such-thing/"]) {
      const res = await api(path, { token: short.token });
      expectError(res, 401, "UNAUTHORIZED");
      expect(res.body.error.message, path).toBe("This token has expired.");
    }
    const stream = await rawRequest({ method: "GET", path: `/api/events/stream/?team=${team.id}`, headers: { Authorization: `Bearer ${short.token}`, Accept: "text/event-stream" } });
    expect(stream.status).toBe(401);
  });

  it("a member removed from a team loses it on the next read; one added gains it", async () => {
    const owner = await makeUser();
    const team = await createTeam(owner);
    await createTask(owner.token, { title: "Team work", team: team.id });
    const m = await makeUser();
    expectError(await api(`/api/tasks/?team=${team.id}`, { token: m.token }), 404, "NOT_FOUND");
    await addMember(team.id, owner, m, "MEMBER");
    const joined = await api(`/api/tasks/?team=${team.id}`, { token: m.token });
    expect(joined.status).toBe(200);
    expect(joined.body.results.map((t) => t.title)).toEqual(["Team work"]);
    // The guess (no membership) was stale: the check found the new actor, the read ran again as them.
    expect(roundTrips(joined)).toBe(2);
    expect(roundTrips(await api(`/api/tasks/?team=${team.id}`, { token: m.token }))).toBe(1);
    expect((await api(`/api/teams/${team.id}/members/${m.id}/`, { method: "DELETE", token: owner.token })).status).toBe(204);
    const gone = await api(`/api/tasks/?team=${team.id}`, { token: m.token });
    expectError(gone, 404, "NOT_FOUND");
    expect(JSON.stringify(gone.body)).not.toContain("Team work");
  });

  it("a role changed is the role of the next read", async () => {
    const owner = await makeUser();
    const team = await createTeam(owner);
    await openSession(owner.token, { title: "Owner's session", team: team.id });
    const m = await makeUser();
    await addMember(team.id, owner, m, "ADMIN");
    const asAdmin = await api(`/api/sessions/?team=${team.id}`, { token: m.token });
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.results.map((s) => s.title)).toContain("Owner's session");
    expect(roundTrips(await api(`/api/sessions/?team=${team.id}`, { token: m.token }))).toBe(1);
    expect((await api(`/api/teams/${team.id}/members/${m.id}/`, { method: "PATCH", token: owner.token, body: { role: "MEMBER" } })).status).toBe(200);
    const asMember = await api(`/api/sessions/?team=${team.id}`, { token: m.token });
    // What a request with no guess answers: a fresh credential of the same user, asked the same thing.
    const fresh = await issueToken(m, { name: "fresh" });
    const baseline = await api(`/api/sessions/?team=${team.id}`, { token: fresh.token });
    expect(asMember.status).toBe(baseline.status);
    expect(asMember.body).toEqual(baseline.body);
    expect(JSON.stringify(asMember.body)).not.toContain("Owner's session");
  });

  it("a setting changed (time zone, day start) is the setting of the next read", async () => {
    const u = await makeUser({ timezone: "Europe/Berlin" });
    expect((await api("/api/auth/me/", { token: u.token })).body.timezone).toBe("Europe/Berlin");
    await env.DB.prepare("UPDATE users SET timezone = 'Asia/Tokyo', day_start_hour = 5 WHERE id = ?").bind(u.id).run();
    const me = await api("/api/auth/me/", { token: u.token });
    expect(me.body.timezone).toBe("Asia/Tokyo");
    expect(me.body.day_start_hour).toBe(5);
  });

  it("writes still check the credential before they write", async () => {
    const u = await makeUser();
    const second = await issueToken(u, { name: "writer" });
    expect((await api("/api/tasks/", { token: second.token })).status).toBe(200);
    expect((await api(`/api/auth/tokens/${second.id}/`, { method: "DELETE", token: u.token })).status).toBe(204);
    expectError(await api("/api/tasks/", { token: second.token, body: { title: "After revocation" } }), 401, "UNAUTHORIZED");
    const left = await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE title = 'After revocation'").first<{ n: number }>();
    expect(left!.n).toBe(0);
  });
});
