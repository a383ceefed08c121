/**
 * What a team role may do, for showing only the controls it allows (the API still decides every write).
 * The ranks are the API's own enum order (VIEWER < MEMBER < ADMIN < OWNER).
 *
 * The minimums restate TEAM_ACTIONS of src/modules/teams/access.ts, which the page cannot import: that
 * module also holds the D1 queries and their Worker types. Until the table moves to a leaf module of its
 * own, keep these two in step.
 */
import { teamRoleValues as ROLES } from "../../client/index.ts";

export type Role = (typeof ROLES)[number];

const TEAM_ACTIONS = {
  read: "VIEWER",
  write: "MEMBER",
  administer: "ADMIN",
  manageMembers: "ADMIN",
  own: "OWNER",
} as const satisfies Record<string, Role>;

const atLeast = (role: Role, min: Role) => ROLES.indexOf(role) >= ROLES.indexOf(min);

export const may = (role: Role, action: keyof typeof TEAM_ACTIONS) => atLeast(role, TEAM_ACTIONS[action]);

/** ADMIN manages MEMBER and VIEWER; ADMIN and OWNER are the OWNER's to grant, change or revoke. */
export const mayManage = (mine: Role, target: Role) => may(mine, atLeast(target, "ADMIN") ? "own" : "manageMembers");

/** The roles a caller may give. */
export const grantable = (mine: Role) => ROLES.filter((r) => mayManage(mine, r));
