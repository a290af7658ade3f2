// QMask: a 1-bit mask that limits where an operation paints. Mask pixel (x - box.left + pos.x,
// y - box.top + pos.y) decides for destination pixel (x, y); outside the mask nothing is painted,
// with or without INVERS (spice-common inverts only within the mask's extent).
import type { Rect } from '../pixels/geometry.ts';
import type { Bitmask } from '../pixels/pixels.ts';
import { SurfaceFormat } from '../pixels/formats.ts';
import { maskRegion } from './region.ts';
import type { Surface } from './surface.ts';

/**
 * A surface used as a mask. spice-common hands the surface's memory to pixman as an a1 image, so
 * on a 32-bit surface mask pixel x of row y is bit (x mod 32) of the row's pixel x / 32; that
 * reading is reproduced. A1 surfaces (stored here one pixel per u32) count non-zero pixels as set.
 */
export function bitmaskOfSurface(surface: Surface): Bitmask {
  const { width, height, data } = surface;
  const bits = new Uint8Array(width * height);
  const packed = surface.format === SurfaceFormat.XRGB32 || surface.format === SurfaceFormat.ARGB32;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      bits[row + x] = packed ? (data[row + (x >> 5)] >>> (x & 31)) & 1 : data[row + x] !== 0 ? 1 : 0;
    }
  }
  return { width, height, bits };
}

export function applyMask(region: readonly Rect[], mask: Bitmask, box: Rect, pos: { x: number; y: number }, invert: boolean): Rect[] {
  return maskRegion(region, mask, pos.x - box.left, pos.y - box.top, invert);
}
