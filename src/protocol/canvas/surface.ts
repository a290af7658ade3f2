// A drawing surface of the software compositor: 32 bits per pixel whatever the SPICE surface
// format, each pixel 0xAARRGGBB (SPICE's little-endian xRGB/ARGB as one u32).
import type { Clip, Rect } from '../pixels/geometry.ts';
import { SurfaceFormat } from '../pixels/formats.ts';
import { bandRects, intersect } from './region.ts';

export { intersect } from './region.ts';

export class Surface {
  readonly id: number;
  readonly width: number;
  readonly height: number;
  /** SPICE surface_fmt (SurfaceFormat); pixels are stored as 32 bits regardless. */
  readonly format: number;
  readonly primary: boolean;
  readonly data: Uint32Array;

  constructor(id: number, width: number, height: number, format: number, primary: boolean) {
    this.id = id;
    this.width = width;
    this.height = height;
    this.format = format;
    this.primary = primary;
    this.data = new Uint32Array(width * height);
  }
}

/**
 * The rectangles to paint: `box` ∩ surface bounds ∩ (union of clip rects, if any), as disjoint
 * rectangles sorted by top then left, so that overlapping clip rects paint each pixel once.
 */
export function paintRects(surface: Surface, box: Rect, clip: Clip): Rect[] {
  const bounded = intersect(box, { top: 0, left: 0, bottom: surface.height, right: surface.width });
  if (!bounded) return [];
  if (!clip) return [bounded];
  const parts: Rect[] = [];
  for (const c of clip) {
    const r = intersect(bounded, c);
    if (r) parts.push(r);
  }
  return parts.length <= 1 ? parts : bandRects(parts);
}

/** Whether the surface's pixels carry meaningful alpha (pixman reads 0xff for the others). */
export function surfaceHasAlpha(surface: Surface): boolean {
  return surface.format === SurfaceFormat.ARGB32 || surface.format === SurfaceFormat.A8;
}
