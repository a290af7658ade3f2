// The display pipeline as a DisplaySink in the calling thread: the CLI's (with a decoder that
// decodes in worker threads) and the tests'.
import type { DisplaySink, DisplayStats, PipelineEvent, SurfaceSnapshot, VideoCodecSupport } from '../channels/display/display-sink.ts';
import type { Logger } from '../logger.ts';
import { DisplayPipeline } from './display-pipeline.ts';
import { EventRouter } from './event-router.ts';
import type { ImageDecoder } from './image-decode-job.ts';
import type { MemoryBudget } from '../wire/memory-budget.ts';
import type { FramePresenter, VideoDecoders } from './video-decoder.ts';
import type { PresentationTimer } from './presentation-clock.ts';

/**
 * The pipeline in the calling thread: the CLI's, with a decoder that decodes the compressed images
 * in worker threads; tests', with localImageDecoder or none.
 */
export class LocalDisplaySink implements DisplaySink {
  readonly pipeline: DisplayPipeline;
  private readonly router = new EventRouter();

  /**
   * `budget`: the session's (give the Session the same one), so that surfaces and caches count in it.
   * `video`: the stream codecs decoded here (the CLI: mjpegVideoDecoders over its decode pool, with
   * VP8/VP9); none by default, and the server then sends video as ordinary draws.
   */
  constructor(o: {
    logger: Logger;
    decoder?: ImageDecoder;
    video?: VideoDecoders;
    framePresenter?: FramePresenter;
    presentationTimer?: PresentationTimer;
    budget?: MemoryBudget;
    announcedCachePixels?: number;
  }) {
    this.pipeline = new DisplayPipeline({
      logger: o.logger,
      decoder: o.decoder,
      video: o.video,
      framePresenter: o.framePresenter,
      presentationTimer: o.presentationTimer,
      budget: o.budget,
      announcedCachePixels: o.announcedCachePixels,
      onEvent: (e) => this.router.dispatch(e),
    });
  }

  submit(channelId: number, type: number, body: Uint8Array, serial: bigint): void {
    this.pipeline.submit(channelId, type, body, serial);
  }

  listen(channelId: number, listener: (event: PipelineEvent) => void): () => void {
    return this.router.listen(channelId, listener);
  }

  async snapshot(channelId: number, options: { live?: boolean } = {}): Promise<SurfaceSnapshot | null> {
    await this.pipeline.settle(channelId);
    if (!options.live) return this.pipeline.snapshot(channelId);
    const s = this.pipeline.primarySurface(channelId);
    return s ? { width: s.width, height: s.height, data: s.data } : null;
  }

  async stats(channelId: number): Promise<DisplayStats> {
    await this.pipeline.drain(channelId);
    return this.pipeline.stats(channelId);
  }

  videoCodecs(): readonly VideoCodecSupport[] {
    return this.pipeline.video.supported;
  }

  setMediaTime(mmNow: number): void {
    this.pipeline.setMediaTime(mmNow);
  }

  expectCompressedImage(): void {
    this.pipeline.expectCompressedImage();
  }

  close(): void {
    this.pipeline.close();
  }
}
