import type { Bindings } from "../../env";

import type { Channel, EventType } from "./types";

export { EVENT_TYPES, type Channel, type EventType } from "./types";

/** The channels an object belongs to: always its user's, and its team's when it has one. */
export function channelsFor(owner: { userId?: number | null; teamId?: number | null }): Channel[] {
  const channels: Channel[] = [];
  if (owner.userId) channels.push(`user:${owner.userId}`);
  if (owner.teamId) channels.push(`team:${owner.teamId}`);
  return channels;
}

export interface EventPublisher {
  publish(channels: Channel[], type: EventType, data: unknown): Promise<void>;
}

/** The EventHub Durable Object of a channel. */
export function hubFor(env: Bindings, channel: Channel) {
  return env.EVENT_HUB.get(env.EVENT_HUB.idFromName(channel));
}

/** Publishes to each channel's EventHub, which stores the event for replay and streams it to open clients. */
export function eventPublisher(env: Bindings): EventPublisher {
  return {
    async publish(channels, type, data) {
      await Promise.all(
        channels.map(async (channel) => {
          try {
            await hubFor(env, channel).publish({ type, data });
          } catch (err) {
            // Live events are best effort: the data is in D1 whatever happens to the stream.
            console.error(JSON.stringify({ level: "error", msg: "event publish failed", channel, type, error: String(err) }));
          }
        }),
      );
    },
  };
}

/** Which open streams to end: those opened with one credential, or by one user (all of a hub's without either). */
export interface StreamFilter {
  tokenId?: number;
  userId?: number;
}

/**
 * Ends the matching open streams on each channel's hub, at once: called after a credential is revoked or a
 * member removed (in D1 first), so the EventSource's reconnect is refused. Best effort, like publishing:
 * a stream the call misses still ends within MAX_STREAM_AGE_MS.
 */
export async function closeStreams(env: Bindings, channels: Channel[], filter: StreamFilter): Promise<void> {
  await Promise.all(
    channels.map(async (channel) => {
      try {
        await hubFor(env, channel).disconnect(filter);
      } catch (err) {
        console.error(JSON.stringify({ level: "error", msg: "closing streams failed", channel, error: String(err) }));
      }
    }),
  );
}
