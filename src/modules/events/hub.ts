import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../../env";

/** How many events a hub keeps for replay, and for how long. */
export const EVENT_RETENTION_COUNT = 500;
export const EVENT_RETENTION_MS = 24 * 60 * 60 * 1000;
/** A `: ping` comment goes to every open stream this often, so proxies keep it open and dead clients show. */
export const PING_INTERVAL_MS = 15_000;
/** Browsers reconnect after this many milliseconds (the stream's `retry:` field). */
export const RETRY_MS = 3000;
/**
 * Frames queued for one client that is not reading. Past this the client is dropped instead of
 * letting one stalled reader grow the hub's memory; it reconnects with Last-Event-ID and loses nothing kept.
 */
export const MAX_QUEUED_FRAMES = 1000;
/**
 * A stream is ended (cleanly) once it is this old, at the next heartbeat: the client reconnects after
 * `retry:` with Last-Event-ID and loses nothing, and the Worker authorizes it again. Without it, a member
 * removed from a team, or a revoked or logged-out token, kept receiving events for as long as the
 * connection lasted; now for at most this long (plus one heartbeat).
 */
export const MAX_STREAM_AGE_MS = 5 * 60 * 1000;

export interface HubEvent {
  type: string;
  data: unknown;
}

/** What the Worker hands the hub when a client connects: the D1 snapshot and where the client left off. */
export interface ConnectRequest {
  reports: unknown[];
  insights: unknown[];
  last_event_id: number | null;
  /** Who opened the stream, so revoking that credential or removing that member ends it at once. */
  token_id?: number;
  user_id?: number;
}

export const SSE_HEADERS = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache",
  // Ask reverse proxies (nginx and alikes) not to buffer the stream.
  "X-Accel-Buffering": "no",
} as const;

const encoder = new TextEncoder();
const PING = encoder.encode(": ping\n\n");

export function frame(event: { id?: number; type?: string; data?: string }): string {
  let out = "";
  if (event.id !== undefined) out += `id: ${event.id}\n`;
  if (event.type !== undefined) out += `event: ${event.type}\n`;
  // JSON.stringify escapes newlines, so the payload is always a single data line.
  if (event.data !== undefined) out += `data: ${event.data}\n`;
  return out + "\n";
}

interface Client {
  writer: WritableStreamDefaultWriter<Uint8Array>;
  openedAt: number;
  tokenId: number | null;
  userId: number | null;
}

interface EventRow extends Record<string, SqlStorageValue> {
  seq: number;
  type: string;
  data: string;
}

/**
 * One hub per channel (`user:<id>` or `team:<id>`, via idFromName). It stores the channel's recent
 * events in its SQLite storage and fans each new one out to the open streams it holds in memory.
 *
 * Ordering without locks: the replay query and the registration of a new client run in the same
 * synchronous turn, and so does insert + fan-out in `publish`, so an event is either replayed to a
 * connecting client or delivered live to it — never both, never neither.
 */
