import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MIN_PACKET_INTERVAL_MS, PacketPacer } from '../../../../src/main/host/packet-pacing.ts';

/** A pacer whose flush records when it ran (fake performance time) and counts as a packet sent. */
function recordingPacer(): { pacer: PacketPacer; flushedAt: number[] } {
  const flushedAt: number[] = [];
  const pacer = new PacketPacer(() => {
    flushedAt.push(performance.now());
    pacer.sent();
  });
  return { pacer, flushedAt };
}

describe('PacketPacer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setImmediate', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends the first packet after a quiet spell at the end of the turn', () => {
    const { pacer, flushedAt: flushes } = recordingPacer();
    pacer.schedule();
    pacer.schedule(); // one flush for everything queued in the turn
    expect(flushes).toEqual([]);
    vi.advanceTimersToNextTimer();
    expect(flushes).toHaveLength(1);
  });

  it('spaces the packets of a burst at least the interval apart', () => {
    const { pacer, flushedAt: flushes } = recordingPacer();
    const start = performance.now();
    // Something is queued every millisecond for five intervals.
    for (let t = 0; t < 5 * MIN_PACKET_INTERVAL_MS; t++) {
      pacer.schedule();
      vi.advanceTimersByTime(1);
    }
    vi.advanceTimersByTime(MIN_PACKET_INTERVAL_MS);
    expect(flushes.length).toBeGreaterThanOrEqual(5);
    expect(flushes.length).toBeLessThanOrEqual(7);
    for (let i = 1; i < flushes.length; i++) expect(flushes[i] - flushes[i - 1]).toBeGreaterThanOrEqual(MIN_PACKET_INTERVAL_MS);
    // Nothing waits longer than the interval either.
    expect(flushes[0] - start).toBeLessThan(1);
  });

  it('counts a packet sent outside its schedule (a full one) for the spacing', () => {
    let flushes = 0;
    const pacer = new PacketPacer(() => {
      flushes++;
    });
    pacer.sent();
    pacer.schedule();
    vi.advanceTimersByTime(MIN_PACKET_INTERVAL_MS - 1);
    expect(flushes).toBe(0);
    vi.advanceTimersByTime(1);
    expect(flushes).toBe(1);
  });
});

describe('PacketPacer, a held packet', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setImmediate', 'clearTimeout', 'clearImmediate', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits the hold when asked (a lone sound packet waiting for the next)', () => {
    let flushes = 0;
    const pacer = new PacketPacer(() => {
      flushes++;
      pacer.sent();
    });
    pacer.schedule(15);
    vi.advanceTimersByTime(14);
    expect(flushes).toBe(0);
    vi.advanceTimersByTime(1);
    expect(flushes).toBe(1);
  });

  it('brings a held send forward when something else is queued, and sends once', () => {
    let flushes = 0;
    const pacer = new PacketPacer(() => {
      flushes++;
      pacer.sent();
    });
    pacer.schedule(15);
    vi.advanceTimersByTime(3);
    pacer.schedule();
    // A later hold does not push it back.
    pacer.schedule(15);
    vi.advanceTimersToNextTimer();
    expect(flushes).toBe(1);
    expect(performance.now()).toBeLessThan(4);
    vi.advanceTimersByTime(30);
    expect(flushes).toBe(1);
  });

  it('sends a completed pair in the same call, and a lone packet after it on its own hold', () => {
    const { pacer, flushedAt } = recordingPacer();
    pacer.schedule(15);
    vi.advanceTimersByTime(10);
    pacer.sendNow();
    expect(flushedAt).toEqual([10]);
    // The first hold's timer was left armed (for 15); the next packet's hold is due at 35.
    vi.advanceTimersByTime(10);
    pacer.schedule(15);
    vi.advanceTimersByTime(14);
    expect(flushedAt).toEqual([10]);
    vi.advanceTimersByTime(1);
    expect(flushedAt).toEqual([10, 35]);
    vi.advanceTimersByTime(100);
    expect(flushedAt).toEqual([10, 35]);
  });

  it('keeps the interval between packets when a pair completes too soon after the last', () => {
    const { pacer, flushedAt } = recordingPacer();
    pacer.sendNow();
    vi.advanceTimersByTime(2);
    pacer.schedule(15);
    pacer.sendNow();
    expect(flushedAt).toEqual([0]);
    vi.advanceTimersByTime(MIN_PACKET_INTERVAL_MS);
    expect(flushedAt).toEqual([0, MIN_PACKET_INTERVAL_MS]);
  });

  it('arms no timer of its own for a hold while one due earlier is armed, and re-arms that one when it fires', () => {
    const { pacer, flushedAt } = recordingPacer();
    pacer.schedule(15);
    vi.advanceTimersByTime(10);
    pacer.sendNow();
    vi.advanceTimersByTime(2);
    pacer.schedule(15); // due at 27; the first hold's timer (15) is still armed
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(14);
    expect(flushedAt).toEqual([10]);
    vi.advanceTimersByTime(1);
    expect(flushedAt).toEqual([10, 27]);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("PacketPacer at the end of the task ('task')", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setImmediate', 'clearTimeout', 'clearImmediate', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function taskPacer(): { pacer: PacketPacer; flushedAt: number[] } {
    const flushedAt: number[] = [];
    const pacer = new PacketPacer(
      () => {
        flushedAt.push(performance.now());
        pacer.sent();
      },
      MIN_PACKET_INTERVAL_MS,
      undefined,
      'task',
    );
    return { pacer, flushedAt };
  }

  it('sends everything queued in the task once, when the task ends, with no timer or immediate', async () => {
    const { pacer, flushedAt } = taskPacer();
    pacer.schedule();
    pacer.schedule();
    expect(flushedAt).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    await Promise.resolve();
    expect(flushedAt).toEqual([0]);
    await Promise.resolve();
    expect(flushedAt).toEqual([0]);
  });

  it('still paces a burst: a packet within the interval waits for its timer', async () => {
    const { pacer, flushedAt } = taskPacer();
    pacer.schedule();
    await Promise.resolve();
    vi.advanceTimersByTime(3);
    pacer.schedule();
    await Promise.resolve();
    expect(flushedAt).toEqual([0]);
    vi.advanceTimersByTime(MIN_PACKET_INTERVAL_MS - 3);
    expect(flushedAt).toEqual([0, MIN_PACKET_INTERVAL_MS]);
  });

  it('sends nothing more at the end of the task when the packet already left (sendNow)', async () => {
    const { pacer, flushedAt } = taskPacer();
    pacer.schedule();
    pacer.sendNow();
    expect(flushedAt).toEqual([0]);
    await Promise.resolve();
    expect(flushedAt).toEqual([0]);
  });
});
