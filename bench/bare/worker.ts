// The physical limit DevFocus is measured against (bench/run.ts, budget 3): a minimal Hono Worker with no
// middleware, no auth and no log line, on the same wrangler and workerd, over the same data (a copy of the
// large dataset's D1, the same database id). `GET /tasks` reads the first page of
// a team's tasks in DevFocus's default ordering (-created_at, ties by -id, the index DevFocus walks) in ONE
// D1 query, and answers it in DevFocus's shape: the same fields in the same order, and a `next` URL.
import { Hono } from "hono";

/** The one D1 call this Worker makes (declared here: the bench type-checks under Node's types, not workerd's). */
interface D1 {
  prepare(query: string): { bind(...values: (string | number)[]): { all<T>(): Promise<{ results: T[] }> } };
}

interface Task {
  id: number;
  created_at: string;
}

const MAX_PAGE_SIZE = 200;
// The API's Task fields (src/modules/tasks/schemas.ts serializeTask), named and ordered as it answers them.
const FIRST_PAGE = `SELECT id, team_id AS team, title, description, type, priority, status, external_source, external_id,
  external_key, external_url, created_by, created_at, updated_at
  FROM tasks WHERE team_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2`;

const app = new Hono<{ Bindings: { DB: D1 } }>();

app.get("/health", (c) => c.json({ status: "ok" }));

app.get("/tasks", async (c) => {
  const team = Number(c.req.query("team"));
  const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Number(c.req.query("page_size") ?? 50) || 50));
  const { results } = await c.env.DB.prepare(FIRST_PAGE).bind(team, pageSize + 1).all<Task>();
  const page = results.slice(0, pageSize);
  const last = page.at(-1);
  let next: string | null = null;
  if (results.length > pageSize && last) {
    // An opaque keyset cursor like DevFocus's (the bench never follows it: the work of making one is what counts).
    const url = new URL(c.req.url);
    url.searchParams.set("cursor", btoa(JSON.stringify({ o: "-created_at", v: last.created_at, id: last.id })));
    next = url.toString();
  }
  return c.json({ results: page, next });
});

export default app;
