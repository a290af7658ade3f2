// Image blits: DRAW_COPY/DRAW_BLEND (the same operation in spice-common), the source half of
// DRAW_OPAQUE, and COPY_BITS scrolling within one surface.
import type { Rect } from '../pixels/geometry.ts';
import { intersectRegion } from './region.ts';
import { Rop, ropSpanCopy } from './rop.ts';
import { type ScaleMap, sampleScaledRow } from './scale.ts';
import { type PixelSource, scratch } from './source.ts';
import type { Surface } from './surface.ts';

/**
 * Copies source pixel (x - offsetX, y - offsetY) to each destination pixel (x, y) of the region
 * through a ROP. Like spice_pixman_blit, destination pixels whose source would fall outside the
 * source are left alone.
 */
export function blitRegion(surface: Surface, region: readonly Rect[], src: PixelSource, offsetX: number, offsetY: number, rop: number): void {
  if (rop === Rop.NOOP) return;
  const inside = intersectRegion(region, { left: offsetX, top: offsetY, right: offsetX + src.width, bottom: offsetY + src.height });
  const { data, width } = surface;
  for (const r of inside) {
    const len = r.right - r.left;
    for (let y = r.top; y < r.bottom; y++) {
      const soff = (y - offsetY) * src.width + (r.left - offsetX);
      ropSpanCopy(data, y * width + r.left, src.data, soff, len, rop);
    }
  }
}

/** Copies the scaled source onto the region through a ROP (pixman SRC into a temporary, then the ROP). */
export function scaleRegion(surface: Surface, region: readonly Rect[], src: PixelSource, map: ScaleMap, rop: number): void {
  if (rop === Rop.NOOP) return;
  const { data, width } = surface;
  for (const r of region) {
    const len = r.right - r.left;
    const row = scratch(len);
    for (let y = r.top; y < r.bottom; y++) {
      sampleScaledRow(src, map, r.left, y, len, row, 0);
      ropSpanCopy(data, y * width + r.left, row, 0, len, rop);
    }
  }
}

/**
 * COPY_BITS: every destination pixel of the region takes the value that pixel (x - dx, y - dy)
 * had before the copy, whatever the overlap (spice-common orders its rectangle copies to get
 * the same result).
 */
export function copyWithinSurface(surface: Surface, region: readonly Rect[], dx: number, dy: number): void {
  const { data, width } = surface;
  if (region.length === 1) {
    const r = region[0];
    const len = r.right - r.left;
    const rows = r.bottom - r.top;
    for (let k = 0; k < rows; k++) {
      // Moving down reads rows above the ones written, so walk bottom-up; otherwise top-down.
      const y = dy > 0 ? r.bottom - 1 - k : r.top + k;
      const dst = y * width + r.left;
      const from = dst - dy * width - dx;
      data.copyWithin(dst, from, from + len);
    }
    return;
  }
  // Several rectangles may read each other's destinations: read everything first.
  const reads = region.map((r) => {
    const len = r.right - r.left;
    const buf = new Uint32Array(len * (r.bottom - r.top));
    for (let y = r.top; y < r.bottom; y++) {
      const from = (y - dy) * width + r.left - dx;
      buf.set(data.subarray(from, from + len), (y - r.top) * len);
    }
    return buf;
  });
  region.forEach((r, i) => {
    const len = r.right - r.left;
    for (let y = r.top; y < r.bottom; y++) data.set(reads[i].subarray((y - r.top) * len, (y - r.top + 1) * len), y * width + r.left);
  });
}
