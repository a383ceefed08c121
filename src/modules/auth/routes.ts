import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../../env";
import { SESSION_COOKIE } from "../../platform/auth";
import { commonErrors, errorResponse, writeErrors } from "../../platform/errors";
import { bearer, createRouter, ctx, jsonBody as body, jsonContent as json, publicCtx } from "../../platform/router";
import { IdParam } from "../../platform/validators";
import {
  AuthResult,
  BrowserSession,
  CreatedToken,
  CreateTokenBody,
  LoginBody,
  RegisterBody,
  SessionResult,
  Token,
  UpdateMeBody,
  User,
} from "./schemas";
import * as auth from "./service";

const rateLimited = { 429: errorResponse("Too many attempts from this IP or for this email; see Retry-After.") };

const registerRoute = createRoute({
  method: "post",
  path: "/register",
  tags: ["auth"],
  summary: "Create an account and its first API token",
  request: body(RegisterBody),
  responses: { 201: json(AuthResult, "Account created."), ...writeErrors, ...rateLimited },
});

const loginRoute = createRoute({
  method: "post",
  path: "/login",
  tags: ["auth"],
  summary: "Exchange email and password for a new API token",
  request: body(LoginBody),
  responses: { 200: json(AuthResult, "Logged in."), ...commonErrors, ...rateLimited },
});

const meRoute = createRoute({
  method: "get",
  path: "/me",
  tags: ["auth"],
  security: bearer,
  summary: "The caller's profile",
  responses: { 200: json(User, "The caller."), ...commonErrors },
});

const updateMeRoute = createRoute({
  method: "patch",
  path: "/me",
  tags: ["auth"],
  security: bearer,
  summary: "Update name, time zone, day start hour, week start, or how editor activity is kept (idle timeout, file names, retention)",
  request: body(UpdateMeBody),
  responses: { 200: json(User, "Updated."), ...writeErrors },
});

const listTokensRoute = createRoute({
  method: "get",
  path: "/tokens",
  tags: ["auth"],
  security: bearer,
  summary: "The caller's active API tokens and editor keys (values are never shown again)",
  responses: {
    200: json(z.object({ results: z.array(Token), next: z.string().nullable() }), "Active tokens."),
    ...commonErrors,
  },
});

const createTokenRoute = createRoute({
  method: "post",
  path: "/tokens",
  tags: ["auth"],
  security: bearer,
  summary: "Create a named API token, or with scope EDITOR an editor key (waka_…); its value is in this response only",
  request: body(CreateTokenBody),
  responses: { 201: json(CreatedToken, "Token created."), ...writeErrors },
});

const revokeTokenRoute = createRoute({
  method: "delete",
  path: "/tokens/{id}",
  tags: ["auth"],
  security: bearer,
  summary: "Revoke a token or an editor key",
  request: { params: IdParam },
  responses: { 204: { description: "Revoked." }, ...commonErrors },
});

const logoutRoute = createRoute({
  method: "post",
  path: "/logout",
  tags: ["auth"],
  security: bearer,
  summary: "Revoke the token used for this request",
  responses: { 204: { description: "Logged out." }, ...commonErrors },
});

const sessionRoute = createRoute({
  method: "post",
  path: "/session",
  tags: ["auth"],
  summary: "Sign a browser in: a session cookie (HttpOnly, SameSite=Lax, 7 days) instead of a token",
  request: body(LoginBody),
  responses: { 200: json(SessionResult, "Signed in; the cookie is set."), ...commonErrors, ...rateLimited },
});

const sessionRegisterRoute = createRoute({
  method: "post",
  path: "/session/register",
  tags: ["auth"],
  summary: "Sign up from a browser: create an account and sign the browser in (session cookie, no API token)",
  request: body(RegisterBody),
  responses: { 201: json(SessionResult, "Account created; the cookie is set."), ...writeErrors, ...rateLimited },
});

