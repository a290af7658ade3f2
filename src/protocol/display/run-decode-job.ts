// Decoding a DecodeJob with the codecs of src/protocol/codecs: in the decode pool's workers (CLI),
// and as the display pipeline's decoder where it decodes in its own thread (the page's Web Worker,
// tests).
import { decodeGlz } from '../codecs/glz.ts';
import { GlzWindow } from '../codecs/glz-window.ts';
import { decodeJpegImage, type JpegDecoder } from '../codecs/jpeg.ts';
import { decodeJpegAlphaImage } from '../codecs/jpeg-alpha.ts';
import { decodeLz } from '../codecs/lz.ts';
import { decodeLz4 } from '../codecs/lz4.ts';
import { decodeQuic } from '../codecs/quic.ts';
import type { WasmDecoders } from '../codecs/wasm/wasm-decoders.ts';
import { decodeZlibGlz, type Inflater } from '../codecs/zlib-glz.ts';
import { SpiceError } from '../wire/errors.ts';
import type { Pixels } from '../pixels/pixels.ts';
import type { DecodeContext, DecodeJob, ImageDecoder } from './image-decode-job.ts';

/** Runs a job; errors are the decoders' (ProtocolError with the offset in the image). `into`: see ImageDecoder.decode. */
export async function runDecodeJob(job: DecodeJob, ctx: DecodeContext, into?: Uint32Array): Promise<Pixels> {
  const expected = { width: job.width, height: job.height };
  switch (job.kind) {
    case 'quic':
      return decodeQuic(job.data, expected, lentOutput(job, into).out, ctx.wasm ?? null);
    case 'lz-rgb':
      return decodeLz(job.data, expected, null, undefined, { wasm: ctx.wasm, into });
    case 'lz-plt':
      return decodeLz(job.data, expected, job.palette, undefined, { wasm: ctx.wasm, into });
    case 'lz4':
      return decodeLz4(job.data, expected);
    case 'glz-rgb':
      return decodeGlz(job.data, ctx.glzWindow, expected, lentOutput(job, into));
    case 'zlib-glz-rgb':
      if (!ctx.inflater) throw new SpiceError('internal', 'ZLIB_GLZ images need an inflater, and none was given to the decoder');
      return decodeZlibGlz(job, ctx.inflater, ctx.glzWindow, expected, lentOutput(job, into));
    case 'jpeg':
      if (!ctx.jpeg) throw new SpiceError('internal', 'JPEG images need a JPEG decoder, and none was given to the decoder');
      return decodeJpegImage(job.data, ctx.jpeg, expected);
    case 'jpeg-alpha':
      if (!ctx.jpeg) throw new SpiceError('internal', 'JPEG images need a JPEG decoder, and none was given to the decoder');
      return decodeJpegAlphaImage(job, ctx.jpeg, expected);
  }
}

/**
 * The lent buffer as an output of the job's size (QUIC's, and GLZ's output copy: its window keeps
 * an image of its own), when there is one with room.
 */
function lentOutput(job: DecodeJob, into: Uint32Array | undefined): { out?: Pixels } {
  const count = job.width * job.height;
  return into && into.length >= count ? { out: { width: job.width, height: job.height, data: into.subarray(0, count), hasAlpha: false } } : {};
}

/** Decodes in the calling thread, with its own GLZ window (one per session). */
export function localImageDecoder(o: { inflater?: Inflater; jpeg?: JpegDecoder; wasm?: WasmDecoders | null } = {}): ImageDecoder {
  const ctx: DecodeContext = { glzWindow: new GlzWindow(), inflater: o.inflater, jpeg: o.jpeg, wasm: o.wasm };
  return {
    transfersJobs: false,
    decode: (job, into) => runDecodeJob(job, ctx, into),
    close: () => ctx.glzWindow.close(),
  };
}
