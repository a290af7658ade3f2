// When a video stream's decoded pictures are shown: at their mm time, by a timer, as spice-gtk does
// for its GStreamer decoders. Every frame is decoded at once, in order (VP8, VP9 and H.264 frames
// refer to the ones before them, so decoding is never skipped); only showing is. A picture already
// late when decoded is not shown, unless no later one follows within a frame interval (the video
// must not freeze on a slow host). At most MAX_WAITING pictures wait: a third one arriving drops the
// oldest, so a host that cannot keep up never builds a queue. Without an mm clock, pictures are
// shown at once.
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
  /** Shows the picture now (the host checks the stream and surface are still there); owns the frame. */
  show(frame: DecodedFrame, dest: Rect): Promise<void>;
  /** A picture not shown, closed here: counted in the pipeline's stats. */
  dropped(reason: DropReason): void;
}

interface Waiting {
  frame: DecodedFrame;
  dest: Rect;
  /** Monotonic ms at which it is shown. */
  due: number;
  /** Late when decoded: shown only if nothing follows it in time. */
  late: boolean;
}

export class FrameSchedule {
  private readonly host: FrameScheduleHost;
  private waiting: Waiting[] = [];
  private cancelTimer: (() => void) | null = null;
  private lastMm: number | null = null;
  private interval = DEFAULT_INTERVAL_MS;
  /** Pictures are shown one after the other, in order. */
  private showing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(host: FrameScheduleHost) {
    this.host = host;
  }

  /** Pictures decoded and waiting for their time. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /**
   * A decoded picture, meant for mm time `mmTime`. Without an mm clock it is shown at once, and the
   * returned promise settles once it is.
   */
  add(frame: DecodedFrame, dest: Rect, mmTime: number): Promise<void> | null {
    if (this.closed) {
      frame.close();
      return null;
    }
    const now = this.host.clock.mmNow();
    if (now === null) {
      this.flush();
      return this.show({ frame, dest, due: 0, late: false });
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
    const margin = mmDelta(mm, now);
    if (margin < 0) this.waiting.push({ frame, dest, due: wall + this.interval, late: true });
    else this.waiting.push({ frame, dest, due: wall + Math.min(margin, MAX_WAIT_MS), late: false });
    while (this.waiting.length > MAX_WAITING) this.drop(this.waiting.shift()!, 'stream-overflow');
    this.arm();
    return null;
  }

  /** Shows the newest waiting picture now, dropping the others: the clock jumped, or a snapshot is taken. */
  flush(): void {
    this.cancel();
    const newest = this.waiting.pop();
    for (const w of this.waiting) this.drop(w, 'stream-late');
    this.waiting = [];
    if (newest) void this.show(newest);
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
    this.showing = this.showing.then(() => this.host.show(w.frame, w.dest)).catch(() => {});
    return this.showing;
  }

  private cancel(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  private arm(): void {
    this.cancel();
    const head = this.waiting[0];
    if (!head) return;
    const delay = Math.max(0, head.due - this.host.clock.timer.now());
    this.cancelTimer = this.host.clock.timer.after(delay, () => this.fire());
  }

  /** The head's time came: the newest picture due is shown, older due ones are dropped as late. */
  private fire(): void {
    this.cancelTimer = null;
    if (this.closed) return;
    const wall = this.host.clock.timer.now();
    let due = 0;
    while (due < this.waiting.length && this.waiting[due].due <= wall) due++;
    // A timer that fired a little early: at least the head is its.
    if (due === 0) due = 1;
    const shown = this.waiting.splice(0, due);
    const newest = shown.pop()!;
    for (const w of shown) this.drop(w, 'stream-late');
    void this.show(newest);
    this.arm();
  }
}
