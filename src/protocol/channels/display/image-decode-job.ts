// An image to decode somewhere else (a worker of the CLI's decode pool): its compressed bytes in
// a buffer of their own, so they can be transferred, and everything the decoder needs that lives
// with the display channel (a paletted LZ image's palette, resolved here through the channel's
// palette cache). The caches, HIGH_BITS and the compositor stay with the display pipeline.
import { decodeGlz } from '../../codecs/glz.ts';
import type { GlzWindow } from '../../codecs/glz-window.ts';
import { decodeJpegImage, type JpegDecoder } from '../../codecs/jpeg.ts';
import { decodeJpegAlphaImage } from '../../codecs/jpeg-alpha.ts';
import { decodeLz } from '../../codecs/lz.ts';
import { decodeLz4 } from '../../codecs/lz4.ts';
import { decodeQuic } from '../../codecs/quic.ts';
import { decodeZlibGlz, type Inflater } from '../../codecs/zlib-glz.ts';
import { SpiceError } from '../../wire/errors.ts';
import type { Palette, Pixels, SpiceImage } from './draw-types.ts';

export type DecodeJob = { width: number; height: number; data: Uint8Array } & (
  | { kind: 'quic' | 'lz-rgb' | 'lz4' | 'glz-rgb' | 'jpeg' }
  | { kind: 'lz-plt'; palette: Palette | null }
  | { kind: 'zlib-glz-rgb'; glzDataSize: number }
  | { kind: 'jpeg-alpha'; flags: number; jpegSize: number }
);

/** Decodes image jobs elsewhere, in the order each worker receives them. */
export interface ImageOffload {
  decode(job: DecodeJob): Promise<Pixels>;
  close(): void;
}

/** What a decoding thread keeps for the whole session. */
export interface DecodeContext {
  /** The session's GLZ dictionary: every GLZ image must be decoded by the context that holds it. */
  glzWindow: GlzWindow;
  inflater?: Inflater;
  jpeg?: JpegDecoder;
}

const offloaded = new Set<string>(['quic', 'lz-rgb', 'lz-plt', 'lz4', 'glz-rgb', 'zlib-glz-rgb', 'jpeg', 'jpeg-alpha']);

/** Whether this image is decoded by an offload (compressed images are; bitmaps and cache hits not). */
export const isOffloaded = (image: SpiceImage): boolean => offloaded.has(image.body.kind);

/** GLZ images reference each other through one window, so one decoder must see them all, in order. */
export const needsGlzWindow = (job: DecodeJob): boolean => job.kind === 'glz-rgb' || job.kind === 'zlib-glz-rgb';

/** JPEG-coded images are lossy: the cache marks them so a lossless copy can replace them. */
export const isLossy = (job: DecodeJob): boolean => job.kind === 'jpeg' || job.kind === 'jpeg-alpha';

/**
 * The job for an offloaded image; `palette` is the resolved palette of an LZ_PLT image. The data is
 * copied: the image's bytes are a view into the message body, which is not ours to transfer.
 */
export function decodeJobOf(image: SpiceImage, palette: Palette | null): DecodeJob {
  const { width, height } = image.descriptor;
  const body = image.body;
  switch (body.kind) {
    case 'quic':
    case 'lz-rgb':
    case 'lz4':
    case 'glz-rgb':
    case 'jpeg':
      return { kind: body.kind, width, height, data: body.data.slice() };
    case 'lz-plt':
      return { kind: 'lz-plt', width, height, data: body.data.slice(), palette };
    case 'zlib-glz-rgb':
      return { kind: 'zlib-glz-rgb', width, height, data: body.data.slice(), glzDataSize: body.glzDataSize };
    case 'jpeg-alpha':
      return { kind: 'jpeg-alpha', width, height, data: body.data.slice(), flags: body.flags, jpegSize: body.jpegSize };
    default:
      throw new SpiceError('internal', `${body.kind} images are not decoded by the decode pool`);
  }
}

/** Runs a job with the decoders of src/protocol/codecs; errors are theirs (ProtocolError). */
export async function runDecodeJob(job: DecodeJob, ctx: DecodeContext): Promise<Pixels> {
  const expected = { width: job.width, height: job.height };
  switch (job.kind) {
    case 'quic':
      return decodeQuic(job.data, expected);
    case 'lz-rgb':
      return decodeLz(job.data, expected, null);
    case 'lz-plt':
      return decodeLz(job.data, expected, job.palette);
    case 'lz4':
      return decodeLz4(job.data, expected);
    case 'glz-rgb':
      return decodeGlz(job.data, ctx.glzWindow, expected);
    case 'zlib-glz-rgb':
      if (!ctx.inflater) throw new SpiceError('internal', 'ZLIB_GLZ images need an inflater, and none was given to the decoder');
      return decodeZlibGlz(job, ctx.inflater, ctx.glzWindow, expected);
    case 'jpeg':
      if (!ctx.jpeg) throw new SpiceError('internal', 'JPEG images need a JPEG decoder, and none was given to the decoder');
      return decodeJpegImage(job.data, ctx.jpeg, expected);
    case 'jpeg-alpha':
      if (!ctx.jpeg) throw new SpiceError('internal', 'JPEG images need a JPEG decoder, and none was given to the decoder');
      return decodeJpegAlphaImage(job, ctx.jpeg, expected);
  }
}
