// Regions as lists of disjoint rectangles, in pixman's y-x banded order (sorted by top, then
// left). Every drawing operation paints a region, so a pixel covered by two overlapping clip
// rectangles is painted once: a XOR or an invert must not apply twice.
import type { Rect } from '../pixels/geometry.ts';
import type { Bitmask } from '../pixels/pixels.ts';

/** Intersection of two rectangles, or null when empty. */
export function intersect(a: Rect, b: Rect): Rect | null {
  const top = Math.max(a.top, b.top);
  const left = Math.max(a.left, b.left);
  const bottom = Math.min(a.bottom, b.bottom);
  const right = Math.min(a.right, b.right);
  return top < bottom && left < right ? { top, left, bottom, right } : null;
}

/** The union of `rects` as disjoint banded rectangles. */
export function bandRects(rects: readonly Rect[]): Rect[] {
  const valid = rects.filter((r) => r.top < r.bottom && r.left < r.right);
  if (valid.length <= 1) return valid.map((r) => ({ ...r }));
  const edges = new Set<number>();
  for (const r of valid) {
    edges.add(r.top);
    edges.add(r.bottom);
  }
  const ys = [...edges].sort((a, b) => a - b);
  const out: Rect[] = [];
  let previous: Rect[] = [];
  for (let i = 0; i + 1 < ys.length; i++) {
    const top = ys[i];
    const bottom = ys[i + 1];
    const spans = valid
      .filter((r) => r.top <= top && r.bottom >= bottom)
      .map((r) => [r.left, r.right] as [number, number])
      .sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const s of spans) {
      const last = merged[merged.length - 1];
      if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
      else merged.push([s[0], s[1]]);
    }
    // A band with the same spans as the one just above it extends that band downwards.
    if (
      previous.length === merged.length &&
      previous.length > 0 &&
      previous[0].bottom === top &&
      previous.every((r, k) => r.left === merged[k][0] && r.right === merged[k][1])
    ) {
      for (const r of previous) r.bottom = bottom;
      continue;
    }
    previous = merged.map(([left, right]) => ({ top, left, bottom, right }));
    out.push(...previous);
  }
  return out;
}

/** Each rectangle of a region intersected with `r`. The result stays disjoint and ordered. */
export function intersectRegion(region: readonly Rect[], r: Rect): Rect[] {
  const out: Rect[] = [];
  for (const a of region) {
    const c = intersect(a, r);
    if (c) out.push(c);
  }
  return out;
}

/**
 * The part of a region where a 1-bit mask is set (or clear, with `invert`): the mask pixel for
 * destination (x, y) is (x + dx, y + dy). Pixels outside the mask are excluded either way, as in
 * spice-common where the inversion only covers the mask's own extent.
 */
export function maskRegion(region: readonly Rect[], mask: Bitmask, dx: number, dy: number, invert: boolean): Rect[] {
  const out: Rect[] = [];
  const want = invert ? 0 : 1;
  for (const r of region) {
    const y0 = Math.max(r.top, -dy);
    const y1 = Math.min(r.bottom, mask.height - dy);
    const x0 = Math.max(r.left, -dx);
    const x1 = Math.min(r.right, mask.width - dx);
    for (let y = y0; y < y1; y++) {
      const row = (y + dy) * mask.width + dx;
      let x = x0;
      while (x < x1) {
        while (x < x1 && mask.bits[row + x] !== want) x++;
        const start = x;
        while (x < x1 && mask.bits[row + x] === want) x++;
        if (x > start) out.push({ top: y, left: start, bottom: y + 1, right: x });
      }
    }
  }
  return out;
}

export function isEmptyRect(r: Rect): boolean {
  return r.top >= r.bottom || r.left >= r.right;
}
