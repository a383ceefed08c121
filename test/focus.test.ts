import { describe, expect, it } from "vitest";
import { focusSummary } from "../src/modules/sessions/focus";

const T0 = Date.parse("2026-01-30T09:00:00.000Z");
const m = (minutes: number) => T0 + minutes * 60_000;

describe("sessions: focusSummary (pure)", () => {
  it("one uninterrupted session is one stretch", () => {
    const f = focusSummary({ start: m(0), end: m(90), switches: [], pauses: [] });
    expect(f.stretches).toHaveLength(1);
    expect(f).toMatchObject({ focusMinutes: 90, deepWorkBlocks: 1, longestStretchMinutes: 90 });
  });

  it("switches split stretches; a 60-minute stretch counts as deep work, 59 does not", () => {
    const f = focusSummary({ start: m(0), end: m(180), switches: [m(59), m(119)], pauses: [] });
    expect(f.stretches.map((s) => s.minutes)).toEqual([59, 60, 61]);
    expect(f.deepWorkBlocks).toBe(2);
    expect(f.longestStretchMinutes).toBe(61);
  });

  it("paused time is excluded from focus and splits stretches", () => {
    const f = focusSummary({ start: m(0), end: m(150), switches: [], pauses: [{ from: m(50), to: m(80) }] });
    expect(f.focusMinutes).toBe(120);
    expect(f.stretches.map((s) => s.minutes)).toEqual([50, 70]);
    expect(f.deepWorkBlocks).toBe(1);
  });

  it("a switch and a pause at the same instant make one boundary, not an empty stretch", () => {
    const f = focusSummary({ start: m(0), end: m(100), switches: [m(40), m(40)], pauses: [{ from: m(40), to: m(60) }] });
    expect(f.stretches.map((s) => s.minutes)).toEqual([40, 40]);
    expect(f.focusMinutes).toBe(80);
  });

  it("a pause still open runs to the end; overlapping pauses are merged", () => {
    const f = focusSummary({
      start: m(0),
      end: m(120),
      switches: [m(70)],
      pauses: [{ from: m(10), to: m(30) }, { from: m(20), to: m(40) }, { from: m(100), to: null }],
    });
    expect(f.pausedMs).toBe(50 * 60_000);
    expect(f.focusMinutes).toBe(70);
    expect(f.stretches.map((s) => s.minutes)).toEqual([10, 30, 30]);
  });

  it("switches outside the session and a zero-length session add nothing", () => {
    const f = focusSummary({ start: m(10), end: m(10), switches: [m(0), m(20)], pauses: [] });
    expect(f).toMatchObject({ stretches: [], focusMinutes: 0, deepWorkBlocks: 0, longestStretchMinutes: 0 });
  });

  it("focus minutes are floored", () => {
    const f = focusSummary({ start: m(0), end: m(0) + 119_999, switches: [], pauses: [] });
    expect(f.focusMinutes).toBe(1);
  });
});
