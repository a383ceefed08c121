/**
 * Live events: the one EventSource wrapper of the dashboard. One stream per scope — the user's own
 * (`/api/events/stream/`) and each team's (`?team=<id>`) — opened when a view first listens and closed
 * when the last listener leaves. The session cookie authorizes it; EventSource reconnects by itself with
 * Last-Event-ID and the server replays what was missed. When the server ends the stream for good (sign-out,
 * a revoked session: the reconnect is refused), the state becomes "closed".
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { Schemas } from "../../client/index.ts";
import type { EventType } from "../../src/modules/events/types.ts";

/**
 * The JSON `data` of each event the server sends: the snapshots a stream opens with, then the types of
 * EVENT_TYPES (src/modules/events/types.ts, checked below).
 */
export interface LiveEvents {
  reports: Schemas["Report"][];
  insights: Schemas["Insight"][];
  "report.created": Schemas["Report"];
  "insight.created": Schemas["Insight"];
  "report_request.updated": Schemas["ReportRequest"];
  "import.updated": Schemas["ImportJob"];
  "session.closed": Schemas["DevSessionDetail"];
}
export type LiveEventName = keyof LiveEvents & string;
/** Every event type the API sends has its data type above (a new one fails to compile here). */
const everyEventTyped: Exclude<EventType, LiveEventName> extends never ? true : never = true;
void everyEventTyped;
export type LiveState = "connecting" | "open" | "closed";

/** A user's own stream, or a team's. */
export type Scope = "me" | number;

type Handler = (data: unknown) => void;

const IDLE_CLOSE_MS = 2000;

class Stream {
  private source: EventSource | null = null;
  private idle: ReturnType<typeof setTimeout> | undefined;
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly stateListeners = new Set<(s: LiveState) => void>();
  state: LiveState = "connecting";

  constructor(private readonly url: string) {}

  listen(type: string, handler: Handler): () => void {
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
      this.source?.addEventListener(type, this.dispatch);
    }
    set.add(handler);
    clearTimeout(this.idle);
    this.open();
    return () => {
      set.delete(handler);
      // Moving from one view to the next unsubscribes, then subscribes again: keep the connection meanwhile.
      if (this.listeners() === 0) this.idle = setTimeout(() => this.listeners() === 0 && this.close(), IDLE_CLOSE_MS);
    };
  }

  watchState(listener: (s: LiveState) => void): () => void {
    this.stateListeners.add(listener);
    listener(this.state);
    return () => this.stateListeners.delete(listener);
  }

  close() {
    clearTimeout(this.idle);
    this.source?.close();
    this.source = null;
    this.setState("closed");
  }

  private listeners = () => [...this.handlers.values()].reduce((n, s) => n + s.size, 0);

  private open() {
    if (this.source) return;
    const source = new EventSource(this.url);
    this.source = source;
    this.setState("connecting");
    source.addEventListener("open", () => this.setState("open"));
    // EventSource retries by itself while readyState is CONNECTING; CLOSED means it gave up (a refused reconnect).
    source.addEventListener("error", () => this.setState(source.readyState === EventSource.CLOSED ? "closed" : "connecting"));
    for (const type of this.handlers.keys()) source.addEventListener(type, this.dispatch);
  }

  private readonly dispatch = (e: Event) => {
    const { type, data } = e as MessageEvent<string>;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return;
    }
    for (const h of this.handlers.get(type) ?? []) h(parsed);
  };

  private setState(s: LiveState) {
    this.state = s;
    for (const l of this.stateListeners) l(s);
  }
}

const streams = new Map<Scope, Stream>();

function stream(scope: Scope): Stream {
  let s = streams.get(scope);
  if (!s) {
    s = new Stream(scope === "me" ? "/api/events/stream/" : `/api/events/stream/?team=${scope}`);
    streams.set(scope, s);
  }
  return s;
}

/** Listen to one event type of a scope; returns the unsubscribe. */
export function listen<K extends LiveEventName>(scope: Scope, type: K, handler: (data: LiveEvents[K]) => void): () => void {
  return stream(scope).listen(type, handler as Handler);
}

/** A component's subscription: calls the latest handler, unsubscribes on unmount or scope change. */
export function useLive<K extends LiveEventName>(scope: Scope | null, type: K, handler: (data: LiveEvents[K]) => void) {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    if (scope === null) return;
    return listen(scope, type, (data) => latest.current(data));
  }, [scope, type]);
}

/** The connection state of a scope's stream, for the header's indicator. */
export function useLiveState(scope: Scope): LiveState {
  const [state, setState] = useState<LiveState>(stream(scope).state);
  useEffect(() => stream(scope).watchState(setState), [scope]);
  return state;
}

/** Sign-out: every stream of this page ends now. */
export function closeAll() {
  for (const s of streams.values()) s.close();
  streams.clear();
}
