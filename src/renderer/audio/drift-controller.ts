// Keeps the playout buffer at its target level when the server's sample clock and the sound
// card's differ (they always do, by some parts per million: without a correction the buffer runs
// empty or grows for ever over hours). A PI controller on the smoothed buffer level gives a small
// resampling correction: above the target the buffer is read a little faster, below it a little
// slower. Bounded, so that the pitch change stays inaudible. Pure arithmetic, tested in Node.

export interface DriftOptions {
  /** Correction per second of level error (proportional gain). */
  kp: number;
  /** Correction per second of accumulated error per second (integral gain). */
  ki: number;
  /** The largest correction either way (0.002: 0.2 %, about 3.5 cents of pitch, under what ears tell apart). */
  maxCorrection: number;
  /** Time constant of the level's smoothing, in seconds (packets come in 10 ms steps). */
  smoothingSeconds: number;
  /**
   * The integral only accumulates while the error is within this many ms: a large error (the
   * start, a new jitter target) is the proportional term's to close, and an integral wound up
   * over it would overshoot the target by as much again.
   */
  integrateWithinMs: number;
}

// kp and ki give the loop (the buffer level integrates the correction) a damping of about 0.7:
// a step in the target settles in some 10 s without ringing.
export const DEFAULT_DRIFT_OPTIONS: DriftOptions = { kp: 0.2, ki: 0.02, maxCorrection: 0.002, smoothingSeconds: 0.5, integrateWithinMs: 10 };

export class DriftController {
  readonly options: DriftOptions;
  private level: number | null = null;
  private integral = 0;
  private correction = 0;

  constructor(options: Partial<DriftOptions> = {}) {
    this.options = { ...DEFAULT_DRIFT_OPTIONS, ...options };
  }

  /**
   * The buffer holds `levelMs` and should hold `targetMs`; `dtSeconds` passed since the last
   * update. Returns the read-rate factor (1 + correction): how many input frames to consume per
   * output frame, relative to the nominal rate ratio.
   */
  update(levelMs: number, targetMs: number, dtSeconds: number): number {
    const o = this.options;
    const alpha = dtSeconds / (o.smoothingSeconds + dtSeconds);
    this.level = this.level === null ? levelMs : this.level + alpha * (levelMs - this.level);
    const error = (this.level - targetMs) / 1000;
    // Anti-windup: the integral term alone never asks for more than the bound.
    const limit = o.ki > 0 ? o.maxCorrection / o.ki : 0;
    if (Math.abs(error) * 1000 <= o.integrateWithinMs) this.integral = Math.min(limit, Math.max(-limit, this.integral + error * dtSeconds));
    const wanted = o.kp * error + o.ki * this.integral;
    this.correction = Math.min(o.maxCorrection, Math.max(-o.maxCorrection, wanted));
    return 1 + this.correction;
  }

  /** The smoothed level in ms (null before the first update). */
  get smoothedLevelMs(): number | null {
    return this.level;
  }

  get currentCorrection(): number {
    return this.correction;
  }

  /** A new stream: the old level says nothing about it; the integral (the clocks' drift) is kept. */
  restart(): void {
    this.level = null;
  }
}
