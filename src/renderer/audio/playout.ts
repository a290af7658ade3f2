// The playout buffer of the page's sound: decoded stereo frames in, one render quantum of output
// out at a time. It waits until the jitter target is buffered, reads with a small resampling
// correction that holds the level at the target (drift-controller.ts), fades out instead of
// clicking when it runs dry and fades back in once refilled, drops quiet stretches or skips ahead
// (with a crossfade) when the level runs far over the target, and says which DATA.time it is
// playing, for the clock video is shown by. Pure arithmetic on Float32Arrays: the AudioWorklet processor runs it, and
// Node tests it.
import { DriftController, type DriftOptions } from './drift-controller.ts';
import { JitterEstimator, type JitterOptions } from './jitter-estimator.ts';

export interface PlayoutOptions {
  /** The AudioContext's sample rate. */
  outputRate: number;
  /** The most audio held; a push beyond drops the oldest (a stalled output must not grow memory). */
  capacityMs: number;
  /** Frames of a fade in or out. */
  fadeFrames: number;
  /** Over target + this, the buffer skips back to the target. */
  overflowMarginMs: number;
  /**
   * A stream is settled (from then on a level over the skip margin is a stall's backlog) once its
   * level came within target + this: below the skip margin, so that a start's excess hovering at
   * the margin is not taken for a backlog when the packets' jitter carries it back over.
   */
  settleMarginMs: number;
  /**
   * A stream's start over target + margin by up to this is played whole (its excess left to quiet
   * stretches and the drift correction); further over it is skipped like any other level.
   */
  startToleranceMs: number;
  /** A sample below this (both channels) is quiet: a run of them can be dropped to cut latency unheard. */
  quietLevel: number;
  /** Over the target by more than this, quiet stretches are dropped down to the target. */
  quietDrainMs: number;
  /** A packet stamped this far off the time its predecessor's end implies starts a new timeline. */
  timeResyncMs: number;
  /** Seconds of the volume's smoothing (so a slider or the guest's VOLUME never clicks). */
  gainSmoothingSeconds: number;
  /** The most a server's LATENCY may raise the target to (half the ring: room for the jitter above it). */
  maxFloorMs: number;
  jitter: Partial<JitterOptions>;
  drift: Partial<DriftOptions>;
}

export const DEFAULT_PLAYOUT_OPTIONS: PlayoutOptions = {
  outputRate: 48000,
  capacityMs: 2000,
  fadeFrames: 128,
  // A level this far over the target is not jitter (a late burst only refills what the delay
  // drained) but latency: after a jitter spike aged out and the target fell, the audio bench saw
  // the page hold ~300 ms over it for minutes at 250 (the 0.2 % correction drains 2 ms a second).
  overflowMarginMs: 100,
  // Half the skip margin: a start's burst left ~100 ms over the target once its warm-up's target
  // fell; jitter took the level under target + 100 and back over, and the playout skipped it as a
  // stall's backlog (a simulated start of 160 ms with 30 ms of jitter, 1 skip with none behind it).
  settleMarginMs: 50,
  // A stream's first packets come in one burst whenever the output was not taking them yet (the
  // context resumed from idle, or waiting for a gesture): skipping that cut the sound's first
  // 100 ms (a notification's whole attack). Playing it costs latency only, which the video follows.
  startToleranceMs: 500,
  // -60 dBFS.
  quietLevel: 0.001,
  quietDrainMs: 20,
  timeResyncMs: 100,
  gainSmoothingSeconds: 0.01,
  maxFloorMs: 1000,
  jitter: {},
  drift: {},
};

/** A floor this far over the level refills the buffer at once. */
const REFILL_MS = 20;

export type PlayoutState = 'idle' | 'buffering' | 'playing';

export interface PlayoutStats {
  state: PlayoutState;
  levelMs: number;
  targetMs: number;
  /** The server's minimum latency (PLAYBACK LATENCY) the target does not go below, 0 when none applies. */
  floorMs: number;
  /** The resampling correction now (0.001: reading 0.1 % fast). */
  correction: number;
  /** Times the buffer ran dry while the stream went on (not its end). */
  underruns: number;
  /** Times the level ran so far over the target that audio was skipped (with a crossfade: audible). */
  skips: number;
  /** Times a quiet stretch was dropped instead to bring the level down (unheard). */
  quietSkips: number;
  /** Input frames both kinds of skip jumped over (never played). */
  skippedFrames: number;
  /** Frames dropped because the buffer was full. */
  droppedFrames: number;
  /** Input frames pushed and output frames rendered with sound (not silence). */
  framesIn: number;
  framesOut: number;
}

