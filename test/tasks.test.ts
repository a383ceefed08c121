import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import Papa from "papaparse";
import { beforeAll, describe, expect, it } from "vitest";
import * as schema from "../src/db/schema";
import type { Actor } from "../src/env";
import { taskListQueries } from "../src/modules/tasks/service";
import { readableScopes } from "../src/modules/tasks/visibility";
import { TASK_ORDERING } from "../src/modules/tasks/schemas";
import { cursorAfter, parseOrdering } from "../src/platform/pagination";
import {
  addMember,
  api,
  client,
  createTask,
  createTeam,
  expectError,
  makeUser,
  openapiDocument,
  roleMatrix,
  seedTasks,
  teamWithRoles,
  unchecked,
  walk,
  type RoleRow,
  type Schemas,
  type SeedTask,
  type TestUser,
} from "./harness";
const ids = (rows: { id: number }[]) => rows.map((r) => r.id);
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

describe("tasks: happy path", () => {
  it("creates a personal task with the design's defaults; created_by is the caller", async () => {
    const u = await makeUser();
    const res = await api("/api/tasks", { token: u.token, body: { title: "  Write the docs  " } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(Number),
      team: null,
      title: "Write the docs",
      description: "",
      type: "FEATURE",
      priority: "MED",
      status: "TODO",
      external_source: "MANUAL",
      external_id: null,
      external_key: null,
      external_url: null,
      created_by: u.id,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updated_at: res.body.created_at,
    });
    // The typed client itself, with the path as the OpenAPI document names it.
    const got = await client(u.token).GET("/api/tasks/{id}", { params: { path: { id: res.body.id } } });
    expect(got.response.status).toBe(200);
    expect(got.data).toEqual(res.body);
  });

  it("creates, edits and deletes a team task", async () => {
    const { team, users } = await teamWithRoles();
    const created = await createTask(users.MEMBER.token, {
      team: team.id, title: "Login loop", type: "BUG", priority: "HIGH", external_source: "JIRA",
      external_id: "10042", external_key: "ACME-42", external_url: "https://acme.atlassian.net/browse/ACME-42",
    });
    expect(created).toMatchObject({ team: team.id, created_by: users.MEMBER.id, type: "BUG", priority: "HIGH", external_key: "ACME-42" });

    await new Promise((r) => setTimeout(r, 5));
    const patched = await api(`/api/tasks/${created.id}/`, { method: "PATCH", token: users.MEMBER.token, body: { status: "IN_PROGRESS", external_key: null } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ status: "IN_PROGRESS", external_key: null, title: "Login loop", priority: "HIGH" });
    expect(patched.body.updated_at > created.updated_at).toBe(true);
    expect(patched.body.created_at).toBe(created.created_at);
    expect((await api(`/api/tasks/${created.id}`, { token: users.VIEWER.token })).body.status).toBe("IN_PROGRESS");

    expect((await api(`/api/tasks/${created.id}`, { method: "DELETE", token: users.ADMIN.token })).status).toBe(204);
    expectError(await api(`/api/tasks/${created.id}/`, { token: users.MEMBER.token }), 404, "NOT_FOUND");
  });

  it("an empty PATCH changes nothing", async () => {
    const u = await makeUser();
    const t = await createTask(u.token, { title: "Same" });
    const res = await api(`/api/tasks/${t.id}`, { method: "PATCH", token: u.token, body: {} });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(t);
  });

  it("the same external id twice in a team is a 409", async () => {
    const { team, users } = await teamWithRoles();
    const body = { team: team.id, title: "Imported", external_source: "GITHUB", external_id: "77" } as const;
    await createTask(users.MEMBER.token, body);
    expectError(await api("/api/tasks/", { token: users.MEMBER.token, body }), 409, "CONFLICT");
  });
});

describe("tasks: OpenAPI", () => {
  it("documents the task and resource endpoints, the export's two media types included", async () => {
    const doc = await openapiDocument();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/api/tasks", "/api/tasks/{id}", "/api/tasks/export", "/api/resources", "/api/resources/{id}"]),
    );
    expect(Object.keys(doc.paths["/api/tasks/export"].get.responses["200"].content)).toEqual(["text/csv", "application/json"]);
    expect(doc.components.schemas.Task.properties.priority.enum).toEqual(["LOW", "MED", "HIGH"]);
  });
});

