// Damage of one surface between two presentations: the rectangles drawn since the last flush.
// Few rectangles are kept as they are; past a handful they collapse into their bounding box, since
// uploading a little too much costs less than many small uploads.
import type { Rect } from '../protocol/channels/display/draw-types.ts';

export const MAX_DAMAGE_RECTS = 16;

export class DamageTracker {
  private rects: Rect[] = [];

  constructor(
    private width: number,
    private height: number,
  ) {}

  resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.rects = [];
  }

  /** Adds a rectangle, clipped to the surface; empty ones are dropped. */
  add(r: Rect): void {
    const c = {
      left: Math.max(0, r.left),
      top: Math.max(0, r.top),
      right: Math.min(this.width, r.right),
      bottom: Math.min(this.height, r.bottom),
    };
    if (c.right <= c.left || c.bottom <= c.top) return;
    for (const e of this.rects) {
      if (c.left >= e.left && c.top >= e.top && c.right <= e.right && c.bottom <= e.bottom) return;
    }
    this.rects.push(c);
    if (this.rects.length > MAX_DAMAGE_RECTS) this.rects = [boundingBox(this.rects)];
  }

  all(): void {
    this.rects = this.width > 0 && this.height > 0 ? [{ left: 0, top: 0, right: this.width, bottom: this.height }] : [];
  }

  get empty(): boolean {
    return this.rects.length === 0;
  }

  /** The damage so far, and a clean slate. */
  take(): Rect[] {
    const out = this.rects;
    this.rects = [];
    return out;
  }
}

function boundingBox(rects: Rect[]): Rect {
  const b = { ...rects[0] };
  for (const r of rects) {
    b.left = Math.min(b.left, r.left);
    b.top = Math.min(b.top, r.top);
    b.right = Math.max(b.right, r.right);
    b.bottom = Math.max(b.bottom, r.bottom);
  }
  return b;
}

/**
 * One rectangle of a surface (0xAARRGGBB words) as RGBA bytes with alpha 255: the byte order
 * texImage2D and ImageData take. The primary surface's alpha byte is not meaningful (xRGB).
 */
export function extractRgba(data: Uint32Array, surfaceWidth: number, r: Rect): Uint8Array {
  const w = r.right - r.left;
  const h = r.bottom - r.top;
  const out = new Uint32Array(w * h);
  let o = 0;
  for (let y = r.top; y < r.bottom; y++) {
    let i = y * surfaceWidth + r.left;
    for (let x = 0; x < w; x++, i++) {
      const p = data[i];
      // Little-endian memory of 0xAABBGGRR is the bytes R, G, B, A.
      out[o++] = 0xff000000 | ((p & 0xff) << 16) | (p & 0xff00) | ((p >>> 16) & 0xff);
    }
  }
  return new Uint8Array(out.buffer);
}
