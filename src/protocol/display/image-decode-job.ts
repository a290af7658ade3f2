// A compressed image to decode, as the display pipeline hands it to its decoder: its bytes, and
// everything the decoder needs that lives with the display channel (a paletted LZ image's palette,
// resolved through the channel's palette cache). The decoder runs in the same thread (the page's
// worker, tests: run-decode-job.ts) or in other threads (the CLI's decode pool, which needs the
// bytes in a buffer of their own to transfer them). The caches, HIGH_BITS and the compositor stay
// with the pipeline. This file imports no codec, so that a host decoding elsewhere does not load
// them.
import type { GlzWindow } from '../codecs/glz-window.ts';
import type { JpegDecoder } from '../codecs/jpeg.ts';
import type { WasmDecoders } from '../codecs/wasm/wasm-decoders.ts';
import type { Inflater } from '../codecs/zlib-glz.ts';
import { SpiceError } from '../wire/errors.ts';
import type { SpiceImage } from '../pixels/draw-ops.ts';
import type { Palette } from '../pixels/formats.ts';
import type { Pixels } from '../pixels/pixels.ts';

export type DecodeJob = { width: number; height: number; data: Uint8Array } & (
  | { kind: 'quic' | 'lz-rgb' | 'lz4' | 'glz-rgb' | 'jpeg' }
  | { kind: 'lz-plt'; palette: Palette | null }
  | { kind: 'zlib-glz-rgb'; glzDataSize: number }
  | { kind: 'jpeg-alpha'; flags: number; jpegSize: number }
);

/** Decodes image jobs, here or elsewhere, in the order it receives them (GLZ's at least). */
export interface ImageDecoder {
  /**
   * `into`: a buffer the caller lends for a result it uses once and drops (drawn, not cached): a
   * decoder in this thread may return the pixels in its start instead of a fresh buffer (LZ does);
   * one in another thread ignores it.
   */
  decode(job: DecodeJob, into?: Uint32Array): Promise<Pixels>;
  /** Whether decodeJobOf must copy the bytes: true where they are transferred to another thread. */
  readonly transfersJobs: boolean;
  /** Gets ready to decode (a pool starts its first worker); idempotent. */
  prestart?(): void;
  close(): void;
}

/** What a decoding thread keeps for the whole session. */
export interface DecodeContext {
  /** The session's GLZ dictionary: every GLZ image must be decoded by the context that holds it. */
  glzWindow: GlzWindow;
  inflater?: Inflater;
  jpeg?: JpegDecoder;
  /** QUIC and LZ in WebAssembly, when the host allows it (loadWasmDecoders); else TypeScript only. */
  wasm?: WasmDecoders | null;
}

const offloaded = new Set<string>(['quic', 'lz-rgb', 'lz-plt', 'lz4', 'glz-rgb', 'zlib-glz-rgb', 'jpeg', 'jpeg-alpha']);

/** Whether this image goes to the ImageDecoder (compressed images do; bitmaps and cache hits not). */
export const isCompressed = (image: SpiceImage): boolean => offloaded.has(image.body.kind);

/** GLZ images reference each other through one window, so one decoder must see them all, in order. */
export const needsGlzWindow = (job: DecodeJob): boolean => job.kind === 'glz-rgb' || job.kind === 'zlib-glz-rgb';

/** JPEG-coded images are lossy: the cache marks them so a lossless copy can replace them. */
export const isLossy = (job: DecodeJob): boolean => job.kind === 'jpeg' || job.kind === 'jpeg-alpha';

/**
 * The job for a compressed image; `palette` is the resolved palette of an LZ_PLT image. With
 * `copy` the data is copied: the image's bytes are a view into the message body, which is not
 * ours to transfer.
 */
export function decodeJobOf(image: SpiceImage, palette: Palette | null, copy: boolean): DecodeJob {
  const { width, height } = image.descriptor;
  const body = image.body;
  const take = (data: Uint8Array): Uint8Array => (copy ? data.slice() : data);
  switch (body.kind) {
    case 'quic':
    case 'lz-rgb':
    case 'lz4':
    case 'glz-rgb':
    case 'jpeg':
      return { kind: body.kind, width, height, data: take(body.data) };
    case 'lz-plt':
      return { kind: 'lz-plt', width, height, data: take(body.data), palette };
    case 'zlib-glz-rgb':
      return { kind: 'zlib-glz-rgb', width, height, data: take(body.data), glzDataSize: body.glzDataSize };
    case 'jpeg-alpha':
      return { kind: 'jpeg-alpha', width, height, data: take(body.data), flags: body.flags, jpegSize: body.jpegSize };
    default:
      throw new SpiceError('internal', `${body.kind} images are not decoded by the decode pool`);
  }
}
