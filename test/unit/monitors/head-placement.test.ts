import { describe, expect, it } from 'vitest';
import { planHeadWindows, type ClientMonitor } from '../../../src/protocol/monitors/head-placement.ts';

// Two 1920x1080 monitors side by side, a task bar of 40 px at the bottom of each; a third above.
const left: ClientMonitor = { bounds: { x: 0, y: 0, width: 1920, height: 1080 }, workArea: { x: 0, y: 0, width: 1920, height: 1040 } };
const right: ClientMonitor = { bounds: { x: 1920, y: 0, width: 1920, height: 1080 }, workArea: { x: 1920, y: 0, width: 1920, height: 1040 } };
const top: ClientMonitor = { bounds: { x: 0, y: -1200, width: 1600, height: 1200 }, workArea: { x: 0, y: -1200, width: 1600, height: 1200 } };

describe('planHeadWindows', () => {
  it('puts each head fullscreen on the monitor the mapping names', () => {
    const plan = planHeadWindows({ mapping: [1, 0], monitors: [left, right], heads: [0, 1], fullscreen: true });
    expect(plan).toEqual({
      windows: [
        { head: 0, monitor: 1, bounds: { x: 1920, y: 0, width: 1920, height: 1080 }, fullscreen: true },
        { head: 1, monitor: 0, bounds: { x: 0, y: 0, width: 1920, height: 1080 }, fullscreen: true },
      ],
      leftOut: [],
    });
  });

  it('centres windowed heads at their size in the work area, never larger than it', () => {
    const plan = planHeadWindows({ mapping: [2, 0], monitors: [left, right, top], heads: [1, 0], sizes: [{ width: 800, height: 600 }, { width: 4000, height: 600 }], fullscreen: false });
    expect(plan.windows).toEqual([
      { head: 0, monitor: 2, bounds: { x: 400, y: -900, width: 800, height: 600 }, fullscreen: false },
      { head: 1, monitor: 0, bounds: { x: 0, y: 220, width: 1920, height: 600 }, fullscreen: false },
    ]);
  });

  it('without a mapping, one head per monitor in order; an unmapped head takes a free monitor', () => {
    expect(planHeadWindows({ mapping: null, monitors: [left, right], heads: [0, 1], fullscreen: true }).windows.map((w) => w.monitor)).toEqual([0, 1]);
    // Head 2 is not in the mapping: the monitor no mapped head uses.
    expect(planHeadWindows({ mapping: [1, 2], monitors: [left, right, top], heads: [0, 1, 2], fullscreen: true }).windows.map((w) => [w.head, w.monitor])).toEqual([[0, 1], [1, 2], [2, 0]]);
  });

  it('leaves heads without a monitor out in fullscreen, and stacks them on head 1 windowed', () => {
    const full = planHeadWindows({ mapping: null, monitors: [left], heads: [0, 1], fullscreen: true });
    expect(full.windows.map((w) => w.head)).toEqual([0]);
    expect(full.leftOut).toEqual([1]);
    const windowed = planHeadWindows({ mapping: null, monitors: [left], heads: [0, 1], fullscreen: false });
    expect(windowed.windows.map((w) => [w.head, w.monitor])).toEqual([[0, 0], [1, 0]]);
    expect(windowed.leftOut).toEqual([]);
  });

  it('sets aside a mapping naming a monitor the client lacks, and says so', () => {
    const plan = planHeadWindows({ mapping: [1, 0], monitors: [left], heads: [0], fullscreen: true });
    expect(plan.windows).toEqual([{ head: 0, monitor: 0, bounds: left.bounds, fullscreen: true }]);
    expect(plan.problem).toMatch(/names client monitor 2, but this client has 1/);
  });

  it('places nothing without monitors', () => {
    expect(planHeadWindows({ mapping: null, monitors: [], heads: [0, 1], fullscreen: false })).toEqual({ windows: [], leftOut: [0, 1], problem: 'the client reports no monitors' });
  });
});