export class EventHub extends DurableObject<Bindings> {
  private readonly clients = new Set<Client>();
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS events (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         type TEXT NOT NULL,
         data TEXT NOT NULL,
         created_at INTEGER NOT NULL
       )`,
    );
    this.sql.exec("CREATE INDEX IF NOT EXISTS events_created_at ON events (created_at)");
  }

  /** Stores the event, prunes what is past retention, and sends it to every open stream. Returns its id. */
  async publish(event: HubEvent): Promise<{ id: number; clients: number }> {
    const now = Date.now();
    const data = JSON.stringify(event.data ?? null);
    const { seq } = this.sql
      .exec<{ seq: number }>("INSERT INTO events (type, data, created_at) VALUES (?, ?, ?) RETURNING seq", event.type, data, now)
      .one();
    // Only the head is ever deleted, so the kept seqs are contiguous and the count cap is a key range.
    this.sql.exec("DELETE FROM events WHERE seq <= ?", seq - EVENT_RETENTION_COUNT);
    this.sql.exec("DELETE FROM events WHERE created_at < ?", now - EVENT_RETENTION_MS);
    this.broadcast(encoder.encode(frame({ id: seq, type: event.type, data })));
    return { id: seq, clients: this.clients.size };
  }

  /** Open streams on this hub (for tests and operations). */
  async clientCount(): Promise<number> {
    return this.clients.size;
  }

  /** Ends the open streams of one credential or one user (every stream without a filter); returns how many. */
  async disconnect(filter: { tokenId?: number; userId?: number }): Promise<number> {
    let ended = 0;
    for (const client of [...this.clients]) {
      if (filter.tokenId !== undefined && client.tokenId !== filter.tokenId) continue;
      if (filter.userId !== undefined && client.userId !== filter.userId) continue;
      this.end(client);
      ended++;
    }
    return ended;
  }

  /** Ids of the events kept for replay, oldest first (for tests and operations). */
  async storedEventIds(): Promise<number[]> {
    return this.sql.exec<{ seq: number }>("SELECT seq FROM events ORDER BY seq").toArray().map((r) => r.seq);
  }

  /**
   * Opens a stream. The body is a ConnectRequest (sent by the events route, never by a client):
   * `retry:`, the reports and insights snapshot, every kept event after `last_event_id`, then live events.
   */
  override async fetch(request: Request): Promise<Response> {
    let input: ConnectRequest;
    try {
      input = (await request.json()) as ConnectRequest;
    } catch {
      return new Response("expected a JSON connect request", { status: 400 });
    }

    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const client: Client = {
      writer: writable.getWriter(),
      openedAt: Date.now(),
      tokenId: input.token_id ?? null,
      userId: input.user_id ?? null,
    };

    // Nothing below awaits until the client is registered (see the class comment).
    let head = `retry: ${RETRY_MS}\n\n`;
    head += frame({ type: "reports", data: JSON.stringify(input.reports ?? []) });
    head += frame({ type: "insights", data: JSON.stringify(input.insights ?? []) });
    head += this.replay(input.last_event_id ?? null);
    this.write(client, encoder.encode(head));
    this.clients.add(client);
    // A cancelled reader errors the stream; drop the client right away rather than at the next write.
    client.writer.closed.catch(() => this.drop(client));

    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + PING_INTERVAL_MS);
    return new Response(readable, { headers: SSE_HEADERS });
  }

  /**
   * The heartbeat: runs every PING_INTERVAL_MS while streams are open and stops re-arming once none are.
   * It also ends the streams older than MAX_STREAM_AGE_MS, so each is re-authorized on its reconnect.
   */
  override async alarm(): Promise<void> {
    const expired = Date.now() - MAX_STREAM_AGE_MS;
    for (const client of [...this.clients]) if (client.openedAt <= expired) this.end(client);
    if (this.clients.size === 0) return;
    this.broadcast(PING);
    await this.ctx.storage.setAlarm(Date.now() + PING_INTERVAL_MS);
  }

  /** The frames a reconnecting client missed, or, for a new client, a bare `id:` that sets its cursor. */
  private replay(lastEventId: number | null): string {
    const latest = this.sql.exec<{ seq: number | null }>("SELECT max(seq) AS seq FROM events").one().seq ?? 0;
    if (lastEventId === null) {
      // An id-only block updates EventSource's lastEventId without dispatching an event, so a client
      // that drops before the first live event still reconnects from here and misses nothing.
      return latest > 0 ? frame({ id: latest }) : "";
    }
    // An id ahead of this hub cannot be one it issued (storage was reset): send everything kept.
    const after = lastEventId > latest ? 0 : lastEventId;
    const rows = this.sql
      .exec<EventRow>(
        "SELECT seq, type, data FROM events WHERE seq > ? AND created_at >= ? ORDER BY seq",
        after,
        Date.now() - EVENT_RETENTION_MS,
      )
      .toArray();
    return rows.map((r) => frame({ id: r.seq, type: r.type, data: r.data })).join("");
  }

  private broadcast(bytes: Uint8Array) {
    for (const client of this.clients) this.write(client, bytes);
  }

  private write(client: Client, bytes: Uint8Array) {
    const backlog = client.writer.desiredSize;
    if (backlog === null || backlog < -MAX_QUEUED_FRAMES) {
      this.drop(client);
      return;
    }
    client.writer.write(bytes).catch(() => this.drop(client));
  }

  /** Ends a stream cleanly (the client reconnects), as opposed to dropping a broken one. */
  private end(client: Client) {
    if (!this.clients.delete(client)) return;
    client.writer.close().catch(() => {});
  }

  private drop(client: Client) {
    if (!this.clients.delete(client)) return;
    client.writer.abort("client dropped").catch(() => {});
  }
}
