// Where a display channel hands its messages: the display pipeline, in this thread or in a worker.
// The channel only frames and forwards; decoding and drawing happen behind this interface.
import type { Logger } from '../../logger.ts';
import { DisplayPipeline, type DisplayStats, type PipelineEvent, type SurfaceSnapshot } from './display-pipeline.ts';
import type { ImageDecoder } from './image-decode-job.ts';
import { EventRouter } from './event-router.ts';

export interface DisplaySink {
  /** Queues one display message body (numbers 101 and up); `body` may be kept until applied. */
  submit(channelId: number, type: number, body: Uint8Array, serial: bigint): void;
  /** Events of one display channel; returns the unsubscribe function. */
  listen(channelId: number, listener: (event: PipelineEvent) => void): () => void;
  /**
   * The primary surface once everything submitted so far has been applied: a copy, or with
   * `live` the surface itself, for a caller that reads it before anything else is drawn (a capture
   * that closes the session first: 8 MB not copied for a 1920x1080 screen).
   */
  snapshot(channelId: number, options?: { live?: boolean }): Promise<SurfaceSnapshot | null>;
  stats(channelId: number): Promise<DisplayStats>;
  /** A compressed image is on its way: decoders that start on demand can start now. */
  expectCompressedImage?(): void;
  close(): void;
}

/**
 * The pipeline in the calling thread: the CLI's, with a decoder that decodes the compressed images
 * in worker threads; tests', with localImageDecoder or none.
 */
export class LocalDisplaySink implements DisplaySink {
  readonly pipeline: DisplayPipeline;
  private readonly router = new EventRouter();

  constructor(o: { logger: Logger; decoder?: ImageDecoder }) {
    this.pipeline = new DisplayPipeline({ logger: o.logger, decoder: o.decoder, onEvent: (e) => this.router.dispatch(e) });
  }

  submit(channelId: number, type: number, body: Uint8Array, serial: bigint): void {
    this.pipeline.submit(channelId, type, body, serial);
  }

  listen(channelId: number, listener: (event: PipelineEvent) => void): () => void {
    return this.router.listen(channelId, listener);
  }

  async snapshot(channelId: number, options: { live?: boolean } = {}): Promise<SurfaceSnapshot | null> {
    await this.pipeline.drain(channelId);
    if (!options.live) return this.pipeline.snapshot(channelId);
    const s = this.pipeline.primarySurface(channelId);
    return s ? { width: s.width, height: s.height, data: s.data } : null;
  }

  async stats(channelId: number): Promise<DisplayStats> {
    await this.pipeline.drain(channelId);
    return this.pipeline.stats(channelId);
  }

  expectCompressedImage(): void {
    this.pipeline.expectCompressedImage();
  }

  close(): void {
    this.pipeline.close();
  }
}
