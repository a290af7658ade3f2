import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SOUND_HOLD_MS } from '../../../../src/main/host/bridge-host.ts';
import { MIN_PACKET_INTERVAL_MS, PacketPacer, type ReadHold } from '../../../../src/main/host/packet-pacing.ts';

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

  it("wakes the gateway once per sound hold at most while pairs come every 20 ms, and still sends a stream's lone last packet", () => {
    const { pacer, flushedAt } = recordingPacer();
    const timers = vi.spyOn(globalThis, 'setTimeout');
    for (let t = 0; t < 1000; t += 20) {
      pacer.schedule(SOUND_HOLD_MS);
      vi.advanceTimersByTime(10);
      pacer.sendNow();
      vi.advanceTimersByTime(10);
    }
    expect(flushedAt).toHaveLength(50);
    // A timer a pair (15 ms holds) was 50 wake-ups a second.
    expect(timers.mock.calls.length).toBeLessThan(50 / 2);
    expect(timers.mock.calls.length).toBeLessThanOrEqual(Math.ceil(1000 / SOUND_HOLD_MS) + 1);
    pacer.schedule(SOUND_HOLD_MS);
    vi.advanceTimersByTime(SOUND_HOLD_MS);
    expect(flushedAt).toHaveLength(51);
    expect(flushedAt[50]! - 1000).toBeLessThanOrEqual(SOUND_HOLD_MS);
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

describe('PacketPacer holding reads while it waits out its interval', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setImmediate', 'clearTimeout', 'clearImmediate', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** `clock.skew` moves the pacer's time on without running any timer (a timer that fires late). */
  function holdingPacer(canHold = true): { pacer: PacketPacer; flushedAt: number[]; reads: ReadHold & { log: string[] }; clock: { skew: number } } {
    const flushedAt: number[] = [];
    const clock = { skew: 0 };
    let held = false;
    const reads = {
      log: [] as string[],
      hold(): void {
        reads.log.push('hold');
        held = canHold;
      },
      release(): boolean {
        reads.log.push('release');
        const was = held;
        held = false;
        return was;
      },
    };
    const pacer = new PacketPacer(
      () => {
        flushedAt.push(performance.now());
        reads.log.push('flush');
        pacer.sent();
      },
      MIN_PACKET_INTERVAL_MS,
      () => performance.now() + clock.skew,
      'task',
      reads,
    );
    return { pacer, flushedAt, reads, clock };
  }

  it('holds no reads for the first packet after a quiet spell', async () => {
    const { pacer, reads } = holdingPacer();
    pacer.schedule();
    await Promise.resolve();
    expect(reads.log).toEqual(['flush']);
  });

  it('holds them while a packet waits, and sends it only after the turn that lets them flow again', async () => {
    const { pacer, flushedAt, reads } = holdingPacer();
    pacer.schedule();
    await Promise.resolve();
    vi.advanceTimersByTime(3);
    pacer.schedule();
    expect(reads.log).toEqual(['flush', 'hold']);
    // The interval's timer lets the reads flow; the packet waits for what they bring (an immediate).
    vi.advanceTimersByTime(MIN_PACKET_INTERVAL_MS - 3);
    expect(reads.log).toEqual(['flush', 'hold', 'release']);
    expect(flushedAt).toEqual([0]);
    pacer.schedule(); // what the reads brought joins the same packet
    vi.runOnlyPendingTimers();
    await Promise.resolve();
    expect(reads.log).toEqual(['flush', 'hold', 'release', 'flush']);
    expect(flushedAt).toHaveLength(2);
    // The immediate runs in the same turn (the fake clock counts it as a millisecond).
    expect(flushedAt[1] - MIN_PACKET_INTERVAL_MS).toBeLessThanOrEqual(1);
  });

  it('sends at the timer as before when nothing could be held', async () => {
    const { pacer, flushedAt } = holdingPacer(false);
    pacer.schedule();
    await Promise.resolve();
    pacer.schedule();
    vi.advanceTimersByTime(MIN_PACKET_INTERVAL_MS);
    expect(flushedAt).toEqual([0, MIN_PACKET_INTERVAL_MS]);
  });

  it('lets the reads flow when the wait is cut short (a pair of sound packets complete as the interval ends)', async () => {
    const { pacer, reads, clock } = holdingPacer();
    pacer.schedule();
    await Promise.resolve();
    pacer.schedule();
    expect(reads.log).toEqual(['flush', 'hold']);
    // The interval is over but its timer has not run yet: a completed pair leaves at once.
    clock.skew = MIN_PACKET_INTERVAL_MS;
    pacer.sendNow();
    expect(reads.log).toEqual(['flush', 'hold', 'release', 'flush']);
    vi.runOnlyPendingTimers();
    expect(reads.log).toEqual(['flush', 'hold', 'release', 'flush']);
  });
});
