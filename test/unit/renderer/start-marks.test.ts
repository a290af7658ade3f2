import { describe, expect, it } from 'vitest';
import { startMark, workerStartMark } from '../../../src/renderer/start-marks.ts';

const marks = (name: string): PerformanceEntry[] => performance.getEntriesByName(`spicedesk:${name}`, 'mark');

describe("the first-frame steps' marks", () => {
  it('sets each mark once, at its first step', () => {
    startMark('unit-step');
    startMark('unit-step');
    expect(marks('unit-step')).toHaveLength(1);
  });

  it("puts a forwarded worker mark at the worker's time on this timeline", () => {
    const epochMs = performance.timeOrigin + performance.now() - 5;
    workerStartMark('unit-draw', epochMs);
    const [mark] = marks('worker-unit-draw');
    expect(mark?.startTime).toBeCloseTo(epochMs - performance.timeOrigin, 3);
  });

  it('drops a forwarded mark that is not a short word with a finite time', () => {
    workerStartMark('Bad Name!', performance.timeOrigin);
    workerStartMark('x'.repeat(41), performance.timeOrigin);
    workerStartMark('no-time', Number.NaN);
    workerStartMark({ name: 'object' }, performance.timeOrigin);
    expect(marks('worker-Bad Name!')).toHaveLength(0);
    expect(marks(`worker-${'x'.repeat(41)}`)).toHaveLength(0);
    expect(marks('worker-no-time')).toHaveLength(0);
  });
});