const endSessionRoute = createRoute({
  method: "delete",
  path: "/session",
  tags: ["auth"],
  security: bearer,
  summary: "Sign this browser out: its session is revoked, its cookie cleared and its event streams closed",
  responses: { 204: { description: "Signed out." }, ...commonErrors },
});

const listSessionsRoute = createRoute({
  method: "get",
  path: "/sessions",
  tags: ["auth"],
  security: bearer,
  summary: "The caller's signed-in browsers (sessions), the current one marked",
  responses: {
    200: json(z.object({ results: z.array(BrowserSession), next: z.string().nullable() }), "Active sessions."),
    ...commonErrors,
  },
});

const revokeSessionRoute = createRoute({
  method: "delete",
  path: "/sessions/{id}",
  tags: ["auth"],
  security: bearer,
  summary: "Sign one of your browsers out (its open event streams close at once)",
  request: { params: IdParam },
  responses: { 204: { description: "Revoked." }, ...commonErrors },
});

const clientIp = (c: Context<AppEnv>) => c.req.header("CF-Connecting-IP") ?? "unknown";

/** `Secure` everywhere but plain-http localhost (wrangler dev), where a browser would drop a Secure cookie. */
function isLocalHttp(c: Context<AppEnv>) {
  const url = new URL(c.req.url);
  return url.protocol === "http:" && (url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]");
}

function setSessionCookie(c: Context<AppEnv>, value: string) {
  setCookie(c, SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: "Lax",
    secure: !isLocalHttp(c),
    path: "/",
    maxAge: auth.SESSION_TTL_SECONDS,
  });
}

const clearSessionCookie = (c: Context<AppEnv>) => deleteCookie(c, SESSION_COOKIE, { path: "/", secure: !isLocalHttp(c) });

export const authRouter = createRouter()
  .openapi(registerRoute, async (c) => {
    const { user, value } = await auth.register(publicCtx(c), { ...c.req.valid("json"), ip: clientIp(c) });
    return c.json({ user, token: value }, 201);
  })
  .openapi(sessionRegisterRoute, async (c) => {
    const input = { ...c.req.valid("json"), session: true, ip: clientIp(c), userAgent: c.req.header("User-Agent") };
    const { user, value } = await auth.register(publicCtx(c), input);
    setSessionCookie(c, value);
    return c.json({ user }, 201);
  })
  .openapi(loginRoute, async (c) => c.json(await auth.login(publicCtx(c), { ...c.req.valid("json"), ip: clientIp(c) }), 200))
  .openapi(sessionRoute, async (c) => {
    const { user, value } = await auth.startSession(publicCtx(c), { ...c.req.valid("json"), ip: clientIp(c), userAgent: c.req.header("User-Agent") });
    setSessionCookie(c, value);
    return c.json({ user }, 200);
  })
  .openapi(endSessionRoute, async (c) => {
    await auth.endSession(ctx(c));
    clearSessionCookie(c);
    return c.body(null, 204);
  })
  .openapi(listSessionsRoute, async (c) => c.json(await auth.listSessions(ctx(c)), 200))
  .openapi(revokeSessionRoute, async (c) => {
    await auth.revokeSession(ctx(c), c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(meRoute, async (c) => c.json(await auth.getMe(ctx(c)), 200))
  .openapi(updateMeRoute, async (c) => c.json(await auth.updateMe(ctx(c), c.req.valid("json")), 200))
  .openapi(listTokensRoute, async (c) => c.json(await auth.listTokens(ctx(c)), 200))
  .openapi(createTokenRoute, async (c) => c.json(await auth.createToken(ctx(c), c.req.valid("json")), 201))
  .openapi(revokeTokenRoute, async (c) => {
    await auth.revokeToken(ctx(c), c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(logoutRoute, async (c) => {
    await auth.logout(ctx(c));
    if (c.var.actor.credential === "SESSION") clearSessionCookie(c);
    return c.body(null, 204);
  });