interface Segment {
  /** Absolute input frame index of the segment's first frame. */
  frame: number;
  /** Its DATA.time (ms, not wrapped: the caller's times unwrapped into a line). */
  time: number;
}

export class Playout {
  readonly options: PlayoutOptions;
  readonly jitter: JitterEstimator;
  readonly drift: DriftController;
  private readonly capacity: number;
  private readonly ring: Float32Array;
  /** Absolute index of the next frame written. */
  private head = 0;
  /** Fractional absolute index of the next frame read. */
  private pos = 0;
  private segments: Segment[] = [];
  private inputRate = 48000;
  private mediaFramesSinceStart = 0;
  private state: PlayoutState = 'idle';
  /** Set by STOP: play out what is left, then go idle without counting an underrun. */
  private ending = false;
  private fade = 0;
  private gain = 1;
  private targetGain = 1;
  private readonly gainCoefficient: number;
  /** The target's floor from the server's LATENCY (ms), until the stream stops. */
  private floor = 0;
  /** The floor rose over the level while playing: fade out and buffer up to it (once, not a slow drift). */
  private refill = false;
  /** The last underrun has had no packet after it yet. */
  private dryUntilPush = false;
  /** The level has been within target + settleMarginMs since the jitter's warm-up ended (its start's burst drained). */
  private settled = false;
  /** The jitter's warm-up had ended at the last render (this stream). */
  private warmedUp = false;
  private counts = { underruns: 0, skips: 0, quietSkips: 0, skippedFrames: 0, droppedFrames: 0, framesIn: 0, framesOut: 0 };

  constructor(options: Partial<PlayoutOptions> = {}) {
    this.options = { ...DEFAULT_PLAYOUT_OPTIONS, ...options };
    this.jitter = new JitterEstimator(this.options.jitter);
    this.drift = new DriftController(this.options.drift);
    this.capacity = Math.ceil((this.options.capacityMs / 1000) * Math.max(this.options.outputRate, 48000));
    this.ring = new Float32Array(this.capacity * 2);
    this.gainCoefficient = 1 - Math.exp(-1 / (this.options.gainSmoothingSeconds * this.options.outputRate));
  }

  /** A stream starts (PLAYBACK START) at `inputRate` Hz. Audio still buffered from before plays on. */
  start(inputRate: number): void {
    this.inputRate = inputRate;
    this.ending = false;
    this.settled = false;
    this.warmedUp = false;
    this.mediaFramesSinceStart = 0;
    this.jitter.reset();
    this.drift.restart();
    if (this.state === 'idle') this.state = 'buffering';
  }

  /** The stream stopped (PLAYBACK STOP): what is buffered plays out; a server's latency floor ends with it. */
  stop(): void {
    // Ran dry and nothing came after it but the STOP: that was the stream's end (its STOP comes
    // a little after its last DATA), not an underrun.
    if (this.dryUntilPush) this.counts.underruns--;
    this.dryUntilPush = false;
    this.ending = true;
    this.floor = 0;
    this.refill = false;
  }

  /**
   * The server's minimum latency (PLAYBACK LATENCY, while video plays with the sound): the target
   * does not go below it (bounded by maxFloorMs) until the stream stops. A floor far over what is
   * buffered is reached at once by buffering up to it (a short gap, faded), not by the drift
   * correction's 0.2 % (minutes); a lower one is left to the correction and the overflow skip.
   */
  setMinLatency(ms: number): void {
    this.floor = Math.max(0, Math.min(this.options.maxFloorMs, ms));
    if (this.state === 'playing' && !this.ending && this.targetMs - this.levelMs > REFILL_MS) this.refill = true;
  }

  /** The level the buffer holds: the measured jitter's target, or the server's floor above it. */
  get targetMs(): number {
    return Math.max(this.jitter.targetMs, this.floor);
  }

  /** Linear gain (local volume and mute, the guest's VOLUME and MUTE): reached smoothly. */
  setGain(gain: number): void {
    this.targetGain = Math.max(0, Math.min(1, gain));
  }

