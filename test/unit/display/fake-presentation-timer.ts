// A PresentationTimer for the video scheduling tests: time moves only when told, and the timers due
// by then run in due order, each followed by a few turns of the microtask queue so that what it
// started (a decode, a picture being shown) settles before the next.
import type { PresentationTimer } from '../../../src/protocol/display/presentation-clock.ts';

export function fakeTimer() {
  let now = 0;
  let seq = 0;
  /** Timers that ran: each one a wake-up of the thread in a browser. */
  let fired = 0;
  const timers = new Map<number, { at: number; run: () => void }>();
  const timer: PresentationTimer = {
    now: () => now,
    after(ms, run) {
      const id = seq++;
      timers.set(id, { at: now + ms, run });
      return () => timers.delete(id);
    },
  };
  const settle = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  const advance = async (ms: number) => {
    const end = now + ms;
    for (;;) {
      const next = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!next) break;
      timers.delete(next[0]);
      fired++;
      now = Math.max(now, next[1].at);
      next[1].run();
      await settle();
    }
    now = end;
    await settle();
  };
  return { timer, advance, pending: () => timers.size, fired: () => fired };
}
