// Video streams in the display pipeline: each stream's place on its surface, its clip and row order,
// its decoder (one per stream, from the host's VideoDecoders: it sees every frame, in order), its
// frames queued until just before their time (stream-pump.ts) and its pictures handed to the
// FramePresenter at their time (frame-schedule.ts). Which streams exist at all, and the reports, are the
// channel's (channels/display/display-streams.ts); this side refuses what cannot be drawn (a stream
// outside its surface) or decoded (a decoder that cannot be made, or fails on a frame): such a
// stream is dropped with one error and a 'stream-error' event, on which the channel tells the
// server, which then sends the area as ordinary draws.
import type { Canvas } from '../canvas/canvas.ts';
import type { PipelineEvent } from '../channels/display/display-sink.ts';
import { StreamFlags, type DisplayMessage, type StreamCreate } from '../channels/display/display-messages.ts';
import { codecName } from '../channels/display/display-streams.ts';
import type { Logger } from '../logger.ts';
import type { Clip, Rect } from '../pixels/geometry.ts';
import { SpiceError } from '../wire/errors.ts';
import type { DecodedFrame, FramePlacement, FramePresenter, StreamDecoder, VideoDecoders } from './video-decoder.ts';
import { FrameSchedule, type DropReason } from './frame-schedule.ts';
import type { PresentationClock } from './presentation-clock.ts';
import { StreamPump } from './stream-pump.ts';
import type { MemoryBudget } from '../wire/memory-budget.ts';

export type StreamMessage = Extract<DisplayMessage, { type: `stream-${string}` }>;

interface VideoStream {
  readonly create: StreamCreate;
  /** The serial of its STREAM_CREATE: a stream-error names it, so the channel knows which stream of that id failed. */
  readonly serial: bigint;
  clip: Clip;
  readonly decoder: Promise<StreamDecoder>;
  /** The decoder once made: closed at once when the stream goes. */
  ready: StreamDecoder | null;
  /** Destroyed, replaced or failed: frames still in flight are closed, not shown. */
  gone: boolean;
  /** When its pictures are shown. */
  readonly schedule: FrameSchedule;
  /** Its encoded frames until they are decoded, just before their time. */
  readonly pump: StreamPump;
}

export interface VideoStreamsOptions {
  channelId: number;
  video: VideoDecoders;
  presenter: FramePresenter;
  logger: Logger;
  emit(event: PipelineEvent): void;
  /** Whether the pipeline is closed: decoders then fail on purpose, and nothing is reported. */
  closed(): boolean;
  /** The session's mm clock, which the pictures are shown by. */
  clock: PresentationClock;
  canvas: Canvas;
  /** The session's memory budget: queued encoded frames are charged to it. */
  budget: MemoryBudget;
  /** Counts an operation in the pipeline's stats (a picture dropped, say). */
  count(op: DropReason): void;
}

const describe = (r: Rect): string => `(${r.left},${r.top})-(${r.right},${r.bottom})`;
const fits = (r: Rect, width: number, height: number): boolean =>
  r.left >= 0 && r.top >= 0 && r.right <= width && r.bottom <= height && r.right > r.left && r.bottom > r.top;
