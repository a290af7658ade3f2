// LZ4 images (image type LZ4) to 0xAARRGGBB pixels. Layout from spice-common's canvas
// (canvas_get_lz4) and the server's lz4-encoder.c:
// - u8 top_down, u8 SpiceBitmapFmt (16BIT, 24BIT, 32BIT or RGBA), then blocks until the data
//   ends, each a big-endian u32 compressed size and a raw LZ4 block.
// - The blocks come from LZ4's streaming compressor, so a block may copy from the output of the
//   blocks before it: they are decoded one after the other into one buffer.
// - The output is the rows packed (width × bytes per pixel each), bottom row first unless
//   top_down. 16BIT is little-endian x555, 24BIT is b,g,r, 32BIT and RGBA are b,g,r,x/a; as in
//   bitmap.ts, 32BIT keeps its top byte as sent.
// LZ4 block format (lz4's doc/lz4_Block_format.md): sequences of a token (literal count in the
// high nibble, match length − 4 in the low one, 15 meaning "more bytes follow, each added, until
// one is not 255"), the literals, a little-endian u16 match offset (1..65535) and the match
// length extension. The last sequence has literals only.
// spice-common rejects an empty block or one that decodes to nothing; so does this decoder, and
// it also rejects output that does not fill the image exactly.
import type { Pixels } from '../pixels/pixels.ts';
import { BitmapFormat } from '../pixels/formats.ts';
import { ProtocolError } from '../wire/errors.ts';
import { expandRgb555 } from './bitmap.ts';
import { checkImageSize, copyMatch, flipRows, type ExpectedSize } from './lz.ts';

function fail(detail: string, offset: number): never {
  throw new ProtocolError(`LZ4 image: ${detail}`, offset);
}

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

const BYTES_PER_PIXEL: Record<number, number> = {
  [BitmapFormat.RGB16]: 2,
  [BitmapFormat.RGB24]: 3,
  [BitmapFormat.RGB32]: 4,
  [BitmapFormat.RGBA]: 4,
};

// The length readLengthExtension read (module state keeps the loop allocation-free).
let extendedLength = 0;

/** Reads a length extension (bytes added until one is not 255); returns the next position. */
function readLengthExtension(src: Uint8Array, sp: number, end: number, base: number, what: string): number {
  let length = base;
  let b: number;
  do {
    if (sp >= end) fail(`the block ends inside a ${what} length`, sp);
    b = src[sp++];
    length += b;
  } while (b === 255);
  extendedLength = length;
  return sp;
}

/**
 * Decodes one raw LZ4 block, src[start..end), into dst from position `dp`, never writing at or
 * past `dEnd`. Matches may reach back to dst[0] (the earlier blocks of the stream). Returns the
 * new output position. Offsets in errors are positions in `src`.
 */
export function decodeLz4Block(src: Uint8Array, start: number, end: number, dst: Uint8Array, dp: number, dEnd: number): number {
  let sp = start;
  for (;;) {
    const at = sp;
    if (sp >= end) fail('the block ends where a sequence should start', sp);
    const token = src[sp++];
    let literals = token >>> 4;
    if (literals === 15) {
      sp = readLengthExtension(src, sp, end, 15, 'literal');
      literals = extendedLength;
    }
    if (literals > end - sp) fail(`${literals} literals run past the end of the block`, at);
    if (literals > dEnd - dp) fail(`${literals} literals run past the end of the image`, at);
    if (literals < 16) for (let i = 0; i < literals; i++) dst[dp++] = src[sp++];
    else {
      dst.set(src.subarray(sp, sp + literals), dp);
      sp += literals;
      dp += literals;
    }
    if (sp === end) return dp;

    if (sp + 2 > end) fail('the block ends inside a match offset', sp);
    const offset = src[sp] | (src[sp + 1] << 8);
    sp += 2;
    if (offset === 0) fail('a match has offset 0', sp - 2);
    if (offset > dp) fail(`a match reaches ${offset} bytes back from byte ${dp} of the image`, sp - 2);
    let length = token & 15;
    if (length === 15) {
      sp = readLengthExtension(src, sp, end, 15, 'match');
      length = extendedLength;
    }
    length += 4;
    if (length > dEnd - dp) fail(`a match of ${length} bytes runs past the end of the image`, at);
    copyMatch(dst, dp, length, offset);
    dp += length;
  }
}

/**
 * Decodes an LZ4 image to pixels, rows top-down. `out`'s buffer is reused when it has room.
 * Throws ProtocolError (offset into `data`) for anything malformed.
 */
export function decodeLz4(data: Uint8Array, expected: ExpectedSize, out?: Pixels): Pixels {
  if (data.length < 2) fail('the data ends inside the 2-byte header', data.length);
  const topDown = data[0] !== 0;
  const format = data[1];
  const bytesPerPixel = BYTES_PER_PIXEL[format];
  if (bytesPerPixel === undefined) fail(`bitmap format ${format} cannot be sent as LZ4 (only 16BIT, 24BIT, 32BIT and RGBA)`, 1);
  const { width, height } = expected;
  checkImageSize('LZ4', width, height, expected, 0);
  const rowBytes = width * bytesPerPixel;
  const total = rowBytes * height;
  const count = width * height;
  const pixels = out && out.data.length >= count ? out.data.subarray(0, count) : new Uint32Array(count);
  // 32-bit rows are the pixel words' bytes on a little-endian host: decode straight into them.
  const direct = bytesPerPixel === 4 && LITTLE_ENDIAN_HOST;
  const raw = direct ? new Uint8Array(pixels.buffer, pixels.byteOffset, total) : new Uint8Array(total);

  let sp = 2;
  let dp = 0;
  do {
    if (sp + 4 > data.length) fail('the data ends inside a block size', sp);
    const size = ((data[sp] << 24) | (data[sp + 1] << 16) | (data[sp + 2] << 8) | data[sp + 3]) >>> 0;
    if (size === 0) fail('a block is empty', sp);
    if (size > data.length - sp - 4) fail(`a block declares ${size} bytes but only ${data.length - sp - 4} remain`, sp);
    sp += 4;
    const before = dp;
    dp = decodeLz4Block(data, sp, sp + size, raw, dp, total);
    if (dp === before) fail('a block decodes to nothing', sp);
    sp += size;
  } while (sp < data.length);
  if (dp !== total) fail(`the blocks decode to ${dp} bytes; a ${width}×${height} image of format ${format} needs ${total}`, sp);

  if (direct) {
    if (!topDown) flipRows(pixels, width, height);
    return { width, height, data: pixels, hasAlpha: format === BitmapFormat.RGBA };
  }
  for (let y = 0; y < height; y++) {
    let s = (topDown ? y : height - 1 - y) * rowBytes;
    const o = y * width;
    switch (format) {
      case BitmapFormat.RGB16:
        for (let x = 0; x < width; x++, s += 2) pixels[o + x] = expandRgb555(raw[s] | (raw[s + 1] << 8));
        break;
      case BitmapFormat.RGB24:
        for (let x = 0; x < width; x++, s += 3) pixels[o + x] = raw[s] | (raw[s + 1] << 8) | (raw[s + 2] << 16);
        break;
      default:
        for (let x = 0; x < width; x++, s += 4) pixels[o + x] = raw[s] | (raw[s + 1] << 8) | (raw[s + 2] << 16) | (raw[s + 3] << 24);
    }
  }
  return { width, height, data: pixels, hasAlpha: format === BitmapFormat.RGBA };
}
