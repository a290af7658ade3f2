// The playout's ring in shared memory (playout-ring.ts): every message the worker writes comes out
// of the worklet's end as it went in, in order, across the ring's end; a full ring says so and
// takes the message once the reader made room; a broken record empties the ring and says what was
// wrong. And the worker's link (playout-link.ts) writes into it, holding and retrying while full.
import { describe, expect, it } from 'vitest';
import { newPlayoutRing, PlayoutRingReader, PlayoutRingWriter, RING_BYTES } from '../../../../src/renderer/audio/playout-ring.ts';
import { PlayoutLink } from '../../../../src/renderer/audio/playout-link.ts';
import type { ToPlayout } from '../../../../src/renderer/audio/worklet-messages.ts';

const frames = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed + i) * 0.5));

function drain(reader: PlayoutRingReader): ToPlayout[] {
  const out: ToPlayout[] = [];
  reader.drain((m) => out.push(m));
  return out;
}

describe('PlayoutRing', () => {
  it('carries every message the playout takes, in order, field for field', () => {
    const shared = newPlayoutRing();
    const writer = new PlayoutRingWriter(shared);
    const reader = new PlayoutRingReader(shared);
    const messages: ToPlayout[] = [
      { type: 'start', rate: 48000 },
      { type: 'gain', gain: 0.123456789 },
      { type: 'min-latency', ms: 250 },
      { type: 'opus-stream', channels: 2, rate: 48000 },
      { type: 'opus', bytes: new Uint8Array([1, 2, 3, 4, 5, 6, 7]), lengths: [3, 4], times: [1000.5, 1010.5] },
      { type: 'data', frames: frames(960, 1), time: 4294967296 + 10 },
      { type: 'stop' },
    ];
    for (const m of messages) expect(writer.write(m)).toBe(true);
    expect(drain(reader)).toEqual(messages);
    expect(drain(reader)).toEqual([]);
  });

  it('wraps at the ring\'s end, says when it is full, and takes the message once the reader made room', () => {
    const shared = newPlayoutRing();
    const writer = new PlayoutRingWriter(shared);
    const reader = new PlayoutRingReader(shared);
    const packet = (i: number): ToPlayout => ({ type: 'data', frames: frames(1000, i), time: i });
    // 4024 bytes a record (header, time and count, 1000 samples): 260 fit, the 261st does not.
    let written = 0;
    while (writer.write(packet(written))) written++;
    expect(written).toBe(Math.floor(RING_BYTES / 4024));
    const some = drain(reader);
    expect(some.map((m) => (m as { time: number }).time)).toEqual(Array.from({ length: written }, (_, i) => i));
    // Round the ring a few times: records that would cross its end start again at its beginning.
    let next = written;
    for (let round = 0; round < 3 * written; round++) {
      expect(writer.write(packet(next))).toBe(true);
      const [m] = drain(reader);
      expect(m).toEqual(packet(next));
      next++;
    }
  });

  it('empties the ring at a broken record and says what was wrong', () => {
    const shared = newPlayoutRing();
    const writer = new PlayoutRingWriter(shared);
    const reader = new PlayoutRingReader(shared);
    writer.write({ type: 'start', rate: 48000 });
    writer.write({ type: 'stop' });
    // The first record's length says more than was written.
    new DataView(shared, 8).setUint32(0, 1 << 16, true);
    expect(() => drain(reader)).toThrow(/a playout ring record of 65536 bytes at 0 \(24 written\)/);
    expect(drain(reader)).toEqual([]);
    writer.write({ type: 'stop' });
    expect(drain(reader)).toEqual([{ type: 'stop' }]);
    expect(() => writer.write({ type: 'tap', on: true })).toThrow(/does not carry 'tap'/);
  });
});

describe('PlayoutLink with a ring', () => {
  it('writes into the ring instead of the port, holds while it is full, and tries again later in order', () => {
    const shared = newPlayoutRing();
    const reader = new PlayoutRingReader(shared);
    const posted: ToPlayout[] = [];
    const timers: (() => void)[] = [];
    const link = new PlayoutLink(() => {}, (run) => timers.push(run));
    link.setPort({ postMessage: (m) => posted.push(m), close: () => {} }, shared);
    link.setState({ gate: 'on', asleep: false });
    expect(link.shared).toBe(true);
    const big = (i: number): ToPlayout => ({ type: 'data', frames: frames(60_000, i), time: i });
    // 240 KiB a packet: four fill the ring; two more wait for room.
    for (let i = 0; i < 6; i++) link.post(big(i));
    expect(link.heldCount).toBe(2);
    expect(timers).toHaveLength(1);
    expect(drain(reader).map((m) => (m as { time: number }).time)).toEqual([0, 1, 2, 3]);
    link.post({ type: 'stop' });
    expect(link.heldCount).toBe(3);
    timers.shift()!();
    expect(link.heldCount).toBe(0);
    expect(drain(reader).map((m) => m.type)).toEqual(['data', 'data', 'stop']);
    expect(posted).toEqual([]);
  });
});
