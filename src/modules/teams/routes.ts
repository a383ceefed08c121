import { createRoute } from "@hono/zod-openapi";
import { commonErrors, writeErrors } from "../../platform/errors";
import { pageSchema } from "../../platform/pagination";
import { bearer, createRouter, ctx, jsonBody, jsonContent } from "../../platform/router";
import { IdParam } from "../../platform/validators";
import { AddMemberBody, CreateTeamBody, Member, MemberListQuery, MemberParams, Team, TeamListQuery, UpdateMemberBody, UpdateTeamBody } from "./schemas";
import * as svc from "./service";

const tags = ["teams"];

const list = createRoute({
  method: "get", path: "/", tags, security: bearer, summary: "Teams the caller belongs to",
  request: { query: TeamListQuery },
  responses: { 200: jsonContent(pageSchema(Team, "TeamPage"), "Teams."), ...commonErrors },
});
const create = createRoute({
  method: "post", path: "/", tags, security: bearer, summary: "Create a team; the caller becomes OWNER",
  request: jsonBody(CreateTeamBody),
  responses: { 201: jsonContent(Team, "Created."), ...writeErrors },
});
const get = createRoute({
  method: "get", path: "/{id}", tags, security: bearer, summary: "A team (any member)",
  request: { params: IdParam },
  responses: { 200: jsonContent(Team, "The team."), ...commonErrors },
});
const update = createRoute({
  method: "patch", path: "/{id}", tags, security: bearer, summary: "Rename a team or change its slug (OWNER)",
  request: { params: IdParam, ...jsonBody(UpdateTeamBody) },
  responses: { 200: jsonContent(Team, "Updated."), ...writeErrors },
});
const remove = createRoute({
  method: "delete", path: "/{id}", tags, security: bearer,
  summary: "Delete a team with its memberships and all its team-scoped data (OWNER)",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted." }, ...writeErrors },
});
const members = createRoute({
  method: "get", path: "/{id}/members", tags, security: bearer, summary: "Members and their roles (any member)",
  request: { params: IdParam, query: MemberListQuery },
  responses: { 200: jsonContent(pageSchema(Member, "MemberPage"), "Members."), ...commonErrors },
});
const addMember = createRoute({
  method: "post", path: "/{id}/members", tags, security: bearer,
  summary: "Add a user by email (ADMIN for MEMBER/VIEWER, OWNER for ADMIN/OWNER)",
  request: { params: IdParam, ...jsonBody(AddMemberBody) },
  responses: { 201: jsonContent(Member, "Added."), ...writeErrors },
});
const updateMember = createRoute({
  method: "patch", path: "/{id}/members/{user_id}", tags, security: bearer,
  summary: "Change a member's role (the team always keeps an OWNER)",
  request: { params: MemberParams, ...jsonBody(UpdateMemberBody) },
  responses: { 200: jsonContent(Member, "Updated."), ...writeErrors },
});
const removeMember = createRoute({
  method: "delete", path: "/{id}/members/{user_id}", tags, security: bearer,
  summary: "Remove a member, or leave (anyone but the last OWNER)",
  request: { params: MemberParams },
  responses: { 204: { description: "Removed." }, ...writeErrors },
});

export const teamsRouter = createRouter()
  .openapi(list, async (c) => c.json(await svc.listTeams(ctx(c), { ...c.req.valid("query"), url: c.req.url }), 200))
  .openapi(create, async (c) => c.json(await svc.createTeam(ctx(c), c.req.valid("json")), 201))
  .openapi(get, async (c) => {
    const { id } = c.req.valid("param");
    c.set("logTeam", id);
    return c.json(await svc.getTeam(ctx(c), id), 200);
  })
  .openapi(update, async (c) => {
    const { id } = c.req.valid("param");
    c.set("logTeam", id);
    return c.json(await svc.updateTeam(ctx(c), { id, ...c.req.valid("json") }), 200);
  })
  .openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    c.set("logTeam", id);
    await svc.deleteTeam(ctx(c), id);
    return c.body(null, 204);
  })
  .openapi(members, async (c) => {
    const { id } = c.req.valid("param");
    c.set("logTeam", id);
    return c.json(await svc.listMembers(ctx(c), { team: id, ...c.req.valid("query"), url: c.req.url }), 200);
  })
  .openapi(addMember, async (c) => {
    const { id } = c.req.valid("param");
    c.set("logTeam", id);
    return c.json(await svc.addMember(ctx(c), { team: id, ...c.req.valid("json") }), 201);
  })
  .openapi(updateMember, async (c) => {
    const { id, user_id } = c.req.valid("param");
    c.set("logTeam", id);
    return c.json(await svc.updateMember(ctx(c), { team: id, user: user_id, role: c.req.valid("json").role }), 200);
  })
  .openapi(removeMember, async (c) => {
    const { id, user_id } = c.req.valid("param");
    c.set("logTeam", id);
    await svc.removeMember(ctx(c), { team: id, user: user_id });
    return c.body(null, 204);
  });
