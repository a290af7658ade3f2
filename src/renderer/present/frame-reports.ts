// The worker's reports of the frames it drew, to the page's statistics. One message a frame woke
// the page's thread 60 times a second while the screen changed, for a counter: the reports are
// summed and sent at most every FRAME_REPORT_MS (the first at once), and whatever is pending goes
// before any other message of the worker, so the page never sees a later message before the
// frames that came first (a read-back's pixels after the frame that drew them, say).

export const FRAME_REPORT_MS = 100;

export class FrameReports {
  private count = 0;
  private pixels = 0;
  private lastSent = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly send: (count: number, pixels: number) => void,
    private readonly intervalMs = FRAME_REPORT_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** `count` more frames drawn, with `pixels` pixels put into the canvas. */
  add(count: number, pixels: number): void {
    this.count += count;
    this.pixels += pixels;
    if (this.timer !== undefined) return;
    const wait = this.lastSent + this.intervalMs - this.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Sends what is pending now (nothing when nothing is). */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.count === 0) return;
    const { count, pixels } = this;
    this.count = 0;
    this.pixels = 0;
    this.lastSent = this.now();
    this.send(count, pixels);
  }
}
