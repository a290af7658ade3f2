// The session's mm clock: unset until the server sets it, then running with the local clock, reset
// by each MULTI_MEDIA_TIME, and wrapping as a u32.
import { describe, expect, it } from 'vitest';
import { MediaClock } from '../../../../src/protocol/channels/main/media-clock.ts';

describe('media clock', () => {
  it('runs from the last time the server set, and wraps at 2^32', () => {
    let now = 10_000;
    const clock = new MediaClock(() => now);
    expect(clock.now()).toBeNull();
    clock.set(5000);
    now += 40;
    expect(clock.now()).toBe(5040);
    clock.set(0xffffffff - 10);
    now += 20;
    expect(clock.now()).toBe(9);
  });
});
