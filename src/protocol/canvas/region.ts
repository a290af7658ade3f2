// Regions as lists of disjoint rectangles, in pixman's y-x banded order (sorted by top, then
// left). Every drawing operation paints a region, so a pixel covered by two overlapping clip
// rectangles is painted once: a XOR or an invert must not apply twice.
import type { Rect } from '../pixels/geometry.ts';
import type { Bitmask } from '../pixels/pixels.ts';
import { MAX_REGION_RECTS } from '../pixels/limits.ts';
import { SpiceError } from '../wire/errors.ts';

/** Intersection of two rectangles, or null when empty. */
export function intersect(a: Rect, b: Rect): Rect | null {
  const top = Math.max(a.top, b.top);
  const left = Math.max(a.left, b.left);
  const bottom = Math.min(a.bottom, b.bottom);
  const right = Math.min(a.right, b.right);
  return top < bottom && left < right ? { top, left, bottom, right } : null;
}

/**
 * The union of `rects` as disjoint banded rectangles. A sweep from top to bottom keeps the
 * rectangles that cross the current band in order of their left edge, so each band costs what
 * crosses it rather than a pass over every rectangle: a clip of many small rectangles is banded
 * in near-linear time (the display parser bounds how many one message may carry).
 */
export function bandRects(rects: readonly Rect[]): Rect[] {
  const valid = rects.filter((r) => r.top < r.bottom && r.left < r.right);
  if (valid.length <= 1) return valid.map((r) => ({ ...r }));
  const byTop = [...valid].sort((a, b) => a.top - b.top);
  const edges = new Set<number>();
  for (const r of valid) {
    edges.add(r.top);
    edges.add(r.bottom);
  }
  const ys = [...edges].sort((a, b) => a - b);
  const out: Rect[] = [];
  let previous: Rect[] = [];
  let active: Rect[] = [];
  let next = 0;
  for (let i = 0; i + 1 < ys.length; i++) {
    const top = ys[i];
    const bottom = ys[i + 1];
    if (active.some((r) => r.bottom <= top)) active = active.filter((r) => r.bottom > top);
    if (next < byTop.length && byTop[next].top <= top) {
      const entering: Rect[] = [];
      while (next < byTop.length && byTop[next].top <= top) entering.push(byTop[next++]);
      active = mergeByLeft(active, entering.sort((a, b) => a.left - b.left));
    }
    if (active.length === 0) continue;
    const merged: [number, number][] = [];
    for (const r of active) {
      const last = merged[merged.length - 1];
      if (last && r.left <= last[1]) last[1] = Math.max(last[1], r.right);
      else merged.push([r.left, r.right]);
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
    if (out.length > MAX_REGION_RECTS) {
      throw new SpiceError('protocol', `a clip of ${valid.length} rectangles bands into more than ${MAX_REGION_RECTS} rectangles; the draw is refused as too complex`);
    }
  }
  return out;
}

/** Two lists sorted by left edge, merged into one. */
function mergeByLeft(a: readonly Rect[], b: readonly Rect[]): Rect[] {
  const out: Rect[] = new Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i].left <= b[j].left ? a[i++] : b[j++];
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
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
