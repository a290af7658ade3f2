// When the gateway sends its next packet to the page. A packet per turn of the event loop gave a
// page 1,000-2,500 WebSocket messages a second on a scrolling terminal (the server writes small
// updates as fast as they are acknowledged), and every message wakes the page's thread and its
// decode worker: on the gateway bench that waking, not the drawing, was the page's largest cost.
// So packets leave at most every few milliseconds while the display is busy; the first after a
// quiet spell still leaves at the end of its turn (or of its task: EndOfWork), so typing and
// pointing wait for nothing.
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

/**
 * Where a packet due at once leaves: at the end of the event loop's turn (`setImmediate`: every
 * socket read in the turn goes in it), or at the end of the task that queued it (a microtask: the
 * messages of one socket read go together, and no Immediate, check phase and zero-timeout poll is
 * spent on it). The gateway's video frames come one per read at 25 a second, each first after a
 * quiet spell, so for them the turn was one more wake-up's worth of work per frame.
 */
export type EndOfWork = 'turn' | 'task';

const RESOLVED = Promise.resolve();

/**
 * Reads the pacer may hold while it waits out its interval (held-reads.ts): what arrives
 * meanwhile would only wait for the same packet.
 */
export interface ReadHold {
  hold(): void;
  /** Lets the reads flow again; true when some were held, so that the send waits for them. */
  release(): boolean;
}

export class PacketPacer {
  private lastSent = Number.NEGATIVE_INFINITY;
  private pending = false;
  /** When the pending send is due (performance.now time). */
  private due = Number.POSITIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private immediate: ReturnType<typeof setImmediate> | null = null;
  /**
   * The hold's timer, never cleared: a held sound packet is nearly always sent by the next one
   * (bridge-host.ts), and Node's clearTimeout leaves libuv's timer armed, so the loop wakes at the
   * old expiry all the same; clearing only added work. It finds nothing due then and stops, or
   * re-arms for a hold that is due later.
   */
  private holdTimer: ReturnType<typeof setTimeout> | null = null;
  private holdTimerAt = Number.POSITIVE_INFINITY;
  /** With 'task': a microtask is queued (it cannot be cancelled), and whether it should still send. */
  private taskQueued = false;
  private taskWanted = false;

  constructor(
    private readonly flush: () => void,
    private readonly intervalMs = MIN_PACKET_INTERVAL_MS,
    private readonly now: () => number = () => performance.now(),
    private readonly endOf: EndOfWork = 'turn',
    private readonly reads?: ReadHold,
  ) {}

  /**
   * Something was queued: it leaves at the end of this turn, or when the interval since the last
   * packet is over, or `holdMs` from now if that is later. A send already due earlier stays; one
   * due later (a held packet) is brought forward.
   */
  schedule(holdMs = 0): void {
    const now = this.now();
    const paced = this.lastSent + this.intervalMs;
    const due = Math.max(paced, now + holdMs);
    if (this.pending && due >= this.due) return;
    this.cancel();
    this.pending = true;
    this.due = due;
    const wait = due - now;
    if (holdMs > 0 && now + holdMs >= paced) this.armHold(due, wait);
    else if (wait > 0) {
      this.timer = setTimeout(this.onTimer, wait);
      this.reads?.hold();
    } else if (this.endOf === 'turn') this.immediate = setImmediate(this.onImmediate);
    else {
      this.taskWanted = true;
      if (!this.taskQueued) {
        this.taskQueued = true;
        // A plain promise reaction: Node's queueMicrotask wraps each callback in an AsyncResource.
        void RESOLVED.then(this.onTaskEnd);
      }
    }
  }

  /**
   * What is queued is complete (a pair of sound packets): it leaves now, in this turn, if the
   * interval since the last packet is over (no turn's end to wait for: one wake-up less);
   * otherwise as schedule() would send it.
   */
  sendNow(): void {
    if (this.now() < this.lastSent + this.intervalMs) {
      this.schedule();
      return;
    }
    this.cancel();
    this.pending = false;
    this.due = Number.POSITIVE_INFINITY;
    this.flush();
  }

  /** A packet left (scheduled or not: a full one leaves at once). */
  sent(): void {
    this.lastSent = this.now();
  }

  private armHold(due: number, wait: number): void {
    // One armed at or before this due time fires first and re-arms for it (onHold).
    if (this.holdTimer !== null && this.holdTimerAt <= due) return;
    if (this.holdTimer !== null) clearTimeout(this.holdTimer);
    this.holdTimerAt = due;
    this.holdTimer = setTimeout(this.onHold, Math.max(1, wait));
  }

  /** The interval and end-of-turn sends (the hold's timer is left to run out: see holdTimer). */
  private cancel(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.reads?.release();
    }
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    this.taskWanted = false;
  }

  private readonly onTaskEnd = (): void => {
    this.taskQueued = false;
    if (this.taskWanted) this.run();
  };

  private readonly onImmediate = (): void => {
    this.immediate = null;
    this.run();
  };

  private readonly onTimer = (): void => {
    this.timer = null;
    // Held reads flow again in the loop's next poll (right after the timers): the packet leaves
    // after it, at the end of that turn, with what they bring.
    if (this.reads?.release()) this.immediate = setImmediate(this.onImmediate);
    else this.run();
  };

  private readonly onHold = (): void => {
    this.holdTimer = null;
    this.holdTimerAt = Number.POSITIVE_INFINITY;
    // Sent already, or brought forward onto the other timers: nothing to do.
    if (!this.pending || this.timer !== null || this.immediate !== null || this.taskWanted) return;
    const now = this.now();
    // libuv's clock counts whole milliseconds: a timer may run a fraction of one early.
    if (this.due - now > 1) this.armHold(this.due, this.due - now);
    else this.run();
  };

  private run(): void {
    this.cancel();
    this.pending = false;
    this.due = Number.POSITIVE_INFINITY;
    this.flush();
  }
}
