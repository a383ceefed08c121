/**
 * wakatime-cli as a server sees it, for replaying an editor plugin's day against `wrangler dev`: no real
 * client can be installed on this machine (Debian has no wakatime package, npm ships no wakatime-cli binary,
 * and its releases download from GitHub), so this follows its source, v1.90.0 (github.com/wakatime/wakatime-cli
 * at bad54b4), line by line where the wire is concerned:
 *
 *   cmd/params/params.go     api_url and api_key from [settings] of ~/.wakatime.cfg; the key's pattern; the
 *                            legacy suffixes trimmed off api_url
 *   pkg/api/heartbeat.go     POST {api_url}/users/current/heartbeats.bulk: 201/202 or the batch failed; each
 *                            [object, status] pair read into its Go structs
 *   pkg/api/statusbar.go     GET {api_url}/users/current/statusbar/today (what --today prints, pkg/summary)
 *   pkg/api/option.go, auth.go, cmd/api/api.go   the headers: Basic base64(key), User-Agent, X-Machine-Name, Timezone
 *   pkg/heartbeat/*.go       a heartbeat's JSON (Go's field order, omitempty), its User-Agent, the categories
 *                            and entity types it can read back
 *   pkg/offline/offline.go   what happens to each heartbeat after an answer: 400 dropped, anything but 201/202
 *                            back to the offline queue, a failed batch back to the queue whole
 *
 * Requests are written byte for byte as Go's net/http writes them (Host, User-Agent, Content-Length, the other
 * headers sorted, then the transport's Accept-Encoding: gzip) on a raw socket; answers are decoded with Go's
 * encoding/json rules for the cli's structs (an int field refuses 1.5, a string field refuses a number, a
 * category it does not know fails the whole batch).
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import zlib from "node:zlib";

export const VERSION = "v1.90.0";
/** SendLimit (pkg/offline): at most this many heartbeats in one bulk, the offline queue's sync included. */
export const SEND_LIMIT = 25;
/** The cli refuses any other key before it sends anything (cmd/params/params.go, apiKeyRegex). */
export const API_KEY = /^(waka_)?[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$/;
const DEFAULT_API_URL = "https://api.wakatime.com/api/v1";

// pkg/heartbeat/category.go and entity.go: what the cli can read back. Anything else in an answer is an error.
const CATEGORIES = [
  "browsing", "building", "code reviewing", "coding", "communicating", "debugging", "designing", "indexing", "learning",
  "manual testing", "meeting", "planning", "researching", "running tests", "translating", "writing docs", "writing tests",
] as const;
const ENTITY_TYPES = ["file", "domain", "app"] as const;

/** A heartbeat as the cli builds it (pkg/heartbeat.Heartbeat); optional fields are Go pointers (omitempty). */
export interface Heartbeat {
  branch?: string;
  category: (typeof CATEGORIES)[number];
  cursorpos?: number;
  dependencies?: string[];
  entity: string;
  type: (typeof ENTITY_TYPES)[number];
  is_write?: boolean;
  language?: string;
  line_additions?: number;
  line_deletions?: number;
  lineno?: number;
  lines?: number;
  project?: string;
  project_root_count?: number;
  time: number;
  user_agent: string;
}

/** The struct's fields in declaration order: the order encoding/json writes them in. */
const FIELD_ORDER = [
  "branch", "category", "cursorpos", "dependencies", "entity", "type", "is_write", "language", "line_additions",
  "line_deletions", "lineno", "lines", "project", "project_root_count", "time", "user_agent",
] as const satisfies readonly (keyof Heartbeat)[];

/**
 * json.Marshal of []Heartbeat: fields in struct order, nil pointers and empty slices left out (omitempty),
 * and Go's HTML-safe escaping of <, >, & and U+2028/9. Float64 `time` is written in its shortest form, as
 * JavaScript writes it.
 */
export function marshal(heartbeats: Heartbeat[]): string {
  const ordered = heartbeats.map((h) => {
    const out: Record<string, unknown> = {};
    for (const k of FIELD_ORDER) {
      const v = h[k];
      if (v === undefined || (k === "dependencies" && (v as string[]).length === 0)) continue;
      out[k] = v;
    }
    return out;
  });
  return JSON.stringify(ordered).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** The User-Agent (pkg/heartbeat.UserAgent): the cli's version, the system (goInfo), Go's version, the plugin. */
export const userAgent = (plugin: string, system = "linux-6.5.0-41-generic-x86_64") => `wakatime/${VERSION} (${system}) go1.22.1 ${plugin}`;

// ─── ~/.wakatime.cfg ──────────────────────────────────────────────────────────────────────────────────────

export interface Config {
  apiUrl: string;
  apiKey: string;
}

/** An INI file's [section] key = value pairs (go-ini: `;` and `#` comments, `=` or `:`, case-sensitive keys). */
function ini(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current = "DEFAULT";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith(";") || line.startsWith("#")) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = section[1]!.trim();
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (kv) {
      if (!sections.has(current)) sections.set(current, new Map());
      sections.get(current)!.set(kv[1]!, kv[2]!);
    }
  }
  return sections;
}

