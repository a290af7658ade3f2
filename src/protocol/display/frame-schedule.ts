// When a video stream's decoded pictures are shown: at their mm time, by a timer, as spice-gtk does
// for its GStreamer decoders. The stream's pump (stream-pump.ts) decodes each frame just before its
// time, in order, and only while fewer than MAX_WAITING pictures wait here, so no queue of decoded
// pictures builds up. A picture already late when decoded is not shown, unless no later one follows
// within a frame interval (the video must not freeze on a slow host). A picture beyond MAX_WAITING
// (the pump decoded it early because its queue of encoded frames was over its bounds) has the
// oldest waiting one shown at once, ahead of its time, counted as 'stream-overflow'. Without an mm
// clock, pictures are shown at once. Where the presenter takes a while to put a handed-over picture
// on the screen (the page's overlay waits for the next animation frame), the host says how long,
// and each picture is handed over that much before its mm time (at most one frame interval), so it
// reaches the screen at its time rather than after it. Whether a picture is late is still judged
// against its mm time.
import { mmDelta } from '../channels/display/stream-reports.ts';
import type { Rect } from '../pixels/geometry.ts';
import type { PresentationClock } from './presentation-clock.ts';
import type { DecodedFrame } from './video-decoder.ts';

/** Decoded pictures that wait to be shown, per stream (spice-gtk's MAX_DECODED_FRAMES). */
export const MAX_WAITING = 2;
/** A frame stamped 0 is meant for now plus this (spice-gtk's workaround for drivers that stamp none). */
export const UNSTAMPED_DELAY_MS = 100;
/** Between two frames' mm times, a step back or one longer than this starts the stream's schedule over. */
export const STREAM_JUMP_MS = 500;
/** The frame interval assumed until two frames tell it (25 fps, spice-server's MJPEG maximum). */
export const DEFAULT_INTERVAL_MS = 40;
/** The longest a picture waits for its time: a clock far off (or a hostile stamp) must not freeze the video. */
export const MAX_WAIT_MS = 2000;

export type DropReason = 'stream-late' | 'stream-overflow';

export interface FrameScheduleHost {
  clock: PresentationClock;
  /** Shows the picture (meant for mm time `mm`) now (the host checks the stream and surface are still there); owns the frame. */
  show(frame: DecodedFrame, dest: Rect, mm: number): Promise<void>;
  /** A picture not shown, closed here (or shown ahead of its time): counted in the pipeline's stats. */
  dropped(reason: DropReason): void;
  /** Fewer pictures wait than a moment ago (one was shown or dropped): the pump may decode the next. */
  released?(): void;
  /**
   * How long (ms) a picture given to show() takes to reach the screen, as the presenter measures
   * it: pictures are shown that much before their mm time. Bounded here by a frame interval (and
   * 0 when absent, negative or not a number), so a wrong measure cannot run the video ahead.
   */
  presentationDelay?(): number;
}

/** A decoded picture shown at once, not at its time: the newest after a clock jump or for a snapshot. */
export interface NewestPicture {
  frame: DecodedFrame;
  dest: Rect;
  /** Its stream's mm time (resolved: never the 0 of an unstamped frame). */
  mm: number;
}

interface Waiting {
  frame: DecodedFrame;
  dest: Rect;
  /** Its mm time (resolved), or 0 when it is shown without a clock. */
  mm: number;
  /**
   * Monotonic ms of its mm time; it is shown the presenter's delay (leadMs) before, as measured when
   * its timer is set (a picture decoded early must not take an older measure). A late one's is
   * when it is shown.
   */
  due: number;
  /** Late when decoded: shown only if nothing follows it in time. */
  late: boolean;
}

export class FrameSchedule {
  private readonly host: FrameScheduleHost;
  private waiting: Waiting[] = [];
  private cancelTimer: (() => void) | null = null;
  /** The picture the timer is set for, and when: a picture added behind it leaves the timer as it is. */
  private armedFor: Waiting | null = null;
  private armedAt = 0;
  private lastMm: number | null = null;
  private interval = DEFAULT_INTERVAL_MS;
  /** Pictures are shown one after the other, in order. */
  private showing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(host: FrameScheduleHost) {
    this.host = host;
  }

  /**
   * How much before its mm time a picture is shown (ms): the host's presentation delay, within 0
   * and one frame interval. The pump decodes that much earlier too.
   */
  get leadMs(): number {
    const delay = this.host.presentationDelay?.() ?? 0;
    return Number.isFinite(delay) ? Math.min(Math.max(0, delay), this.interval) : 0;
  }