describe("tasks: errors", () => {
  let u: TestUser;
  beforeAll(async () => {
    u = await makeUser();
  });

  for (const field of ["type", "priority", "status", "external_source", "ordering"]) {
    it(`an invalid ${field} filter is 400 naming ${field}`, async () => {
      const res = await api(`/api/tasks/?${field}=bogus`, { token: u.token });
      expectError(res, 400, "VALIDATION_FAILED");
      expect(res.body.error.details.map((d: any) => d.path)).toEqual([field]);
    });
  }

  it("an invalid enum in a body is 400 naming every bad field", async () => {
    const res = await api("/api/tasks/", { token: u.token, body: unchecked({ title: "", type: "EPIC", priority: "URGENT", status: "OPEN" }) });
    expectError(res, 400, "VALIDATION_FAILED");
    expect(res.body.error.details.map((d: any) => d.path).sort()).toEqual(["priority", "status", "title", "type"]);
    const t = await createTask(u.token, { title: "ok" });
    const patch = await api(`/api/tasks/${t.id}/`, { method: "PATCH", token: u.token, body: unchecked({ priority: "low" }) });
    expectError(patch, 400, "VALIDATION_FAILED");
    expect(patch.body.error.details[0]!.path).toBe("priority");
  });

  it("external_url must be http(s); a task's team cannot be changed", async () => {
    for (const url of ["javascript:alert(1)", "ftp://example.com/x", "not a url"]) {
      const res = await api("/api/tasks/", { token: u.token, body: { title: "x", external_url: url } });
      expectError(res, 400, "VALIDATION_FAILED");
      expect(res.body.error.details[0]!.path).toBe("external_url");
    }
    const t = await createTask(u.token, { title: "mine" });
    expectError(await api(`/api/tasks/${t.id}`, { method: "PATCH", token: u.token, body: unchecked({ team: 1 }) }), 400, "VALIDATION_FAILED");
  });

  it("a forged cursor of ?ordering=priority (its key exact only for whole ranks and ids below 2^32) is 400 naming cursor", async () => {
    const forge = (c: object) => btoa(JSON.stringify(c)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    for (const c of [{ v: "HIGH", id: 1 }, { v: 1.5, id: 1 }, { v: 2 ** 31, id: 1 }, { v: 2, id: -1 }, { v: 2, id: 2 ** 32 }, { v: 2, id: 0.5 }]) {
      const res = await api(`/api/tasks/?ordering=-priority&cursor=${forge({ o: "-priority", ...c })}`, { token: u.token });
      expectError(res, 400, "VALIDATION_FAILED");
      expect(res.body.error.details.map((d: any) => d.path), JSON.stringify(c)).toEqual(["cursor"]);
    }
    expect((await api(`/api/tasks/?ordering=-priority&cursor=${forge({ o: "-priority", v: 2, id: 2 ** 32 - 1 })}`, { token: u.token })).status).toBe(200);
  });

  it("a malformed cursor, or one from another ordering, is 400 naming cursor", async () => {
    await seedTasks(Array.from({ length: 3 }, () => ({ created_by: u.id })));
    const first = await api("/api/tasks/?page_size=1&ordering=title", { token: u.token });
    const cursor = new URL(first.body.next!).searchParams.get("cursor");
    for (const q of [`cursor=${cursor}&ordering=-title`, "cursor=%%%"]) {
      const res = await api(`/api/tasks/?${q}`, { token: u.token });
      expectError(res, 400, "VALIDATION_FAILED");
      expect(res.body.error.details[0]!.path).toBe("cursor");
    }
  });
});

describe("tasks: filters and search", () => {
  let me: TestUser;
  let other: TestUser;
  let teamA: number;
  let teamB: number;
  let foreignTeam: number;
  const expected: Record<string, number[]> = {};
  let all: number[] = [];

  beforeAll(async () => {
    me = await makeUser();
    other = await makeUser();
    teamA = (await createTeam(me, { name: "A" })).id;
    teamB = (await createTeam(other, { name: "B" })).id;
    await addMember(teamB, other, me, "VIEWER");
    foreignTeam = (await createTeam(other, { name: "Foreign" })).id;
    const mk = (b: Schemas["CreateTaskRequest"]) => createTask(me.token, b);
    const t = {
      bugHigh: await mk({ team: teamA, title: "Login fails on Safari", type: "BUG", priority: "HIGH", status: "TODO" }),
      featLow: await mk({ team: teamA, title: "Dark mode", description: "Users keep asking after LOGIN redesign", type: "FEATURE", priority: "LOW", status: "DONE" }),
      refactor: await mk({ title: "Clean the session store", type: "REFACTOR", priority: "MED", status: "IN_PROGRESS" }),
      jira: await mk({ title: "Billing export", external_source: "JIRA", external_id: "9", external_key: "ACME-9" }),
      github: await createTask(other.token, { team: teamB, title: "Crash on start", type: "BUG", priority: "HIGH", external_source: "GITHUB", external_id: "42", external_key: "acme/widgets#42" }),
    };
    // Not visible to `me`: another user's personal task and a team `me` is not in. Both match every filter.
    const hidden = [
      await createTask(other.token, { title: "login BUG hidden", type: "BUG", priority: "HIGH", status: "TODO", external_source: "GITHUB", external_id: "1", external_key: "acme/widgets#42" }),
      await createTask(other.token, { team: foreignTeam, title: "login bug foreign", type: "BUG", priority: "HIGH", external_source: "GITHUB", external_id: "2", external_key: "acme/widgets#42" }),
    ];
    expect(hidden).toHaveLength(2);
    all = sorted(Object.values(t).map((x) => x.id));
    Object.assign(expected, {
      "type=BUG": [t.bugHigh.id, t.github.id],
      "type=REFACTOR": [t.refactor.id],
      "priority=HIGH": [t.bugHigh.id, t.github.id],
      "priority=LOW": [t.featLow.id],
      "status=DONE": [t.featLow.id],
      "status=IN_PROGRESS": [t.refactor.id],
      [`team=${teamA}`]: [t.bugHigh.id, t.featLow.id],
      [`team=${teamB}`]: [t.github.id],
      "external_source=JIRA": [t.jira.id],
      "external_source=GITHUB": [t.github.id],
      "external_source=MANUAL": [t.bugHigh.id, t.featLow.id, t.refactor.id],
      "external_key=acme%2Fwidgets%2342": [t.github.id],
      "external_key=ACME-9": [t.jira.id],
      "search=login": [t.bugHigh.id, t.featLow.id], // title match and a description match
      "search=LoGiN": [t.bugHigh.id, t.featLow.id],
      "search=session%20STORE": [t.refactor.id],
      "search=100%25": [],
      [`type=BUG&priority=HIGH&team=${teamA}`]: [t.bugHigh.id],
    });
  });

  it("without filters: personal tasks and every team's, nothing else", async () => {
    const { rows } = await walk("/api/tasks/", me.token);
    expect(sorted(ids(rows))).toEqual(all);
  });

  it("every filter returns exactly the matching visible tasks", async () => {
    for (const [q, want] of Object.entries(expected)) {
      const res = await api(`/api/tasks/?${q}`, { token: me.token });
      expect(res.status, q).toBe(200);
      expect(sorted(ids(res.body.results)), q).toEqual(sorted(want));
    }
  });

  it("the seed's example queries work", async () => {
    for (const q of ["type=BUG", "priority=HIGH", "search=login", "ordering=-created_at"]) {
      const res = await api(`/api/tasks/?${q}`, { token: me.token });
      expect(res.status, q).toBe(200);
      expect(res.body.results.length, q).toBeGreaterThan(0);
    }
  });

  it("filtering by a team the caller is not in is 404", async () => {
    expectError(await api(`/api/tasks/?team=${foreignTeam}`, { token: me.token }), 404, "NOT_FOUND");
    expectError(await api(`/api/tasks/export/?team=${foreignTeam}`, { token: me.token }), 404, "NOT_FOUND");
  });
});

describe("tasks: ordering and pagination", () => {
  let me: TestUser;
  type Row = { id: number; title: string; priority: string; created_at: string; updated_at: string };
  let rows: Row[] = [];

  beforeAll(async () => {
    me = await makeUser();
    const other = await makeUser();
    const teamA = (await createTeam(me, { name: "A" })).id;
    const teamB = (await createTeam(other, { name: "B" })).id;
    await addMember(teamB, other, me, "MEMBER");
    const hiddenTeam = (await createTeam(other, { name: "Hidden" })).id;
    // Few distinct values, so every ordering has long runs of ties, spread over three scopes.
    const stamps = ["2026-01-01T09:00:00.000Z", "2026-01-02T09:00:00.000Z", "2026-01-03T09:00:00.000Z"];
    const titles = ["alpha", "Beta", "beta", "élan", "zeta 🚀", "zeta \uffff"];
    const priorities = ["LOW", "MED", "HIGH"];
    const seed: SeedTask[] = [];
    for (let i = 0; i < 60; i++) {
      const scope = [null, teamA, teamB][i % 3]!;
      seed.push({
        team_id: scope,
        created_by: scope === teamB ? other.id : me.id,
        title: titles[(i * 7) % titles.length],
        priority: priorities[(i * 5) % 3],
        created_at: stamps[i % 2]!,
        updated_at: stamps[(i * 11) % 3]!,
      });
    }
    // Rows that must never show up: another user's personal tasks and a team `me` is not in.
    seed.push({ created_by: other.id, title: "alpha" }, { team_id: hiddenTeam, created_by: other.id, title: "alpha" });
    await seedTasks(seed);
    rows = (await walk("/api/tasks/?page_size=200", me.token)).rows;
    expect(rows).toHaveLength(60);
  });

  const RANK: Record<string, number> = { LOW: 0, MED: 1, HIGH: 2 };
  // SQLite compares text bytewise (code point order), which is what Array#sort does on code points.
  const cmpText = (a: string, b: string) => {
    const x = [...a].map((c) => c.codePointAt(0)!);
    const y = [...b].map((c) => c.codePointAt(0)!);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  };
  const key: Record<string, (r: Row, s: Row) => number> = {
    created_at: (r, s) => cmpText(r.created_at, s.created_at),
    updated_at: (r, s) => cmpText(r.updated_at, s.updated_at),
    priority: (r, s) => RANK[r.priority]! - RANK[s.priority]!,
    title: (r, s) => cmpText(r.title, s.title),
  };

  for (const field of Object.keys(TASK_ORDERING)) {
    for (const ordering of [field, `-${field}`]) {
      it(`?ordering=${ordering} walks every row exactly once, ties broken by id`, async () => {
        const sign = ordering.startsWith("-") ? -1 : 1;
        const want = [...rows].sort((a, b) => sign * (key[field]!(a, b) || a.id - b.id)).map((r) => r.id);
        const got = await walk(`/api/tasks/?ordering=${ordering}&page_size=7`, me.token);
        expect(got.pages).toBe(Math.ceil(60 / 7));
        expect(ids(got.rows)).toEqual(want);
      });
    }
  }

  it("priority orders LOW < MED < HIGH, not alphabetically", async () => {
    const asc = (await walk("/api/tasks/?ordering=priority&page_size=50", me.token)).rows.map((r) => r.priority);
    expect([...new Set(asc)]).toEqual(["LOW", "MED", "HIGH"]);
    const desc = (await walk("/api/tasks/?ordering=-priority", me.token)).rows.map((r) => r.priority);
    expect([...new Set(desc)]).toEqual(["HIGH", "MED", "LOW"]);
  });

  it("the default ordering is -created_at", async () => {
    const res = await api("/api/tasks/", { token: me.token });
    const stamps = res.body.results.map((r: Row) => r.created_at);
    expect(stamps).toEqual([...stamps].sort().reverse());
    expect(res.body.results[0]!.created_at).toBe("2026-01-02T09:00:00.000Z");
  });

  it("next keeps the filters and page_size", async () => {
    const res = await api("/api/tasks/?page_size=3&priority=LOW&ordering=title", { token: me.token });
    const next = new URL(res.body.next!);
    expect(Object.fromEntries(next.searchParams)).toMatchObject({ page_size: "3", priority: "LOW", ordering: "title" });
    const all = await walk("/api/tasks/?page_size=3&priority=LOW&ordering=title", me.token);
    expect(all.rows.every((r) => r.priority === "LOW")).toBe(true);
    expect(all.rows).toHaveLength(rows.filter((r) => r.priority === "LOW").length);
  });
});

describe("tasks: security", () => {
  /** Each row runs on a team task created by a second MEMBER, so for everyone below it is "another member's task". */
  type Ctx = { task: { id: number }; own?: number };
  const ROWS: RoleRow<Ctx>[] = [
    { action: "read a team task", min: "VIEWER", ok: 200, call: ({ actor, task }) => api(`/api/tasks/${task.id}/`, { token: actor.token }) },
    { action: "create a team task", min: "MEMBER", ok: 201, call: ({ team, actor }) => api("/api/tasks/", { token: actor.token, body: { team: team.id, title: "new" } }) },
    { action: "edit a team task", min: "MEMBER", ok: 200, call: ({ actor, task }) => api(`/api/tasks/${task.id}/`, { method: "PATCH", token: actor.token, body: { status: "DONE" } }) },
    { action: "delete another member's task", min: "ADMIN", ok: 204, call: ({ actor, task }) => api(`/api/tasks/${task.id}/`, { method: "DELETE", token: actor.token }) },
    {
      action: "delete a task they created",
      min: "MEMBER",
      ok: 204,
      // Seeded directly, so a VIEWER (e.g. demoted since) can be its creator too.
      arrange: async ({ team, actor }) => ({ own: (await seedTasks([{ team_id: team.id, created_by: actor.id }]))[0] }),
      call: ({ actor, own }) => api(`/api/tasks/${own}/`, { method: "DELETE", token: actor.token }),
    },
  ];
  roleMatrix(ROWS, async ({ team, users }) => {
    const author = await makeUser();
    await addMember(team.id, users.OWNER, author, "MEMBER");
    return { task: await createTask(author.token, { team: team.id, title: "Shared" }) };
  });

  it("an outsider gets 404 on every path of a team task and never sees it listed or exported", async () => {
    const { team, users } = await teamWithRoles();
    const task = await createTask(users.MEMBER.token, { team: team.id, title: "Secret roadmap" });
    const o = users.OUTSIDER.token;
    expectError(await api(`/api/tasks/${task.id}`, { token: o }), 404, "NOT_FOUND");
    expectError(await api(`/api/tasks/${task.id}`, { method: "PATCH", token: o, body: { title: "x" } }), 404, "NOT_FOUND");
    expectError(await api(`/api/tasks/${task.id}`, { method: "DELETE", token: o }), 404, "NOT_FOUND");
    expectError(await api("/api/tasks/", { token: o, body: { team: team.id, title: "x" } }), 404, "NOT_FOUND");
    expectError(await api(`/api/tasks/?team=${team.id}`, { token: o }), 404, "NOT_FOUND");
    expect((await api("/api/tasks/?search=roadmap", { token: o })).body.results).toEqual([]);
    expect((await api("/api/tasks/export/?format=json&search=roadmap", { token: o })).body).toEqual([]);
    expect((await api(`/api/tasks/${task.id}`, { token: users.MEMBER.token })).body.title).toBe("Secret roadmap");
  });

  it("personal tasks are invisible to everyone else, teammates included", async () => {
    const { team, users } = await teamWithRoles();
    const mine = await createTask(users.MEMBER.token, { title: "My private todo" });
    await createTask(users.MEMBER.token, { team: team.id, title: "Team todo" });
    for (const who of ["OWNER", "ADMIN", "VIEWER", "OUTSIDER"] as const) {
      const t = users[who].token;
      expectError(await api(`/api/tasks/${mine.id}/`, { token: t }), 404, "NOT_FOUND");
      expectError(await api(`/api/tasks/${mine.id}/`, { method: "PATCH", token: t, body: { title: "x" } }), 404, "NOT_FOUND");
      expectError(await api(`/api/tasks/${mine.id}/`, { method: "DELETE", token: t }), 404, "NOT_FOUND");
      const listed = (await walk("/api/tasks/", t)).rows;
      expect(listed.some((r) => r.id === mine.id), who).toBe(false);
    }
    expect(ids((await walk("/api/tasks/?search=todo", users.MEMBER.token)).rows)).toContain(mine.id);
  });
});

describe("tasks: export", () => {
  let me: TestUser;
  let teamId: number;

  beforeAll(async () => {
    me = await makeUser();
    teamId = (await createTeam(me)).id;
    const seed: SeedTask[] = [];
    for (let i = 0; i < 23; i++) {
      seed.push({
        team_id: i % 2 ? teamId : null,
        created_by: me.id,
        title: `Export ${i % 5} "quoted", with comma`,
        description: i % 4 ? `line one\nline two ${i}` : "",
        type: ["BUG", "FEATURE", "REFACTOR"][i % 3],
        priority: ["LOW", "MED", "HIGH"][i % 3],
        external_id: i % 3 ? String(1000 + i) : null,
        created_at: `2026-02-0${1 + (i % 4)}T10:00:00.000Z`,
      });
    }
    await seedTasks(seed);
  });

  const csvObjects = (text: string) => Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
  /** The list's JSON object as its CSV row reads back: every value a string, null as "". */
  const asCsv = (t: Record<string, unknown>) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v === null ? "" : String(v)]));

  for (const q of ["", "type=BUG", "priority=HIGH&ordering=title", `team=${"TEAM"}&ordering=-priority`, "search=LINE%20TWO&ordering=updated_at", "status=DONE"]) {
    it(`CSV and JSON equal the list for ?${q || "(no filters)"}`, async () => {
      const query = q.replace("TEAM", String(teamId));
      const list = (await walk(`/api/tasks/?page_size=4&${query}`, me.token)).rows;
      if (q !== "status=DONE") expect(list.length).toBeGreaterThan(0);

      const json = await api(`/api/tasks/export/?format=json&${query}`, { token: me.token });
      expect(json.status).toBe(200);
      expect(json.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
      expect(json.headers.get("Content-Disposition")).toBe("attachment; filename=tasks.json");
      expect(json.headers.get("X-Request-Id")).toBeTruthy();
      expect(json.body).toEqual(list);

      const csv = await api(`/api/tasks/export?format=csv&${query}`, { token: me.token });
      expect(csv.status).toBe(200);
      expect(csv.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
      expect(csv.headers.get("Content-Disposition")).toBe("attachment; filename=tasks.csv");
      const parsed = csvObjects(csv.text);
      expect(parsed.errors).toEqual([]);
      expect(parsed.meta.fields).toEqual([
        "id", "title", "type", "priority", "external_id", "created_at", "updated_at",
        "team", "description", "status", "external_source", "external_key", "external_url", "created_by",
      ]);
      expect(parsed.data).toEqual(list.map(asCsv));
    });
  }

  it("format defaults to csv; a bad format is 400 naming format", async () => {
    const res = await api("/api/tasks/export/", { token: me.token });
    expect(res.status).toBe(200);
    expect(res.text.startsWith("id,title,type,priority,external_id,created_at,updated_at,")).toBe(true);
    for (const f of ["xml", "CSV", ""]) {
      const bad = await api(`/api/tasks/export/?format=${f}`, { token: me.token });
      expectError(bad, 400, "VALIDATION_FAILED");
      expect(bad.body.error.details.map((d: any) => d.path)).toEqual(["format"]);
    }
    const badFilter = await api("/api/tasks/export/?format=json&type=EPIC", { token: me.token });
    expectError(badFilter, 400, "VALIDATION_FAILED");
    expect(badFilter.body.error.details[0]!.path).toBe("type");
  });

  it("an export with no rows is a header row, or an empty array", async () => {
    const u = await makeUser();
    expect((await api("/api/tasks/export/?format=csv", { token: u.token })).text).toBe(
      "id,title,type,priority,external_id,created_at,updated_at,team,description,status,external_source,external_key,external_url,created_by\r\n",
    );
    const json = await api("/api/tasks/export/?format=json", { token: u.token });
    expect(json.text).toBe("[]");
  });

  it("cells that could run as spreadsheet formulas are escaped with a leading quote", async () => {
    const u = await makeUser();
    const dangerous = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "=CMD()\nsecond line"];
    for (const title of dangerous) await createTask(u.token, { title: "safe", description: title });
    await createTask(u.token, { title: "=1+1", description: "a = b, not at the start" });
    const res = await api("/api/tasks/export/?format=csv&ordering=created_at", { token: u.token });
    const parsed = csvObjects(res.text).data;
    expect(parsed.map((r) => r.description)).toEqual([...dangerous.map((d) => `'${d}`), "a = b, not at the start"]);
    expect(parsed.at(-1)!.title).toBe("'=1+1");
    // The JSON export carries the data unchanged.
    const json = (await api("/api/tasks/export/?format=json&ordering=created_at", { token: u.token })).body;
    expect(json.map((t: any) => t.description)).toEqual([...dangerous, "a = b, not at the start"]);
  });

  it("exports 5,000 tasks completely and in order, page by page", async () => {
    const u = await makeUser();
    const team = (await createTeam(u, { name: "Big" })).id;
    const seed: SeedTask[] = [];
    for (let i = 0; i < 5000; i++) {
      seed.push({
        team_id: i % 5 ? team : null,
        created_by: u.id,
        title: `Bulk task ${String(i).padStart(4, "0")}`,
        priority: ["LOW", "MED", "HIGH"][i % 3],
        // 100 tasks share each timestamp: ties across page boundaries.
        created_at: new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 100) * 60_000).toISOString(),
      });
    }
    const seeded = await seedTasks(seed);
    expect(seeded).toHaveLength(5000);

    const csv = await api("/api/tasks/export/?format=csv", { token: u.token });
    expect(csv.status).toBe(200);
    const rows = csvObjects(csv.text).data;
    expect(rows).toHaveLength(5000);
    expect(new Set(rows.map((r) => Number(r.id)))).toEqual(new Set(seeded));
    const order = rows.map((r) => [r.created_at!, Number(r.id)] as const);
    for (let i = 1; i < order.length; i++) {
      const [pa, pi] = order[i - 1]!;
      const [ca, ci] = order[i]!;
      expect(pa > ca || (pa === ca && pi > ci)).toBe(true);
    }
    expect(rows.find((r) => Number(r.id) === seeded[4321])).toMatchObject({ title: "Bulk task 4321", priority: "MED", team: String(team) });

    const json = await api("/api/tasks/export/?format=json&ordering=priority", { token: u.token });
    expect(json.body).toHaveLength(5000);
    expect(new Set(json.body.map((t: any) => t.id)).size).toBe(5000);
    expect(json.body[0]!.priority).toBe("LOW");
    expect(json.body[4999]!.priority).toBe("HIGH");
  });
});

