// How much audio the page must hold so that late packets still arrive before they are due: the
// target level of the playout buffer, from the measured arrival jitter. Pure arithmetic (no DOM,
// no Web Audio), run inside the AudioWorklet and tested in Node.
//
// Each packet's lateness is its arrival time minus the time its first sample would have arrived
// had every packet come exactly on the sender's sample clock (the audio received before it). Only
// differences between latenesses matter: how much later than the earliest packet of the recent
// past a packet may come is how much audio must wait in the buffer so that it is not missed.
//
// The target follows a high percentile of that spread over a sliding window, not its maximum: a
// single packet held up once (a GC pause, a busy core) would otherwise keep the latency high for
// the whole window, and when it aged out the target fell at once, leaving the buffer far over it
// (the audio bench's drift run skipped audio 104 times in 10 minutes under load). The held target
// rises at once with the percentile and falls slowly, no faster than the playout's resampling
// (0.2 %: 2 ms a second) can drain the buffer after it, so a fall is followed without a skip.
//
// The warm-up's packets are not kept: a stream's first packets arrive in a burst whenever the
// output was not yet taking them (the worklet's module loading, a context resumed from idle or
// waiting for the user's gesture: its clock stands still meanwhile), and such a burst looks like a
// stall of its whole length. Kept in the window it raised the held target to its ceiling (300 ms)
// at every stream start, from where it took minutes to fall (the audio bench's playout target
// stood at 292 ms). So the measurement starts again once the warm-up is over: at least
// `warmupPackets` packets, and `warmupMs` of the receiver's time since the first one (a burst
// spans none of it).
//
// A stall of a few packets is below the percentile by design, so the target never covered it,
// and the next stall of that length ran the buffer dry again: on a quiet machine the drift run saw
// an underrun every 30-60 s at a 45 ms target (bench/README.md, audio). So when the playout runs
// dry, the packet that ends it is covered (`coverLatest`): the held spread rises to its lateness,
// and stays there for `underrunHoldMs` before it falls as any rise does. As a jitter buffer
// remembers the peaks that hurt it, not the ones the percentile counts.

export interface JitterOptions {
  /** The target before enough packets were measured (the brief's 60-100 ms start). */
  initialTargetMs: number;
  /** The floor: never less audio buffered than this. */
  minTargetMs: number;
  maxTargetMs: number;
  /** Added to the measured spread: the render quantum, the page's timer slack. */
  marginMs: number;
  /** How long a packet's lateness is remembered. */
  windowMs: number;
  /** Packets to measure before the measurement replaces the initial target (and is started afresh). */
  warmupPackets: number;
  /** The receiver's time the warm-up lasts at least, from the first packet's arrival. */
  warmupMs: number;
  /** The share of the window's packets the target covers (0.99: all but the latest 1 %). */
  percentile: number;
  /** How fast the held target may fall once the jitter calmed down, in ms per second. */
  fallMsPerSecond: number;
  /** The percentile is taken again every this many packets (a sort of the window). */
  recomputeEvery: number;
  /** How long the spread that covers a packet which ended an underrun is held before it may fall, ms. */
  underrunHoldMs: number;
}

export const DEFAULT_JITTER_OPTIONS: JitterOptions = {
  initialTargetMs: 80,
  minTargetMs: 30,
  maxTargetMs: 300,
  marginMs: 15,
  windowMs: 10_000,
  warmupPackets: 100,
  warmupMs: 1000,
  // At 100 packets a second, the 10 latest of the window are left out: one packet held up does not
  // count, a stall (tens of packets late by a falling amount) does.
  percentile: 0.99,
  fallMsPerSecond: 1.5,
  recomputeEvery: 10,
  underrunHoldMs: 60_000,
};

export class JitterEstimator {
  readonly options: JitterOptions;
  // The window's packets in arrival order, oldest at `head` (compacted now and then).
  private arrivals: number[] = [];
  private latenesses: number[] = [];
  private head = 0;
  private scratch = new Float64Array(0);
  private packets = 0;
  private firstArrivalMs: number | null = null;
  private warmed = false;
  private sinceRecompute = 0;
  /** The percentile's spread last measured, ms. */
  private measuredSpread = 0;
  /** The spread the target holds (rises with the measurement, falls slowly), ms. */
  private heldSpread = 0;
  private lastRecomputeMs: number | null = null;
  /** Until when (the receiver's clock) the held spread may not fall: an underrun's packet is covered. */
  private holdUntilMs = -Infinity;

  constructor(options: Partial<JitterOptions> = {}) {
    this.options = { ...DEFAULT_JITTER_OPTIONS, ...options };
    if (!(this.options.percentile > 0 && this.options.percentile <= 1)) throw new RangeError(`jitter percentile ${this.options.percentile} is not in (0, 1]`);
  }

