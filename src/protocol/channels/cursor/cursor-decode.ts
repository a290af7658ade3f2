// Every SPICE cursor type turned into straight (not premultiplied) RGBA, row by row, top row first,
// ready for ImageData or a texture. Pure: a renderer can run it in its own process.
//
// Windows-style cursors (MONO and the COLORn types) combine an AND mask with a colour:
//   screen = (screen AND mask) XOR colour.
// mask 0 paints the colour; mask 1 with black leaves the screen alone (transparent); mask 1 with
// white inverts the screen; mask 1 with another colour XORs the screen with it. A local cursor
// (the OS pointer, a CSS cursor) cannot invert what is under it, so, as spice-gtk does:
// - MONO: an inverting pixel becomes opaque white, and when the whole AND mask is ones (a cursor
//   made only of inverting pixels, like Windows' text I-beam) every transparent pixel touching an
//   inverting one (8-neighbourhood, away from the image border) becomes opaque black, so that
//   the shape shows on any background;
// - COLORn: an inverting pixel becomes a dark grey checker: (48,48,48,192) where x+y is odd,
//   (80,80,80,48) where it is even; mask 1 with a colour other than white or black (XOR with
//   that colour) becomes transparent.
// Every inverting pixel is also flagged in `invertMask`, so that a renderer that draws the cursor
// into the view itself (server mouse mode) can invert the screen there instead of drawing the
// stand-in.
import { ProtocolError, type WireContext } from '../../wire/errors.ts';
import { cursorShapeProblem, CursorType, type CursorHeader } from './cursor-messages.ts';

export interface CursorImage {
  width: number;
  height: number;
  /** The hot spot, inside the image. */
  hotX: number;
  hotY: number;
  /** width*height*4 bytes, straight alpha. */
  rgba: Uint8ClampedArray;
  /** width*height bytes, 1 where the cursor inverts the screen; absent when no pixel does. */
  invertMask?: Uint8Array;
}

export interface CursorDecodeOptions {
  /**
   * ALPHA cursors from X servers (Xspice, the X QXL driver) carry premultiplied ARGB, as X's
   * Render cursors are, and spice's original client blended them as premultiplied; they are
   * turned back into straight alpha. Set false for a server known to send straight alpha.
   */
  alphaPremultiplied?: boolean;
}

/** What a decoder gets: the header and the pixel data (a WireCursor fits). */
export interface CursorShape {
  header: CursorHeader | null;
  data: Uint8Array;
}

const INVERT_ODD = [0x30, 0x30, 0x30, 0xc0] as const;
const INVERT_EVEN = [0x50, 0x50, 0x50, 0x30] as const;

/** Bit x of a 1-bpp row, most significant bit first. */
/** Each color cursor type's pixel decoder; each returns where its AND mask starts. */
const colorDecoders: Record<number, (width: number, height: number, data: Uint8Array, out: Uint8ClampedArray) => number> = {
  [CursorType.COLOR4]: decodeColor4,
  [CursorType.COLOR8]: decodeColor8,
  [CursorType.COLOR16]: decodeColor16,
  [CursorType.COLOR24]: decodeColor24,
  [CursorType.COLOR32]: decodeColor32,
};

const bitAt = (bytes: Uint8Array, rowStart: number, x: number): number => (bytes[rowStart + (x >> 3)] >> (7 - (x & 7))) & 1;

/**
 * Decodes a cursor with a shape (not NONE, not FROM_CACHE) into RGBA. Throws ProtocolError when
 * the header is missing, the type unknown, the size over the limit or the data too short.
 */
