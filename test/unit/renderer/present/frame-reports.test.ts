import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FRAME_REPORT_MS, FrameReports } from '../../../../src/renderer/present/frame-reports.ts';

describe('FrameReports', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const reports = () => {
    const sent: [number, number][] = [];
    const r = new FrameReports((count, pixels) => sent.push([count, pixels]), FRAME_REPORT_MS, () => Date.now());
    return { r, sent };
  };

  it('sends the first frame at once, then sums the frames of each interval into one report', () => {
    const { r, sent } = reports();
    r.add(1, 100);
    expect(sent).toEqual([[1, 100]]);
    // 60 frames a second for a second: one report per interval, every frame counted.
    for (let i = 0; i < 60; i++) {
      vi.advanceTimersByTime(1000 / 60);
      r.add(1, 10);
    }
    vi.advanceTimersByTime(FRAME_REPORT_MS);
    expect(sent.length).toBeGreaterThanOrEqual(10);
    expect(sent.length).toBeLessThanOrEqual(12);
    expect(sent.reduce((a, [c]) => a + c, 0)).toBe(61);
    expect(sent.reduce((a, [, p]) => a + p, 0)).toBe(100 + 600);
  });

  it('flush() sends what is pending before another message, and nothing twice', () => {
    const { r, sent } = reports();
    r.add(1, 5);
    r.add(1, 7);
    expect(sent).toEqual([[1, 5]]);
    r.flush();
    expect(sent).toEqual([
      [1, 5],
      [1, 7],
    ]);
    vi.advanceTimersByTime(10 * FRAME_REPORT_MS);
    r.flush();
    expect(sent).toHaveLength(2);
  });
});
