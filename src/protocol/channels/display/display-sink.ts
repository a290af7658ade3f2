// Where a display channel hands its messages: the display pipeline, in this thread or in a worker.
// The channel only frames and forwards; decoding and drawing happen behind this interface.
import type { JpegDecoder } from '../../codecs/jpeg.ts';
import type { Inflater } from '../../codecs/zlib-glz.ts';
import type { Logger } from '../../logger.ts';
import { DisplayPipeline, type DisplayStats, type PipelineEvent, type SurfaceSnapshot } from './display-pipeline.ts';

export interface DisplaySink {
  /** Queues one display message body (numbers 101 and up); `body` may be kept until applied. */
  submit(channelId: number, type: number, body: Uint8Array, serial: bigint): void;
  /** Events of one display channel; returns the unsubscribe function. */
  listen(channelId: number, listener: (event: PipelineEvent) => void): () => void;
  /** The primary surface once everything submitted so far has been applied. */
  snapshot(channelId: number): Promise<SurfaceSnapshot | null>;
  stats(channelId: number): Promise<DisplayStats>;
  close(): void;
}

/** Routes pipeline events to the listeners of their channel. */
export class EventRouter {
  private readonly listeners = new Map<number, Set<(event: PipelineEvent) => void>>();

  listen(channelId: number, listener: (event: PipelineEvent) => void): () => void {
    let set = this.listeners.get(channelId);
    if (!set) this.listeners.set(channelId, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  dispatch(event: PipelineEvent): void {
    const set = this.listeners.get(event.channelId);
    if (set) for (const l of [...set]) l(event);
  }
}

/** The pipeline in the calling thread: for tests, and for hosts without workers. */
export class LocalDisplaySink implements DisplaySink {
  readonly pipeline: DisplayPipeline;
  private readonly router = new EventRouter();

  constructor(o: { logger: Logger; inflater?: Inflater; jpeg?: JpegDecoder }) {
    this.pipeline = new DisplayPipeline({ logger: o.logger, inflater: o.inflater, jpeg: o.jpeg, onEvent: (e) => this.router.dispatch(e) });
  }

  submit(channelId: number, type: number, body: Uint8Array, serial: bigint): void {
    this.pipeline.submit(channelId, type, body, serial);
  }

  listen(channelId: number, listener: (event: PipelineEvent) => void): () => void {
    return this.router.listen(channelId, listener);
  }

  async snapshot(channelId: number): Promise<SurfaceSnapshot | null> {
    await this.pipeline.drain(channelId);
    return this.pipeline.snapshot(channelId);
  }

  async stats(channelId: number): Promise<DisplayStats> {
    await this.pipeline.drain(channelId);
    return this.pipeline.stats(channelId);
  }

  close(): void {
    this.pipeline.close();
  }
}
