// A drawing surface of the software compositor: 32 bits per pixel whatever the SPICE surface
// format, each pixel 0xAARRGGBB (SPICE's little-endian xRGB/ARGB as one u32).
import type { Clip, Rect } from '../channels/display/draw-types.ts';

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

/** The rectangles to paint: `box` ∩ surface bounds ∩ (union of clip rects, if any). */
export function paintRects(surface: Surface, box: Rect, clip: Clip): Rect[] {
  const bounded = intersect(box, { top: 0, left: 0, bottom: surface.height, right: surface.width });
  if (!bounded) return [];
  if (!clip) return [bounded];
  const out: Rect[] = [];
  for (const c of clip) {
    const r = intersect(bounded, c);
    if (r) out.push(r);
  }
  return out;
}

/** Intersection of two rectangles, or null when empty. */
export function intersect(a: Rect, b: Rect): Rect | null {
  const top = Math.max(a.top, b.top);
  const left = Math.max(a.left, b.left);
  const bottom = Math.min(a.bottom, b.bottom);
  const right = Math.min(a.right, b.right);
  return top < bottom && left < right ? { top, left, bottom, right } : null;
}
