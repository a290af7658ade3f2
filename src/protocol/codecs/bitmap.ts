// Uncompressed SPICE bitmaps (image type BITMAP) to 0xAARRGGBB pixels, following what
// spice-common's canvas does with them so that the result matches spice-gtk:
// - 32BIT keeps the top byte as sent; 24BIT and 16BIT get a zero top byte; paletted formats take
//   the palette entry as sent (top byte included); RGBA and 8BIT_A carry real alpha.
// - 16BIT x555 widens each 5-bit channel by bit replication ((c << 3) | (c >> 2)), which is what
//   pixman does when it converts x1r5g5b5 to x8r8g8b8.
// - A palette index with no entry gives 0 (spice-common reads uninitialised memory there).
// spice-common has no converter for 1BIT_LE and 4BIT_LE images (it aborts); here they are decoded
// as the format names say: least significant bit / low nibble first.
import type { BitmapBody, Palette, PaletteRef } from '../pixels/formats.ts';
import type { Bitmask, Pixels } from '../pixels/pixels.ts';
import { BitmapFlags, BitmapFormat } from '../pixels/formats.ts';
import { SpiceError } from '../wire/errors.ts';

export interface PaletteCache {
  get(id: bigint): Palette | undefined;
  put(p: Palette): void;
}

/** The display channel's palette cache: keyed by `Palette.unique`, emptied by RESET / INVAL_ALL_PALETTES. */
export class MapPaletteCache implements PaletteCache {
  private readonly entries = new Map<bigint, Palette>();
  get(id: bigint): Palette | undefined {
    return this.entries.get(id);
  }
  put(p: Palette): void {
    this.entries.set(p.unique, p);
  }
  remove(id: bigint): void {
    this.entries.delete(id);
  }
  clear(): void {
    this.entries.clear();
  }
}

export interface DecodeBitmapOptions {
  /**
   * The target surface is 16 bits per pixel (RGB555): the server then sends palette entries as
   * x555 values, which are widened like 16BIT pixels.
   */
  palette555?: boolean;
}

const BITS_PER_PIXEL: Record<number, number> = {
  [BitmapFormat.A1_LE]: 1,
  [BitmapFormat.A1_BE]: 1,
  [BitmapFormat.P4_LE]: 4,
  [BitmapFormat.P4_BE]: 4,
  [BitmapFormat.P8]: 8,
  [BitmapFormat.RGB16]: 16,
  [BitmapFormat.RGB24]: 24,
  [BitmapFormat.RGB32]: 32,
  [BitmapFormat.RGBA]: 32,
  [BitmapFormat.A8]: 8,
};

/** Widens an x555 value to 0x00RRGGBB the way pixman and spice-common do. */
export function expandRgb555(c: number): number {
  return (
    (((c & 0x001f) << 3) | ((c & 0x001c) >> 2)) |
    (((c & 0x03e0) << 6) | ((c & 0x0380) << 1)) |
    (((c & 0x7c00) << 9) | ((c & 0x7000) << 4))
  );
}

function fail(message: string): never {
  throw new SpiceError('protocol', `bad bitmap from the server: ${message}`);
}

/** Checks the geometry and returns the bytes one row needs. */
/** Refuses a bitmap whose size, stride or data do not fit together (a ProtocolError saying how). */
export function checkGeometry(bitmap: BitmapBody): number {
  const bpp = BITS_PER_PIXEL[bitmap.format];
  if (bpp === undefined) fail(`unknown bitmap format ${bitmap.format}`);
  const { width, height, stride, data } = bitmap;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    fail(`size ${width}x${height} is empty or invalid`);
  }
  const rowBytes = Math.ceil((width * bpp) / 8);
  if (!Number.isInteger(stride) || stride < rowBytes) {
    fail(`stride ${stride} is shorter than a ${width}-pixel row of format ${bitmap.format} (${rowBytes} bytes)`);
  }
  // The last row only needs its pixels, not the padding after them.
  const needed = stride * (height - 1) + rowBytes;
  if (data.length < needed) fail(`${width}x${height} bitmap needs ${needed} bytes of data, got ${data.length}`);
  return rowBytes;
}

/** Resolves the bitmap's palette through the cache the way spice-common's canvas_get_palette does. */
/**
 * The palette of a BITMAP or LZ_PLT image: from the channel's palette cache (PAL_FROM_CACHE) or
 * inline, which PAL_CACHE_ME also stores in the cache.
 */
export function resolvePalette(flags: number, ref: PaletteRef, palettes: PaletteCache): Palette | null {
  if (flags & BitmapFlags.PAL_FROM_CACHE) {
    if (!('paletteId' in ref)) fail('PAL_FROM_CACHE is set but the bitmap carries no palette id');
    const cached = palettes.get(ref.paletteId);
    if (!cached) fail(`palette ${ref.paletteId} is not in the palette cache`);
    return cached;
  }
  const palette = 'palette' in ref ? ref.palette : null;
  if (palette && flags & BitmapFlags.PAL_CACHE_ME) palettes.put(palette);
  return palette;
}

