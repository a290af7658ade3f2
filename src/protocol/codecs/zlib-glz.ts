// ZLIB_GLZ_RGB images: a GLZ stream wrapped in an ordinary zlib (RFC 1950) stream, which the
// server uses over slow links (its zlib-glz WAN option). spice-gtk (src/decode-zlib.c) inflates
// the message's data into a buffer of the declared glz_data_size and decodes that as GLZ.
// Inflating is not done here: src/protocol has no zlib, so the host injects one (node:zlib in
// main, DecompressionStream-based code in browsers).
import type { Pixels } from '../pixels/pixels.ts';
import { ProtocolError, SpiceError } from '../wire/errors.ts';
import { decodeGlz, type GlzDecodeOptions } from './glz.ts';
import type { GlzWindow } from './glz-window.ts';
import type { ExpectedSize } from './lz.ts';

export interface Inflater {
  /**
   * Inflates a complete zlib stream. It must not produce more than `expectedSize` bytes (it may
   * throw instead); the caller checks that exactly `expectedSize` came out.
   */
  inflate(data: Uint8Array, expectedSize: number): Uint8Array;
}

/**
 * The largest GLZ stream accepted for a width×height image: the server never sends one larger
 * than the raw pixels, and twice the RGBA size leaves room for any valid encoding choice.
 */
export function maxGlzDataSize(expected: ExpectedSize): number {
  return 8 * expected.width * expected.height + 1024;
}

/**
 * Inflates and decodes a ZLIB_GLZ_RGB image; the result and its waiting behave as decodeGlz's.
 * Throws ProtocolError for a declared size out of bounds, a corrupt zlib stream, or a size that
 * does not match; offsets are into the zlib data.
 */
export function decodeZlibGlz(
  body: { glzDataSize: number; data: Uint8Array },
  inflater: Inflater,
  window: GlzWindow,
  expected: ExpectedSize,
  options: GlzDecodeOptions = {},
): Pixels | Promise<Pixels> {
  const size = body.glzDataSize;
  const limit = maxGlzDataSize(expected);
  if (!Number.isInteger(size) || size <= 0 || size > limit) {
    throw new ProtocolError(
      `ZLIB_GLZ image: declares ${size} bytes of GLZ data; a ${expected.width}×${expected.height} image needs at most ${limit}`,
      0,
    );
  }
  let glz: Uint8Array;
  try {
    glz = inflater.inflate(body.data, size);
  } catch (error) {
    if (error instanceof SpiceError) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new ProtocolError(`ZLIB_GLZ image: the zlib stream does not inflate to ${size} bytes (${why})`, 0);
  }
  if (glz.length !== size) {
    throw new ProtocolError(`ZLIB_GLZ image: the zlib stream inflates to ${glz.length} bytes, not the declared ${size}`, 0);
  }
  return decodeGlz(glz, window, expected, options);
}
