// A video stream's frames between their arrival and their decoding: decoded just in time. The
// server stamps frames about 400 ms ahead of the client's mm clock (MAIN_INIT sets the client 400 ms
// behind, which lets audio and video line up), so at 25 fps ten frames are always on their way.
// Holding ten decoded pictures would cost a picture's memory each (8 MB at 1080p) and, in the page,
// WebCodecs VideoFrames from the decoder's small pool; so the encoded frames wait here (a copy of
// their bytes, charged to the session's memory budget), and each is decoded DECODE_LEAD_MS before
// its time, strictly in order (later frames refer to earlier ones, so none is ever skipped), while
// fewer than MAX_WAITING decoded pictures wait in the stream's FrameSchedule. A frame is decoded at
// once when there is no mm clock, when it is already late, or when the queue is over its bounds (a
// hostile or broken server: the oldest is decoded then and may be shown early, never dropped, as a
// dropped frame would break the ones after it).
import { mmDelta } from '../channels/display/stream-reports.ts';
import type { Rect } from '../pixels/geometry.ts';
import type { MemoryBudget } from '../wire/memory-budget.ts';
import { MAX_WAIT_MS, MAX_WAITING, STREAM_JUMP_MS, UNSTAMPED_DELAY_MS, type DropReason, type FrameSchedule, type NewestPicture } from './frame-schedule.ts';
import type { PresentationClock } from './presentation-clock.ts';
import type { StreamDecoder } from './video-decoder.ts';

/**
 * How long before its time a frame's decoding starts. It must cover the decode (2-10 ms a frame
 * at 320x240 to 640x480 in the CLI's libav.js, a few ms in WebCodecs; a 1080p software decode
 * some 20-30 ms) plus how late the pump's timer may fire: the pipeline draws in slices of up to
 * 40 ms (SLICE_MS) before the event loop gets a turn. And it stays under two frame intervals at
 * 25 fps (80 ms), so that at the usual rate the pump does not wait for a slot in the schedule.
 */
export const DECODE_LEAD_MS = 60;
/**
 * A frame whose decode time is at most this far off when the pump looks at it is decoded then,
 * not on a timer of its own. At 25 fps the picture shown before it wakes the pump (the schedule's
 * released) 20 ms before the frame's decode time: that wake-up decodes it, one wake-up a picture
 * fewer. Decoding up to this much earlier holds the picture as much longer, within MAX_WAITING.
 */
export const DECODE_EARLY_MS = 25;
/** Encoded frames waiting per stream at most (about 2.5 s at 25 fps, six times the server's usual 400 ms). */
export const MAX_QUEUED_FRAMES = 64;
/** Bytes of encoded frames waiting per stream at most. */
export const MAX_QUEUED_BYTES = 32 * 1024 * 1024;

interface EncodedFrame {
  /** A copy of the frame's bytes (the message's are a view into a buffer other messages share). */
  data: Uint8Array;
  width: number;
  height: number;
  dest: Rect;
  /** Its mm time, an unstamped frame's resolved to its arrival + UNSTAMPED_DELAY_MS. */
  mm: number;
  /** Monotonic ms by which it is due at the latest: a stamp far ahead must not freeze the video. */
  latest: number;
}

export interface StreamPumpHost {
  clock: PresentationClock;
  /** The stream's decoder, once made (a rejection is reported where it is made). */
  decoder: Promise<StreamDecoder>;
  schedule: FrameSchedule;
  budget: MemoryBudget;
  /** Names the stream in a memory-limit error. */
  name: string;
  /** The decoder rejected a frame: the host drops the stream (and closes this pump). */
  failed(error: unknown): void;
  /** A picture decoded but not shown: counted in the pipeline's stats. */
  dropped(reason: DropReason): void;
}

export class StreamPump {
  private readonly host: StreamPumpHost;
  private queue: EncodedFrame[] = [];
  private queuedBytes = 0;
  /** A run of the pump is going on (it decodes one frame at a time). */
  private running = false;
  /** The current run, for a settle that finds nothing queued but a frame decoding. */
  private run: Promise<void> = Promise.resolve();
  private cancelWake: (() => void) | null = null;
  /**
   * Frames from the head to decode now, whatever their time and however many pictures wait (a clock
   * jump, a stream's stamps stepping, a snapshot); the newest picture of them is shown at once.
   */
  private rush = 0;
  private rushed: NewestPicture | null = null;
  private rushWaiters: (() => void)[] = [];
  /** Arrivals waiting for the queue to be back within its bounds. */
  private boundWaiters: (() => void)[] = [];
  private lastMm: number | null = null;
  private closed = false;

  constructor(host: StreamPumpHost) {
    this.host = host;
  }

  /** Encoded frames waiting to be decoded. */
  get queuedCount(): number {
    return this.queue.length;
  }

