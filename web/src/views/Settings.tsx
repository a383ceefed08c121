/**
 * Settings: the calendar (time zone, day start, week start), API tokens (a new one's value shown once;
 * revoke), and the browsers signed in (sign one out: its open pages lose their streams at once).
 */
import { useState } from "preact/hooks";
import { updateMeRequestWeek_startValues as WEEK_STARTS, type Schemas } from "../../../client/index.ts";
import { api, ok } from "../api.ts";
import { boundsOf, when } from "../calendar.ts";
import { ErrorLine, Field, Notice, Section, Select, useAction, useLoad } from "../components/ui.tsx";
import { useMe } from "../session.ts";

const HOURS = Array.from({ length: 24 }, (_, h) => ({ value: String(h), label: `${String(h).padStart(2, "0")}:00` }));
const WEEKDAY_NAMES: Record<(typeof WEEK_STARTS)[number], string> = { MON: "Monday", SUN: "Sunday" };

/** The zones this browser knows, for suggestions; the server is the judge of what it accepts. */
const zones = (() => {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return [];
  }
})();

export function Settings() {
  return (
    <div class="view settings">
      <div class="view-head">
        <h1>Settings</h1>
      </div>
      <div class="grid two">
        <Profile />
        <Tokens />
      </div>
      <Browsers />
    </div>
  );
}

function Profile() {
  const { user, setUser } = useMe();
  const [name, setName] = useState(user.name);
  const [timezone, setTimezone] = useState(user.timezone);
  const [dayStart, setDayStart] = useState(String(user.day_start_hour));
  const [weekStart, setWeekStart] = useState(user.week_start);
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    setSaved(false);
    void run(async () => {
      setUser(await ok(api.PATCH("/api/auth/me", { body: { name, timezone, day_start_hour: Number(dayStart), week_start: weekStart } })));
      setSaved(true);
    });
  };
  return (
    <Section title="Your calendar">
      <form class="stack" onSubmit={submit}>
        <Field label="Name" maxLength={255} value={name} onValue={setName} />
        <Field label="Time zone" required list="zones" value={timezone} onValue={setTimezone} hint="An IANA name such as Europe/Paris." />
        <datalist id="zones">
          {zones.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
        <div class="row">
          <Select label="Day starts at" value={dayStart} options={HOURS} onValue={(v) => v && setDayStart(v)} />
          <Select
            label="Week starts on"
            value={weekStart}
            options={WEEK_STARTS.map((w) => ({ value: w, label: WEEKDAY_NAMES[w] }))}
            onValue={(v) => v && setWeekStart(v)}
          />
        </div>
        <p class="hint">A day runs from its start hour to the next day's: a session after midnight but before it belongs to the day before.</p>
        <ErrorLine error={error} />
        {saved && <Notice>Saved. Days and weeks are now cut in this calendar.</Notice>}
        <button type="submit" disabled={busy}>
          Save
        </button>
      </form>
    </Section>
  );
}