  /** Pictures decoded and waiting for their time. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /**
   * A decoded picture, meant for mm time `mmTime`; `due` (monotonic ms), when given, is when that is
   * (the pump's reckoning, which caps a far stamp from the frame's arrival). Without an mm clock it
   * is shown at once, and the returned promise settles once it is.
   */
  add(frame: DecodedFrame, dest: Rect, mmTime: number, due?: number): Promise<void> | null {
    if (this.closed) {
      frame.close();
      return null;
    }
    const now = this.host.clock.mmNow();
    if (now === null) {
      this.flush();
      return this.show({ frame, dest, mm: mmTime >>> 0, due: 0, late: false });
    }
    const mm = mmTime === 0 ? (now + UNSTAMPED_DELAY_MS) >>> 0 : mmTime >>> 0;
    if (this.lastMm !== null) {
      const step = mmDelta(mm, this.lastMm);
      if (step < 0 || step > STREAM_JUMP_MS) this.flush();
      else if (step > 0) this.interval = step;
    }
    this.lastMm = mm;
    // A late picture kept in case nothing followed it: something did.
    this.waiting = this.waiting.filter((w) => {
      if (!w.late) return true;
      this.drop(w, 'stream-late');
      return false;
    });
    const wall = this.host.clock.timer.now();
    const at = due ?? wall + Math.min(mmDelta(mm, now), MAX_WAIT_MS);
    if (at < wall) this.waiting.push({ frame, dest, mm, due: wall + this.interval, late: true });
    else this.waiting.push({ frame, dest, mm, due: at, late: false });
    // Only when the pump was forced to decode ahead (its encoded queue over its bounds): the oldest
    // is shown now, early, rather than dropped, as dropping the one due first could drop every
    // picture. The video then runs ahead of its mm time by what does not fit; it keeps moving.
    while (this.waiting.length > MAX_WAITING) {
      const early = this.waiting.shift()!;
      this.host.dropped('stream-overflow');
      void this.show(early);
    }
    this.arm();
    return null;
  }

  /**
   * Shows the newest picture now, dropping the others waiting: the clock jumped, the stream's stamps
   * did, or a snapshot is taken. `newest`, when given, is newer than every waiting one (the pump
   * decoded it at once).
   */
  flush(newest?: NewestPicture): void {
    this.cancel();
    if (newest && !this.closed) {
      this.waiting.push({ frame: newest.frame, dest: newest.dest, mm: newest.mm >>> 0, due: 0, late: false });
      this.lastMm = newest.mm >>> 0;
    } else if (newest) {
      newest.frame.close();
    }
    const shown = this.waiting.pop();
    for (const w of this.waiting) this.drop(w, 'stream-late');
    this.waiting = [];
    if (shown) void this.show(shown);
    this.host.released?.();
  }

  /** Once every picture given so far is shown (the newest of those waiting at once). */
  settle(): Promise<void> {
    this.flush();
    return this.showing;
  }

  /** Closes what waits; resolves once a picture being shown is done. */
  close(): Promise<void> {
    this.closed = true;
    this.cancel();
    for (const w of this.waiting) w.frame.close();
    this.waiting = [];
    return this.showing;
  }

  private drop(w: Waiting, reason: DropReason): void {
    w.frame.close();
    this.host.dropped(reason);
  }

  private show(w: Waiting): Promise<void> {
    // The host reports its own failures (the stream is dropped then): the chain goes on.
    this.showing = this.showing.then(() => this.host.show(w.frame, w.dest, w.mm)).catch(() => {});
    return this.showing;
  }

  private cancel(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.armedFor = null;
  }

  /** Monotonic ms at which a waiting picture is shown. */
  private showAt(w: Waiting): number {
    return w.late ? w.due : w.due - this.leadMs;
  }

  private arm(): void {
    const head = this.waiting[0];
    const at = head ? this.showAt(head) : 0;
    if (head && head === this.armedFor && at === this.armedAt && this.cancelTimer) return;
    this.cancel();
    if (!head) return;
    this.armedFor = head;
    this.armedAt = at;
    const delay = Math.max(0, at - this.host.clock.timer.now());
    this.cancelTimer = this.host.clock.timer.after(delay, () => this.fire());
  }

  /** The head's time came: the newest picture due is shown, older due ones are dropped as late. */
  private fire(): void {
    this.cancelTimer = null;
    this.armedFor = null;
    if (this.closed) return;
    const wall = this.host.clock.timer.now();
    let due = 0;
    while (due < this.waiting.length && this.showAt(this.waiting[due]) <= wall) due++;
    // A timer that fired a little early: at least the head is its.
    if (due === 0) due = 1;
    const shown = this.waiting.splice(0, due);
    const newest = shown.pop()!;
    for (const w of shown) this.drop(w, 'stream-late');
    void this.show(newest);
    this.arm();
    this.host.released?.();
  }
}
