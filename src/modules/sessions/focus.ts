/**
 * Focus stretches: pure arithmetic over a session's timeline (epoch ms), reused by sessions and reports.
 * Boundaries are the start, every switch, every pause and resume, and the end; a stretch is the unpaused
 * time between two consecutive boundaries. A deep-work block is a stretch of at least DEEP_WORK_MINUTES.
 */
export const DEEP_WORK_MINUTES = 60;
const MINUTE = 60_000;

export interface Pause {
  from: number;
  /** null while the session is still paused: paused until the end. */
  to: number | null;
}

export interface Timeline {
  start: number;
  end: number;
  switches: number[];
  pauses: Pause[];
}

export interface Stretch {
  start: number;
  end: number;
  minutes: number;
}

export interface FocusSummary {
  stretches: Stretch[];
  /** floor((end − start − paused) / 1 min) */
  focusMinutes: number;
  pausedMs: number;
  deepWorkBlocks: number;
  longestStretchMinutes: number;
}

/** Pause intervals clipped to [start, end], sorted and merged. */
function pausedIntervals(t: Timeline): [number, number][] {
  const clipped = t.pauses
    .map(({ from, to }): [number, number] => [Math.max(from, t.start), Math.min(to ?? t.end, t.end)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const iv of clipped) {
    const last = merged[merged.length - 1];
    if (last && iv[0] <= last[1]) last[1] = Math.max(last[1], iv[1]);
    else merged.push([...iv]);
  }
  return merged;
}

export function focusSummary(t: Timeline): FocusSummary {
  const end = Math.max(t.end, t.start);
  const paused = pausedIntervals({ ...t, end });
  const pausedMs = paused.reduce((sum, [a, b]) => sum + (b - a), 0);

  const boundaries = new Set<number>([t.start, end]);
  for (const s of t.switches) if (s > t.start && s < end) boundaries.add(s);
  for (const [a, b] of paused) {
    boundaries.add(a);
    boundaries.add(b);
  }
  const sorted = [...boundaries].sort((a, b) => a - b);
  const isPaused = (at: number) => paused.some(([a, b]) => at >= a && at < b);

  const stretches: Stretch[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const a = sorted[i]!;
    const b = sorted[i + 1]!;
    if (b > a && !isPaused(a)) stretches.push({ start: a, end: b, minutes: (b - a) / MINUTE });
  }
  const longest = stretches.reduce((m, s) => Math.max(m, s.minutes), 0);
  return {
    stretches,
    focusMinutes: Math.floor((end - t.start - pausedMs) / MINUTE),
    pausedMs,
    deepWorkBlocks: stretches.filter((s) => s.minutes >= DEEP_WORK_MINUTES).length,
    longestStretchMinutes: Math.floor(longest),
  };
}
