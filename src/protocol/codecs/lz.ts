// SPICE LZ images (LZ_RGB, LZ_PLT, and the alpha stream of JPEG_ALPHA) to 0xAARRGGBB pixels.
// Format facts from spice-common (common/lz.c, lz_common.h, lz_decompress_tmpl.c) and its canvas:
// - Header: seven big-endian u32: magic "LZ  " (0x20205a4c), version 1.1, type, width, height,
//   stride, top_down. The body is a FastLZ-style stream: a control byte < 32 starts a run of
//   ctrl+1 literal pixels; otherwise it starts a back reference whose length and distance follow.
// - RGB24 and RGB32 literals are three bytes b,g,r (the top byte comes out 0); RGB16 literals are
//   two bytes of x555, high byte first; PLT, A8 and alpha literals are one byte.
// - RGBA is an RGB stream for all pixels followed by a second stream that sets only the alpha
//   bytes; XXXA is that second stream alone and fills the alpha of pixels decoded elsewhere (the
//   JPEG of a JPEG_ALPHA image).
// - Paletted images count lengths and distances in bytes of packed indices; a row holds `stride`
//   bytes, of which only the first `width` pixels are shown. Palette entries lose their top byte,
//   as spice-common's palette expansion does.
// - Without top_down the rows come bottom row first.
// spice-common asserts (aborts) when the stream does not fill the image exactly or leaves bytes
// over; here both are a ProtocolError, as is any reference outside the decoded pixels.
import type { Palette } from '../pixels/formats.ts';
import type { Pixels } from '../pixels/pixels.ts';
import { ProtocolError } from '../wire/errors.ts';
import { expandRgb555 } from './bitmap.ts';
import type { WasmDecoders } from './wasm/wasm-decoders.ts';

export const LzImageType = {
  PLT1_LE: 1,
  PLT1_BE: 2,
  PLT4_LE: 3,
  PLT4_BE: 4,
  PLT8: 5,
  RGB16: 6,
  RGB24: 7,
  RGB32: 8,
  RGBA: 9,
  XXXA: 10,
  A8: 11,
} as const;

/** "LZ  " read as a big-endian u32. */
export const LZ_MAGIC = 0x20205a4c;
/** Major 1, minor 1. */
export const LZ_VERSION = 0x00010001;
export const LZ_HEADER_SIZE = 28;

/**
 * The most pixels any image codec here will allocate for one image (256 MiB of output), checked
 * before allocating whatever the stream declares.
 */
export const MAX_DECODED_PIXELS = 1 << 26;

/** Distances above this are sent in the two-byte "far" form. */
const MAX_NEAR_DISTANCE = 8191;
/** Control bytes below this start a literal run. */
const MAX_COPY = 32;

const PIXELS_PER_PLT_BYTE: Record<number, number> = { 1: 8, 2: 8, 3: 2, 4: 2, 5: 1 };
const BYTES_PER_RGB_PIXEL: Record<number, number> = { 6: 2, 7: 3, 8: 4, 9: 4, 10: 4, 11: 1 };

export interface LzHeader {
  type: number;
  width: number;
  height: number;
  stride: number;
  topDown: boolean;
}

/** The size the image descriptor declared; the stream must agree with it. */
export interface ExpectedSize {
  width: number;
  height: number;
}

export interface LzOptions {
  /**
   * The target surface is 16 bits per pixel (RGB555): the server then sends palette entries as
   * x555 values, which are widened like 16-bit pixels (spice-common's localized palette).
   */
  palette555?: boolean;
  /** For XXXA: the row order the JPEG_ALPHA flags declared; the stream must agree. */
  topDown?: boolean;
  /** The WebAssembly decoders for RGB images, when the host passes them (wasm-decoders.ts). */
  wasm?: WasmDecoders | null;
  /**
   * A buffer lent for the pixels of an RGB, A8 or paletted image (used when it has room: the
   * result is then a view of its start). Every path writes whole pixels, so what it held before
   * never shows through.
   */
  into?: Uint32Array;
}

function fail(detail: string, offset: number): never {
  throw new ProtocolError(`LZ image: ${detail}`, offset);
}

function truncated(offset: number, what: string): never {
  fail(`the stream ends inside ${what}`, offset);
}

/** The LZ-family headers are big-endian (docs/protocol.md, "Image codecs"); shared with glz.ts. */
export function readU32BE(data: Uint8Array, offset: number): number {
  return ((data[offset] << 24) | (data[offset + 1] << 16) | (data[offset + 2] << 8) | data[offset + 3]) >>> 0;
}