describe("tasks: query plans", () => {
  // Every list query must reach tasks through an index: a `SCAN tasks` (whole table, or a whole index
  // walked in order) fails, whatever the filter, ordering or page.
  const FILTERS: Record<string, object> = {
    none: {},
    type: { type: "BUG" },
    priority: { priority: "HIGH" },
    status: { status: "DONE" },
    team: { team: "TEAM" },
    external_source: { external_source: "GITHUB" },
    external_key: { external_key: "acme/widgets#1" },
    search: { search: "login" },
    "type+priority+status": { type: "BUG", priority: "LOW", status: "TODO" },
  };

  let actor: Actor;
  let teamId: number;
  beforeAll(async () => {
    const u = await makeUser();
    teamId = (await createTeam(u)).id;
    actor = { id: u.id, email: u.email, timezone: "UTC", dayStartHour: 0, weekStart: "MON", tokenId: 0 };
    await seedTasks(Array.from({ length: 50 }, (_, i) => ({ team_id: i % 2 ? teamId : null, created_by: u.id })));
  });

  async function plan(query: { toSQL(): { sql: string; params: unknown[] } }) {
    const { sql, params } = query.toSQL();
    const res = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
    return res.results.map((r) => r.detail);
  }
  const fullScans = (details: string[]) => details.filter((d) => /^SCAN tasks\b/.test(d));

  it("the check itself catches a full scan", async () => {
    const db = drizzle(env.DB, { schema });
    const unscoped = db.select().from(schema.tasks).where(eq(schema.tasks.externalSource, "GITHUB"));
    expect(fullScans(await plan(unscoped))).not.toEqual([]);
  });

  it("a deep page starts at its cursor: rows read stay near the page size, whatever the depth", async () => {
    const u = await makeUser();
    const team = (await createTeam(u, { name: "Deep" })).id;
    await seedTasks(Array.from({ length: 3000 }, (_, i) => ({
      team_id: team, created_by: u.id, title: `t${String(i).padStart(4, "0")}`,
      created_at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    })));
    const db = drizzle(env.DB, { schema });
    const me: Actor = { ...actor, id: u.id, email: u.email };
    for (const o of ["-created_at", "created_at", "title", "-title"]) {
      const ordering = parseOrdering(TASK_ORDERING, o);
      const middle = { id: 0, createdAt: new Date(Date.UTC(2026, 0, 1) + 1500 * 1000).toISOString(), title: "t1500" };
      const [first] = taskListQueries(db, me, [team], {}, ordering, undefined, 51);
      const idAt = (await first!).length && (await env.DB.prepare("SELECT id FROM tasks WHERE team_id = ? AND title = 't1500'").bind(team).first<{ id: number }>())!.id;
      const cursor = cursorAfter({ ...middle, id: idAt } as never, ordering);
      const [deep] = taskListQueries(db, me, [team], {}, ordering, cursor, 51);
      const { sql, params } = deep!.toSQL();
      const res = await env.DB.prepare(sql).bind(...params).all();
      expect(res.results).toHaveLength(51);
      expect(res.meta.rows_read, o).toBeLessThan(3 * 51);
    }
  });

  for (const [name, raw] of Object.entries(FILTERS)) {
    it(`the list query filtered by ${name} uses an index under every ordering`, async () => {
      const db = drizzle(env.DB, { schema });
      const filters = JSON.parse(JSON.stringify(raw).replace('"TEAM"', String(teamId)));
      const scopes = await readableScopes(db, actor, filters.team);
      expect(scopes.length).toBeGreaterThan(0);
      for (const field of Object.keys(TASK_ORDERING)) {
        for (const o of [field, `-${field}`]) {
          const ordering = parseOrdering(TASK_ORDERING, o);
          const cursor = cursorAfter({ id: 10, createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:00.000Z", priorityRank: 1, title: "m" } as never, ordering);
          for (const c of [undefined, cursor]) {
            for (const q of taskListQueries(db, actor, scopes, filters, ordering, c, 51)) {
              const details = await plan(q);
              // An index range, or (a search's full-text statement) each match's task by its id.
              expect(details.some((d) => /^SEARCH tasks USING ((COVERING )?INDEX|INTEGER PRIMARY KEY)/.test(d)), `${name} ${o}: ${details.join(" | ")}`).toBe(true);
              expect(fullScans(details), `${name} ${o}: ${details.join(" | ")}`).toEqual([]);
            }
          }
        }
      }
    });
  }
});

describe("tasks: rows read stay near the page, whatever the filter, ordering or search", () => {
  // What D1 bills and what the benchmark holds: a page of 50 reads about 51 rows, never the team's tasks.
  const PAGE = 51;
  let me: Actor;
  let team: number;
  let keyId: number;
  beforeAll(async () => {
    const u = await makeUser();
    team = (await createTeam(u, { name: "Rows" })).id;
    me = { id: u.id, email: u.email, timezone: "UTC", dayStartHour: 0, weekStart: "MON", tokenId: 0 };
    const seeded = await seedTasks(Array.from({ length: 3000 }, (_, i) => ({
      team_id: team,
      created_by: u.id,
      title: i % 600 === 7 ? `Fix OAuth redirect loop ${i}` : `${i % 2 ? "Improve" : "Fix"} common widget ${i}`,
      description: i % 3 ? "steps to reproduce" : "",
      type: ["BUG", "FEATURE", "REFACTOR"][i % 3],
      priority: ["LOW", "MED", "HIGH"][i % 3],
      status: ["TODO", "IN_PROGRESS", "DONE"][i % 3],
      external_source: i % 3 ? "MANUAL" : "GITHUB",
      external_key: i % 3 ? null : `acme/widgets#${i}`,
      created_at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
      updated_at: new Date(Date.UTC(2026, 0, 1) + ((i * 7919) % 3000) * 60_000).toISOString(),
    })));
    keyId = seeded[1500]!;
  });

  async function rowsRead(filters: Record<string, unknown>, o: string, cursor?: string) {
    const db = drizzle(env.DB, { schema });
    const scopes = await readableScopes(db, me, undefined);
    const statements = taskListQueries(db, me, scopes, filters, parseOrdering(TASK_ORDERING, o), cursor, PAGE).map((q) => {
      const { sql, params } = q.toSQL();
      return env.DB.prepare(sql).bind(...params);
    });
    const results = await env.DB.batch(statements);
    return { read: results.reduce((n, r) => n + (r.meta.rows_read ?? 0), 0), rows: results.reduce((n, r) => n + r.results.length, 0) };
  }

  it("each filter, under the default ordering", async () => {
    for (const f of [{}, { type: "BUG" }, { priority: "HIGH" }, { status: "DONE" }, { external_source: "GITHUB" }, { team }]) {
      const { read, rows } = await rowsRead(f, "-created_at");
      expect(rows, JSON.stringify(f)).toBe(PAGE);
      expect(read, JSON.stringify(f)).toBeLessThanOrEqual(PAGE + 5);
    }
  });

  it("each ordering, both directions, first page and a page after a cursor", async () => {
    // Priority too: its three values tie across a thousand rows each, and its key (rank, id) starts the index
    // range at the cursor itself.
    for (const field of Object.keys(TASK_ORDERING)) {
      for (const o of [field, `-${field}`]) {
        const middle = cursorAfter({ id: 1500, createdAt: "2026-01-02T01:00:00.000Z", updatedAt: "2026-01-02T01:00:00.000Z", priorityRank: 1, title: "Fix common widget 1500" } as never, parseOrdering(TASK_ORDERING, o));
        for (const c of [undefined, middle]) {
          const { read } = await rowsRead({}, o, c);
          expect(read, `${o} ${c ? "after a cursor" : "first page"}`).toBeLessThanOrEqual(PAGE + 5);
        }
      }
    }
  });

  it("external_key reads its one row under every ordering (the key's index, then a sort)", async () => {
    const key = `acme/widgets#1500`;
    expect(keyId).toBeGreaterThan(0);
    for (const field of Object.keys(TASK_ORDERING)) {
      for (const o of [field, `-${field}`]) {
        const { read, rows } = await rowsRead({ external_key: key }, o);
        expect(rows, o).toBe(1);
        expect(read, o).toBeLessThanOrEqual(5);
      }
    }
  });

  it("a rare search reads its matches through the full-text index, under every ordering", async () => {
    for (const field of Object.keys(TASK_ORDERING)) {
      for (const o of [field, `-${field}`]) {
        const { read, rows } = await rowsRead({ search: "oauth redirect" }, o);
        expect(rows, o).toBe(5);
        // 5 matches: the index's vocabulary (3 rows per statement, 3 statements), then 2 rows per match.
        expect(read, o).toBeLessThanOrEqual(20);
      }
    }
  });

  it("a common search walks the ordering and stops after a page of matches", async () => {
    // "common widget" is in every other title: the walk finds a page within about two pages of rows.
    const { read, rows } = await rowsRead({ search: "common widget" }, "-created_at");
    expect(rows).toBe(PAGE);
    expect(read).toBeLessThanOrEqual(2 * PAGE + 20);
  });
});

describe("tasks: tie-heavy orderings", () => {
  // ?ordering=priority has three values: here 2,400 team tasks share HIGH. Its keyset walks priority_key
  // (priority_rank * 2^32 + id, migration 0008), so a page after any cursor is one index range from the cursor.
  const PAGE = 50;
  const RANK: Record<string, number> = { LOW: 0, MED: 1, HIGH: 2 };
  let u: TestUser;
  let team: number;
  let seeded: { id: number; rank: number; team: number | null }[] = [];
  beforeAll(async () => {
    u = await makeUser();
    team = (await createTeam(u, { name: "Ties" })).id;
    const priority = (i: number) => (i % 10 === 8 ? "MED" : i % 10 === 9 ? "LOW" : "HIGH");
    const rows: SeedTask[] = Array.from({ length: 3150 }, (_, i) => ({ team_id: i % 21 === 20 ? null : team, created_by: u.id, title: `tie ${i}`, priority: priority(i) }));
    const ids = await seedTasks(rows);
    seeded = ids.map((id, i) => ({ id, rank: RANK[rows[i]!.priority!]!, team: rows[i]!.team_id ?? null }));
    expect(seeded.filter((t) => t.team === team && t.rank === 2).length).toBe(2400);
  });

  /** Every page through `next` links: the rows' ids, and the most rows D1 read for one page. */
  const walkReading = async (path: `/api/tasks/?${string}`) => {
    const { rows, maxRowsRead } = await walk(path, u.token);
    return { ids: rows.map((t) => t.id), maxRead: maxRowsRead };
  };

  for (const [scope, query] of [["one team", () => `&team=${team}`], ["every scope (personal + team, merged)", () => ""]] as const) {
    for (const o of ["-priority", "priority"]) {
      it(`?ordering=${o}, ${scope}: every page (the deepest included) reads at most page_size + 10 rows, and the walk returns every task once, by rank then id`, async () => {
        const sign = o.startsWith("-") ? -1 : 1;
        const want = seeded
          .filter((t) => scope === "every scope (personal + team, merged)" || t.team === team)
          .sort((a, b) => sign * (a.rank - b.rank || a.id - b.id))
          .map((t) => t.id);
        const { ids, maxRead } = await walkReading(`/api/tasks/?ordering=${o}&page_size=${PAGE}${query()}`);
        expect(ids).toEqual(want);
        expect(maxRead).toBeGreaterThan(PAGE);
        expect(maxRead).toBeLessThanOrEqual(PAGE + 10);
      });
    }
  }

  it("the page after a cursor is a SEARCH of the key's index from the cursor, with no sort; several scopes merge their walks", async () => {
    const db = drizzle(env.DB, { schema });
    const me: Actor = { id: u.id, email: u.email, timezone: "UTC", dayStartHour: 0, weekStart: "MON", tokenId: 0 };
    const middle = seeded[1500]!;
    const explain = async (q: { toSQL(): { sql: string; params: unknown[] } }) => {
      const { sql, params } = q.toSQL();
      const details = (await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>()).results.map((r) => r.detail);
      const res = await env.DB.prepare(sql).bind(...params).all();
      return { details, rows: res.results.length, read: res.meta.rows_read };
    };
    for (const o of ["-priority", "priority"]) {
      const ordering = parseOrdering(TASK_ORDERING, o);
      const cursor = cursorAfter({ id: middle.id, priorityRank: middle.rank } as never, ordering);
      const range = o.startsWith("-") ? "<" : ">";
      const personal = `SEARCH tasks USING INDEX tasks_creator_priority_key_idx (created_by=? AND team_id=? AND priority_key${range}?)`;
      const teamWalk = `SEARCH tasks USING INDEX tasks_team_priority_key_idx (team_id=? AND priority_key${range}?)`;

      const one = taskListQueries(db, me, [team], {}, ordering, cursor, PAGE + 1);
      expect(one).toHaveLength(1);
      const single = await explain(one[0]!);
      expect(single.details, o).toEqual([teamWalk]);
      expect(single.rows).toBe(PAGE + 1);
      expect(single.read, o).toBeLessThanOrEqual(PAGE + 2);

      // Personal and team tasks: one statement, a merge of both walks, each read only as far as the page takes it.
      const both = taskListQueries(db, me, [null, team], {}, ordering, cursor, PAGE + 1);
      expect(both).toHaveLength(1);
      const union = await explain(both[0]!);
      expect(union.details, o).toEqual(["MERGE (UNION ALL)", "LEFT", personal, "RIGHT", teamWalk]);
      expect(union.rows).toBe(PAGE + 1);
      expect(union.read, o).toBeLessThanOrEqual(PAGE + 3);
    }
  });

  it("a caller in 45 teams: the scopes' merge splits at D1's limits (5 terms per compound, 100 parameters per statement) and still walks every task once", async () => {
    const many = await makeUser();
    const teams = await env.DB.batch(
      Array.from({ length: 45 }, (_, i) => env.DB.prepare("INSERT INTO teams (name, slug) VALUES (?, ?) RETURNING id").bind(`Many ${i}`, `many-${many.id}-${i}`)),
    );
    const teamIds = teams.map((r) => (r.results[0] as { id: number }).id);
    await env.DB.batch(teamIds.map((id) => env.DB.prepare("INSERT INTO memberships (team_id, user_id, role) VALUES (?, ?, 'OWNER')").bind(id, many.id)));
    const rows: SeedTask[] = [...teamIds, null].flatMap((team, t) => Array.from({ length: 4 }, (_, i) => ({ team_id: team, created_by: many.id, priority: (t + i) % 2 ? "HIGH" : "LOW" })));
    const ids = await seedTasks(rows);
    const rank = new Map(ids.map((id, i) => [id, RANK[rows[i]!.priority!]!]));
    const db = drizzle(env.DB, { schema });
    const me: Actor = { id: many.id, email: many.email, timezone: "UTC", dayStartHour: 0, weekStart: "MON", tokenId: 0 };
    const ordering = parseOrdering(TASK_ORDERING, "-priority");
    const statements = taskListQueries(db, me, await readableScopes(db, me, undefined), {}, ordering, cursorAfter({ id: 2 ** 31, priorityRank: 2 } as never, ordering), 51);
    expect(statements).toHaveLength(Math.ceil(46 / 5));
    for (const q of statements) expect(q.toSQL().params.length).toBeLessThanOrEqual(100);
    const got = await walk("/api/tasks/?ordering=-priority&page_size=7", many.token);
    expect(got.rows.map((t) => t.id)).toEqual([...ids].sort((a, b) => rank.get(b)! - rank.get(a)! || b - a));
  });

  it("migration 0008 keys the tasks and sessions that exist when it runs", async () => {
    // Back to the schema before 0008, rows written there (no keys), then 0008 itself, as a deploy runs it.
    await env.DB.batch(
      [
        "DROP INDEX tasks_team_priority_key_idx",
        "DROP INDEX tasks_creator_priority_key_idx",
        "DROP INDEX sessions_user_switch_key_idx",
        "DROP INDEX sessions_team_switch_key_idx",
        "DROP INDEX sessions_user_team_switch_key_idx", // 0009's, on the column 0008 adds
        "ALTER TABLE tasks DROP COLUMN priority_key",
        "ALTER TABLE dev_sessions DROP COLUMN switch_key",
        "CREATE INDEX tasks_team_priority_idx ON tasks (team_id, priority_rank, id)",
        "CREATE INDEX tasks_creator_priority_idx ON tasks (created_by, team_id, priority_rank, id)",
      ].map((q) => env.DB.prepare(q)),
    );
    const before = await createTeam(u, { name: "Before 0008" });
    const ids = await seedTasks(Array.from({ length: 120 }, (_, i) => ({ team_id: before.id, created_by: u.id, priority: ["LOW", "MED", "HIGH"][i % 3] })));
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 59)
       INSERT INTO dev_sessions (user_id, team_id, title, status, started_at, switch_count)
       SELECT ?1, ?2, 'before ' || i, 'DONE', '2026-02-01T00:00:00.000Z', i % 4 FROM n`,
    ).bind(u.id, before.id).run();

    // 0008, then 0009's index on its column again, as a deploy from before 0008 runs them.
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0008"))!;
    await env.DB.batch(migration.queries.map((q) => env.DB.prepare(q)));
    await env.DB.prepare("CREATE INDEX sessions_user_team_switch_key_idx ON dev_sessions (user_id, team_id, switch_key)").run();

    const wrong = await env.DB.prepare(
      `SELECT (SELECT count(*) FROM tasks WHERE priority_key IS NOT priority_rank * 4294967296 + id)
            + (SELECT count(*) FROM dev_sessions WHERE switch_key IS NOT switch_count * 4294967296 + id) AS n`,
    ).first<{ n: number }>();
    expect(wrong!.n).toBe(0);
    // The indexes built from those rows serve the lists.
    const tasks = await walk(`/api/tasks/?team=${before.id}&ordering=-priority&page_size=7`, u.token);
    const rank = new Map(ids.map((id, i) => [id, i % 3]));
    expect(tasks.rows.map((t) => t.id)).toEqual([...ids].sort((a, b) => rank.get(b)! - rank.get(a)! || b - a));
    const sessions = await walk(`/api/sessions/?team=${before.id}&ordering=switch_count&page_size=7`, u.token);
    expect(sessions.rows).toHaveLength(60);
    const order = sessions.rows.map((r) => [r.switch_count, r.id] as const);
    expect(order).toEqual([...order].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
  });
});

describe("tasks: search through the full-text index gives what a substring test gives", () => {
  let u: TestUser;
  let team: number;
  beforeAll(async () => {
    u = await makeUser();
    team = (await createTeam(u, { name: "Search" })).id;
  });

  const searchIds = async (q: string, extra = "") => sorted(ids((await walk(`/api/tasks/?page_size=200&search=${encodeURIComponent(q)}${extra}`, u.token)).rows));

  it("rare and common terms, quotes and FTS syntax are plain substrings, case-insensitive", async () => {
    const titles = ['He said "hi" twice', "a*b (NEAR) OR c", "ÉLAN vital", "plain"];
    const made = [];
    for (const title of titles) made.push((await createTask(u.token, { team, title })).id);
    expect(await searchIds('said "hi"')).toEqual([made[0]]);
    expect(await searchIds("A*B (near) or")).toEqual([made[1]]);
    expect(await searchIds("élan")).toEqual([]); // lower() folds ASCII only, as before the index
    expect(await searchIds("ÉLAN")).toEqual([made[2]]);
    expect(await searchIds("lan vit")).toEqual([made[2]]);
    expect(await searchIds("ai")).toEqual(sorted([made[0]!, made[3]!])); // under 3 characters: the walk
    expect(await searchIds("zzz-not-there")).toEqual([]);
    expect(await searchIds("said\u0000hi")).toEqual([]); // a NUL cannot reach FTS5's query parser: the walk
    expect(await searchIds('"')).toEqual([made[0]]);
  });

  it("a term in more tasks than the index threshold walks and returns the same rows", async () => {
    const seeded = await seedTasks(Array.from({ length: 1100 }, (_, i) => ({ team_id: team, created_by: u.id, title: `frequent term ${i}` })));
    const rows = (await walk(`/api/tasks/?page_size=200&search=frequent%20term&ordering=title`, u.token)).rows;
    expect(sorted(ids(rows))).toEqual(sorted(seeded));
    const titlesInOrder = rows.map((r: any) => r.title);
    expect(titlesInOrder).toEqual([...titlesInOrder].sort());
  });

  it("edits and deletions reach the index (triggers), team deletion too (cascade)", async () => {
    const t = await createTask(u.token, { team, title: "Original heading xyzzy" });
    expect(await searchIds("xyzzy")).toEqual([t.id]);
    expect((await api(`/api/tasks/${t.id}/`, { method: "PATCH", token: u.token, body: { title: "Renamed plugh" } })).status).toBe(200);
    expect(await searchIds("xyzzy")).toEqual([]);
    expect(await searchIds("plugh")).toEqual([t.id]);
    expect((await api(`/api/tasks/${t.id}/`, { method: "DELETE", token: u.token })).status).toBe(204);
    expect(await searchIds("plugh")).toEqual([]);

    const doomed = (await createTeam(u, { name: "Doomed" })).id;
    await createTask(u.token, { team: doomed, title: "cascade quux" });
    expect((await api(`/api/teams/${doomed}/`, { method: "DELETE", token: u.token })).status).toBe(204);
    const left = await env.DB.prepare(`SELECT count(*) AS n FROM tasks_fts WHERE tasks_fts MATCH '"cascade quux"'`).first<{ n: number }>();
    expect(left!.n).toBe(0);
    // FTS5's own check that the index equals the content of tasks.
    await env.DB.prepare(`INSERT INTO tasks_fts(tasks_fts, rank) VALUES ('integrity-check', 1)`).run();
  });
});
