// The session's multimedia clock (mm time, in ms): the server sets it with MAIN_INIT and
// MULTI_MEDIA_TIME; between two settings it runs with the local monotonic clock. Video frames carry
// the mm time they are meant for; their margin against this clock is what STREAM_REPORT tells the
// server, so that it adapts its frame rate and quality.

/** A clock in milliseconds (Date.now: src/protocol has no platform timers); injectable for tests. */
export type MonotonicMs = () => number;

const defaultMonotonic: MonotonicMs = Date.now;

export class MediaClock {
  private offset: number | null = null;
  private readonly monotonic: MonotonicMs;
  private readonly listeners = new Set<(mmTime: number) => void>();

  constructor(monotonic: MonotonicMs = defaultMonotonic) {
    this.monotonic = monotonic;
  }

  /** The server says the mm time is `mmTime` now. */
  set(mmTime: number): void {
    this.offset = this.monotonic() - mmTime;
    for (const l of this.listeners) l(mmTime);
  }

  /** Calls `listener` with the mm time at every setting (the display sink times video frames by it); returns the unsubscribe function. */
  onSet(listener: (mmTime: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The mm time now (u32 wrap-around kept), or null before the server has set it. */
  now(): number | null {
    if (this.offset === null) return null;
    return Math.floor(this.monotonic() - this.offset) >>> 0;
  }
}
