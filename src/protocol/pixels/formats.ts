// Pixel formats of SPICE bitmaps and surfaces, and palettes (spice.proto `bitmap_fmt`,
// `surface_fmt`, `Palette`, `BitmapData`): the raw-bitmap decoder, the LZ4 decoder, the
// compositor and the display message parser all speak these numbers.

export const BitmapFormat = {
  INVALID: 0,
  A1_LE: 1, // 1BIT_LE
  A1_BE: 2, // 1BIT_BE
  P4_LE: 3, // 4BIT_LE
  P4_BE: 4, // 4BIT_BE
  P8: 5, // 8BIT, paletted
  RGB16: 6, // x555
  RGB24: 7, // B,G,R
  RGB32: 8, // xRGB little-endian
  RGBA: 9, // ARGB little-endian
  A8: 10, // 8BIT_A
} as const;

export const BitmapFlags = { PAL_CACHE_ME: 1, PAL_FROM_CACHE: 2, TOP_DOWN: 4 } as const;

export const SurfaceFormat = {
  A1: 1,
  A8: 8,
  RGB555: 16,
  XRGB32: 32,
  RGB565: 80,
  ARGB32: 96,
} as const;

export interface Palette {
  unique: bigint;
  /** 0xAARRGGBB (alpha as sent; usually 0). */
  entries: Uint32Array;
}

/** A palette is either inline or a reference into the display channel's palette cache. */
export type PaletteRef = { palette: Palette | null } | { paletteId: bigint };

export interface BitmapBody {
  format: number;
  flags: number;
  width: number;
  height: number;
  stride: number;
  paletteRef: PaletteRef;
  /** stride * height bytes, rows bottom-up unless flags has TOP_DOWN. */
  data: Uint8Array;
}