export function decodeCursor(cursor: CursorShape, options: CursorDecodeOptions = {}, context: WireContext = { channel: 'cursor' }): CursorImage {
  const h = cursor.header;
  if (!h) throw new ProtocolError('a cursor without a shape (flag NONE) cannot be decoded', 0, context);
  const problem = cursorShapeProblem(h, cursor.data.byteLength);
  if (problem) throw new ProtocolError(problem.detail, 0, context);
  const { width, height } = h;
  const rgba = new Uint8ClampedArray(width * height * 4);
  const invert = new Uint8Array(width * height);
  const data = cursor.data;
  let inverted = false;
  switch (h.type) {
    case CursorType.ALPHA:
      decodeAlpha(width, height, data, rgba, options.alphaPremultiplied ?? true);
      break;
    case CursorType.MONO:
      inverted = decodeMono(width, height, data, rgba, invert);
      break;
    default: {
      // The color types: the pixels, then the AND mask where they end.
      const colorsEnd = colorDecoders[h.type](width, height, data, rgba);
      inverted = applyAndMask(width, height, data.subarray(colorsEnd), rgba, invert);
    }
  }
  const image: CursorImage = {
    width,
    height,
    // A hot spot outside the image means nothing to a local cursor (browsers ignore one); spice-gtk
    // clamps it too, though to the width itself rather than the last pixel.
    hotX: Math.min(h.hotX, Math.max(0, width - 1)),
    hotY: Math.min(h.hotY, Math.max(0, height - 1)),
    rgba,
  };
  if (inverted) image.invertMask = invert;
  return image;
}

/** ARGB32 little-endian (bytes B, G, R, A). */
export function decodeAlpha(width: number, height: number, data: Uint8Array, out: Uint8ClampedArray, premultiplied: boolean): void {
  const n = width * height * 4;
  for (let i = 0; i < n; i += 4) {
    const a = data[i + 3];
    let r = data[i + 2];
    let g = data[i + 1];
    let b = data[i];
    if (premultiplied && a !== 255) {
      if (a === 0) {
        r = g = b = 0;
      } else {
        // Rounded; a component above alpha (invalid premultiplied data) saturates at 255.
        r = Math.min(255, Math.round((r * 255) / a));
        g = Math.min(255, Math.round((g * 255) / a));
        b = Math.min(255, Math.round((b * 255) / a));
      }
    }
    out[i] = r;
    out[i + 1] = g;
    out[i + 2] = b;
    out[i + 3] = a;
  }
}

/** AND mask then XOR mask, 1 bpp, rows padded to whole bytes. Returns whether any pixel inverts. */
export function decodeMono(width: number, height: number, data: Uint8Array, out: Uint8ClampedArray, invert: Uint8Array): boolean {
  const stride = Math.ceil(width / 8);
  const xorStart = stride * height;
  let andAllOnes = true;
  let anyInvert = false;
  for (let y = 0; y < height; y++) {
    const andRow = y * stride;
    const xorRow = xorStart + y * stride;
    for (let x = 0; x < width; x++) {
      const and = bitAt(data, andRow, x);
      const xor = bitAt(data, xorRow, x);
      const p = y * width + x;
      const o = p * 4;
      if (!and) andAllOnes = false;
      if (and && xor) {
        invert[p] = 1;
        anyInvert = true;
      }
      const white = xor ? 255 : 0;
      out[o] = white;
      out[o + 1] = white;
      out[o + 2] = white;
      out[o + 3] = and && !xor ? 0 : 255;
    }
  }
  if (andAllOnes && anyInvert) outlineInvertedPixels(width, height, data.subarray(xorStart), stride, out);
  return anyInvert;
}

/** Black outline around the XOR pixels of an all-inverting mono cursor (interior pixels only). */
function outlineInvertedPixels(width: number, height: number, xor: Uint8Array, stride: number, out: Uint8ClampedArray): void {
  const set = (x: number, y: number): number => bitAt(xor, y * stride, x);
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      if (set(x, y)) continue;
      const touches =
        set(x - 1, y - 1) | set(x, y - 1) | set(x + 1, y - 1) |
        set(x - 1, y) | set(x + 1, y) |
        set(x - 1, y + 1) | set(x, y + 1) | set(x + 1, y + 1);
      if (!touches) continue;
      const o = (y * width + x) * 4;
      out[o] = 0;
      out[o + 1] = 0;
      out[o + 2] = 0;
      out[o + 3] = 255;
    }
  }
}

