/**
 * The WakaTime-compatible API, mounted at /api/compat/wakatime: wakatime-cli's `api_url` is
 * `https://<host>/api/compat/wakatime/v1`. An editor key (`waka_…`, sent as Basic, Bearer or ?api_key=) or an
 * API token authenticates here (platform/auth.ts, compatCredential); an editor key opens nothing else.
 */
import { createRoute } from "@hono/zod-openapi";
import { commonErrors } from "../../platform/errors";
import { createRouter, ctx, jsonContent } from "../../platform/router";
import { CurrentUser } from "./schemas";
import * as svc from "./service";

const tags = ["wakatime"];
/** Editor key (Basic base64(key), Bearer or ?api_key=) or API token. */
export const editorAuth: Record<string, string[]>[] = [{ editorKey: [] }, { bearer: [] }];

const currentUser = createRoute({
  method: "get", path: "/v1/users/current", tags, security: editorAuth,
  summary: "The key's user, in WakaTime's shape",
  responses: { 200: jsonContent(CurrentUser, "The user."), ...commonErrors },
});

export const editorsRouter = createRouter().openapi(currentUser, async (c) => c.json(await svc.currentUser(ctx(c)), 200));
