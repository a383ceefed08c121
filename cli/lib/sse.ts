// Server-Sent Events: an incremental parser, and a follower that keeps GET /api/events/stream/ open,
// reconnecting after the server's retry delay with Last-Event-ID so no kept event is missed.
import { ApiError, Unreachable, type Api } from "./api.ts";

export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

export interface SseParser {
  push(text: string): void;
  /** The id of the last event seen (the value to send as Last-Event-ID). */
  readonly lastEventId: string | null;
}

/**
 * `push(text)` takes any slice of the stream; `onEvent` is called per dispatched event, `onRetry(ms)` per
 * `retry:` field. Comments (`: ping`) are ignored.
 */
export function sseParser({ onEvent, onRetry = () => {} }: { onEvent: (e: SseEvent) => void; onRetry?: (ms: number) => void }): SseParser {
  let buffer = "";
  let data: string[] = [];
  let event = "";
  let id: string | null = null;
  let sawCr = false;
  const line = (l: string) => {
    if (l === "") {
      if (data.length) onEvent({ id, event: event || "message", data: data.join("\n") });
      data = [];
      event = "";
      return;
    }
    if (l.startsWith(":")) return;
    const colon = l.indexOf(":");
    const field = colon < 0 ? l : l.slice(0, colon);
    let value = colon < 0 ? "" : l.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
    else if (field === "id" && !value.includes("\0")) id = value;
    else if (field === "retry" && /^\d+$/.test(value)) onRetry(Number(value));
  };
  return {
    push(text) {
      // A "\r\n" split across two chunks must not count as two line ends.
      if (sawCr && text.startsWith("\n")) text = text.slice(1);
      sawCr = text.endsWith("\r");
      buffer += text;
      const parts = buffer.split(/\r\n|\r|\n/);
      buffer = parts.pop() ?? "";
      for (const p of parts) line(p);
    },
    get lastEventId() {
      return id;
    },
  };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

export interface StreamStatus {
  state: "connected" | "disconnected";
  error?: Error;
  retryMs?: number;
  connection: number;
}

export interface FollowOptions {
  team?: number;
  signal?: AbortSignal;
  /** return false to stop */
  onEvent: (e: SseEvent, connection: number) => boolean | void;
  onStatus?: (s: StreamStatus) => void;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  retryMs?: number;
  lastEventId?: string | null;
}

/** Keeps the event stream open until `signal` aborts or `onEvent` returns false. */
export async function followStream(api: Api, o: FollowOptions): Promise<{ lastEventId: string | null }> {
  let lastEventId = o.lastEventId ?? null;
  let retryMs = o.retryMs ?? 3000;
  const idleTimeoutMs = o.idleTimeoutMs ?? 45_000; // the server pings every 15 s
  const connectTimeoutMs = o.connectTimeoutMs ?? 10_000;
  let connection = 0;
  let done = false;
  while (!done && !o.signal?.aborted) {
    connection++;
    const ctrl = new AbortController();
    const onAbort = () => ctrl.abort();
    o.signal?.addEventListener("abort", onAbort, { once: true });
    let timer = setTimeout(() => ctrl.abort(), connectTimeoutMs);
    const bump = () => {
      clearTimeout(timer);
      timer = setTimeout(() => ctrl.abort(), idleTimeoutMs);
    };
    let error: Error | null = null;
    try {
      let body: ReadableStream<Uint8Array> | null;
      try {
        body = await api.data(
          api.client.GET("/api/events/stream", {
            params: { query: o.team ? { team: o.team } : {} },
            headers: { Accept: "text/event-stream", ...(lastEventId !== null ? { "Last-Event-ID": lastEventId } : {}) },
            parseAs: "stream",
            signal: ctrl.signal,
          }),
        );
      } catch (err) {
        if (err instanceof ApiError && err.status < 500 && err.status !== 429) throw err; // 401, 403, 404: reconnecting will not help
        if (ctrl.signal.aborted && !o.signal?.aborted) throw new Unreachable(api.base, Object.assign(new Error("timed out"), { name: "TimeoutError" }));
        throw err;
      }
      bump();
      o.onStatus?.({ state: "connected", connection });
      const parser = sseParser({
        onRetry: (ms) => (retryMs = ms),
        onEvent: (e) => {
          if (e.id !== null) lastEventId = e.id;
          if (!done && o.onEvent(e, connection) === false) {
            done = true;
            ctrl.abort();
          }
        },
      });
      const decoder = new TextDecoder();
      try {
        for await (const chunk of body ?? []) {
          bump();
          parser.push(decoder.decode(chunk, { stream: true }));
          if (done) break;
        }
      } catch (err) {
        if (!done && !o.signal?.aborted) error = ctrl.signal.aborted ? new Error("no data for too long") : toError(err);
      }
    } catch (err) {
      if (err instanceof ApiError && err.status < 500 && err.status !== 429) throw err;
      if (o.signal?.aborted) break;
      error = toError(err);
    } finally {
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
    }
    if (done || o.signal?.aborted) break;
    o.onStatus?.({ state: "disconnected", error: error ?? new Error("stream ended"), retryMs, connection });
    await sleep(retryMs, o.signal);
  }
  return { lastEventId };
}

const toError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));