/**
 * What the cli reads from $WAKATIME_HOME/.wakatime.cfg (else ~/.wakatime.cfg): settings.api_key (refused unless
 * it matches the key pattern: "invalid api key format") and settings.api_url (default WakaTime's, its legacy
 * endpoint suffixes trimmed).
 */
export function loadConfig(home: string): Config {
  const settings = ini(fs.readFileSync(path.join(home, ".wakatime.cfg"), "utf8")).get("settings") ?? new Map<string, string>();
  const apiKey = settings.get("api_key") || settings.get("apikey") || "";
  if (!API_KEY.test(apiKey)) throw new Error("invalid api key format");
  let apiUrl = settings.get("api_url") || settings.get("apiurl") || DEFAULT_API_URL;
  for (const suffix of ["/", ".bulk", "/users/current/heartbeats", "/heartbeats", "/heartbeat"]) if (apiUrl.endsWith(suffix)) apiUrl = apiUrl.slice(0, -suffix.length);
  return { apiUrl, apiKey };
}

// ─── HTTP, as Go's net/http writes it ─────────────────────────────────────────────────────────────────────

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The request's bytes: request line, Host, User-Agent, Content-Length, the rest sorted by name, Accept-Encoding. */
export function requestBytes(method: string, url: URL, headers: Record<string, string>, body?: string): Buffer {
  const { "User-Agent": ua, ...rest } = headers;
  const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, `User-Agent: ${ua}`];
  const payload = body === undefined ? undefined : Buffer.from(body, "utf8");
  if (payload) lines.push(`Content-Length: ${payload.length}`);
  for (const name of Object.keys(rest).sort()) lines.push(`${name}: ${rest[name]}`);
  lines.push("Accept-Encoding: gzip", "", "");
  return Buffer.concat([Buffer.from(lines.join("\r\n"), "latin1"), payload ?? Buffer.alloc(0)]);
}

/** One request on its own connection; the answer read by Content-Length or chunks, gunzipped as Go's transport does. */
export function roundTrip(url: URL, bytes: Buffer, timeoutMs = 30_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port || 80), url.hostname);
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error(`no complete answer from ${url} in ${timeoutMs} ms`)), timeoutMs);
    const finish = (err: Error | null, answer?: RawAnswer) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(answer!);
    };
    const tryParse = (ended: boolean) => {
      const end = data.indexOf("\r\n\r\n");
      if (end < 0) return ended ? finish(new Error("connection closed before the headers")) : undefined;
      const [statusLine, ...headerLines] = data.subarray(0, end).toString("latin1").split("\r\n");
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1]);
      const headers: Record<string, string> = {};
      for (const l of headerLines) {
        const i = l.indexOf(":");
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      let rest = data.subarray(end + 4);
      let body: Buffer | null = null;
      if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
        const parts: Buffer[] = [];
        for (;;) {
          const eol = rest.indexOf("\r\n");
          if (eol < 0) break;
          const size = parseInt(rest.subarray(0, eol).toString("latin1"), 16);
          if (rest.length < eol + 2 + size + 2) break;
          if (size === 0) {
            body = Buffer.concat(parts);
            break;
          }
          parts.push(rest.subarray(eol + 2, eol + 2 + size));
          rest = rest.subarray(eol + 2 + size + 2);
        }
      } else if (headers["content-length"] !== undefined) {
        const length = Number(headers["content-length"]);
        if (rest.length >= length) body = rest.subarray(0, length);
      } else if (ended) body = rest;
      if (body === null) return ended ? finish(new Error("connection closed mid-answer")) : undefined;
      if (/gzip/i.test(headers["content-encoding"] ?? "")) body = zlib.gunzipSync(body);
      finish(null, { status, headers, body: body.toString("utf8") });
    };
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      tryParse(false);
    });
    socket.on("end", () => tryParse(true));
    socket.on("error", (err) => finish(err));
    socket.write(bytes);
  });
}

// ─── Reading answers with encoding/json's rules for the cli's structs ──────────────────────────────────────

type GoType = "string" | "int" | "float64" | "bool" | "json.RawMessage" | { slice: GoType } | { struct: Record<string, GoType> } | { oneOf: readonly string[]; name: string };