  /**
   * A packet arrived at `arrivalMs` (the receiver's clock); `mediaMs` is the duration of the audio
   * received before it since the stream (re)started, by the sender's sample clock.
   */
  observe(arrivalMs: number, mediaMs: number): void {
    this.firstArrivalMs ??= arrivalMs;
    if (!this.warmed && this.packets >= this.options.warmupPackets && arrivalMs - this.firstArrivalMs >= this.options.warmupMs) this.endWarmup();
    this.arrivals.push(arrivalMs);
    this.latenesses.push(arrivalMs - mediaMs);
    while (this.head < this.arrivals.length && arrivalMs - this.arrivals[this.head] > this.options.windowMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.arrivals.length) {
      this.arrivals = this.arrivals.slice(this.head);
      this.latenesses = this.latenesses.slice(this.head);
      this.head = 0;
    }
    this.packets++;
    if (++this.sinceRecompute >= this.options.recomputeEvery || this.packets <= 2) this.recompute(arrivalMs);
  }

  /**
   * The warm-up's latenesses leave the window; the held spread starts from at most what the initial
   * target allows, and rises at once from there if the steady packets need more.
   */
  private endWarmup(): void {
    this.warmed = true;
    this.arrivals = [];
    this.latenesses = [];
    this.head = 0;
    this.sinceRecompute = 0;
    this.heldSpread = Math.min(this.heldSpread, Math.max(0, this.options.initialTargetMs - this.options.marginMs));
    this.measuredSpread = 0;
  }

  /**
   * The playout ran dry before the latest packet came: the held spread covers that packet's
   * lateness from now on (up to what the target can be), for `underrunHoldMs` before it may fall.
   * During the warm-up the initial target is in force, and a burst is not a stall: nothing changes.
   */
  coverLatest(): void {
    const end = this.latenesses.length;
    if (!this.warmed || end - this.head < 2) return;
    let earliest = Infinity;
    for (let i = this.head; i < end; i++) earliest = Math.min(earliest, this.latenesses[i]);
    const spread = Math.min(this.latenesses[end - 1] - earliest, this.options.maxTargetMs - this.options.marginMs);
    this.heldSpread = Math.max(this.heldSpread, spread);
    this.holdUntilMs = this.arrivals[end - 1] + this.options.underrunHoldMs;
  }

  /** The stream stopped (or a gap broke its timing): the next packets are measured afresh. */
  reset(): void {
    this.arrivals = [];
    this.latenesses = [];
    this.head = 0;
    this.packets = 0;
    this.firstArrivalMs = null;
    this.warmed = false;
    this.sinceRecompute = 0;
    this.measuredSpread = 0;
    this.heldSpread = 0;
    this.lastRecomputeMs = null;
    this.holdUntilMs = -Infinity;
  }

  /** Whether the warm-up is over: the target now follows the steady packets (it may fall at once as it ends). */
  get warmedUp(): boolean {
    return this.warmed;
  }

  /** The window's spread at the percentile, last measured, in ms (0 before two packets). */
  get spreadMs(): number {
    return this.measuredSpread;
  }

  /** The spread the target holds: the measured one, or above it while it falls slowly, in ms. */
  get heldSpreadMs(): number {
    return this.heldSpread;
  }

  /** The level the playout buffer should hold, in ms. */
  get targetMs(): number {
    const o = this.options;
    const measured = this.heldSpread + o.marginMs;
    // Before the warm-up, never below the initial target: the first packets say little yet.
    const wanted = this.warmed ? measured : Math.max(o.initialTargetMs, measured);
    return Math.min(o.maxTargetMs, Math.max(o.minTargetMs, wanted));
  }

  private recompute(nowMs: number): void {
    this.sinceRecompute = 0;
    const count = this.latenesses.length - this.head;
    if (this.scratch.length < count) this.scratch = new Float64Array(Math.max(count, this.scratch.length * 2, 256));
    const sorted = this.scratch.subarray(0, count);
    for (let i = 0; i < count; i++) sorted[i] = this.latenesses[this.head + i];
    sorted.sort();
    const at = Math.min(count - 1, Math.ceil(this.options.percentile * count) - 1);
    this.measuredSpread = count > 0 ? sorted[Math.max(0, at)] - sorted[0] : 0;
    const elapsedS = this.lastRecomputeMs === null ? 0 : Math.max(0, nowMs - this.lastRecomputeMs) / 1000;
    this.lastRecomputeMs = nowMs;
    // Cap the held spread at what the target can be, so that a fall starts from there.
    const fall = nowMs < this.holdUntilMs ? 0 : this.options.fallMsPerSecond * elapsedS;
    const fallen = Math.min(this.heldSpread, this.options.maxTargetMs - this.options.marginMs) - fall;
    this.heldSpread = Math.max(this.measuredSpread, fallen);
  }
}
