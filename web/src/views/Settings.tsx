/**
 * Settings: the calendar (time zone, day start, week start), API tokens (a new one's value shown once;
 * revoke), what an editor needs (an editor key with its ~/.wakatime.cfg lines, the editor preferences, editor
 * projects mapped to teams), and the browsers signed in (sign one out: its open pages lose their streams at once).
 */
import { useState } from "preact/hooks";
import { updateMeRequestWeek_startValues as WEEK_STARTS, type paths, type Schemas } from "../../../client/index.ts";
import { api, fieldError, ok } from "../api.ts";
import { boundsOf, when } from "../calendar.ts";
import { CardTable, Check, CopyButton, ErrorLine, Field, Notice, OnceValue, Section, Select, useAction, useLoad, words } from "../components/ui.tsx";
import { may } from "../roles.ts";
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

type Token = Schemas["ApiToken"];
type Scope = Token["scope"];

/**
 * wakatime-cli's `api_url`: the base it appends `/users/current/heartbeats.bulk` (and the rest) to. Spelled as
 * the API's own path for the current user, so a change to the route fails the type check here.
 */
const COMPAT_CURRENT_USER = "/api/compat/wakatime/v1/users/current" satisfies keyof paths;
const wakatimeApiUrl = () => location.origin + COMPAT_CURRENT_USER.replace(/\/users\/current$/, "");
/** The [settings] lines of ~/.wakatime.cfg that point every WakaTime plugin at this server. */
const wakatimeCfg = (key: string) => `[settings]\napi_url = ${wakatimeApiUrl()}\napi_key = ${key}\n`;