  /**
   * Stereo frames (interleaved L R) stamped `time` (DATA.time, ms), arrived at `arrivalMs` on the
   * receiver's clock.
   */
  push(frames: Float32Array, time: number, arrivalMs: number): void {
    const n = frames.length >> 1;
    if (n === 0) return;
    const endsUnderrun = this.dryUntilPush;
    this.dryUntilPush = false;
    if (this.state === 'idle') this.start(this.inputRate);
    this.jitter.observe(arrivalMs, (this.mediaFramesSinceStart / this.inputRate) * 1000);
    // The buffer ran dry waiting for this packet: the target covers a packet as late from now on.
    if (endsUnderrun) this.jitter.coverLatest();
    this.mediaFramesSinceStart += n;
    this.stampSegment(time);
    // Full: the oldest audio goes (the output has stalled, or a burst came far over the target).
    const over = this.head + n - Math.floor(this.pos) - this.capacity + 2;
    if (over > 0) {
      this.pos += over;
      this.counts.droppedFrames += over;
      // Nothing may be read for a long while (a stalled output): the timeline must not grow either.
      this.prune();
    }
    let w = (this.head % this.capacity) * 2;
    for (let i = 0; i < frames.length; i++) {
      this.ring[w++] = frames[i];
      if (w === this.ring.length) w = 0;
    }
    this.head += n;
    this.counts.framesIn += n;
  }

  /** The buffered audio ahead of the read position, in ms of input. */
  get levelMs(): number {
    return (Math.max(0, this.head - this.pos) / this.inputRate) * 1000;
  }

  /** Whether sound is being read out (not buffering, not idle). */
  get playing(): boolean {
    return this.state === 'playing';
  }

  /** The DATA.time (ms, unwrapped) of the next frame to be played, or null when nothing plays. */
  get positionMs(): number | null {
    if (this.state !== 'playing') return null;
    return this.timeAt(this.pos);
  }

  get stats(): PlayoutStats {
    return {
      state: this.state,
      levelMs: this.levelMs,
      targetMs: this.targetMs,
      floorMs: this.floor,
      correction: this.drift.currentCorrection,
      ...this.counts,
    };
  }

  /** Fills one quantum of output (both channels, same length). */
  render(left: Float32Array, right: Float32Array): void {
    const n = left.length;
    if (this.state !== 'playing') {
      const ready = this.head - this.pos >= 2 && (this.ending || this.levelMs >= this.targetMs);
      if (!ready) {
        left.fill(0);
        right.fill(0);
        if (this.ending && this.head - this.pos < 2) this.state = 'idle';
        return;
      }
      this.state = 'playing';
      this.fade = 0;
    }
    const nominal = this.inputRate / this.options.outputRate;
    const step = nominal * this.drift.update(this.levelMs, this.targetMs, n / this.options.outputRate);
    // Frames that can be read with the interpolation's one frame of look-ahead.
    const possible = Math.max(0, Math.floor((this.head - 1 - this.pos) / step));
    if (this.refill && possible >= n) {
      // The server's floor rose: fade out now, and play again once it is buffered.
      this.refill = false;
      this.readInto(left, right, 0, n, step, 'out');
      this.state = 'buffering';
      this.drift.restart();
      return;
    }
    if (possible < 2 * n && !(this.ending && possible >= n)) {
      // Running dry: fade out over what there is (the whole quantum when it is all there), silence
      // after, and wait for the target again.
      const m = Math.min(n, possible);
      this.readInto(left, right, 0, m, step, 'out');
      left.fill(0, m);
      right.fill(0, m);
      if (this.ending) {
        this.state = 'idle';
        this.pos = this.head;
      } else {
        this.state = 'buffering';
        this.counts.underruns++;
        this.dryUntilPush = true;
      }
      return;
    }
    if (!this.warmedUp && this.jitter.warmedUp) {
      // The warm-up's target covered the start's burst, and the steady packets' target is lower
      // (it falls at once here): the level over it is still the start's burst, played whole within
      // the start's tolerance like a burst over the initial target. Settled before, that level was
      // skipped a second into a sound (an e2e run's skip with no stall behind it).
      this.warmedUp = true;
      this.settled = false;
    }
    const overMs = this.levelMs - this.targetMs;
    if (overMs > this.options.quietDrainMs && !this.ending) {
      // Quiet at the read position: drop it down to the target, nothing audible is lost (latency
      // a silence would keep otherwise, as the drift correction drains only 2 ms a second).
      const quiet = this.quietRun(Math.floor((overMs / 1000) * this.inputRate));
      if (quiet >= n * step) {
        this.pos += quiet;
        this.counts.skippedFrames += quiet;
        this.counts.quietSkips++;
      } else if (overMs > this.options.overflowMarginMs && (this.settled || overMs > this.options.startToleranceMs)) {
        // Far over with sound playing: a stall's backlog is skipped with a crossfade; a stream's
        // start is played whole within its tolerance.
        this.skipTo(left, right, this.head - (this.targetMs / 1000) * this.inputRate, step);
        return;
      }
    }
    if (this.levelMs - this.targetMs <= this.options.settleMarginMs) this.settled = true;
    this.readInto(left, right, 0, n, step, 'in');
  }