function Tokens() {
  const { user } = useMe();
  const tokens = useLoad(() => ok(api.GET("/api/auth/tokens")), []);
  const [name, setName] = useState("");
  const [expires, setExpires] = useState("");
  const [created, setCreated] = useState<Schemas["CreatedApiToken"] | null>(null);
  const [copied, setCopied] = useState(false);
  const { busy, error, run } = useAction();
  const list = tokens.data?.results ?? [];
  const create = (e: Event) => {
    e.preventDefault();
    setCopied(false);
    void run(async () => {
      // Valid through that day of the user's: it expires where their next day starts.
      const body = { name, ...(expires ? { expires_at: new Date(boundsOf(user, expires).end).toISOString() } : {}) };
      const t = await ok(api.POST("/api/auth/tokens", { body }));
      setCreated(t);
      setName("");
      setExpires("");
      tokens.reload();
    });
  };
  const revoke = (id: number) =>
    void run(async () => {
      await ok(api.DELETE("/api/auth/tokens/{id}", { params: { path: { id } } }));
      if (created?.id === id) setCreated(null);
      tokens.reload();
    });
  return (
    <Section title="API tokens">
      <p class="muted">For the devfocus CLI and scripts ({user.email}). A token is shown once, when it is made.</p>
      <form class="stack" onSubmit={create}>
        <div class="row">
          <Field label="Token name" required maxLength={100} value={name} onValue={setName} placeholder="laptop CLI" />
          <Field label="Expires (optional)" type="date" value={expires} onValue={setExpires} hint="Valid through that day." />
        </div>
        <button type="submit" disabled={busy}>
          Create token
        </button>
      </form>
      <ErrorLine error={error ?? tokens.error} />
      {created && (
        <div class="once" role="status">
          <p>
            <strong>{created.name}</strong>: copy it now, it will not be shown again.
          </p>
          <div class="row">
            <label class="sr-only" for="new-token">
              New token value
            </label>
            <input id="new-token" class="mono" readOnly value={created.token} onFocus={(e) => e.currentTarget.select()} />
            <button
              type="button"
              class="secondary"
              onClick={() => void navigator.clipboard?.writeText(created.token).then(() => setCopied(true), () => setCopied(false))}
            >
              {copied ? "Copied" : "Copy"}
            </button>
          </div>
        </div>
      )}
      {list.length > 0 && (
        <div class="table-wrap">
          <table class="tokens cards">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Starts with</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((t) => (
                <tr key={t.id}>
                  <td class="cell-title">{t.name}</td>
                  <td data-label="Starts with">
                    <code>{t.prefix}…</code>
                  </td>
                  <td data-label="Last used">{t.last_used_at ? when(user, t.last_used_at) : "never"}</td>
                  <td data-label="Expires">{t.expires_at ? when(user, t.expires_at) : "never"}</td>
                  <td class="cell-actions">
                    <button type="button" class="ghost small danger-text" disabled={busy} onClick={() => revoke(t.id)} aria-label={`Revoke ${t.name}`}>
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

/** "Chrome 150 on Linux" from a User-Agent, for people; the whole string stays in the title. */
const BROWSERS: [RegExp, string][] = [
  [/Edg\/(\d+)/, "Edge"],
  [/Firefox\/(\d+)/, "Firefox"],
  [/HeadlessChrome\/(\d+)/, "Headless Chrome"],
  [/Chrome\/(\d+)/, "Chrome"],
  [/Version\/(\d+).*Safari/, "Safari"],
];
const SYSTEMS: [RegExp, string][] = [
  [/Android/, "Android"],
  [/iPhone|iPad/, "iOS"],
  [/Mac OS X/, "macOS"],
  [/Windows/, "Windows"],
  [/Linux|X11/, "Linux"],
];
function browserName(ua: string): string {
  const browser = BROWSERS.map(([re, name]) => [re.exec(ua), name] as const).find(([m]) => m);
  if (!browser) return ua || "A browser";
  const os = SYSTEMS.find(([re]) => re.test(ua))?.[1];
  const name = `${browser[1]} ${browser[0]![1]}`;
  return os ? `${name} on ${os}` : name;
}

function Browsers() {
  const { user, signOut } = useMe();
  const sessions = useLoad(() => ok(api.GET("/api/auth/sessions")), []);
  const { busy, error, run } = useAction();
  const list = sessions.data?.results ?? [];
  const revoke = (s: Schemas["BrowserSession"]) =>
    void run(async () => {
      if (s.current) return signOut();
      await ok(api.DELETE("/api/auth/sessions/{id}", { params: { path: { id: s.id } } }));
      sessions.reload();
    });
  return (
    <Section title="Signed-in browsers">
      <ErrorLine error={error ?? sessions.error} />
      {list.length > 0 && (
        <div class="table-wrap">
          <table class="browsers cards">
            <thead>
              <tr>
                <th scope="col">Browser</th>
                <th scope="col">Signed in</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((s) => (
                <tr key={s.id}>
                  <td class="cell-title" title={s.name}>
                    {browserName(s.name)}
                    {s.current && (
                      <>
                        {" "}
                        <span class="badge status-OPEN">this one</span>
                      </>
                    )}
                  </td>
                  <td data-label="Signed in">{when(user, s.created_at)}</td>
                  <td data-label="Last used">{s.last_used_at ? when(user, s.last_used_at) : "never"}</td>
                  <td class="cell-actions">
                    <button type="button" class="ghost small danger-text" disabled={busy} onClick={() => revoke(s)} aria-label={s.current ? "Sign out this browser" : `Sign out ${s.name || "that browser"}`}>
                      Sign out
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
