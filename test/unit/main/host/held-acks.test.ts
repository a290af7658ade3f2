import { describe, expect, it } from 'vitest';
import type { SpiceChannel } from '../../../../src/protocol/channel/channel.ts';
import { HeldAcks } from '../../../../src/main/host/held-acks.ts';

function fakeChannel(type: number): SpiceChannel {
  return { type, ackGate: null } as unknown as SpiceChannel;
}

describe('HeldAcks', () => {
  it("holds a display channel's ACKs until release, asks for a flush for each, and sends each once in order", () => {
    let flushes = 0;
    const acks = new HeldAcks(() => flushes++);
    const display = fakeChannel(2);
    acks.attach(display);
    expect(display.ackGate).not.toBeNull();
    const sent: string[] = [];
    display.ackGate?.(() => sent.push('first'));
    display.ackGate?.(() => sent.push('second'));
    expect(sent).toEqual([]);
    expect(flushes).toBe(2);
    acks.release();
    expect(sent).toEqual(['first', 'second']);
    acks.release();
    expect(sent).toEqual(['first', 'second']);
  });

  it('leaves the other channels acknowledging at once', () => {
    const acks = new HeldAcks(() => {});
    for (const type of [1, 3, 4, 5, 6, 9]) {
      const channel = fakeChannel(type);
      acks.attach(channel);
      expect(channel.ackGate, `channel type ${type}`).toBeNull();
    }
  });
});