/** A palette entry (xRGB little-endian) into an opaque pixel. */
function putPaletteEntry(data: Uint8Array, entryAt: number, out: Uint8ClampedArray, o: number): void {
  out[o] = data[entryAt + 2];
  out[o + 1] = data[entryAt + 1];
  out[o + 2] = data[entryAt];
  out[o + 3] = 255;
}

/** 4-bit palette indices, high nibble first, rows padded to whole bytes; then 16 entries. Returns where the AND mask starts. */
export function decodeColor4(width: number, height: number, data: Uint8Array, out: Uint8ClampedArray): number {
  const stride = Math.ceil(width / 2);
  const palette = stride * height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const byte = data[y * stride + (x >> 1)];
      const index = x & 1 ? byte & 0x0f : byte >> 4;
      putPaletteEntry(data, palette + index * 4, out, (y * width + x) * 4);
    }
  }
  return palette + 16 * 4;
}

/** 8-bit palette indices; then 256 entries. Returns where the AND mask starts. */
export function decodeColor8(width: number, height: number, data: Uint8Array, out: Uint8ClampedArray): number {
  const n = width * height;
  for (let p = 0; p < n; p++) putPaletteEntry(data, n + data[p] * 4, out, p * 4);
  return n + 256 * 4;
}

/** x555 little-endian; each 5-bit channel widened by bit replication, as bitmaps are. Returns where the AND mask starts. */
export function decodeColor16(width: number, height: number, data: Uint8Array, out: Uint8ClampedArray): number {
  const n = width * height;
  for (let p = 0; p < n; p++) {
    const v = data[2 * p] | (data[2 * p + 1] << 8);
    const r = (v >> 10) & 0x1f;
    const g = (v >> 5) & 0x1f;
    const b = v & 0x1f;
    const o = p * 4;
    out[o] = (r << 3) | (r >> 2);
    out[o + 1] = (g << 3) | (g >> 2);
    out[o + 2] = (b << 3) | (b >> 2);
    out[o + 3] = 255;
  }
  return n * 2;
}

/** Bytes B, G, R per pixel, rows unpadded. Returns where the AND mask starts. */
export function decodeColor24(width: number, height: number, data: Uint8Array, out: Uint8ClampedArray): number {
  const n = width * height;
  for (let p = 0; p < n; p++) {
    const o = p * 4;
    out[o] = data[3 * p + 2];
    out[o + 1] = data[3 * p + 1];
    out[o + 2] = data[3 * p];
    out[o + 3] = 255;
  }
  return n * 3;
}

/** xRGB little-endian (bytes B, G, R, x); the x byte is ignored. Returns where the AND mask starts. */
export function decodeColor32(width: number, height: number, data: Uint8Array, out: Uint8ClampedArray): number {
  const n = width * height;
  for (let p = 0; p < n; p++) putPaletteEntry(data, p * 4, out, p * 4);
  return n * 4;
}

/**
 * The AND mask of the COLORn types over opaque colour pixels: mask 1 makes a pixel transparent,
 * or, on white, an inverting pixel shown as the checker stand-in. Returns whether any pixel inverts.
 */
export function applyAndMask(width: number, height: number, mask: Uint8Array, out: Uint8ClampedArray, invert: Uint8Array): boolean {
  const stride = Math.ceil(width / 8);
  let anyInvert = false;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!bitAt(mask, y * stride, x)) continue;
      const p = y * width + x;
      const o = p * 4;
      if (out[o] === 255 && out[o + 1] === 255 && out[o + 2] === 255) {
        const stand = (x ^ y) & 1 ? INVERT_ODD : INVERT_EVEN;
        out[o] = stand[0];
        out[o + 1] = stand[1];
        out[o + 2] = stand[2];
        out[o + 3] = stand[3];
        invert[p] = 1;
        anyInvert = true;
      } else {
        out[o] = 0;
        out[o + 1] = 0;
        out[o + 2] = 0;
        out[o + 3] = 0;
      }
    }
  }
  return anyInvert;
}