/**
 * Checks a width and height from a codec stream against the descriptor and the global limit.
 * Shared by the LZ-family codecs; `offset` is where the width sits.
 */
export function checkImageSize(
  codec: string,
  width: number,
  height: number,
  expected: ExpectedSize,
  offset: number,
): void {
  if (width !== expected.width || height !== expected.height) {
    throw new ProtocolError(
      `${codec} image: the stream says ${width}×${height} but the image descriptor says ${expected.width}×${expected.height}`,
      offset,
    );
  }
  if (width === 0 || height === 0) throw new ProtocolError(`${codec} image: the image is empty (${width}×${height})`, offset);
  if (width * height > MAX_DECODED_PIXELS) {
    throw new ProtocolError(`${codec} image: ${width}×${height} is over the ${MAX_DECODED_PIXELS}-pixel limit`, offset);
  }
}

/** Reads and validates the 28-byte header against the declared image size. */
export function readLzHeader(data: Uint8Array, expected: ExpectedSize): LzHeader {
  if (data.length < LZ_HEADER_SIZE) truncated(data.length, `the ${LZ_HEADER_SIZE}-byte header`);
  const magic = readU32BE(data, 0);
  if (magic !== LZ_MAGIC) fail(`bad magic 0x${magic.toString(16)} (expected 0x${LZ_MAGIC.toString(16)})`, 0);
  const version = readU32BE(data, 4);
  if (version !== LZ_VERSION) fail(`unsupported version 0x${version.toString(16)} (expected 0x${LZ_VERSION.toString(16)})`, 4);
  const type = readU32BE(data, 8);
  if (type < LzImageType.PLT1_LE || type > LzImageType.A8) fail(`unknown image type ${type}`, 8);
  const width = readU32BE(data, 12);
  const height = readU32BE(data, 16);
  const stride = readU32BE(data, 20);
  checkImageSize('LZ', width, height, expected, 12);
  const ppb = PIXELS_PER_PLT_BYTE[type];
  const rowBytes = ppb !== undefined ? Math.ceil(width / ppb) : width * BYTES_PER_RGB_PIXEL[type];
  if (stride !== rowBytes) fail(`stride ${stride} does not match a ${width}-pixel row of type ${type} (${rowBytes} bytes)`, 20);
  return { type, width, height, stride, topDown: readU32BE(data, 24) !== 0 };
}

// The match being decoded, set by readMatch: module state instead of a returned object keeps
// the inner loops free of allocation.
let matchLength = 0;
let matchDistance = 0;

/**
 * Reads the length and distance of the back reference whose control byte is `ctrl`. Sets
 * matchLength (before the per-type bias) and matchDistance; returns the next input position.
 */
function readMatch(src: Uint8Array, ip: number, ctrl: number): number {
  const end = src.length;
  let length = (ctrl >>> 5) - 1;
  if (length === 6) {
    let code: number;
    do {
      if (ip >= end) truncated(ip, 'a match length');
      code = src[ip++];
      length += code;
    } while (code === 255);
  }
  if (ip >= end) truncated(ip, 'a match distance');
  const low = src[ip++];
  let distance = ((ctrl & 31) << 8) + low;
  if (low === 255 && (ctrl & 31) === 31) {
    if (ip + 2 > end) truncated(ip, 'a far match distance');
    distance = ((src[ip] << 8) | src[ip + 1]) + MAX_NEAR_DISTANCE;
    ip += 2;
  }
  matchLength = length;
  matchDistance = distance + 1;
  return ip;
}

function checkMatch(at: number, op: number, length: number, distance: number, count: number): void {
  if (distance > op) fail(`a match reaches ${distance} back from pixel ${op}, before the start of the image`, at);
  if (length > count - op) fail(`a match of ${length} at pixel ${op} runs past the ${count} pixels of the image`, at);
}

function checkLiterals(at: number, ip: number, op: number, n: number, bytesEach: number, src: Uint8Array, count: number): void {
  if (n > count - op) fail(`${n} literals at pixel ${op} run past the ${count} pixels of the image`, at);
  if (ip + n * bytesEach > src.length) truncated(ip, `a run of ${n} literals`);
}

/**
 * Copies `length` units from `distance` back to `op`. Overlapping copies repeat the last
 * `distance` units (RLE); long ones double the repeated span per step instead of going unit by
 * unit, since dst[op - distance .. op + done) is periodic with period `distance`.
 */
