// SPICE JPEG_ALPHA images: a JPEG of the colour channels followed by an LZ stream of type XXXA
// that carries the alpha bytes; spice-server sends them for lossy RGBA bitmaps. Facts from
// spice-common common/canvas_base.c (canvas_get_jpeg_alpha):
// - The body's jpeg_size bytes are the JPEG; the rest of its data is the alpha stream.
// - The JPEG always comes out top row first. The alpha stream's top_down must equal the body's
//   TOP_DOWN flag; without it the alpha rows come bottom row first (so the first alpha row sent
//   belongs to the last JPEG row).
// - The alpha stream must be XXXA and of the JPEG's size; the result is ARGB.
import type { Pixels } from '../pixels/pixels.ts';
import { ProtocolError } from '../wire/errors.ts';
import { decodeJpegImage, type JpegDecoder } from './jpeg.ts';
import { decodeLz, LzImageType, readLzHeader, type ExpectedSize } from './lz.ts';

export const JpegAlphaFlags = { TOP_DOWN: 1 } as const;

export interface JpegAlphaBody {
  flags: number;
  /** How many bytes of `data` are the JPEG. */
  jpegSize: number;
  data: Uint8Array;
}

/**
 * Decodes a JPEG_ALPHA image: the JPEG with the injected decoder, then the alpha stream into its
 * pixels' top bytes. The alpha stream's header is checked before the JPEG is decoded. Synchronous
 * when the decoder is. Throws (or rejects with) ProtocolError for anything malformed; offsets are
 * into the JPEG, or into the alpha stream for errors found there.
 */
export function decodeJpegAlphaImage(body: JpegAlphaBody, decoder: JpegDecoder, expected: ExpectedSize): Pixels | Promise<Pixels> {
  const { data, jpegSize } = body;
  if (!Number.isInteger(jpegSize) || jpegSize <= 0 || jpegSize >= data.length) {
    throw new ProtocolError(
      `JPEG_ALPHA image: a JPEG of ${jpegSize} bytes does not fit in ${data.length} bytes of data with an alpha stream after it`,
      0,
    );
  }
  const alpha = data.subarray(jpegSize);
  const header = readLzHeader(alpha, expected);
  if (header.type !== LzImageType.XXXA) {
    throw new ProtocolError(`JPEG_ALPHA image: the alpha stream is LZ type ${header.type}, not XXXA (${LzImageType.XXXA})`, 8);
  }
  const topDown = (body.flags & JpegAlphaFlags.TOP_DOWN) !== 0;
  if (header.topDown !== topDown) {
    throw new ProtocolError(
      `JPEG_ALPHA image: the alpha stream is ${header.topDown ? 'top-down' : 'bottom-up'} but the image flags say ${topDown ? 'top-down' : 'bottom-up'}`,
      24,
    );
  }
  const applyAlpha = (pixels: Pixels): Pixels => decodeLz(alpha, expected, null, pixels, { topDown });
  const colour = decodeJpegImage(data.subarray(0, jpegSize), decoder, expected);
  return colour instanceof Promise ? colour.then(applyAlpha) : applyAlpha(colour);
}
