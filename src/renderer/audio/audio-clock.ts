// The multimedia clock from the sound: what the listener hears now is the DATA.time of the frame
// the worklet renders, later by the output's latency. The page's video is shown by this clock
// while sound plays (as spice-gtk's: mm time = the last DATA.time minus what the sink still holds),
// and the host's session clock follows it (AUDIO_CLOCK, about once a second). The display's clock
// runs on its own between settings: it is set again only when it has drifted from the sound by
// more than a few ms (the estimate's own jitter, not every report). The sound drifts one way from
// the page's clock (the output's clock, the playout's rate correction), so the display's error is a
// sawtooth between 0 and the tolerance, off by half of it on average: measured with 15 ms, the
// video clock trailed what was heard by a median 6 ms (the estimate itself: 1 ms, p5..p95 -0.4..2.4),
// hence 5. A small step is not a jump for PresentationClock (50 ms back, 500 ahead), so setting
// it more often restarts no video schedule. The host is told at once only of a drift over 15 ms
// (its clock paces STREAM_REPORTs, where a few ms do not matter), else once a second. Pure.

export interface ClockDecision {
  /** Set the display's clock to the audible time now. */
  setDisplay: boolean;
  /** Send AUDIO_CLOCK to the host. */
  sendHost: boolean;
}

export interface AudioClockOptions {
  /** Drift of the display's clock from the sound that makes it be set again. */
  toleranceMs: number;
  /** Interval between AUDIO_CLOCKs to the host. */
  hostIntervalMs: number;
  /** A drift this large is sent to the host at once, not at the next interval. */
  hostToleranceMs: number;
}

export const DEFAULT_AUDIO_CLOCK_OPTIONS: AudioClockOptions = { toleranceMs: 5, hostIntervalMs: 1000, hostToleranceMs: 15 };

/**
 * The mm time (ms, unwrapped) audible at the page's time `contextNowSeconds`: the worklet rendered
 * the frame of `position` at `contextTimeSeconds`, and what is rendered is heard `outputLatencyMs` later.
 */
export function audibleTime(position: number, contextTimeSeconds: number, contextNowSeconds: number, outputLatencyMs: number): number {
  return position + (contextNowSeconds - contextTimeSeconds) * 1000 - outputLatencyMs;
}

export class AudioClockFollower {
  readonly options: AudioClockOptions;
  private display: { mm: number; at: number } | null = null;
  private lastHost = -Infinity;

  constructor(options: Partial<AudioClockOptions> = {}) {
    this.options = { ...DEFAULT_AUDIO_CLOCK_OPTIONS, ...options };
  }

  /** The sound says `audibleMm` is heard at `nowMs` (the page's monotonic clock). */
  update(audibleMm: number, nowMs: number): ClockDecision {
    const predicted = this.display ? this.display.mm + (nowMs - this.display.at) : null;
    const drift = predicted === null ? Infinity : Math.abs(predicted - audibleMm);
    const setDisplay = drift > this.options.toleranceMs;
    if (setDisplay) this.display = { mm: audibleMm, at: nowMs };
    const sendHost = drift > this.options.hostToleranceMs || nowMs - this.lastHost >= this.options.hostIntervalMs;
    if (sendHost) this.lastHost = nowMs;
    return { setDisplay, sendHost };
  }

  /** The display's clock at `nowMs` as this follower set it (unwrapped mm), or null before it was set. */
  displayAt(nowMs: number): number | null {
    return this.display ? this.display.mm + (nowMs - this.display.at) : null;
  }

  /** The sound stopped: the next report sets the clocks afresh. */
  reset(): void {
    this.display = null;
    this.lastHost = -Infinity;
  }
}
