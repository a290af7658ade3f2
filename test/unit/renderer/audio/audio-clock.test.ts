import { describe, expect, it } from 'vitest';
import { AudioClockFollower, audibleTime } from '../../../../src/renderer/audio/audio-clock.ts';

describe('AudioClockFollower', () => {
  it('sets the display clock first, then only when it drifts from the sound, and the host about once a second', () => {
    const f = new AudioClockFollower({ toleranceMs: 15, hostIntervalMs: 1000 });
    expect(f.update(5000, 0)).toEqual({ setDisplay: true, sendHost: true });
    // Sound and page clock in step: nothing to set; the host hears again after a second.
    expect(f.update(5050, 50)).toEqual({ setDisplay: false, sendHost: false });
    expect(f.update(6000, 1000)).toEqual({ setDisplay: false, sendHost: true });
    // 10 ms off: within tolerance. 20 ms: set again (and tell the host).
    expect(f.update(6110, 1100)).toEqual({ setDisplay: false, sendHost: false });
    expect(f.update(6180, 1200)).toEqual({ setDisplay: true, sendHost: true });
    f.reset();
    expect(f.update(100, 1300).setDisplay).toBe(true);
  });

  it('by default keeps the display clock within 5 ms of a sound that drifts 2 ms a second from the page\'s clock', () => {
    const f = new AudioClockFollower();
    let display = 0;
    let worst = 0;
    let sets = 0;
    for (let now = 0; now <= 60_000; now += 50) {
      const audible = 10_000 + now * 1.002;
      if (f.update(audible, now).setDisplay) {
        display = audible - now;
        sets++;
      }
      worst = Math.max(worst, Math.abs(audible - (display + now)));
    }
    // 120 ms of drift in a minute, taken off in steps of a little over 5 ms.
    expect(worst).toBeLessThanOrEqual(5.1);
    expect(sets).toBeGreaterThanOrEqual(20);
    expect(sets).toBeLessThanOrEqual(25);
  });

  it('tells the host at once only of a drift over 15 ms; a smaller one waits for the next second', () => {
    const f = new AudioClockFollower();
    expect(f.update(5000, 0)).toEqual({ setDisplay: true, sendHost: true });
    expect(f.update(5108, 100)).toEqual({ setDisplay: true, sendHost: false });
    expect(f.update(5228, 200)).toEqual({ setDisplay: true, sendHost: true });
    expect(f.update(6228, 1200)).toEqual({ setDisplay: false, sendHost: true });
  });

  it('computes what is heard now from the rendered frame, the time since and the output latency', () => {
    expect(audibleTime(1000, 2.0, 2.05, 30)).toBeCloseTo(1020, 9);
  });
});
