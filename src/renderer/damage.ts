// Damage of one surface between two presentations: the rectangles drawn since the last flush.
// Few rectangles are kept as they are; past a handful they collapse into their bounding box, since
// uploading a little too much costs less than many small uploads.
import { boundingRect, type Rect } from '../protocol/pixels/geometry.ts';

export const MAX_DAMAGE_RECTS = 16;

export class DamageTracker {
  private rects: Rect[] = [];

  constructor(
    private surfaceWidth: number,
    private surfaceHeight: number,
  ) {}

  get width(): number {
    return this.surfaceWidth;
  }

  get height(): number {
    return this.surfaceHeight;
  }

  resize(width: number, height: number): void {
    this.surfaceWidth = width;
    this.surfaceHeight = height;
    this.rects = [];
  }

  /** Adds a rectangle, clipped to the surface; empty ones are dropped. */
  add(r: Rect): void {
    const c = {
      left: Math.max(0, r.left),
      top: Math.max(0, r.top),
      right: Math.min(this.surfaceWidth, r.right),
      bottom: Math.min(this.surfaceHeight, r.bottom),
    };
    if (c.right <= c.left || c.bottom <= c.top) return;
    for (const e of this.rects) {
      if (c.left >= e.left && c.top >= e.top && c.right <= e.right && c.bottom <= e.bottom) return;
    }
    this.rects.push(c);
    if (this.rects.length > MAX_DAMAGE_RECTS) this.rects = [boundingRect(this.rects)];
  }

  all(): void {
    this.rects = this.surfaceWidth > 0 && this.surfaceHeight > 0 ? [{ left: 0, top: 0, right: this.surfaceWidth, bottom: this.surfaceHeight }] : [];
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