/** The palette as 0xAARRGGBB entries, padded with zeros to `size` so any index is in bounds. */
function paletteTable(palette: Palette | null, size: number, format: number, palette555: boolean): Uint32Array {
  if (!palette) fail(`format ${format} is paletted but the bitmap has no palette`);
  const table = new Uint32Array(size);
  const n = Math.min(size, palette.entries.length);
  for (let i = 0; i < n; i++) {
    const e = palette.entries[i];
    table[i] = palette555 ? expandRgb555(e & 0xffff) : e;
  }
  return table;
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** The bitmap's bytes as u32 words when rows are word-aligned on a little-endian host. */
function wordView(bitmap: BitmapBody): Uint32Array | null {
  const { data, stride } = bitmap;
  if (!LITTLE_ENDIAN || data.byteOffset % 4 !== 0 || stride % 4 !== 0) return null;
  return new Uint32Array(data.buffer, data.byteOffset, data.byteLength >> 2);
}

/**
 * Decodes an uncompressed bitmap to pixels, rows top-down. `out` is reused when it is large
 * enough (the returned Pixels then views its first width*height entries).
 */
export function decodeBitmap(
  bitmap: BitmapBody,
  palettes: PaletteCache,
  out?: Uint32Array,
  options: DecodeBitmapOptions = {},
): Pixels {
  checkGeometry(bitmap);
  const palette = resolvePalette(bitmap.flags, bitmap.paletteRef, palettes);
  const { width, height, stride, data, format } = bitmap;
  const count = width * height;
  const pixels = out && out.length >= count ? out.subarray(0, count) : new Uint32Array(count);
  const topDown = (bitmap.flags & BitmapFlags.TOP_DOWN) !== 0;
  const palette555 = options.palette555 === true;

  let table: Uint32Array | null = null;
  if (format === BitmapFormat.A1_LE || format === BitmapFormat.A1_BE) table = paletteTable(palette, 2, format, palette555);
  else if (format === BitmapFormat.P4_LE || format === BitmapFormat.P4_BE) table = paletteTable(palette, 16, format, palette555);
  else if (format === BitmapFormat.P8) table = paletteTable(palette, 256, format, palette555);

  const direct = wordView(bitmap);
  // Unaligned 32-bit rows are copied as bytes: on the little-endian hosts we run on, SPICE's
  // little-endian xRGB bytes are already the 0xAARRGGBB words.
  const pixelBytes = new Uint8Array(pixels.buffer, pixels.byteOffset, count * 4);
  for (let row = 0; row < height; row++) {
    const src = row * stride;
    const y = topDown ? row : height - 1 - row;
    const dst = y * width;
    switch (format) {
      case BitmapFormat.RGB32:
      case BitmapFormat.RGBA:
        if (direct) {
          pixels.set(direct.subarray(src >> 2, (src >> 2) + width), dst);
          break;
        }
        if (LITTLE_ENDIAN) {
          pixelBytes.set(data.subarray(src, src + width * 4), dst * 4);
          break;
        }
        for (let x = 0, s = src; x < width; x++, s += 4) {
          pixels[dst + x] = (data[s] | (data[s + 1] << 8) | (data[s + 2] << 16) | (data[s + 3] << 24)) >>> 0;
        }
        break;
      case BitmapFormat.RGB24:
        for (let x = 0, s = src; x < width; x++, s += 3) {
          pixels[dst + x] = data[s] | (data[s + 1] << 8) | (data[s + 2] << 16);
        }
        break;
      case BitmapFormat.RGB16:
        for (let x = 0, s = src; x < width; x++, s += 2) {
          pixels[dst + x] = expandRgb555(data[s] | (data[s + 1] << 8));
        }
        break;
      case BitmapFormat.A8:
        for (let x = 0; x < width; x++) pixels[dst + x] = (data[src + x] << 24) >>> 0;
        break;
      case BitmapFormat.P8:
        for (let x = 0; x < width; x++) pixels[dst + x] = table![data[src + x]];
        break;
      case BitmapFormat.P4_BE:
        for (let x = 0; x < width; x++) {
          const b = data[src + (x >> 1)];
          pixels[dst + x] = table![x & 1 ? b & 0x0f : b >> 4];
        }
        break;
      case BitmapFormat.P4_LE:
        for (let x = 0; x < width; x++) {
          const b = data[src + (x >> 1)];
          pixels[dst + x] = table![x & 1 ? b >> 4 : b & 0x0f];
        }
        break;
      case BitmapFormat.A1_BE:
        for (let x = 0; x < width; x++) pixels[dst + x] = table![(data[src + (x >> 3)] >> (7 - (x & 7))) & 1];
        break;
      case BitmapFormat.A1_LE:
        for (let x = 0; x < width; x++) pixels[dst + x] = table![(data[src + (x >> 3)] >> (x & 7)) & 1];
        break;
    }
  }
  return { width, height, data: pixels, hasAlpha: format === BitmapFormat.RGBA || format === BitmapFormat.A8 };
}

/**
 * A 1-bit bitmap as a mask (one byte 0/1 per pixel, rows top-down). 1BIT_LE has the first pixel
 * in the least significant bit, 1BIT_BE in the most significant bit; no palette is involved.
 */
export function decodeBitmapMask(bitmap: BitmapBody): Bitmask {
  if (bitmap.format !== BitmapFormat.A1_LE && bitmap.format !== BitmapFormat.A1_BE) {
    fail(`a mask must be a 1-bit bitmap, got format ${bitmap.format}`);
  }
  checkGeometry(bitmap);
  const { width, height, stride, data } = bitmap;
  const bits = new Uint8Array(width * height);
  const topDown = (bitmap.flags & BitmapFlags.TOP_DOWN) !== 0;
  const littleEndian = bitmap.format === BitmapFormat.A1_LE;
  for (let row = 0; row < height; row++) {
    const src = row * stride;
    const dst = (topDown ? row : height - 1 - row) * width;
    for (let x = 0; x < width; x++) {
      const b = data[src + (x >> 3)];
      bits[dst + x] = littleEndian ? (b >> (x & 7)) & 1 : (b >> (7 - (x & 7))) & 1;
    }
  }
  return { width, height, bits };
}
