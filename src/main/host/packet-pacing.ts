// When the gateway sends its next packet to the page. A packet per turn of the event loop gave a
// page 1,000-2,500 WebSocket messages a second on a scrolling terminal (the server writes small
// updates as fast as they are acknowledged), and every message wakes the page's thread and its
// decode worker: on the gateway bench that waking, not the drawing, was the page's largest cost.
// So packets leave at most every few milliseconds while the display is busy; the first after a
// quiet spell still leaves at the end of its turn, so typing and pointing wait for nothing.
// A packet of sound alone may be held a little longer (bridge-host.ts), for the next sound packet
// to go with it; anything else queued meanwhile brings the send back to the usual schedule.

/**
 * About one 60 Hz frame: a burst is cut into at most 62 packets a second, one per frame the page
 * presents (it draws what came at its next animation frame, so a second packet within a frame is
 * drawn no sooner). Each packet costs a write to loopback TCP in the gateway (its largest cost in
 * a CPU profile), a read in Chromium's network service, a WebSocket event on the page's thread
 * and a postMessage to the decode worker. Against 8 ms on the interactive bench's live scene (a
 * scrolling xterm and a box at 25 fps, same run, 3 rounds each, bench/README.md): the session
 * 11% less CPU (the gateway 23% less), the same frames on the screen. Against 4 ms, 8 ms had made
 * the page's main thread 30% less busy on the gateway bench. The first packet after a quiet spell
 * still leaves at the end of its turn: a key's glyph on a quiet desktop waits for nothing.
 */
export const MIN_PACKET_INTERVAL_MS = 16;

export class PacketPacer {
  private lastSent = Number.NEGATIVE_INFINITY;
  private pending = false;
  /** When the pending send is due (performance.now time). */
  private due = Number.POSITIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private immediate: ReturnType<typeof setImmediate> | null = null;

  constructor(
    private readonly flush: () => void,
    private readonly intervalMs = MIN_PACKET_INTERVAL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Something was queued: it leaves at the end of this turn, or when the interval since the last
   * packet is over, or `holdMs` from now if that is later. A send already due earlier stays; one
   * due later (a held packet) is brought forward.
   */
  schedule(holdMs = 0): void {
    const now = this.now();
    const due = Math.max(this.lastSent + this.intervalMs, now + holdMs);
    if (this.pending && due >= this.due) return;
    this.cancel();
    this.pending = true;
    this.due = due;
    const wait = due - now;
    if (wait <= 0) this.immediate = setImmediate(() => this.run());
    else this.timer = setTimeout(() => this.run(), wait);
  }

  /** A packet left (scheduled or not: a full one leaves at once). */
  sent(): void {
    this.lastSent = this.now();
  }

  private cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  private run(): void {
    this.pending = false;
    this.due = Number.POSITIVE_INFINITY;
    this.timer = null;
    this.immediate = null;
    this.flush();
  }
}
