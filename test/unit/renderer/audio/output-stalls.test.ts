import { describe, expect, it } from 'vitest';
import { OutputStallWatch } from '../../../../src/renderer/audio/output-stalls.ts';

const QUANTUM_MS = (128 / 48000) * 1000;

/** `batches` device callbacks of `batch` quanta each, every batch's duration of wall time: an output that keeps time. */
function renderSteadily(w: OutputStallWatch, from: { wall: number; context: number }, batches: number, batch = 4): { wall: number; context: number } {
  let { wall, context } = from;
  for (let b = 0; b < batches; b++) {
    for (let q = 0; q < batch; q++) {
      w.observe(wall, context, true);
      context += QUANTUM_MS;
    }
    wall += batch * QUANTUM_MS;
  }
  return { wall, context };
}

/** How far a steady output's offset moves within one callback of 4 quanta. */
const BATCH_JITTER = 4 * QUANTUM_MS;

describe('OutputStallWatch', () => {
  it('sees no loss in an output that keeps time, rendered in device-sized batches', () => {
    const w = new OutputStallWatch();
    renderSteadily(w, { wall: 1000, context: 0 }, 500);
    expect(w.stats.longestMs).toBeLessThan(BATCH_JITTER);
  });

  it('measures a stall the output never caught up, and adds the spells', () => {
    const w = new OutputStallWatch();
    let t = renderSteadily(w, { wall: 1000, context: 0 }, 100);
    // The render thread was not run for 150 ms of wall time.
    t = renderSteadily(w, { wall: t.wall + 150, context: t.context }, 100);
    expect(w.stats.longestMs).toBeGreaterThan(150);
    expect(w.stats.longestMs).toBeLessThan(150 + BATCH_JITTER);
    expect(w.stats.lostMs).toBe(w.stats.longestMs);
    // Buffering in between: the next spell has its own base; a 60 ms stall in it adds.
    w.observe(t.wall + 500, t.context, false);
    t = renderSteadily(w, { wall: t.wall + 1000, context: t.context }, 100);
    renderSteadily(w, { wall: t.wall + 60, context: t.context }, 100);
    expect(w.stats.lostMs).toBeGreaterThan(210);
    expect(w.stats.longestMs).toBeLessThan(150 + BATCH_JITTER);
  });

  it('counts nothing between playing spells (a suspended context keeps no time)', () => {
    const w = new OutputStallWatch();
    const t = renderSteadily(w, { wall: 0, context: 0 }, 100);
    for (let k = 0; k < 10; k++) w.observe(t.wall + k * 1000, t.context, false);
    renderSteadily(w, { wall: t.wall + 20_000, context: t.context }, 100);
    // Each spell's batches move its offset a little; the 20 s asleep count for nothing.
    expect(w.stats.lostMs).toBeLessThan(2 * BATCH_JITTER);
  });
});