/**
 * Decodes `value` into a Go type as encoding/json would, throwing its error where it would fail. null leaves
 * a field as it was, except for the cli's own UnmarshalJSON types (Category, EntityType), which parse "null"
 * and fail; unknown object keys are ignored.
 */
export function decodeAs(value: unknown, type: GoType, where: string): void {
  const fail = (what: string) => {
    throw new Error(`json: cannot unmarshal ${what} into Go value ${where} of type ${typeof type === "string" ? type : "slice" in type ? "slice" : "struct" in type ? "struct" : type.name}`);
  };
  if (typeof type === "object" && "oneOf" in type) {
    const s = typeof value === "string" ? value : JSON.stringify(value);
    if (!type.oneOf.includes(s)) throw new Error(`invalid ${type.name} ${JSON.stringify(s)} at ${where}`);
    return;
  }
  if (value === null || type === "json.RawMessage") return;
  const kind = Array.isArray(value) ? "array" : typeof value;
  if (type === "string") return void (kind !== "string" && fail(kind));
  if (type === "bool") return void (kind !== "boolean" && fail(kind));
  if (type === "float64") return void (kind !== "number" && fail(kind));
  if (type === "int") return void ((kind !== "number" || !Number.isInteger(value)) && fail(kind === "number" ? `number ${String(value)}` : kind));
  if ("slice" in type) {
    if (kind !== "array") fail(kind);
    (value as unknown[]).forEach((v, i) => decodeAs(v, type.slice, `${where}[${i}]`));
    return;
  }
  if (kind !== "object") fail(kind);
  for (const [k, t] of Object.entries(type.struct)) if (k in (value as object)) decodeAs((value as Record<string, unknown>)[k], t, `${where}.${k}`);
}

const HEARTBEAT: GoType = {
  struct: {
    branch: "string", category: { oneOf: CATEGORIES, name: "category" }, cursorpos: "int", dependencies: { slice: "string" }, entity: "string",
    type: { oneOf: ENTITY_TYPES, name: "entity type" }, is_write: "bool", language: "string", line_additions: "int", line_deletions: "int",
    lineno: "int", lines: "int", project: "string", project_root_count: "int", time: "float64", user_agent: "string",
  },
};

const COUNTER: GoType = {
  struct: { decimal: "string", digital: "string", hours: "int", minutes: "int", name: "string", percent: "float64", seconds: "int", text: "string", total_seconds: "float64" },
};
const SUMMARY: GoType = {
  struct: {
    cached_at: "string",
    has_team_features: "bool",
    data: {
      struct: {
        categories: { slice: COUNTER }, dependencies: { slice: COUNTER }, editors: { slice: COUNTER }, languages: { slice: COUNTER },
        machines: { slice: { struct: { ...(COUNTER as { struct: Record<string, GoType> }).struct, machine_name_id: "string" } } },
        operating_systems: { slice: COUNTER }, projects: { slice: COUNTER },
        grand_total: { struct: { decimal: "string", digital: "string", hours: "int", minutes: "int", text: "string", total_seconds: "float64" } },
        range: { struct: { date: "string", end: "string", start: "string", text: "string", timezone: "string" } },
      },
    },
  },
};

/** One heartbeat's result (pkg/heartbeat.Result): its status, and the messages of a 4xx/5xx. */
export interface Result {
  status: number;
  errors: string[];
}

/** ParseHeartbeatResponses: {"responses": [[object, status], …]}; any failure fails the whole batch. */
export function parseResponses(body: string): Result[] {
  const parsed: unknown = JSON.parse(body);
  decodeAs(parsed, { struct: { responses: { slice: { slice: "json.RawMessage" } } } }, "body");
  const pairs = ((parsed as { responses?: unknown[][] | null }).responses ?? []) as unknown[][];
  return pairs.map((pair, n) => {
    if (pair.length < 2) throw new Error(`result #${n}: index out of range (a panic in the cli)`);
    decodeAs(pair[1], "int", `result #${n} status`);
    const status = pair[1] as number;
    if (status >= 400) {
      const obj = (pair[0] ?? {}) as { error?: unknown; errors?: unknown };
      if (typeof obj.error === "string" && obj.error !== "") return { status, errors: [obj.error] };
      if (obj.errors === null || typeof obj.errors !== "object") throw new Error(`result #${n}: failed to detect any errors despite invalid response status`);
      const errors = Object.entries(obj.errors as Record<string, unknown>)
        .filter(([field]) => field !== "dependencies")
        .map(([field, messages]) => {
          if (!Array.isArray(messages)) throw new Error(`result #${n}: errors.${field} is no array (a panic in the cli)`);
          return `${field}: ${messages.map(String).join(" ")}`;
        });
      return { status, errors };
    }
    decodeAs(pair[0], { struct: { data: HEARTBEAT } }, `result #${n}`);
    return { status, errors: [] };
  });
}

