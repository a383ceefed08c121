/**
 * The role table of DESIGN.md, in one place: the lowest role allowed to do each kind of action in a team,
 * and who may manage whose role. Pure (no D1, no Worker types), so the dashboard shows only the controls
 * these rules allow — with the very rules the API enforces (access.ts, service.ts).
 */
import { ROLES, type Role } from "../../db/roles";

export const TEAM_ACTIONS = {
  /** read team, members, team tasks, resources, team reports and insights; stream team events */
  read: "VIEWER",
  /** create / edit team tasks and resources; open sessions in the team */
  write: "MEMBER",
  /** delete any team task; import from GitHub; generate team reports; read members' sessions */
  administer: "ADMIN",
  /** add / remove MEMBER and VIEWER; change roles below ADMIN */
  manageMembers: "ADMIN",
  /** grant / revoke ADMIN and OWNER; rename; delete the team */
  own: "OWNER",
} as const satisfies Record<string, Role>;

export type TeamAction = keyof typeof TEAM_ACTIONS;

export const roleRank = (role: Role) => ROLES.indexOf(role);
export const atLeast = (role: Role, min: Role) => roleRank(role) >= roleRank(min);
export const may = (role: Role, action: TeamAction) => atLeast(role, TEAM_ACTIONS[action]);

/** The action it takes to give, change or take away these roles: ADMIN and OWNER are the OWNER's. */
export const manageAction = (targetRoles: readonly Role[]): TeamAction =>
  targetRoles.some((r) => atLeast(r, "ADMIN")) ? "own" : "manageMembers";

/** Whether a member with role `mine` may manage a member whose role is `target` (or give that role). */
export const mayManage = (mine: Role, target: Role) => may(mine, manageAction([target]));
