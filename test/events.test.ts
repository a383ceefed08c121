import { createExecutionContext, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { EVENT_RETENTION_COUNT, EVENT_RETENTION_MS, EventHub } from "../src/modules/events/hub";
import { channelsFor, eventPublisher, hubFor, type Channel } from "../src/modules/events/publisher";
import { api, BASE, createTeam, expectError, insertReport, makeUser, openapiDocument, openStream as connect, waitFor } from "./harness";

const publish = (channels: Channel[], type: Parameters<ReturnType<typeof eventPublisher>["publish"]>[1], data: unknown) =>
  eventPublisher(env).publish(channels, type, data);

describe("events: happy path", () => {
  it("opens with retry, then the latest 5 reports and insights as JSON, newest first", async () => {
    const u = await makeUser();
    const ids: number[] = [];
    for (let d = 1; d <= 6; d++) ids.push(await insertReport(`user:${u.id}`, u.id, null, `2026-01-0${d}`, `2026-01-0${d}T20:00:00.000Z`));
    const insight = await env.DB.prepare(
      `INSERT INTO insights (user_id, owner_key, report_id, code, level, message, meta, period_start)
       VALUES (?, ?, ?, 'LOW_FOCUS_TIME', 'INFO', 'Only 20 focus minutes.', '{"focus_minutes":20}', '2026-01-06') RETURNING id`,
    )
      .bind(u.id, `user:${u.id}`, ids[5])
      .first<{ id: number }>();
    // Another owner's report must not appear in this snapshot.
    const other = await makeUser();
    await insertReport(`user:${other.id}`, other.id, null, "2026-01-07", "2026-01-07T20:00:00.000Z");

    const s = await connect("/api/events/stream/", u.token);
    expect(s.res.headers.get("Content-Type")).toMatch(/^text\/event-stream/);
    expect(s.res.headers.get("Cache-Control")).toBe("no-cache");
    expect(s.res.headers.get("X-Request-Id")).toBeTruthy();
    const { retry, reports, insights } = await s.opening();
    expect(retry).toEqual({ retry: "3000" });
    expect(reports.event).toBe("reports");
    const snapshot = JSON.parse(reports.data!);
    expect(snapshot.map((r: { id: number }) => r.id)).toEqual(ids.slice(1).reverse());
    expect(snapshot[0]).toMatchObject({
      type: "DAILY",
      user: u.id,
      team: null,
      period_start: "2026-01-06",
      payload: { date: "2026-01-06", totals: { sessions: 1 } },
      summary: "Summary of 2026-01-06",
      created_at: "2026-01-06T20:00:00.000Z",
    });
    expect(insights.event).toBe("insights");
    expect(JSON.parse(insights.data!)).toEqual([
      expect.objectContaining({ id: insight!.id, code: "LOW_FOCUS_TIME", level: "INFO", report: ids[5], meta: { focus_minutes: 20 } }),
    ]);
    await s.cancel();
  });

  it("an event published after connecting arrives with its id, type and data", async () => {
    const u = await makeUser();
    const s = await connect("/api/events/stream", u.token);
    const { reports, insights } = await s.opening();
    expect(JSON.parse(reports.data!)).toEqual([]);
    expect(JSON.parse(insights.data!)).toEqual([]);
    const report = { id: 41, type: "DAILY", summary: "line one\nline two" };
    await publish(channelsFor({ userId: u.id }), "report.created", report);
    const f = await s.next();
    expect(f).toEqual({ id: "1", event: "report.created", data: JSON.stringify(report) });
    expect(JSON.parse(f.data!)).toEqual(report);
    await publish(channelsFor({ userId: u.id }), "insight.created", { id: 7 });
    expect(await s.next()).toEqual({ id: "2", event: "insight.created", data: '{"id":7}' });
    await s.cancel();
  });

  it("a report generated after connecting arrives as report.created, then is in the next snapshot", async () => {
    const u = await makeUser();
    const s = await connect("/api/events/stream/", u.token);
    await s.opening();
    const created = await api("/api/reports/daily/", { token: u.token, body: { date: "2026-01-30" } });
    expect(created.status).toBe(201);
    const f = await s.nextEvent();
    expect(f.event).toBe("report.created");
    // The event carries the report as the reports endpoint returned it (less the detail view's insights).
    const { insights: _detailOnly, ...report } = created.body;
    expect(JSON.parse(f.data!)).toEqual(report);
    await s.cancel();

    const again = await connect("/api/events/stream/", u.token);
    const { reports } = await again.opening();
    expect(JSON.parse(reports.data!)).toEqual([report]);
    await again.cancel();
  });

  it("reconnecting with Last-Event-ID replays exactly the missed events, none twice", async () => {
    const u = await makeUser();
    const channels = channelsFor({ userId: u.id });
    const first = await connect("/api/events/stream/", u.token);
    await first.opening();
    await publish(channels, "report.created", { n: 1 });
    await publish(channels, "report.created", { n: 2 });
    expect((await first.nextEvent()).id).toBe("1");
    const seen = await first.nextEvent();
    expect(seen.id).toBe("2");
    await first.cancel();

    for (let n = 3; n <= 5; n++) await publish(channels, "report_request.updated", { n });

    const again = await connect("/api/events/stream/", u.token, { "Last-Event-ID": seen.id! });
    await again.opening();
    const replayed = [await again.next(), await again.next(), await again.next()];
    expect(replayed.map((f) => [f.id, f.event, JSON.parse(f.data!).n])).toEqual([
      ["3", "report_request.updated", 3],
      ["4", "report_request.updated", 4],
      ["5", "report_request.updated", 5],
    ]);
    await again.expectSilence();
    await publish(channels, "session.closed", { n: 6 });
    expect(await again.next()).toMatchObject({ id: "6", event: "session.closed" });
    await again.cancel();

    // The query parameter works for clients that cannot set headers; the header wins when both are sent.
    const byQuery = await connect("/api/events/stream/?last_event_id=4", u.token);
    await byQuery.opening();
    expect((await byQuery.next()).id).toBe("5");
    expect((await byQuery.next()).id).toBe("6");
    await byQuery.expectSilence();
    await byQuery.cancel();
    const both = await connect("/api/events/stream/?last_event_id=1", u.token, { "Last-Event-ID": "5" });
    await both.opening();
    expect((await both.next()).id).toBe("6");
    await both.cancel();
  });

  it("a new client without Last-Event-ID gets a cursor, so its first reconnect misses nothing", async () => {
    const u = await makeUser();
    for (let n = 1; n <= 3; n++) await publish([`user:${u.id}`], "import.updated", { n });
    const s = await connect("/api/events/stream/", u.token);
    await s.opening();
    // An id-only block: EventSource records it as lastEventId without dispatching an event; no history is replayed.
    expect(await s.next()).toEqual({ id: "3" });
    await s.expectSilence();
    await s.cancel();
  });

  it("a VIEWER receives the team's events; members on the team stream all get the same frames", async () => {
    const owner = await makeUser();
    const viewer = await makeUser();
    const team = await createTeam(owner, { name: "Stream Team", members: [[viewer, "VIEWER"]] });
    const teamReport = await insertReport(`team:${team.id}`, null, team.id, "2026-02-02", "2026-02-02T10:00:00.000Z");

    const v = await connect(`/api/events/stream/?team=${team.id}`, viewer.token);
    const o = await connect(`/api/events/stream/?team=${team.id}`, owner.token);
    const ownerPersonal = await connect("/api/events/stream/", owner.token);
    const vOpen = await v.opening();
    expect(JSON.parse(vOpen.reports.data!).map((r: { id: number }) => r.id)).toEqual([teamReport]);
    await o.opening();
    expect(JSON.parse((await ownerPersonal.opening()).reports.data!)).toEqual([]);

    await publish(channelsFor({ userId: owner.id, teamId: team.id }), "report.created", { id: teamReport, team: team.id });
    const expected = { id: "1", event: "report.created", data: JSON.stringify({ id: teamReport, team: team.id }) };
    expect(await v.next()).toEqual(expected);
    expect(await o.next()).toEqual(expected);
    expect(await ownerPersonal.next()).toEqual(expected);
    await Promise.all([v.cancel(), o.cancel(), ownerPersonal.cancel()]);
  });

  it("sends a ping comment on the heartbeat alarm, and the alarm stops once no stream is open", async () => {
    const u = await makeUser();
    const s = await connect("/api/events/stream/", u.token);
    await s.opening();
    const hub = hubFor(env, `user:${u.id}`);
    expect(await runDurableObjectAlarm(hub)).toBe(true);
    expect(await s.next()).toEqual({ comment: "ping" });
    await s.cancel();
    await waitFor(async () => (await hub.clientCount()) === 0, "the client to be dropped");
    // The alarm armed by the last ping runs once more, finds no client, and does not re-arm.
    expect(await runDurableObjectAlarm(hub)).toBe(true);
    expect(await runDurableObjectAlarm(hub)).toBe(false);
    expect(await runInDurableObject(hub, (_: EventHub, state) => state.storage.getAlarm())).toBeNull();
  });
});

describe("events: storage", () => {
  it("keeps the last 500 events and drops those older than 24 h", async () => {
    const u = await makeUser();
    const hub = hubFor(env, `user:${u.id}`);
    const total = EVENT_RETENTION_COUNT + 5;
    for (let n = 1; n <= total; n++) await hub.publish({ type: "import.updated", data: { n } });
    const kept = await hub.storedEventIds();
    expect(kept.length).toBe(EVENT_RETENTION_COUNT);
    expect(kept[0]).toBe(6);
    expect(kept.at(-1)).toBe(total);

    // Age the 3 oldest past 24 h: a replay skips them at once, and the next publish deletes them.
    await runInDurableObject(hub, (_: EventHub, state) => {
      state.storage.sql.exec("UPDATE events SET created_at = created_at - ? WHERE seq <= 8", EVENT_RETENTION_MS + 1000);
    });
    const s = await connect("/api/events/stream/?last_event_id=0", u.token);
    await s.opening();
    expect((await s.next()).id).toBe("9");
    await s.cancel();
    await hub.publish({ type: "import.updated", data: { n: total + 1 } });
    expect((await hub.storedEventIds())[0]).toBe(9);
  });

  it("eviction keeps stored events: a reconnect with Last-Event-ID loses nothing", async () => {
    const u = await makeUser();
    const channels = channelsFor({ userId: u.id });
    const s = await connect("/api/events/stream/", u.token);
    await s.opening();
    await publish(channels, "session.closed", { n: 1 });
    const last = await s.next();
    expect(last.id).toBe("1");

    // The client goes away (an open stream would hold the instance in memory), then the hub is evicted.
    await s.cancel();
    const hub = hubFor(env, `user:${u.id}`);
    await waitFor(async () => (await hub.clientCount()) === 0, "the client to be dropped");
    await evictDurableObject(hub);
    // A fresh instance: nothing in memory, everything published meanwhile kept in SQLite.
    await publish(channels, "session.closed", { n: 2 });
    await publish(channels, "report.created", { n: 3 });
    expect(await hub.clientCount()).toBe(0);
    expect(await hub.storedEventIds()).toEqual([1, 2, 3]);
    await evictDurableObject(hub);

    const again = await connect("/api/events/stream/", u.token, { "Last-Event-ID": last.id! });
    await again.opening();
    expect([await again.next(), await again.next()]).toEqual([
      { id: "2", event: "session.closed", data: '{"n":2}' },
      { id: "3", event: "report.created", data: '{"n":3}' },
    ]);
    // Sequence numbers keep counting after the eviction: no id is reused.
    await publish(channels, "report.created", { n: 4 });
    expect((await again.next()).id).toBe("4");
    await again.cancel();
  });
});

describe("events: security", () => {
  it("one user's personal events never reach another user", async () => {
    const a = await makeUser();
    const b = await makeUser();
    const sa = await connect("/api/events/stream/", a.token);
    const sb = await connect("/api/events/stream/", b.token);
    await sa.opening();
    await sb.opening();
    await publish([`user:${a.id}`], "report.created", { owner: "a" });
    expect(JSON.parse((await sa.next()).data!)).toEqual({ owner: "a" });
    // B's hub only ever sees B's events: the first frame B gets is B's own marker.
    await publish([`user:${b.id}`], "report.created", { owner: "b" });
    expect(await sb.next()).toEqual({ id: "1", event: "report.created", data: '{"owner":"b"}' });
    // Nor can B ask for A's channel: the stream is always the caller's own, whatever the query says.
    const sb2 = await connect(`/api/events/stream/?last_event_id=0&user=${a.id}`, b.token);
    await sb2.opening();
    expect(JSON.parse((await sb2.next()).data!)).toEqual({ owner: "b" });
    await Promise.all([sa.cancel(), sb.cancel(), sb2.cancel()]);
  });

  it("cancelling the reader removes the client from the hub", async () => {
    const u = await makeUser();
    const hub = hubFor(env, `user:${u.id}`);
    const s1 = await connect("/api/events/stream/", u.token);
    const s2 = await connect("/api/events/stream/", u.token);
    await s1.opening();
    await s2.opening();
    expect(await hub.clientCount()).toBe(2);
    await s1.cancel();
    await waitFor(async () => (await hub.clientCount()) === 1, "one client left");
    // The remaining client still gets events, and publishing reports only it as a recipient.
    const result = await hub.publish({ type: "report.created", data: { n: 1 } });
    expect(result.clients).toBe(1);
    expect((await s2.next()).id).toBe("1");
    await s2.cancel();
    await waitFor(async () => (await hub.clientCount()) === 0, "no client left");
  });

  it("an outsider gets 404 for a team stream; no token 401; bad parameters 400", async () => {
    const owner = await makeUser();
    const outsider = await makeUser();
    const team = await createTeam(owner, { name: "Stream Team" });
    expectError(await api(`/api/events/stream/?team=${team.id}`, { token: outsider.token }), 404, "NOT_FOUND");
    expectError(await api("/api/events/stream/?team=999999999", { token: owner.token }), 404, "NOT_FOUND");
    expectError(await api("/api/events/stream/"), 401, "UNAUTHORIZED");
    expectError(await api(`/api/events/stream/?team=${team.id}`), 401, "UNAUTHORIZED");
    expectError(await api("/api/events/stream/?team=abc", { token: owner.token }), 400, "VALIDATION_FAILED");
    expectError(await api("/api/events/stream/?last_event_id=-1", { token: owner.token }), 400, "VALIDATION_FAILED");
    expectError(
      await api("/api/events/stream/", { token: owner.token, headers: { "Last-Event-ID": "x" } }),
      400,
      "VALIDATION_FAILED",
    );
    // Nothing was opened on the team's hub by the refused requests.
    expect(await hubFor(env, `team:${team.id}`).clientCount()).toBe(0);
  });

  it("the bench publish route is 404 unless ENABLE_BENCH_ROUTES is true, and then OWNER only", async () => {
    const owner = await makeUser();
    const viewer = await makeUser();
    const team = await createTeam(owner, { name: "Stream Team", members: [[viewer, "VIEWER"]] });
    const body = { team: team.id, type: "report.created", data: { n: 1 } };
    expectError(await api("/api/events/_bench_publish", { token: owner.token, body }), 404, "NOT_FOUND");
    expectError(await api("/api/events/_bench_publish", { token: owner.token, body: {} }), 404, "NOT_FOUND");

    const benchEnv = { ...env, ENABLE_BENCH_ROUTES: "true" };
    const call = (token: string, b: unknown) =>
      app.fetch(
        new Request(`${BASE}/api/events/_bench_publish`, {
          method: "POST",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
          body: JSON.stringify(b),
        }),
        benchEnv,
        createExecutionContext(),
      );
    expect((await call(viewer.token, body)).status).toBe(403);
    expect((await call(owner.token, { ...body, type: "nope" })).status).toBe(400);
    const s = await connect(`/api/events/stream/?team=${team.id}`, viewer.token);
    await s.opening();
    expect((await call(owner.token, body)).status).toBe(200);
    expect(await s.next()).toEqual({ id: "1", event: "report.created", data: '{"n":1}' });
    await s.cancel();
  });

  it("is in the OpenAPI document as text/event-stream; the bench route is not", async () => {
    const doc = await openapiDocument();
    const op = doc.paths["/api/events/stream"].get;
    expect(Object.keys(op.responses[200].content)).toEqual(["text/event-stream"]);
    expect(op.parameters.map((p) => p.name).sort()).toEqual(["last-event-id", "last_event_id", "team"]);
    expect(Object.keys(doc.paths).some((p) => p.includes("_bench"))).toBe(false);
  });
});
