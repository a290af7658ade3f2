// How long a video picture handed to the worker's overlay takes to reach the screen: from
// VideoOverlays.present to the animation frame that first draws it (the instant the presentation
// log records). The FrameSchedule hands pictures over that much before their mm time, so that
// they are drawn at it rather than a timer's lateness plus up to one display frame after it.
// The delay depends on where the picture's time falls between two animation frames, so it is
// spread over a display frame: the estimate is the median of the last samples, which a stall (a
// picture drawn hundreds of ms late once) does not move. Pure.

/** One frame at 60 Hz: the estimate before anything was measured (a picture waits for the next animation frame, half of one on average, plus the hand-over). */
export const DEFAULT_PRESENTATION_DELAY_MS = 1000 / 60;
/** Samples the median is taken over (about a second at 25 fps). */
export const PRESENTATION_DELAY_SAMPLES = 31;
/**
 * A sample over this is taken as this: a hidden page's animation frames stop, and a picture drawn
 * seconds later says nothing about the next one. The schedule bounds what it uses by a frame
 * interval anyway.
 */
export const MAX_PRESENTATION_DELAY_SAMPLE_MS = 250;

export class PresentationDelay {
  private readonly samples: number[] = [];
  private next = 0;
  private median = DEFAULT_PRESENTATION_DELAY_MS;

  /** The estimate (ms): the median of the recent samples, or DEFAULT_PRESENTATION_DELAY_MS before any. */
  get estimate(): number {
    return this.median;
  }

  /** How many samples the estimate is taken over now. */
  get count(): number {
    return this.samples.length;
  }

  /** A picture handed over at `handedAt` was first drawn at `drawnAt` (the same monotonic ms). */
  add(handedAt: number, drawnAt: number): void {
    const sample = drawnAt - handedAt;
    // A clock that stepped back, or a value that is not one: nothing is learnt from it.
    if (!Number.isFinite(sample) || sample < 0) return;
    const bounded = Math.min(sample, MAX_PRESENTATION_DELAY_SAMPLE_MS);
    if (this.samples.length < PRESENTATION_DELAY_SAMPLES) this.samples.push(bounded);
    else this.samples[this.next] = bounded;
    this.next = (this.next + 1) % PRESENTATION_DELAY_SAMPLES;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    this.median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  /** Starts over (a new session: another display, maybe another rate). */
  reset(): void {
    this.samples.length = 0;
    this.next = 0;
    this.median = DEFAULT_PRESENTATION_DELAY_MS;
  }
}
