// How much audio the page must hold so that late packets still arrive before they are due: the
// target level of the playout buffer, from the measured arrival jitter. Pure arithmetic (no DOM,
// no Web Audio), run inside the AudioWorklet and tested in Node.
//
// Each packet's lateness is its arrival time minus the time its first sample would have arrived
// had every packet come exactly on the sender's sample clock (the audio received before it). Only
// differences between latenesses matter: the spread between the earliest and the latest packet of
// the recent past is how much audio must wait in the buffer so that the latest one is not missed.
// The spread is kept per bucket of time, so a spike ages out of the window instead of keeping the
// latency high for ever, while a rise is followed at once.

export interface JitterOptions {
  /** The target before enough packets were measured (the brief's 60-100 ms start). */
  initialTargetMs: number;
  minTargetMs: number;
  maxTargetMs: number;
  /** Added to the measured spread: the render quantum, the page's timer slack. */
  marginMs: number;
  /** How long a measured spread is remembered. */
  windowMs: number;
  /** Packets to measure before the measurement replaces the initial target. */
  warmupPackets: number;
}

export const DEFAULT_JITTER_OPTIONS: JitterOptions = {
  initialTargetMs: 80,
  minTargetMs: 30,
  maxTargetMs: 300,
  marginMs: 15,
  windowMs: 10_000,
  warmupPackets: 100,
};

const BUCKETS = 10;

interface Bucket {
  start: number;
  min: number;
  max: number;
}

export class JitterEstimator {
  readonly options: JitterOptions;
  private buckets: Bucket[] = [];
  private packets = 0;

  constructor(options: Partial<JitterOptions> = {}) {
    this.options = { ...DEFAULT_JITTER_OPTIONS, ...options };
  }

  /**
   * A packet arrived at `arrivalMs` (the receiver's clock); `mediaMs` is the duration of the audio
   * received before it since the stream (re)started, by the sender's sample clock.
   */
  observe(arrivalMs: number, mediaMs: number): void {
    const lateness = arrivalMs - mediaMs;
    const width = this.options.windowMs / BUCKETS;
    let last = this.buckets[this.buckets.length - 1];
    if (!last || arrivalMs - last.start >= width) {
      last = { start: arrivalMs, min: lateness, max: lateness };
      this.buckets.push(last);
      while (this.buckets.length > 0 && arrivalMs - this.buckets[0].start > this.options.windowMs) this.buckets.shift();
    } else {
      last.min = Math.min(last.min, lateness);
      last.max = Math.max(last.max, lateness);
    }
    this.packets++;
  }

  /** The stream stopped (or a gap broke its timing): the next packets are measured afresh. */
  reset(): void {
    this.buckets = [];
    this.packets = 0;
  }

  /** Spread of the latenesses within the window, in ms (0 before two packets). */
  get spreadMs(): number {
    if (this.buckets.length === 0) return 0;
    let min = Infinity;
    let max = -Infinity;
    for (const b of this.buckets) {
      min = Math.min(min, b.min);
      max = Math.max(max, b.max);
    }
    return max - min;
  }

  /** The level the playout buffer should hold, in ms. */
  get targetMs(): number {
    const o = this.options;
    const measured = this.spreadMs + o.marginMs;
    // Before the warm-up, never below the initial target: the first packets say little yet.
    const wanted = this.packets < o.warmupPackets ? Math.max(o.initialTargetMs, measured) : measured;
    return Math.min(o.maxTargetMs, Math.max(o.minTargetMs, wanted));
  }
}
