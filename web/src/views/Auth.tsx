/** Sign in (POST /api/auth/session/) and sign up (POST /api/auth/session/register/): both set the cookie. */
import { useState } from "preact/hooks";
import { api, ok } from "../api.ts";
import { ErrorLine, Field, useAction } from "../components/ui.tsx";
import { follow } from "../router.ts";
import type { User } from "../session.ts";

interface Props {
  onSignedIn: (u: User) => void;
}

/** The browser's own zone, as the default for a new account (the server checks it is an IANA name). */
const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

export function SignIn({ onSignedIn }: Props) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, run } = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => onSignedIn((await ok(api.POST("/api/auth/session", { body: { email, password } }))).user));
  };
  return (
    <div class="auth-card card">
      <h1>Sign in to DevFocus</h1>
      <form onSubmit={submit}>
        <Field label="Email" type="email" autoComplete="username" required value={email} onValue={setEmail} />
        <Field label="Password" type="password" autoComplete="current-password" required value={password} onValue={setPassword} />
        <ErrorLine error={error} />
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p>
        New here?{" "}
        <a href="/signup" onClick={(e) => follow(e, "/signup")}>
          Create an account
        </a>
      </p>
    </div>
  );
}

export function SignUp({ onSignedIn }: Props) {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [timezone, setTimezone] = useState(browserZone);
  const { busy, error, run } = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const body = { email, password, timezone, ...(name ? { name } : {}) };
      onSignedIn((await ok(api.POST("/api/auth/session/register", { body }))).user);
    });
  };
  return (
    <div class="auth-card card">
      <h1>Create your DevFocus account</h1>
      <form onSubmit={submit}>
        <Field label="Name" autoComplete="name" value={name} onValue={setName} />
        <Field label="Email" type="email" autoComplete="email" required value={email} onValue={setEmail} />
        <Field
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          value={password}
          onValue={setPassword}
          hint="At least 10 characters."
        />
        <Field label="Time zone" required value={timezone} onValue={setTimezone} hint="An IANA name, e.g. Europe/Paris. Your days are cut in it." />
        <ErrorLine error={error} />
        <button type="submit" disabled={busy}>
          {busy ? "Creating…" : "Create account"}
        </button>
      </form>
      <p>
        Already have an account?{" "}
        <a href="/signin" onClick={(e) => follow(e, "/signin")}>
          Sign in
        </a>
      </p>
    </div>
  );
}