  /** Frames from the read position, up to `limit`, whose samples are all quiet. */
  private quietRun(limit: number): number {
    const start = Math.floor(this.pos);
    const q = this.options.quietLevel;
    let k = 0;
    while (k < limit) {
      const a = ((start + k) % this.capacity) * 2;
      if (Math.abs(this.ring[a]) >= q || Math.abs(this.ring[a + 1]) >= q) break;
      k++;
    }
    return k;
  }

  /** Output frames [from, to) read at `step`, with the fade going 'in' (up to 1) or 'out' (down to 0 at `to`). */
  private readInto(left: Float32Array, right: Float32Array, from: number, to: number, step: number, fade: 'in' | 'out'): void {
    const fadeStep = 1 / this.options.fadeFrames;
    const startFade = this.fade;
    const count = to - from;
    for (let k = from; k < to; k++) {
      if (fade === 'in') this.fade = Math.min(1, this.fade + fadeStep);
      else this.fade = startFade * (1 - (k - from + 1) / count);
      this.gain += (this.targetGain - this.gain) * this.gainCoefficient;
      const g = this.fade * this.gain;
      const i = Math.floor(this.pos);
      const f = this.pos - i;
      const a = (i % this.capacity) * 2;
      const b = ((i + 1) % this.capacity) * 2;
      left[k] = (this.ring[a] + (this.ring[b] - this.ring[a]) * f) * g;
      right[k] = (this.ring[a + 1] + (this.ring[b + 1] - this.ring[a + 1]) * f) * g;
      this.pos += step;
    }
    this.counts.framesOut += count;
    this.prune();
  }

  /** Skips the read position to `target` with a crossfade over one quantum, so the jump does not click. */
  private skipTo(left: Float32Array, right: Float32Array, target: number, step: number): void {
    const n = left.length;
    const oldPos = this.pos;
    let newPos = Math.max(oldPos, Math.floor(target));
    for (let k = 0; k < n; k++) {
      const w = (k + 1) / n;
      this.gain += (this.targetGain - this.gain) * this.gainCoefficient;
      this.fade = Math.min(1, this.fade + 1 / this.options.fadeFrames);
      const g = this.fade * this.gain;
      const p = oldPos + k * step;
      const q = newPos + k * step;
      left[k] = (this.sample(p, 0) * (1 - w) + this.sample(q, 0) * w) * g;
      right[k] = (this.sample(p, 1) * (1 - w) + this.sample(q, 1) * w) * g;
    }
    this.counts.skippedFrames += newPos - Math.floor(oldPos);
    newPos += n * step;
    this.pos = newPos;
    this.counts.skips++;
    this.counts.framesOut += n;
    this.prune();
  }

  private sample(p: number, channel: 0 | 1): number {
    const i = Math.floor(p);
    const f = p - i;
    const a = this.ring[(i % this.capacity) * 2 + channel];
    const b = this.ring[((i + 1) % this.capacity) * 2 + channel];
    return a + (b - a) * f;
  }

  /**
   * The segment of a new packet. Its time is taken as the end of the one before when it is close
   * to it, pulled slowly toward what the server stamped: the server stamps bursts with one time
   * (Xspice feeds 80 ms ahead), and a clock that stood still and jumped would shake the video.
   */
  private stampSegment(time: number): void {
    const last = this.segments[this.segments.length - 1];
    let stamped = time;
    if (last) {
      const expected = last.time + ((this.head - last.frame) / this.inputRate) * 1000;
      // DATA.time is a wrapping u32: compare on the circle.
      const delta = ((((time - expected) % 2 ** 32) + 2 ** 32 + 2 ** 31) % 2 ** 32) - 2 ** 31;
      stamped = Math.abs(delta) <= this.options.timeResyncMs ? expected + delta / 32 : expected + delta;
    }
    this.segments.push({ frame: this.head, time: stamped });
  }

  private timeAt(frame: number): number | null {
    let seg: Segment | undefined;
    for (const s of this.segments) {
      if (s.frame <= frame) seg = s;
      else break;
    }
    if (!seg) return null;
    return seg.time + ((frame - seg.frame) / this.inputRate) * 1000;
  }

  /** Segments wholly before the read position say nothing any more. */
  private prune(): void {
    const read = Math.floor(this.pos);
    while (this.segments.length > 1 && this.segments[1].frame <= read) this.segments.shift();
  }
}