/** What became of a batch: stored (201/202), dropped (400: the cli logs and forgets it), or queued again. */
export interface Outcome {
  answer: RawAnswer;
  results: Result[];
  /** The batch failed (not 201/202, or an answer the cli cannot read): every heartbeat goes back to the queue. */
  failure: string | null;
  dropped: Heartbeat[];
  requeued: Heartbeat[];
}

/** `--today`'s output (summary.RenderToday): the grand total, or each category's text when there are two or more. */
export function renderToday(summary: { data: { grand_total: { text: string }; categories: { text: string; name: string }[] | null } }): string {
  const categories = summary.data.categories ?? [];
  if (categories.length < 2) return summary.data.grand_total.text;
  return categories.map((c) => `${c.text} ${c.name}`).join(", ");
}

/** One editor's wakatime-cli on one machine: its plugin (for the User-Agent), hostname and time zone. */
export class WakatimeCli {
  readonly config: Config;
  readonly userAgent: string;
  readonly machine: { hostname: string; timezone: string; system?: string };

  /** `home` holds the .wakatime.cfg it reads; `plugin` is what the editor passes as --plugin. */
  constructor(home: string, plugin: string, machine: { hostname: string; timezone: string; system?: string }) {
    this.config = loadConfig(home);
    this.machine = machine;
    this.userAgent = userAgent(plugin, machine.system);
  }

  /** The headers every request carries (cmd/api/api.go's options; Basic base64(key) with no user). */
  private headers(): Record<string, string> {
    return {
      Accept: "application/json",
      Authorization: `Basic ${Buffer.from(this.config.apiKey).toString("base64")}`,
      "Content-Type": "application/json",
      Timezone: this.machine.timezone,
      "User-Agent": this.userAgent,
      "X-Machine-Name": encodeURIComponent(this.machine.hostname),
    };
  }

  /** A heartbeat of this plugin: its user_agent is the cli's own. */
  heartbeat(h: Omit<Heartbeat, "user_agent">): Heartbeat {
    return { ...h, user_agent: this.userAgent };
  }

  /** The exact bytes of the bulk request for these heartbeats (at most SEND_LIMIT). */
  bulkRequest(heartbeats: Heartbeat[]): { url: URL; bytes: Buffer; body: string } {
    if (heartbeats.length > SEND_LIMIT) throw new Error(`the cli sends at most ${SEND_LIMIT} heartbeats at once`);
    const url = new URL(`${this.config.apiUrl}/users/current/heartbeats.bulk`);
    const body = marshal(heartbeats);
    return { url, body, bytes: requestBytes("POST", url, this.headers(), body) };
  }

  /** SendHeartbeats, then offline.handleResults: what is stored, dropped and queued again. */
  async send(heartbeats: Heartbeat[]): Promise<Outcome> {
    const { url, bytes } = this.bulkRequest(heartbeats);
    const answer = await roundTrip(url, bytes);
    const failed = (failure: string): Outcome => ({ answer, results: [], failure, dropped: [], requeued: heartbeats });
    if (answer.status !== 201 && answer.status !== 202) return failed(`invalid response status ${answer.status}: ${answer.body.slice(0, 300)}`);
    let results: Result[];
    try {
      results = parseResponses(answer.body);
    } catch (err) {
      return failed(`failed parsing results: ${(err as Error).message}`);
    }
    const dropped: Heartbeat[] = [];
    const requeued: Heartbeat[] = [];
    results.slice(0, heartbeats.length).forEach((r, n) => {
      if (r.status === 400) dropped.push(heartbeats[n]!);
      else if (r.status !== 201 && r.status !== 202) requeued.push(heartbeats[n]!);
    });
    requeued.push(...heartbeats.slice(results.length));
    return { answer, results, failure: null, dropped, requeued };
  }

  /** `wakatime-cli --today`: GET statusbar/today, decoded into pkg/summary's structs, rendered as the cli prints it. */
  async today(): Promise<{ answer: RawAnswer; printed: string; summary: unknown }> {
    const url = new URL(`${this.config.apiUrl}/users/current/statusbar/today`);
    const answer = await roundTrip(url, requestBytes("GET", url, this.headers()));
    if (answer.status !== 200) throw new Error(`today fetch failed: invalid response status ${answer.status}: ${answer.body.slice(0, 300)}`);
    const summary: unknown = JSON.parse(answer.body);
    decodeAs(summary, SUMMARY, "summary");
    return { answer, printed: renderToday(summary as Parameters<typeof renderToday>[0]), summary };
  }
}
