// JPEG decoding for the session in Node (the CLI and the display worker): jpeg-js, a pure-JS
// decoder (no native module to build or ship). The renderer uses the browser's decoder behind
// the same JpegDecoder interface instead.
import { decode } from 'jpeg-js';
import type { Pixels } from '../../protocol/pixels/pixels.ts';
import type { JpegDecoder } from '../../protocol/codecs/jpeg.ts';
import type { ExpectedSize } from '../../protocol/codecs/lz.ts';

/**
 * What jpeg-js may allocate for one image, in bytes per pixel of the MCU-padded frame: 4 per
 * component for the DCT blocks (Int32Array(64) per 8×8), 1 per component for the sample lines,
 * 3 for the interleaved output and 3 for the copy returned, with room to spare.
 */
const BYTES_PER_PADDED_PIXEL = 24;
/** Quantization and Huffman tables, comments, EXIF: small, but counted by jpeg-js too. */
const TABLE_BYTES = 1 << 20;
/** The largest MCU is 32×32 pixels (sampling factor 4), so padding adds at most 31 per side. */
const MAX_MCU_PADDING = 32;

/** jpeg-js's memory cap (maxMemoryUsageInMB) for an image of this size. */
export function jpegMemoryLimitMB(expected: ExpectedSize): number {
  const padded = (expected.width + MAX_MCU_PADDING) * (expected.height + MAX_MCU_PADDING);
  return Math.ceil((padded * BYTES_PER_PADDED_PIXEL + TABLE_BYTES) / (1024 * 1024));
}

export const nodeJpegDecoder: JpegDecoder = {
  decode(jpeg: Uint8Array, expected: ExpectedSize): Pixels {
    const count = expected.width * expected.height;
    const image = decode(jpeg, {
      useTArray: true,
      formatAsRGBA: false,
      // Fail on a block the scan does not cover instead of leaving it blank.
      tolerantDecoding: false,
      // Both limits are checked by jpeg-js before it allocates: a frame larger than the declared
      // image, or a stream that asks for more tables and blocks than such an image needs, stops
      // there. (decodeJpegImage has already compared the frame header with the descriptor.)
      maxResolutionInMP: (count + 1) / 1e6,
      maxMemoryUsageInMB: jpegMemoryLimitMB(expected),
    });
    if (image.width !== expected.width || image.height !== expected.height) {
      throw new Error(`jpeg-js decoded ${image.width}×${image.height}, not ${expected.width}×${expected.height}`);
    }
    const rgb = image.data;
    if (rgb.length < count * 3) throw new Error(`jpeg-js returned ${rgb.length} bytes for ${count} pixels`);
    const words = new Uint32Array(count);
    for (let i = 0, s = 0; i < count; i++, s += 3) words[i] = (rgb[s] << 16) | (rgb[s + 1] << 8) | rgb[s + 2];
    return { width: expected.width, height: expected.height, data: words, hasAlpha: false };
  },
};
