// Where a display channel hands its messages: the display pipeline (src/protocol/display), in this
// thread or in a worker. The channel only frames and forwards; decoding and drawing happen behind
// this interface, which the pipeline's hosts implement (LocalDisplaySink, the page's worker, the
// gateway's bridge), so that the channel does not import the pipeline.
import type { Rect } from '../../pixels/geometry.ts';

export type PipelineEvent =
  | { type: 'surface-create'; channelId: number; surfaceId: number; width: number; height: number; primary: boolean }
  | { type: 'surface-destroy'; channelId: number; surfaceId: number }
  | { type: 'invalidate'; channelId: number; surfaceId: number; rect: Rect }
  | { type: 'mark'; channelId: number }
  /** A message that could not be applied (a corrupt image, a malformed draw); the channel goes on. */
  | { type: 'message-error'; channelId: number; message: string }
  /** Every message up to this serial has been applied. */
  | { type: 'applied'; channelId: number; serial: bigint }
  /**
   * A video stream could not be decoded (its decoder could not be made, or failed on a frame): the
   * pipeline has dropped it; the channel tells the server, which then sends the area as draws.
   */
  | {
      type: 'stream-error';
      channelId: number;
      streamId: number;
      message: string;
      /**
       * The serial of the failed stream's STREAM_CREATE: the channel, which is ahead of the
       * pipeline, may already have a newer stream of the same id, which this error is not about.
       */
      serial?: bigint;
    };

/** How a codec is decoded where it is decoded: the page's status shows it. */
export type VideoAcceleration = 'hardware' | 'software';

export interface VideoCodecSupport {
  /** A VideoCodec value (display-messages.ts). */
  codec: number;
  acceleration: VideoAcceleration;
}

export interface DisplayStats {
  ops: Record<string, number>;
  images: Record<string, number>;
  unsupported: Record<string, number>;
}

/** A copy of a primary surface, for screenshots. */
export interface SurfaceSnapshot {
  width: number;
  height: number;
  /** 0xAARRGGBB per pixel, row-major. */
  data: Uint32Array;
}

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
  /**
   * The video codecs whose stream frames this host decodes and draws, best first (in hardware
   * before in software); the display channel announces exactly these. Absent or empty: video
   * arrives as ordinary draws.
   */
  videoCodecs?(): readonly VideoCodecSupport[];
  /**
   * The session's multimedia time now (ms, the server's wrapping clock): MAIN_INIT,
   * MAIN_MULTI_MEDIA_TIME and later the audio clock set it; stream frames are shown when it
   * reaches their time.
   */
  setMediaTime?(mmNow: number): void;
  /** A compressed image is on its way: decoders that start on demand can start now. */
  expectCompressedImage?(): void;
  close(): void;
}
