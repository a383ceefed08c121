// login, logout, whoami.
import { Api, DEFAULT_URL, normalizeBase, Unreachable, isStatus } from "../lib/api.ts";
import { out, type Command } from "../lib/command.ts";
import { describeSession, nowIso, readConfig, requireToken, syncJournal } from "../lib/context.ts";
import { CliError, UsageError } from "../lib/errors.ts";
import { writeJson } from "../lib/files.ts";
import { promptLine, promptPassword } from "../lib/prompt.ts";
import type { LocalSession } from "../lib/state.ts";

export const login: Command = {
  name: "login",
  group: "Account",
  summary: "Log in and save a token (password prompted, never echoed)",
  usage: "devfocus login [--url <api>] [--email <email>]",
  description:
    "Asks for the password without echoing it (on a pipe, reads the email and/or password one per line from stdin).\n" +
    "The token goes to $XDG_CONFIG_HOME/devfocus/config.json (else ~/.config/devfocus/config.json), mode 600.",
  options: { email: { type: "string", arg: "<email>", desc: "Your account's email (prompted when missing)" } },
  positionals: [0, 0],
  async run(ctx, args) {
    const url = normalizeBase(args.string("url") || ctx.env.DEVFOCUS_URL || ctx.config.url || DEFAULT_URL);
    const saved = ctx.config.email;
    const email = args.string("email") || (await promptLine(`Email${saved ? ` [${saved}]` : ""}: `, ctx)) || saved;
    if (!email) throw new UsageError("An email is needed: devfocus login --email you@example.com");
    const password = await promptPassword("Password: ", ctx);
    if (!password) throw new UsageError("An empty password was given.");
    const api = new Api({ url, timeoutMs: ctx.settings.timeoutMs });
    const res = await api.data(api.client.POST("/api/auth/login", { body: { email, password } }));
    // An API token is what the CLI signs in for (a browser asks for a session cookie instead).
    if (!res.token) throw new CliError(`${url} answered the login without an API token.`, { code: "NO_TOKEN" });
    const token = res.token;
    const prev = readConfig(ctx.files.config);
    writeJson(ctx.files.config, { url, token, email: res.user.email, user_id: res.user.id, logged_in_at: nowIso() });
    let dropped: LocalSession | null = null;
    if (prev.url !== url || prev.user_id !== res.user.id) {
      ctx.state.update((s) => {
        dropped = s.session;
        s.session = null;
        s.last = null;
        s.branches = {};
      });
    }
    ctx.settings.url = url;
    ctx.settings.token = ctx.env.DEVFOCUS_TOKEN || token;
    ctx.resetApi();
    if (!ctx.env.DEVFOCUS_TOKEN) ctx.rememberCalendar(res.user);
    await syncJournal(ctx, { waitMs: 2000 });
    const { c } = ctx;
    const lines = [`${c.green("✓")} Logged in to ${url} as ${c.bold(res.user.email)}.`, c.dim(`  Token saved in ${ctx.files.config} (mode 600).`)];
    if (ctx.env.DEVFOCUS_TOKEN) lines.push(c.yellow("  Note: DEVFOCUS_TOKEN is set and takes precedence over the saved token."));
    const forgot: LocalSession | null = dropped;
    if (forgot) lines.push(c.dim(`  Forgot the local record of session ${describeSession(forgot)} (another account or API).`));
    return out({ url, user: res.user, config: ctx.files.config }, lines.join("\n"));
  },
};

export const logout: Command = {
  name: "logout",
  group: "Account",
  summary: "Revoke the saved token and forget it",
  usage: "devfocus logout",
  positionals: [0, 0],
  async run(ctx) {
    const config = readConfig(ctx.files.config);
    if (!config.token) return out({ logged_out: false, reason: "not logged in" }, "Not logged in.");
    const notes: string[] = [];
    const api = new Api({ url: config.url || ctx.settings.url, token: config.token, timeoutMs: ctx.settings.timeoutMs });
    try {
      await api.data(api.client.POST("/api/auth/logout"));
    } catch (err) {
      if (err instanceof Unreachable) {
        notes.push(ctx.c.yellow(`  ${err.message} The token was forgotten here but is still valid on the server until it expires or is revoked.`));
      } else if (!isStatus(err, 401)) throw err;
    }
    delete config.token;
    writeJson(ctx.files.config, config);
    const revoked = notes.length === 0;
    return out({ logged_out: true, revoked }, [`${ctx.c.green("✓")} Logged out${revoked ? " (token revoked)" : ""}.`, ...notes].join("\n"));
  },
};

export const whoami: Command = {
  name: "whoami",
  group: "Account",
  summary: "Who the saved token belongs to, and which API",
  usage: "devfocus whoami",
  positionals: [0, 0],
  api: true,
  async run(ctx) {
    requireToken(ctx);
    const me = await ctx.api.data(ctx.api.client.GET("/api/auth/me"));
    ctx.rememberCalendar(me);
    const { c } = ctx;
    const source = ctx.settings.tokenSource === "DEVFOCUS_TOKEN" ? "DEVFOCUS_TOKEN" : ctx.files.config;
    const text = [
      `${c.bold(me.email)}${me.name ? ` (${me.name})` : ""}`,
      c.dim(`  time zone ${me.timezone} · day starts ${String(me.day_start_hour).padStart(2, "0")}:00 · week starts ${me.week_start}`),
      c.dim(`  API ${ctx.settings.url} · token from ${source}`),
    ].join("\n");
    return out({ user: me, url: ctx.settings.url, token_source: ctx.settings.tokenSource }, text);
  },
};
