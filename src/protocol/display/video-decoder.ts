// Video stream decoders and where their pictures go: the contract between the display pipeline's
// video streams (video-streams.ts) and each host's codecs. A stream's decoder is stateful (VP8,
// VP9 and H.264 frames refer to the ones before them), so it sees every frame of its stream, in
// order, from the first. The host says which codecs it decodes (never assumed: asked of the host);
// the display channel announces exactly those. This file imports no codec, so a host that decodes
// elsewhere (WebCodecs in the page, a WebAssembly library in the CLI) loads only its own.
import type { Surface } from '../canvas/surface.ts';
import type { VideoAcceleration, VideoCodecSupport } from '../channels/display/display-sink.ts';
import type { Clip, Rect } from '../pixels/geometry.ts';
import type { Pixels } from '../pixels/pixels.ts';

export type { VideoAcceleration, VideoCodecSupport };

/** One decoded picture. Its pixels may stay where the decoder put them (on a GPU) until asked for. */
export interface DecodedFrame {
  readonly width: number;
  readonly height: number;
  /** The picture as 0xAARRGGBB words, top row first as the encoder gave it (a copy the caller owns). */
  pixels(): Promise<Pixels>;
  /**
   * The host's own picture (a WebCodecs VideoFrame in the page), for a FramePresenter that draws
   * it without a trip through the CPU; absent where the decoder works in CPU memory.
   */
  readonly native?: unknown;
  /** Gives the picture back (a VideoFrame holds one of the decoder's buffers until it is closed). */
  close(): void;
}

export interface StreamDecoder {
  readonly acceleration: VideoAcceleration;
  /**
   * Decodes the stream's next frame, of `width`×`height` (the stream's or a STREAM_DATA_SIZED
   * frame's). Resolves with its picture, or null when the frame gives none (yet); rejects with a
   * SpiceError when the stream cannot be decoded any more (the server is then told so, and sends
   * the area as ordinary draws). `data` is a view into the received message, whose buffer other
   * messages may share: copy it to keep it past the call or to transfer it to another thread.
   */
  decode(data: Uint8Array, width: number, height: number): Promise<DecodedFrame | null>;
  close(): void;
}

export interface VideoDecoders {
  /** The codecs decoded here, best first (in hardware before in software). */
  readonly supported: readonly VideoCodecSupport[];
  /** A decoder for a new stream; rejects with a SpiceError when this codec cannot be decoded after all. */
  create(codec: number, width: number, height: number): Promise<StreamDecoder>;
  close?(): void;
}

/** Where a stream's picture goes, and what its frame is drawn as. */
export interface FramePlacement {
  channelId: number;
  surfaceId: number;
  streamId: number;
  surface: Surface;
  /** The rectangle of the surface the picture is scaled into. */
  dest: Rect;
  clip: Clip;
  /** The picture's first row is the bottom one (STREAM_CREATE without TOP_DOWN). */
  bottomUp: boolean;
  /** The mm time the picture was meant for (its frame's stamp; 0 for one shown without a clock). */
  mm: number;
}

/**
 * Shows decoded pictures. The pipeline's default draws them into the software surface; the page's
 * worker keeps them on the GPU and draws them over the surface, writing them into the surface only
 * when a later draw reads or overwrites that area.
 */
export interface FramePresenter {
  /** Shows `frame` (which it now owns and must close) at `at`; returns the rectangle of the surface that changed, or null. */
  present(frame: DecodedFrame, at: FramePlacement): Promise<Rect | null>;
  /** The stream is gone (destroyed, or its surface reset): nothing of it stays over the surface. */
  streamGone(channelId: number, streamId: number): void;
  /**
   * A draw (or COPY_BITS) is about to read or write `area` of the surface: a picture shown over
   * that area must be in the surface's pixels first. The pipeline awaits it before every draw.
   */
  beforeDraw?(channelId: number, surfaceId: number, area: Rect): Promise<void> | void;
  /**
   * How long (ms) a picture of this surface handed to present() takes to reach the screen (the
   * page's overlay: until the next animation frame draws it), as measured; the stream's schedule
   * hands pictures over that much before their time. Absent, or 0, where present() shows it at once.
   * `streamId`: the stream asking (a presenter may show streams of one surface by different paths).
   */
  presentationDelay?(channelId: number, surfaceId: number, streamId: number): number;
}
