// Decoded stream pictures as the display pipeline takes them (DecodedFrame): a WebCodecs VideoFrame
// or an ImageBitmap stays where the browser decoded it (`native`, which the worker's overlay draws
// on the GPU); its pixels are copied out only when the software surface needs them (a draw over
// the video, a COPY_BITS reading it, the stream's end).
import type { VideoAcceleration } from '../../protocol/channels/display/display-sink.ts';
import type { DecodedFrame } from '../../protocol/display/video-decoder.ts';
import type { Pixels } from '../../protocol/pixels/pixels.ts';

/** A picture with what the page's status shows about its stream. */
export interface StreamPicture extends DecodedFrame {
  readonly native: VideoFrame | ImageBitmap;
  readonly codec: number;
  readonly acceleration: VideoAcceleration;
}

/** Whether a presented frame says its codec and acceleration (this page's decoders' pictures do). */
export function isStreamPicture(frame: DecodedFrame): frame is StreamPicture {
  const p = frame as Partial<StreamPicture>;
  return typeof p.codec === 'number' && (p.acceleration === 'hardware' || p.acceleration === 'software') && typeof p.native === 'object' && p.native !== null;
}

/** A picture's pixels drawn into a 2D canvas and read back: what any image source allows. */
export function canvasPixels(source: CanvasImageSource, width: number, height: number): Pixels {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('no 2D context in this worker');
  ctx.drawImage(source, 0, 0, width, height);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const count = width * height;
  const words = new Uint32Array(count);
  for (let i = 0, s = 0; i < count; i++, s += 4) words[i] = (0xff000000 | (rgba[s] << 16) | (rgba[s + 1] << 8) | rgba[s + 2]) >>> 0;
  return { width, height, data: words, hasAlpha: false };
}

/**
 * A VideoFrame's visible pixels (VP9 and H.264 frames here are coded larger than they show: 384
 * wide for 320, 258 high for 240), as 0xAARRGGBB words. copyTo converts to BGRX, whose bytes are
 * those words' little-endian memory; where a browser cannot convert, a canvas does.
 */
export async function videoFramePixels(frame: VideoFrame): Promise<Pixels> {
  const rect = frame.visibleRect ?? { x: 0, y: 0, width: frame.codedWidth, height: frame.codedHeight };
  const width = rect.width;
  const height = rect.height;
  const words = new Uint32Array(width * height);
  try {
    await frame.copyTo(words, { rect: { x: rect.x, y: rect.y, width, height }, format: 'BGRX', layout: [{ offset: 0, stride: width * 4 }] });
  } catch {
    return canvasPixels(frame, width, height);
  }
  for (let i = 0; i < words.length; i++) words[i] = (words[i] | 0xff000000) >>> 0;
  return { width, height, data: words, hasAlpha: false };
}

export class VideoFramePicture implements StreamPicture {
  readonly width: number;
  readonly height: number;

  constructor(
    readonly native: VideoFrame,
    readonly codec: number,
    readonly acceleration: VideoAcceleration,
  ) {
    this.width = native.visibleRect?.width ?? native.displayWidth;
    this.height = native.visibleRect?.height ?? native.displayHeight;
  }

  pixels(): Promise<Pixels> {
    return videoFramePixels(this.native);
  }

  close(): void {
    this.native.close();
  }
}

export class BitmapPicture implements StreamPicture {
  readonly acceleration = 'software';
  readonly width: number;
  readonly height: number;

  constructor(
    readonly native: ImageBitmap,
    readonly codec: number,
  ) {
    this.width = native.width;
    this.height = native.height;
  }

  pixels(): Promise<Pixels> {
    return Promise.resolve(canvasPixels(this.native, this.width, this.height));
  }

  close(): void {
    this.native.close();
  }
}
