// The display pipeline's media clock: the session's multimedia time (mm time, the server's wrapping
// u32 ms clock) as set by MAIN_INIT, MAIN_MULTI_MEDIA_TIME and later the audio clock, run forward
// between settings by the local monotonic clock. Video frames carry the mm time they are meant for
// and are shown when this clock reaches it. The timer is injectable, so tests run on a fake clock.
import { mmDelta } from '../channels/display/stream-reports.ts';

export interface PresentationTimer {
  /** Monotonic milliseconds. */
  now(): number;
  /** Runs `run` in `ms` milliseconds; returns what cancels it. */
  after(ms: number, run: () => void): () => void;
}

export const systemPresentationTimer: PresentationTimer = {
  now: () => performance.now(),
  after(ms, run) {
    const handle = setTimeout(run, ms);
    return () => clearTimeout(handle);
  },
};

/** A setting this far ahead of the running clock, or behind it, is a jump: schedules start over (as spice-gtk's mm-time-reset). */
export const MM_JUMP_MS = 500;
/**
 * A setting at most this far behind the running clock is a correction, not a jump: the page's audio
 * clock (what the listener hears now) is re-applied whenever the local clock has drifted from it by
 * a few ms, either way, and starting the video schedules over at each would shake the picture.
 */
export const MM_CORRECTION_BACK_MS = 50;

export class PresentationClock {
  readonly timer: PresentationTimer;
  private offset: number | null = null;

  constructor(timer: PresentationTimer = systemPresentationTimer) {
    this.timer = timer;
  }

  /** The mm time is `mmNow` now. Returns true when that is a jump (over MM_CORRECTION_BACK_MS back, or over MM_JUMP_MS ahead). */
  set(mmNow: number): boolean {
    const before = this.mmNow();
    this.offset = this.timer.now() - (mmNow >>> 0);
    if (before === null) return false;
    const step = mmDelta(mmNow >>> 0, before);
    return step < -MM_CORRECTION_BACK_MS || step > MM_JUMP_MS;
  }

  /**
   * The timer's ms at which mm time `mm` comes (the nearest such, as mm times wrap), or null before
   * the clock was set. Exact, not from the whole-ms mmNow(): a due time reckoned at a fractional
   * moment would carry that fraction into every picture decoded from its wake-up.
   */
  timeOf(mm: number): number | null {
    if (this.offset === null) return null;
    const mmNow = Math.floor(this.timer.now() - this.offset);
    return this.offset + mmNow + mmDelta(mm >>> 0, mmNow >>> 0);
  }

  /** The mm time now (wrapping u32), or null before it was ever set. */
  mmNow(): number | null {
    if (this.offset === null) return null;
    return Math.floor(this.timer.now() - this.offset) >>> 0;
  }
}