const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class VideoStreams {
  private readonly streams = new Map<number, VideoStream>();
  /**
   * Ids of streams dropped here, until the server destroys or recreates them: their frames already
   * on the way are ignored quietly (the error was told once).
   */
  private readonly failed = new Set<number>();
  private readonly o: VideoStreamsOptions;

  constructor(o: VideoStreamsOptions) {
    this.o = o;
  }

  /** Ends every stream (the surfaces were reset, or the pipeline closes). */
  clear(): void {
    for (const s of [...this.streams.values()]) this.end(s);
    this.failed.clear();
  }

  /** The mm clock jumped: every stream decodes what it has queued now and shows the newest; their schedules start over. */
  clockJumped(): void {
    for (const s of this.streams.values()) s.pump.restart();
  }

  /** Once every frame received so far is decoded and the newest picture of each stream shown (at once): for a snapshot. */
  async settle(): Promise<void> {
    await Promise.all([...this.streams.values()].map((s) => s.pump.settle()));
  }

  /**
   * Applies one stream message. Throws SpiceError (the pipeline logs it and goes on) for a frame it
   * cannot draw; a stream it cannot draw or decode is dropped with a 'stream-error' event.
   */
  async apply(msg: StreamMessage, serial: bigint): Promise<void> {
    switch (msg.type) {
      case 'stream-create':
        this.create(msg.stream, serial);
        return;
      case 'stream-clip': {
        const s = this.streams.get(msg.id);
        if (s) s.clip = msg.clip;
        return;
      }
      case 'stream-destroy': {
        const s = this.streams.get(msg.id);
        if (s) this.end(s);
        this.failed.delete(msg.id);
        return;
      }
      case 'stream-destroy-all':
        this.clear();
        return;
      case 'stream-activate-report':
        return;
      case 'stream-data':
      case 'stream-data-sized':
        await this.frame(msg);
        return;
    }
  }

  private create(c: StreamCreate, serial: bigint): void {
    const old = this.streams.get(c.id);
    if (old) this.end(old);
    this.failed.delete(c.id);
    const surface = this.o.canvas.surface(c.surfaceId);
    let refusal: string | null = null;
    if (!surface) {
      refusal = `video stream ${c.id} is on surface ${c.surfaceId}, which does not exist; the stream is dropped`;
    } else if (!fits(c.dest, surface.width, surface.height)) {
      refusal = `video stream ${c.id} at ${describe(c.dest)} does not fit its ${surface.width}x${surface.height} surface ${c.surfaceId}; the stream is dropped`;
    } else if (c.srcWidth * c.srcHeight > surface.width * surface.height) {
      // Decoding allocates for the frame's size: never more pixels than the surface it is drawn on.
      refusal = `video stream ${c.id}'s frames of ${c.srcWidth}x${c.srcHeight} are larger than its ${surface.width}x${surface.height} surface ${c.surfaceId}; the stream is dropped`;
    } else if (!this.o.video.supported.some((s) => s.codec === c.codecType)) {
      refusal = `video stream ${c.id} uses ${codecName(c.codecType)}, which is not decoded here; the stream is dropped`;
    }
    if (refusal) {
      this.reportFailure(c.id, serial, refusal);
      return;
    }
    const decoder = this.o.video.create(c.codecType, c.srcWidth, c.srcHeight);
    const schedule = new FrameSchedule({
      clock: this.o.clock,
      show: (frame, dest, mm) => this.show(s, frame, dest, mm),
      dropped: (why) => this.o.count(why),
      released: () => s.pump.kick(),
      presentationDelay: () => this.o.presenter.presentationDelay?.(this.o.channelId, c.surfaceId, c.id) ?? 0,
    });
    const s: VideoStream = {
      create: c,
      serial,
      clip: c.clip,
      decoder,
      ready: null,
      gone: false,
      schedule,
      pump: new StreamPump({
        clock: this.o.clock,
        decoder,
        schedule,
        budget: this.o.budget,
        name: `video stream ${c.id}`,
        failed: (error) =>
          this.fail(s, `video stream ${c.id}: its ${codecName(c.codecType)} decoder failed on a frame (${reason(error)}); the stream is dropped`),
        dropped: (why) => this.o.count(why),
      }),
    };
    this.streams.set(c.id, s);
    decoder.then(
      (d) => {
        // Gone before its decoder was made: nothing will use it.
        if (s.gone) d.close();
        else s.ready = d;
      },
      (error: unknown) => this.fail(s, `video stream ${c.id}: no ${codecName(c.codecType)} decoder could be made for it (${reason(error)}); the stream is dropped`),
    );
  }

  /** Queues a frame that can be drawn for its stream's pump; waits only while the stream's queue is over its bounds. */
  private async frame(msg: Extract<StreamMessage, { type: 'stream-data' | 'stream-data-sized' }>): Promise<void> {
    const s = this.streams.get(msg.id);
    if (!s) {
      if (this.failed.has(msg.id)) return;
      throw new SpiceError('protocol', `a frame for video stream ${msg.id}, which does not exist here; ignoring it`);
    }
    const c = s.create;
    const sized = msg.type === 'stream-data-sized';
    const width = sized ? msg.width : c.srcWidth;
    const height = sized ? msg.height : c.srcHeight;
    const dest = sized ? msg.dest : c.dest;
    const surface = this.o.canvas.surface(c.surfaceId);
    if (!surface) throw new SpiceError('protocol', `video stream ${msg.id}: its surface ${c.surfaceId} is gone; ignoring the frame`);
    if (!fits(dest, surface.width, surface.height)) {
      throw new SpiceError('protocol', `video stream ${msg.id}: a frame at ${describe(dest)} does not fit its ${surface.width}x${surface.height} surface; ignoring the frame`);
    }
    if (width * height > surface.width * surface.height) {
      throw new SpiceError('protocol', `video stream ${msg.id}: a frame of ${width}x${height} is larger than its ${surface.width}x${surface.height} surface; ignoring the frame`);
    }
    const queued = s.pump.enqueue(msg.data, width, height, dest, msg.multiMediaTime);
    if (queued) await queued;
  }

  /** Shows a stream's picture now, where the stream is now (its clip may have changed since it was decoded). */
  private async show(s: VideoStream, frame: DecodedFrame, dest: Rect, mm: number): Promise<void> {
    const c = s.create;
    const surface = this.o.canvas.surface(c.surfaceId);
    // Gone, or its surface replaced, since it was decoded: nothing is shown.
    if (s.gone || this.o.closed() || !surface || !fits(dest, surface.width, surface.height)) {
      frame.close();
      return;
    }
    const at: FramePlacement = {
      channelId: this.o.channelId,
      surfaceId: c.surfaceId,
      streamId: c.id,
      surface,
      dest,
      clip: s.clip,
      bottomUp: (c.flags & StreamFlags.TOP_DOWN) === 0,
      mm,
    };
    let changed: Rect | null;
    try {
      changed = await this.o.presenter.present(frame, at);
    } catch (error) {
      this.fail(s, `video stream ${c.id}: a decoded picture could not be shown (${reason(error)}); the stream is dropped`);
      return;
    }
    if (changed) this.o.emit({ type: 'invalidate', channelId: this.o.channelId, surfaceId: c.surfaceId, rect: changed });
  }

  /** Drops a stream that cannot be decoded, once: one error, one event. */
  private fail(s: VideoStream, message: string): void {
    if (s.gone || this.o.closed()) return;
    this.end(s);
    this.reportFailure(s.create.id, s.serial, message);
  }

  private reportFailure(id: number, serial: bigint, message: string): void {
    this.failed.add(id);
    this.o.logger.error({ channel: `display:${this.o.channelId}`, stream: id }, message);
    this.o.emit({ type: 'stream-error', channelId: this.o.channelId, streamId: id, message, serial });
  }

  private end(s: VideoStream): void {
    if (s.gone) return;
    s.gone = true;
    if (this.streams.get(s.create.id) === s) this.streams.delete(s.create.id);
    s.pump.close();
    s.ready?.close();
    s.ready = null;
    // After a picture being shown is done: nothing of the stream may stay over the surface.
    void s.schedule.close().then(() => this.o.presenter.streamGone(this.o.channelId, s.create.id));
  }
}