export function copyMatch(dst: Uint32Array | Uint8Array, op: number, length: number, distance: number): void {
  const from = op - distance;
  if (distance === 1) {
    dst.fill(dst[from], op, op + length);
  } else if (length <= 16) {
    for (let i = op, end = op + length; i < end; i++) dst[i] = dst[i - distance];
  } else {
    for (let done = 0; done < length; ) {
      const n = Math.min(distance + done, length - done);
      dst.copyWithin(op + done, from, from + n);
      done += n;
    }
  }
}

/**
 * RGB24/RGB32 stream: three-byte literals, match length biased by 1. Returns the end position.
 * The hot loop of LZ: everything stays in locals (readMatch's module state would cost a store and
 * a load per match) and short copies are plain loops, since typed-array copyWithin and fill only
 * pay off past a few dozen pixels.
 */
function decodeRgb24Pass(src: Uint8Array, ip: number, dst: Uint32Array, count: number): number {
  const srcEnd = src.length;
  // Literals are read four bytes at a time (one unaligned load) while a fourth byte exists.
  const view = new DataView(src.buffer, src.byteOffset, srcEnd);
  let op = 0;
  while (op < count) {
    const at = ip;
    if (ip >= srcEnd) truncated(ip, 'a control byte');
    const ctrl = src[ip++];
    if (ctrl < MAX_COPY) {
      const n = ctrl + 1;
      if (n > count - op || ip + n * 3 > srcEnd) checkLiterals(at, ip, op, n, 3, src, count);
      if (ip + n * 3 < srcEnd) {
        for (const end = op + n; op < end; op++, ip += 3) dst[op] = view.getUint32(ip, true) & 0xffffff;
      } else {
        for (const end = op + n; op < end; op++, ip += 3) dst[op] = src[ip] | (src[ip + 1] << 8) | (src[ip + 2] << 16);
      }
      continue;
    }
    let length = ctrl >>> 5;
    if (length === 7) {
      let code: number;
      do {
        if (ip >= srcEnd) truncated(ip, 'a match length');
        code = src[ip++];
        length += code;
      } while (code === 255);
    }
    if (ip >= srcEnd) truncated(ip, 'a match distance');
    const low = src[ip++];
    let distance = ((ctrl & 31) << 8) + low + 1;
    if (low === 255 && (ctrl & 31) === 31) {
      if (ip + 2 > srcEnd) truncated(ip, 'a far match distance');
      distance = ((src[ip] << 8) | src[ip + 1]) + MAX_NEAR_DISTANCE + 1;
      ip += 2;
    }
    if (distance > op || length > count - op) checkMatch(at, op, length, distance, count);
    const end = op + length;
    if (length > 64) {
      copyMatch(dst, op, length, distance);
      op = end;
    } else if (distance === 1) {
      const v = dst[op - 1];
      for (; op < end; op++) dst[op] = v;
    } else {
      for (; op < end; op++) dst[op] = dst[op - distance];
    }
  }
  return ip;
}

/** RGB16 stream: two-byte x555 literals (high byte first), match length biased by 2. */
function decodeRgb16Pass(src: Uint8Array, ip: number, dst: Uint32Array, count: number): number {
  let op = 0;
  while (op < count) {
    const at = ip;
    if (ip >= src.length) truncated(ip, 'a control byte');
    const ctrl = src[ip++];
    if (ctrl < MAX_COPY) {
      const n = ctrl + 1;
      checkLiterals(at, ip, op, n, 2, src, count);
      for (const end = op + n; op < end; op++, ip += 2) dst[op] = expandRgb555((src[ip] << 8) | src[ip + 1]);
    } else {
      ip = readMatch(src, ip, ctrl);
      const length = matchLength + 2;
      checkMatch(at, op, length, matchDistance, count);
      copyMatch(dst, op, length, matchDistance);
      op += length;
    }
  }
  return ip;
}

/**
 * The alpha stream of RGBA: sets only the top byte of each word; match length biased by 3. The
 * RGB pass leaves every top byte 0, so while no literal has set a nonzero alpha a match copies
 * zeros onto zeros and can be skipped (window contents from Xspice are RGBA with alpha 0).
 */