export function Settings() {
  // One list of tokens: API tokens and editor keys are the same rows, told apart by scope.
  const tokens = useLoad(() => ok(api.GET("/api/auth/tokens")), []);
  return (
    <div class="view settings">
      <div class="view-head">
        <h1>Settings</h1>
      </div>
      <div class="grid two">
        <Profile />
        <Tokens tokens={tokens.data?.results ?? []} loadError={tokens.error} onChanged={tokens.reload} />
      </div>
      <div class="grid two">
        <EditorKeys tokens={tokens.data?.results ?? []} loadError={tokens.error} onChanged={tokens.reload} />
        <EditorPreferences />
      </div>
      <EditorProjects />
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

interface TokenListProps {
  tokens: Token[];
  loadError: unknown;
  onChanged: () => void;
}

/** Creating and revoking tokens of one scope: the one just made is kept (its value is shown once) until revoked. */
function useTokens(scope: Scope, onChanged: () => void) {
  const [created, setCreated] = useState<Schemas["CreatedApiToken"] | null>(null);
  const action = useAction();
  /** Resolves true once made (false if refused: the form keeps what was typed). */
  const create = async (body: { name: string; expires_at?: string }) =>
    Boolean(
      await action.run(async () => {
        setCreated(await ok(api.POST("/api/auth/tokens", { body: { ...body, scope } })));
        onChanged();
        return true;
      }),
    );
  const revoke = (id: number) =>
    void action.run(async () => {
      await ok(api.DELETE("/api/auth/tokens/{id}", { params: { path: { id } } }));
      if (created?.id === id) setCreated(null);
      onChanged();
    });
  return { created, create, revoke, ...action };
}

function Tokens({ tokens, loadError, onChanged }: TokenListProps) {
  const { user } = useMe();
  const [name, setName] = useState("");
  const [expires, setExpires] = useState("");
  const { created, create, revoke, busy, error } = useTokens("API", onChanged);
  const submit = (e: Event) => {
    e.preventDefault();
    // Valid through that day of the user's: it expires where their next day starts.
    void create({ name, ...(expires ? { expires_at: new Date(boundsOf(user, expires).end).toISOString() } : {}) }).then((made) => {
      if (!made) return;
      setName("");
      setExpires("");
    });
  };
  return (
    <Section title="API tokens">
      <p class="muted">For the devfocus CLI and scripts ({user.email}). A token is shown once, when it is made.</p>
      <form class="stack" onSubmit={submit}>
        <div class="row">
          <Field label="Token name" required maxLength={100} value={name} onValue={setName} placeholder="laptop CLI" />
          <Field label="Expires (optional)" type="date" value={expires} onValue={setExpires} hint="Valid through that day." />
        </div>
        <button type="submit" disabled={busy}>
          Create token
        </button>
      </form>
      <ErrorLine error={error ?? loadError} />
      {created && (
        <OnceValue label="New token value" value={created.token} name={created.name} />
      )}
      <TokenTable tokens={tokens.filter((t) => t.scope === "API")} what="tokens" busy={busy} onRevoke={revoke} />
    </Section>
  );
}

/** A list of tokens or editor keys: name, the characters they start with, last use, expiry; each revocable. */
function TokenTable({ tokens, what, busy, onRevoke }: { tokens: Token[]; what: "tokens" | "editor-keys"; busy: boolean; onRevoke: (id: number) => void }) {
  const { user } = useMe();
  if (!tokens.length) return null;
  return (
    <CardTable name={what} columns={["Name", "Starts with", "Last used", "Expires"]}>
      {tokens.map((t) => (
        <tr key={t.id}>
          <td class="cell-title">{t.name}</td>
          <td data-label="Starts with">
            <code>{t.prefix}…</code>
          </td>
          <td data-label="Last used">{t.last_used_at ? when(user, t.last_used_at) : "never"}</td>
          <td data-label="Expires">{t.expires_at ? when(user, t.expires_at) : "never"}</td>
          <td class="cell-actions">
            <button type="button" class="ghost small danger-text" disabled={busy} onClick={() => onRevoke(t.id)} aria-label={`Revoke ${t.name}`}>
              Revoke
            </button>
          </td>
        </tr>
      ))}
    </CardTable>
  );
}

/**
 * Editor keys (`waka_…`): what a WakaTime plugin's wakatime-cli sends. A new key is shown once, with the
 * ~/.wakatime.cfg lines that use it; `devfocus editor setup` does the same from a terminal.
 */
function EditorKeys({ tokens, loadError, onChanged }: TokenListProps) {
  const [name, setName] = useState("");
  const { created, create, revoke, busy, error } = useTokens("EDITOR", onChanged);
  const submit = (e: Event) => {
    e.preventDefault();
    void create({ name }).then((made) => made && setName(""));
  };
  const cfg = created ? wakatimeCfg(created.token) : "";
  return (
    <Section title="Editor keys">
      <p class="muted">
        For WakaTime's editor plugins (VS Code, JetBrains, Vim, Emacs, …): their activity becomes sessions, pauses and context switches by itself. A key works only
        for the WakaTime-compatible API and is shown once, when it is made.
      </p>
      <form class="stack" onSubmit={submit}>
        <Field label="Key name" required maxLength={100} value={name} onValue={setName} placeholder="my editors" error={fieldError(error, "name")} />
        <button type="submit" disabled={busy}>
          Create editor key
        </button>
      </form>
      <p class="hint">
        Or, in a terminal: <code>devfocus editor setup</code> makes a key and writes <code>api_url</code> and <code>api_key</code> into <code>~/.wakatime.cfg</code> for you
        (it asks first).
      </p>
      <ErrorLine error={error ?? loadError} byField={["name"]} />
      {created && (
        <OnceValue
          label="New editor key"
          value={created.token}
          name={created.name}
        >
          <p class="snippet-intro">
            Point your editors at DevFocus: put these lines in <code>~/.wakatime.cfg</code> (in its <code>[settings]</code>, keeping your other lines). wakatime-cli reads them on its
            next heartbeat.
          </p>
          <pre class="snippet" data-testid="wakatime-cfg" tabIndex={0} aria-label="~/.wakatime.cfg lines">
            {cfg}
          </pre>
          <CopyButton text={cfg} what="the ~/.wakatime.cfg lines" />
        </OnceValue>
      )}
      <TokenTable tokens={tokens.filter((t) => t.scope === "EDITOR")} what="editor-keys" busy={busy} onRevoke={revoke} />
    </Section>
  );
}

const PREFERENCE_FIELDS = ["idle_timeout_minutes", "hide_file_names", "heartbeat_retention_days"] as const;

/** How editor activity is read and kept (PATCH /api/auth/me/): the API judges every value and names the field. */
function EditorPreferences() {
  const { user, setUser } = useMe();
  const [idle, setIdle] = useState(String(user.idle_timeout_minutes));
  const [hide, setHide] = useState(user.hide_file_names);
  const [retention, setRetention] = useState(String(user.heartbeat_retention_days));
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    setSaved(false);
    void run(async () => {
      const body = { idle_timeout_minutes: Number(idle), hide_file_names: hide, heartbeat_retention_days: Number(retention) };
      setUser(await ok(api.PATCH("/api/auth/me", { body })));
      setSaved(true);
    });
  };
  return (
    <Section title="Editor activity">
      {/* noValidate: the API's own message shows by the field, the same for every client */}
      <form class="stack" onSubmit={submit} noValidate>
        <div class="row">
          <Field
            label="Idle timeout (minutes)"
            type="number"
            min={1}
            max={60}
            value={idle}
            onValue={setIdle}
            hint="1–60. A gap this long between heartbeats is a pause; 2 hours ends the session."
            error={fieldError(error, "idle_timeout_minutes")}
          />
          <Field
            label="Keep heartbeats (days)"
            type="number"
            min={1}
            max={365}
            value={retention}
            onValue={setRetention}
            hint="1–365. Older raw heartbeats are deleted; the sessions made from them stay."
            error={fieldError(error, "heartbeat_retention_days")}
          />
        </div>
        <Check
          label="Hide file names"
          checked={hide}
          onChecked={setHide}
          hint="Keep project, branch, language and category, never the file path. Turning it on erases the paths kept so far."
          error={fieldError(error, "hide_file_names")}
        />
        <ErrorLine error={error} byField={PREFERENCE_FIELDS} />
        {saved && <Notice>Saved. The next heartbeats are read with these settings.</Notice>}
        <button type="submit" disabled={busy}>
          Save
        </button>
      </form>
    </Section>
  );
}

/** Editor projects mapped to teams (MEMBER and up): a mapped project's editor sessions open in its team. */
function EditorProjects() {
  const teams = useLoad(() => ok(api.GET("/api/teams", { params: { query: { page_size: 200 } } })), []);
  const mappings = useLoad(() => ok(api.GET("/api/editor-projects")), []);
  const [project, setProject] = useState("");
  const [team, setTeam] = useState("");
  const { busy, error, run } = useAction();
  const allTeams = teams.data?.results ?? [];
  const open = allTeams.filter((t) => may(t.role, "write"));
  const list = mappings.data?.results ?? [];
  const add = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      await ok(api.POST("/api/editor-projects", { body: { project: project.trim(), team: Number(team) } }));
      setProject("");
      mappings.reload();
    });
  };
  const remove = (id: number) =>
    void run(async () => {
      await ok(api.DELETE("/api/editor-projects/{id}", { params: { path: { id } } }));
      mappings.reload();
    });
  const teamOf = (id: number) => allTeams.find((t) => t.id === id);
  return (
    <Section title="Editor projects in teams">
      <p class="muted">
        A mapped project's editor sessions open in its team (its admins see them, team reports count them); every other project's are yours alone. From the next
        heartbeat of a day on.
      </p>
      {!teams.data ? null : !open.length ? (
        <p class="muted">You are a member of no team yet: only a team's MEMBER or above may bring editor time into it.</p>
      ) : (
        <form class="stack" onSubmit={add} aria-label="Map an editor project">
          <div class="row">
            <Field
              label="Project"
              required
              maxLength={255}
              value={project}
              onValue={setProject}
              placeholder="billing-service"
              hint="As your editor names it: usually the repository's folder."
              error={fieldError(error, "project")}
            />
            <Select label="Team" value={team} empty="Choose a team" options={open.map((t) => ({ value: String(t.id), label: t.name }))} onValue={setTeam} />
          </div>
          <button type="submit" disabled={busy || !team}>
            Map project
          </button>
        </form>
      )}
      <ErrorLine error={error ?? teams.error ?? mappings.error} byField={["project"]} />
      {list.length > 0 && (
        <CardTable name="editor-projects" columns={["Project", "Team"]}>
          {list.map((m) => {
            const t = teamOf(m.team);
            return (
              <tr key={m.id} data-project={m.project}>
                <td class="cell-title">
                  <code>{m.project}</code>
                </td>
                <td data-label="Team">
                  {t ? t.name : `team ${m.team}`}
                  {t && !may(t.role, "write") && <span class="muted"> (ignored: you are a {words(t.role).toLowerCase()} there)</span>}
                  {teams.data && !t && <span class="muted"> (ignored: you are not in it)</span>}
                </td>
                <td class="cell-actions">
                  <button type="button" class="ghost small danger-text" disabled={busy} onClick={() => remove(m.id)} aria-label={`Remove the mapping of ${m.project}`}>
                    Remove
                  </button>
                </td>
              </tr>
            );
          })}
        </CardTable>
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
        <CardTable name="browsers" columns={["Browser", "Signed in", "Last used"]}>
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
        </CardTable>
      )}
    </Section>
  );
}
