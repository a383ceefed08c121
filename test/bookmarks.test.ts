import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, client, expectError, makeUser } from "./harness";

const BOOKMARK = /^[0-9a-f]+(-[0-9a-f]+){2,5}$/i;
const taskCount = async () => (await env.DB.prepare("SELECT count(*) AS n FROM tasks").first<{ n: number }>())!.n;

describe("D1 bookmarks: happy path", () => {
  it("every /api answer that used D1 carries X-D1-Bookmark; one that did not, none", async () => {
    const u = await makeUser();
    const read = await api("/api/tasks/", { token: u.token });
    expect(read.headers.get("X-D1-Bookmark")).toMatch(BOOKMARK);
    const write = await api("/api/tasks/", { token: u.token, body: { title: "bookmarked" } });
    expect(write.status).toBe(201);
    expect(write.headers.get("X-D1-Bookmark")).toMatch(BOOKMARK);
    const health = await api("/api/health/");
    expect(health.headers.get("X-D1-Bookmark")).toBeNull();
  });

  it("a read that sends the bookmark of a write sees the write", async () => {
    const u = await makeUser();
    const write = await api("/api/tasks/", { token: u.token, body: { title: "read your writes" } });
    const bookmark = write.headers.get("X-D1-Bookmark")!;
    const read = await api(`/api/tasks/${write.body.id}/`, { token: u.token, headers: { "X-D1-Bookmark": bookmark } });
    expect(read.status).toBe(200);
    expect(read.body.title).toBe("read your writes");
    // The read's own bookmark is at least as new as the one it was sent.
    expect(read.headers.get("X-D1-Bookmark")! >= bookmark).toBe(true);
  });

  it("the typed client sends each answer's bookmark back with its next request, by itself", async () => {
    const u = await makeUser();
    const sent: (string | null)[] = [];
    const c = client(u.token, {
      fetch: (request) => {
        sent.push(request.headers.get("X-D1-Bookmark"));
        return exports.default.fetch(request);
      },
    });
    const created = await c.POST("/api/tasks", { body: { title: "through the client" } });
    const got = await c.GET("/api/tasks/{id}", { params: { path: { id: created.data!.id } } });
    expect(got.data!.title).toBe("through the client");
    expect(sent[0]).toBeNull();
    expect(sent[1]).toBe(created.response.headers.get("X-D1-Bookmark"));
  });
});

describe("D1 bookmarks: errors", () => {
  it("a malformed bookmark is a 400 naming the header, on a read and on a write (nothing written)", async () => {
    const u = await makeUser();
    for (const bad of ["not-a-bookmark", "'; DROP TABLE tasks; --", "0".repeat(300), "zz-zz-zz-zz"]) {
      const read = await api("/api/tasks/", { token: u.token, headers: { "X-D1-Bookmark": bad } });
      expectError(read, 400, "VALIDATION_FAILED");
      expect(read.body.error.details).toEqual([{ path: "X-D1-Bookmark", message: expect.any(String) }]);
    }
    const before = await taskCount();
    const write = await api("/api/tasks/", { token: u.token, body: { title: "x" }, headers: { "X-D1-Bookmark": "nope" } });
    expectError(write, 400, "VALIDATION_FAILED");
    expect(await taskCount()).toBe(before);
  });
});
