import { createRoute, z } from "@hono/zod-openapi";
import { commonErrors, errorResponse, writeErrors } from "../../platform/errors";
import { bearer, createRouter, ctx, jsonBody as body, jsonContent as json, publicCtx } from "../../platform/router";
import { IdParam } from "../../platform/validators";
import {
  AuthResult,
  CreatedToken,
  CreateTokenBody,
  LoginBody,
  RegisterBody,
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
  summary: "Update name, time zone, day start hour or week start",
  request: body(UpdateMeBody),
  responses: { 200: json(User, "Updated."), ...writeErrors },
});

const listTokensRoute = createRoute({
  method: "get",
  path: "/tokens",
  tags: ["auth"],
  security: bearer,
  summary: "The caller's active API tokens (values are never shown again)",
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
  summary: "Create a named API token; its value is in this response only",
  request: body(CreateTokenBody),
  responses: { 201: json(CreatedToken, "Token created."), ...writeErrors },
});

const revokeTokenRoute = createRoute({
  method: "delete",
  path: "/tokens/{id}",
  tags: ["auth"],
  security: bearer,
  summary: "Revoke a token",
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

const clientIp = (c: { req: { header(name: string): string | undefined } }) => c.req.header("CF-Connecting-IP") ?? "unknown";

export const authRouter = createRouter()
  .openapi(registerRoute, async (c) => c.json(await auth.register(publicCtx(c), { ...c.req.valid("json"), ip: clientIp(c) }), 201))
  .openapi(loginRoute, async (c) => c.json(await auth.login(publicCtx(c), { ...c.req.valid("json"), ip: clientIp(c) }), 200))
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
    return c.body(null, 204);
  });
