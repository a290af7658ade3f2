// When the gateway sends its next packet to the page. A packet per turn of the event loop gave a
// page 1,000-2,500 WebSocket messages a second on a scrolling terminal (the server writes small
// updates as fast as they are acknowledged), and every message wakes the page's thread and its
// decode worker: on the gateway bench that waking, not the drawing, was the page's largest cost.
// So packets leave at most every few milliseconds while the display is busy; the first after a
// quiet spell still leaves at the end of its turn, so typing and pointing wait for nothing.

/** A quarter of a 60 Hz frame: a burst is cut into at most 250 packets a second. */
export const MIN_PACKET_INTERVAL_MS = 4;

export class PacketPacer {
  private lastSent = Number.NEGATIVE_INFINITY;
  private pending = false;

  constructor(
    private readonly flush: () => void,
    private readonly intervalMs = MIN_PACKET_INTERVAL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Something was queued: it leaves at the end of this turn, or when the interval since the last packet is over. */
  schedule(): void {
    if (this.pending) return;
    this.pending = true;
    const wait = this.lastSent + this.intervalMs - this.now();
    if (wait <= 0) setImmediate(() => this.run());
    else setTimeout(() => this.run(), wait);
  }

  /** A packet left (scheduled or not: a full one leaves at once). */
  sent(): void {
    this.lastSent = this.now();
  }

  private run(): void {
    this.pending = false;
    this.flush();
  }
}
