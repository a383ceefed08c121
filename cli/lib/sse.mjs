// Server-Sent Events: a parser for the text/event-stream format, and a reader that keeps a stream open —
// reconnecting after `retry` with Last-Event-ID when it drops, so no kept event is missed.
import { ApiError, Unreachable } from "./api.mjs";

/**
 * Incremental parser. `push(text)` takes any slice of the stream; `onEvent({id, event, data})` is called
 * per dispatched event, `onRetry(ms)` per `retry:` field. Comments (`: ping`) are ignored.
 */
export function sseParser({ onEvent, onRetry = () => {} }) {
  let buffer = "";
  let data = [];
  let event = "";
  let id = null;
  let sawCr = false;
  const line = (l) => {
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
    /** The id of the last event seen (the value to send as Last-Event-ID). */
    get lastEventId() {
      return id;
    },
  };
}

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal && signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    if (signal) signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * Keeps an event stream open until `signal` aborts or `onEvent` returns false.
 * @param {import("./api.mjs").Api} api
 * @param {{path: string, query?: object, signal?: AbortSignal, onEvent: (e: {id: string|null, event: string, data: string}, connection: number) => boolean|void,
 *          onStatus?: (s: {state: "connected"|"disconnected", error?: Error, retryMs?: number, connection: number}) => void,
 *          connectTimeoutMs?: number, idleTimeoutMs?: number, retryMs?: number, lastEventId?: string|null}} o
 * @returns {Promise<{lastEventId: string|null}>}
 */
export async function followStream(api, o) {
  let lastEventId = o.lastEventId ?? null;
  let retryMs = o.retryMs ?? 3000;
  const idleTimeoutMs = o.idleTimeoutMs ?? 45_000; // the server pings every 15 s
  const connectTimeoutMs = o.connectTimeoutMs ?? 10_000;
  let connection = 0;
  let done = false;
  while (!done && !(o.signal && o.signal.aborted)) {
    connection++;
    const ctrl = new AbortController();
    const onAbort = () => ctrl.abort();
    if (o.signal) o.signal.addEventListener("abort", onAbort, { once: true });
    let timer = setTimeout(() => ctrl.abort(), connectTimeoutMs);
    const bump = () => {
      clearTimeout(timer);
      timer = setTimeout(() => ctrl.abort(), idleTimeoutMs);
    };
    let error = null;
    try {
      const headers = { Accept: "text/event-stream" };
      if (lastEventId !== null) headers["Last-Event-ID"] = lastEventId;
      let res;
      try {
        res = await api.raw("GET", o.path, { query: o.query, headers, timeoutMs: 0, signal: ctrl.signal });
      } catch (err) {
        if (ctrl.signal.aborted && !(o.signal && o.signal.aborted)) throw new Unreachable(api.base, Object.assign(new Error("timed out"), { name: "TimeoutError" }));
        throw err;
      }
      if (!res.ok) {
        let body = {};
        try {
          body = (await res.json()).error || {};
        } catch {
          /* not JSON */
        }
        const err = new ApiError(res.status, body);
        if (res.status < 500 && res.status !== 429) throw err; // 401, 403, 404: reconnecting will not help
        error = err;
      } else {
        bump();
        if (o.onStatus) o.onStatus({ state: "connected", connection });
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
          for await (const chunk of res.body) {
            bump();
            parser.push(decoder.decode(chunk, { stream: true }));
            if (done) break;
          }
        } catch (err) {
          if (!done && !(o.signal && o.signal.aborted)) error = ctrl.signal.aborted ? new Error("no data for too long") : err;
        }
      }
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if (o.signal && o.signal.aborted) break;
      error = err;
    } finally {
      clearTimeout(timer);
      if (o.signal) o.signal.removeEventListener("abort", onAbort);
    }
    if (done || (o.signal && o.signal.aborted)) break;
    if (o.onStatus) o.onStatus({ state: "disconnected", error: error || new Error("stream ended"), retryMs, connection });
    await sleep(retryMs, o.signal);
  }
  return { lastEventId };
}