function decodeAlphaPass(src: Uint8Array, ip: number, dst: Uint32Array, count: number): number {
  const srcEnd = src.length;
  let op = 0;
  let alphaSeen = 0;
  while (op < count) {
    const at = ip;
    if (ip >= srcEnd) truncated(ip, 'a control byte');
    const ctrl = src[ip++];
    if (ctrl < MAX_COPY) {
      const n = ctrl + 1;
      if (n > count - op || ip + n > srcEnd) checkLiterals(at, ip, op, n, 1, src, count);
      for (const end = op + n; op < end; op++) {
        const a = src[ip++];
        alphaSeen |= a;
        dst[op] = (dst[op] & 0xffffff) | (a << 24);
      }
    } else {
      ip = readMatch(src, ip, ctrl);
      const length = matchLength + 3;
      const distance = matchDistance;
      if (distance > op || length > count - op) checkMatch(at, op, length, distance, count);
      if (alphaSeen === 0) {
        op += length;
        continue;
      }
      for (const end = op + length; op < end; op++) dst[op] = (dst[op] & 0xffffff) | (dst[op - distance] & 0xff000000);
    }
  }
  return ip;
}

/** One-byte streams (palette indices, A8, XXXA alpha): match length biased by 3. */
function decodeBytePass(src: Uint8Array, ip: number, dst: Uint8Array, count: number): number {
  let op = 0;
  while (op < count) {
    const at = ip;
    if (ip >= src.length) truncated(ip, 'a control byte');
    const ctrl = src[ip++];
    if (ctrl < MAX_COPY) {
      const n = ctrl + 1;
      checkLiterals(at, ip, op, n, 1, src, count);
      dst.set(src.subarray(ip, ip + n), op);
      ip += n;
      op += n;
    } else {
      ip = readMatch(src, ip, ctrl);
      const length = matchLength + 3;
      checkMatch(at, op, length, matchDistance, count);
      copyMatch(dst, op, length, matchDistance);
      op += length;
    }
  }
  return ip;
}

/** Reverses the row order of `width`-wide rows in place. */
export function flipRows(data: Uint32Array, width: number, height: number): void {
  const row = new Uint32Array(width);
  for (let top = 0, bottom = height - 1; top < bottom; top++, bottom--) {
    const a = top * width;
    const b = bottom * width;
    row.set(data.subarray(a, a + width));
    data.copyWithin(a, b, b + width);
    data.set(row, b);
  }
}

function outputArray(out: Pixels | undefined, count: number, into: Uint32Array | undefined): Uint32Array {
  if (out && out.data.length >= count) return out.data.subarray(0, count);
  return into && into.length >= count ? into.subarray(0, count) : new Uint32Array(count);
}

/** Palette lookup table for an index width, with entries as spice-common expands them (top byte 0). */
function paletteTable(type: number, palette: Palette | null, palette555: boolean): Uint32Array {
  if (!palette) fail(`paletted image (type ${type}) without a palette`, 8);
  const entries = palette.entries;
  const n = entries.length;
  const entry = (i: number): number => {
    const e = entries[i];
    return palette555 ? expandRgb555(e & 0xffff) : e & 0xffffff;
  };
  if (type === LzImageType.PLT8) {
    const table = new Uint32Array(256);
    for (let i = 0; i < Math.min(n, 256); i++) table[i] = entry(i);
    return table;
  }
  if (type === LzImageType.PLT4_LE || type === LzImageType.PLT4_BE) {
    // spice-common takes 4-bit indices modulo the palette size.
    if (n === 0) fail('4-bit paletted image with an empty palette', 8);
    const table = new Uint32Array(16);
    for (let i = 0; i < 16; i++) table[i] = entry(i % n);
    return table;
  }
  const table = new Uint32Array(2);
  for (let i = 0; i < Math.min(n, 2); i++) table[i] = entry(i);
  return table;
}

function expandPalette(header: LzHeader, indices: Uint8Array, table: Uint32Array, dst: Uint32Array): void {
  const { type, width, height, stride, topDown } = header;
  for (let y = 0; y < height; y++) {
    const src = (topDown ? y : height - 1 - y) * stride;
    const o = y * width;
    switch (type) {
      case LzImageType.PLT8:
        for (let x = 0; x < width; x++) dst[o + x] = table[indices[src + x]];
        break;
      case LzImageType.PLT4_BE:
        for (let x = 0; x < width; x++) {
          const b = indices[src + (x >> 1)];
          dst[o + x] = table[x & 1 ? b & 0x0f : b >> 4];
        }
        break;
      case LzImageType.PLT4_LE:
        for (let x = 0; x < width; x++) {
          const b = indices[src + (x >> 1)];
          dst[o + x] = table[x & 1 ? b >> 4 : b & 0x0f];
        }
        break;
      case LzImageType.PLT1_BE:
        for (let x = 0; x < width; x++) dst[o + x] = table[(indices[src + (x >> 3)] >> (7 - (x & 7))) & 1];
        break;
      case LzImageType.PLT1_LE:
        for (let x = 0; x < width; x++) dst[o + x] = table[(indices[src + (x >> 3)] >> (x & 7)) & 1];
        break;
    }
  }
}

