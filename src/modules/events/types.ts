/** What travels on the live stream: event names and channels. A leaf, shared by the Worker and the dashboard. */
export const EVENT_TYPES = [
  "report.created",
  "insight.created",
  "report_request.updated",
  "import.updated",
  "session.closed",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An EventHub channel: one Durable Object per user and per team. */
export type Channel = `user:${number}` | `team:${number}`;