  /**
   * Queues one frame (`data` is copied) and returns: the display messages after it go on. Over the
   * queue's bounds the oldest frames are decoded now, and the returned promise settles once the
   * queue is back within them (so a server that sends faster than frames can be decoded is slowed
   * down rather than let fill memory). Throws MemoryLimitError when the copy does not fit the budget.
   */
  enqueue(data: Uint8Array, width: number, height: number, dest: Rect, mmTime: number): Promise<void> | null {
    if (this.closed) return null;
    const bytes = data.byteLength;
    this.host.budget.charge('queued video frames', bytes, () => `a frame of ${bytes} bytes for ${this.host.name}, queued until its time`);
    const timer = this.host.clock.timer;
    const now = this.host.clock.mmNow();
    const mm = mmTime === 0 && now !== null ? (now + UNSTAMPED_DELAY_MS) >>> 0 : mmTime >>> 0;
    if (now !== null && this.lastMm !== null) {
      // The stream's stamps stepped back or far ahead (its encoder restarted): what is queued is
      // of the old timeline, decoded and its newest shown now, as the schedule does with pictures.
      const step = mmDelta(mm, this.lastMm);
      if (step < 0 || step > STREAM_JUMP_MS) this.restart();
    }
    this.lastMm = mm;
    this.queue.push({ data: data.slice(), width, height, dest, mm, latest: timer.now() + MAX_WAIT_MS });
    this.queuedBytes += bytes;
    this.kick();
    if (!this.overBounds()) return null;
    return new Promise((resolve) => this.boundWaiters.push(resolve));
  }

  /**
   * Decodes everything queued at once, in order, and shows the newest picture: the mm clock jumped,
   * or the stream's stamps did. With nothing queued, the schedule shows its newest now.
   */
  restart(): void {
    if (this.closed) return;
    if (this.queue.length === 0) {
      this.host.schedule.flush();
      return;
    }
    this.rush = this.queue.length;
    this.kick();
  }

  /** Resolves once every frame queued so far is decoded and the newest picture shown (for a snapshot). */
  async settle(): Promise<void> {
    if (this.closed) return;
    if (this.queue.length > 0) {
      const done = new Promise<void>((resolve) => this.rushWaiters.push(resolve));
      this.rush = this.queue.length;
      this.kick();
      await done;
    } else {
      await this.run;
    }
    await this.host.schedule.settle();
  }

  /** Drops what is queued (its budget given back); a picture still being decoded is closed when it comes. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelWake?.();
    this.cancelWake = null;
    this.host.budget.release('queued video frames', this.queuedBytes);
    this.queue = [];
    this.queuedBytes = 0;
    this.rushed?.frame.close();
    this.rushed = null;
    this.rush = 0;
    this.wakeWaiters();
  }

  /** Looks at the head again: a frame came, a picture left the schedule, or a timer fired. */
  kick(): void {
    if (this.running || this.closed) return;
    this.running = true;
    this.run = this.pump();
  }

  private overBounds(): boolean {
    return this.queue.length > MAX_QUEUED_FRAMES || this.queuedBytes > MAX_QUEUED_BYTES;
  }

  private wakeWaiters(): void {
    if (this.closed || !this.overBounds()) for (const resolve of this.boundWaiters.splice(0)) resolve();
    if (this.closed || this.rush === 0) for (const resolve of this.rushWaiters.splice(0)) resolve();
  }

  /** Monotonic ms at which the frame is meant to be shown. */
  private dueOf(f: EncodedFrame, mmNow: number): number {
    return Math.min(this.host.clock.timeOf(f.mm) ?? this.host.clock.timer.now() + mmDelta(f.mm, mmNow), f.latest);
  }

  private async pump(): Promise<void> {
    try {
      await this.decodeDue();
    } finally {
      // At once as the run ends (not a turn later): a frame queued right after is not missed.
      this.running = false;
    }
  }

  private async decodeDue(): Promise<void> {
    this.cancelWake?.();
    this.cancelWake = null;
    let decoder: StreamDecoder;
    try {
      decoder = await this.host.decoder;
    } catch {
      // Told once, where its creation failed; the stream is gone by now.
      return;
    }
    const { clock, schedule } = this.host;
    while (!this.closed) {
      const head = this.queue[0];
      if (!head) break;
      const rushing = this.rush > 0;
      const now = clock.mmNow();
      if (!rushing && !this.overBounds() && now !== null) {
        if (schedule.waitingCount >= MAX_WAITING) break; // the schedule's released() kicks again
        // The schedule shows it leadMs before its time (the presenter's delay): decoded as much earlier.
        const wait = this.dueOf(head, now) - schedule.leadMs - DECODE_LEAD_MS - clock.timer.now();
        if (wait > DECODE_EARLY_MS) {
          this.cancelWake = clock.timer.after(wait, () => {
            this.cancelWake = null;
            this.kick();
          });
          break;
        }
      }
      this.queue.shift();
      this.queuedBytes -= head.data.byteLength;
      this.host.budget.release('queued video frames', head.data.byteLength);
      if (rushing) this.rush--;
      let picture;
      try {
        picture = await decoder.decode(head.data, head.width, head.height);
      } catch (error) {
        if (!this.closed) this.host.failed(error);
        return;
      }
      if (this.closed) {
        picture?.close();
        return;
      }
      if (picture && rushing && clock.mmNow() !== null) {
        // Only the newest of a rush is shown; the others were decoded for the ones after them.
        if (this.rushed) {
          this.rushed.frame.close();
          this.host.dropped('stream-late');
        }
        this.rushed = { frame: picture, dest: head.dest, mm: head.mm };
      } else if (picture) {
        const now = clock.mmNow();
        const shown = schedule.add(picture, head.dest, head.mm, now === null ? undefined : this.dueOf(head, now));
        // Without a clock it is shown now: the next waits for it, so pictures do not pile up being shown.
        if (shown) await shown;
        if (this.closed) return;
      }
      if (rushing && this.rush === 0) {
        const newest = this.rushed ?? undefined;
        this.rushed = null;
        schedule.flush(newest);
      }
      this.wakeWaiters();
    }
  }
}
