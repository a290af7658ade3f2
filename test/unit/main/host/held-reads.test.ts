import { describe, expect, it } from 'vitest';
import type { SpiceChannel } from '../../../../src/protocol/channel/channel.ts';
import { HOLD_READS_BELOW_BYTES, HeldReads } from '../../../../src/main/host/held-reads.ts';

interface FakeChannel {
  type: number;
  state: string;
  calls: boolean[];
  canHold: boolean;
  holdReads(held: boolean): boolean;
}

function fakeChannel(type: number, canHold = true): FakeChannel {
  const ch: FakeChannel = {
    type,
    state: 'ready',
    calls: [],
    canHold,
    holdReads(held: boolean): boolean {
      ch.calls.push(held);
      return held && ch.canHold;
    },
  };
  return ch;
}

const asChannel = (c: FakeChannel): SpiceChannel => c as unknown as SpiceChannel;

describe('HeldReads', () => {
  it("holds every display channel's reads and releases each once, saying whether any was held", () => {
    const reads = new HeldReads(() => 0);
    const a = fakeChannel(2);
    const b = fakeChannel(2);
    reads.attach(asChannel(a));
    reads.attach(asChannel(b));
    reads.hold();
    reads.hold(); // already held: not asked again
    expect(a.calls).toEqual([true]);
    expect(b.calls).toEqual([true]);
    expect(reads.release()).toBe(true);
    expect(a.calls).toEqual([true, false]);
    expect(b.calls).toEqual([true, false]);
    expect(reads.release()).toBe(false);
    expect(a.calls).toEqual([true, false]);
  });

  it('leaves the other channels reading, and has nothing to release when no display channel could hold', () => {
    const reads = new HeldReads(() => 0);
    const others = [1, 3, 4, 5, 6, 9].map((type) => fakeChannel(type));
    for (const c of others) reads.attach(asChannel(c));
    const cannot = fakeChannel(2, false);
    reads.attach(asChannel(cannot));
    reads.hold();
    for (const c of others) expect(c.calls, `channel type ${c.type}`).toEqual([]);
    expect(reads.release()).toBe(false);
  });

  it('forgets a channel once it closed', () => {
    const reads = new HeldReads(() => 0);
    const ch = fakeChannel(2);
    reads.attach(asChannel(ch));
    ch.state = 'closed';
    reads.hold();
    ch.state = 'ready';
    reads.hold();
    expect(ch.calls).toEqual([]);
  });

  it('holds nothing while a large packet is being gathered (a burst is coming in)', () => {
    let gathered = HOLD_READS_BELOW_BYTES;
    const reads = new HeldReads(() => gathered);
    const ch = fakeChannel(2);
    reads.attach(asChannel(ch));
    reads.hold();
    expect(ch.calls).toEqual([]);
    expect(reads.release()).toBe(false);
    gathered = HOLD_READS_BELOW_BYTES - 1;
    reads.hold();
    expect(ch.calls).toEqual([true]);
    // The rest of the read that armed the hold makes the packet large: the reads flow again.
    reads.packetGrew();
    expect(ch.calls).toEqual([true]);
    gathered = HOLD_READS_BELOW_BYTES;
    reads.packetGrew();
    expect(ch.calls).toEqual([true, false]);
    expect(reads.release()).toBe(false);
  });
});