function checkConsumed(end: number, data: Uint8Array, codec = 'LZ'): void {
  if (end !== data.length) {
    throw new ProtocolError(`${codec} image: ${data.length - end} bytes are left over after the image is complete`, end);
  }
}

/**
 * Decodes an LZ stream (every LZ image type) to pixels, rows top-down.
 * - `palette`: the resolved palette for paletted types (LZ_PLT), null otherwise.
 * - `out`: its buffer is reused when it has room. For XXXA (the alpha stream of JPEG_ALPHA) it is
 *   required: it holds the decoded JPEG pixels, whose alpha bytes are replaced.
 * Throws ProtocolError (offset into `data`) for anything malformed.
 */
export function decodeLz(
  data: Uint8Array,
  expected: ExpectedSize,
  palette: Palette | null,
  out?: Pixels,
  options: LzOptions = {},
): Pixels {
  const header = readLzHeader(data, expected);
  const { type, width, height, topDown } = header;
  const count = width * height;
  let ip = LZ_HEADER_SIZE;

  switch (type) {
    case LzImageType.RGB16:
    case LzImageType.RGB24:
    case LzImageType.RGB32:
    case LzImageType.RGBA: {
      const pixels = outputArray(out, count, options.into);
      const hasAlpha = type === LzImageType.RGBA;
      // The WebAssembly decoder when it can run; the passes below stay the reference, the
      // fallback, and what reports a corrupt stream.
      if (type !== LzImageType.RGB16 && options.wasm?.lzRgb(data, ip, hasAlpha, width, height, topDown, pixels)) {
        return { width, height, data: pixels, hasAlpha };
      }
      if (type === LzImageType.RGB16) ip = decodeRgb16Pass(data, ip, pixels, count);
      else ip = decodeRgb24Pass(data, ip, pixels, count);
      if (type === LzImageType.RGBA) ip = decodeAlphaPass(data, ip, pixels, count);
      checkConsumed(ip, data);
      if (!topDown) flipRows(pixels, width, height);
      return { width, height, data: pixels, hasAlpha: type === LzImageType.RGBA };
    }
    case LzImageType.XXXA: {
      if (!out || out.width !== width || out.height !== height || out.data.length < count) {
        fail(`an alpha-only (XXXA) stream needs the ${width}×${height} pixels it applies to`, 8);
      }
      if (options.topDown !== undefined && options.topDown !== topDown) {
        fail(`the alpha stream is ${topDown ? 'top-down' : 'bottom-up'} but the image flags say otherwise`, 24);
      }
      const alpha = new Uint8Array(count);
      ip = decodeBytePass(data, ip, alpha, count);
      checkConsumed(ip, data);
      const pixels = out.data;
      for (let y = 0; y < height; y++) {
        const s = (topDown ? y : height - 1 - y) * width;
        const o = y * width;
        for (let x = 0; x < width; x++) pixels[o + x] = (pixels[o + x] & 0xffffff) | (alpha[s + x] << 24);
      }
      return { width, height, data: pixels.subarray(0, count), hasAlpha: true };
    }
    case LzImageType.A8: {
      const alpha = new Uint8Array(count);
      ip = decodeBytePass(data, ip, alpha, count);
      checkConsumed(ip, data);
      const pixels = outputArray(out, count, options.into);
      for (let y = 0; y < height; y++) {
        const s = (topDown ? y : height - 1 - y) * width;
        const o = y * width;
        for (let x = 0; x < width; x++) pixels[o + x] = alpha[s + x] << 24;
      }
      return { width, height, data: pixels, hasAlpha: true };
    }
    default: {
      const table = paletteTable(type, palette, options.palette555 === true);
      const indices = new Uint8Array(header.stride * height);
      ip = decodeBytePass(data, ip, indices, indices.length);
      checkConsumed(ip, data);
      const pixels = outputArray(out, count, options.into);
      expandPalette(header, indices, table, pixels);
      return { width, height, data: pixels, hasAlpha: false };
    }
  }
}
