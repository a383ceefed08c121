/** The dashboard: a shell (header, navigation, live indicator) around one view per route. */
import { render, type JSX } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { onSignedOut } from "./api.ts";
import { ErrorLine, words } from "./components/ui.tsx";
import { useLive, useLiveState } from "./live.ts";
import { follow, navigate, ROUTES, useRoute, type Route } from "./router.ts";
import { currentUser, endSession, MeContext, type Me, type User } from "./session.ts";
import { SignIn, SignUp } from "./views/Auth.tsx";
import { Insights } from "./views/Insights.tsx";
import { Settings } from "./views/Settings.tsx";
import { Tasks } from "./views/Tasks.tsx";
import { Team } from "./views/Team.tsx";
import { Today } from "./views/Today.tsx";
import { Week } from "./views/Week.tsx";
import "./styles.css";

const NAV = ["/", "/week", "/insights", "/tasks", "/team", "/settings"] as const satisfies Route[];
type ViewRoute = (typeof NAV)[number];
const VIEWS: Record<ViewRoute, () => JSX.Element> = {
  "/": Today,
  "/week": Week,
  "/insights": Insights,
  "/tasks": Tasks,
  "/team": Team,
  "/settings": Settings,
};

function LiveIndicator() {
  const state = useLiveState("me");
  const text = { open: "Live", connecting: "Connecting…", closed: "Offline" }[state];
  // A stream the server ended for good (a refused reconnect): signed out elsewhere? Ask; a 401 signs this page out.
  useEffect(() => {
    if (state === "closed") void currentUser().catch(() => undefined);
  }, [state]);
  return (
    <span class={`live live-${state}`} data-live={state} role="status" aria-label={`Live updates: ${text}`}>
      <span class="dot" aria-hidden="true" />
      {text}
    </span>
  );
}

const TOAST_MS = 8000;

/** What just happened, on whatever page is open: the user's stream stays open while they are signed in. */
function Toasts() {
  const [toasts, setToasts] = useState<{ id: number; text: string }[]>([]);
  const push = (text: string) => {
    const id = Date.now() + Math.random();
    setToasts((t) => [...t.slice(-2), { id, text }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), TOAST_MS);
  };
  // Weekly reports are made by opening the Week page: no news to the one who opened it.
  useLive("me", "report.created", (r) => r.type !== "WEEKLY" && push(`New ${r.type.toLowerCase()} report for ${r.period_start}.`));
  useLive("me", "insight.created", (i) => push(`New insight: ${words(i.code)}.`));
  useLive("me", "session.closed", (s) => push(`Session “${s.title || `#${s.id}`}” closed: ${s.total_focus_minutes} min of focus.`));
  return (
    <div class="toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <p key={t.id} class="toast">
          {t.text}
        </p>
      ))}
    </div>
  );
}

function Shell({ me }: { me: Me }) {
  const route = useRoute();
  const view = NAV.find((r) => r === route) ?? "/";
  const View = VIEWS[view];
  useEffect(() => {
    document.title = `${ROUTES[view]} · DevFocus`;
    if (route === "/signin" || route === "/signup") navigate("/", { replace: true });
  }, [view, route]);
  return (
    <MeContext.Provider value={me}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="brand">
          <span class="logo" aria-hidden="true">
            ◎
          </span>{" "}
          DevFocus
        </div>
        <nav aria-label="Main">
          <ul>
            {NAV.map((r) => (
              <li key={r}>
                <a href={r} aria-current={r === view ? "page" : undefined} onClick={(e) => follow(e, r)}>
                  {ROUTES[r]}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <LiveIndicator />
          <span class="user" title={me.user.email}>
            {me.user.name || me.user.email}
          </span>
          <button type="button" class="ghost" onClick={() => void me.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <View key={view} />
      </main>
      <Toasts />
    </MeContext.Provider>
  );
}

function App() {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const route = useRoute();

  useEffect(() => {
    currentUser().then(setUser, (e) => {
      setError(e);
      setUser(null);
    });
    return onSignedOut(() => setUser(null));
  }, []);

  const me = useMemo<Me | null>(
    () =>
      user
        ? {
            user,
            setUser,
            signOut: async () => {
              try {
                await endSession();
              } finally {
                setUser(null);
                navigate("/signin");
              }
            },
          }
        : null,
    [user],
  );

  if (user === undefined) return <p class="loading">Loading…</p>;
  if (me) return <Shell me={me} />;
  // A deep link opened while signed out shows the sign-in form, then its own view.
  const signedIn = (u: User) => setUser(u);
  return (
    <main id="main" class="auth">
      <ErrorLine error={error} />
      {route === "/signup" ? <SignUp onSignedIn={signedIn} /> : <SignIn onSignedIn={signedIn} />}
    </main>
  );
}

render(<App />, document.getElementById("app")!);
