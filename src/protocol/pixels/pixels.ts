// Decoded images: what every codec produces, the image cache keeps and the compositor draws.

/**
 * Decoded pixels: row-major, `width` pixels per row, each 0xAARRGGBB (the in-memory order of
 * SPICE's little-endian xRGB/ARGB). For formats without alpha the top byte is unspecified unless
 * `hasAlpha` is set.
 */
export interface Pixels {
  width: number;
  height: number;
  data: Uint32Array;
  hasAlpha: boolean;
}

/** A 1-bit mask, one byte per pixel (0 or 1), row-major. */
export interface Bitmask {
  width: number;
  height: number;
  bits: Uint8Array;
}
