// Damage of one surface between two presentations: the rectangles drawn since the last flush.
// Few rectangles are kept as they are, since uploading a little too much costs less than many
// small uploads; past a handful the two whose bounding box adds the least area are merged. Merging
// everything into one bounding box (as before) made two busy regions apart on the screen, a
// scrolling terminal and a moving box, upload and convert the whole band between them at every
// frame (issue 16's live scene: a 964x394 box for two regions of 304x394 and 108x100).
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
    if (this.rects.some((e) => contains(e, c))) return;
    this.rects.push(c);
    if (this.rects.length > MAX_DAMAGE_RECTS) this.mergeCheapestPair();
  }

  /** Replaces the two rectangles whose bounding box is the least larger than they are by that box (and drops the ones inside it). */
  private mergeCheapestPair(): void {
    const rects = this.rects;
    let bestI = 0;
    let bestJ = 1;
    let bestCost = Number.POSITIVE_INFINITY;
    for (let i = 0; i < rects.length; i++) {
      const a = rects[i]!;
      for (let j = i + 1; j < rects.length; j++) {
        const b = rects[j]!;
        // Computed in place, not through boundingRect: this runs for every pair at each add past MAX_DAMAGE_RECTS.
        const cost = boundingArea(a, b) - area(a) - area(b);
        if (cost < bestCost) {
          bestCost = cost;
          bestI = i;
          bestJ = j;
        }
      }
    }
    const merged = boundingRect([rects[bestI]!, rects[bestJ]!]);
    this.rects = [merged, ...rects.filter((r) => !contains(merged, r))];
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

const area = (r: Rect): number => (r.right - r.left) * (r.bottom - r.top);

const boundingArea = (a: Rect, b: Rect): number => (Math.max(a.right, b.right) - Math.min(a.left, b.left)) * (Math.max(a.bottom, b.bottom) - Math.min(a.top, b.top));

const contains = (outer: Rect, inner: Rect): boolean => inner.left >= outer.left && inner.top >= outer.top && inner.right <= outer.right && inner.bottom <= outer.bottom;
