// DRAW_STROKE as spice-common draws it: the path is flattened to integer points (28.4 rounded
// with fix_to_int, Béziers subdivided until flat), and each polyline is drawn as an X11
// zero-width line (lines.c, miZeroLine) with CapNotLast: Bresenham with X's octant bias, each
// segment painting from its first point up to but excluding its last, so a pixel shared by two
// segments is painted by both (a XOR there applies twice, as in spice-gtk).
// Styled (dashed) lines are an approximation: spice-common draws them as 1-pixel-wide polygons
// (miWideDash); here the same Bresenham pixels are switched on and off by the dash pattern
// counted in pixels along the major axis.
import type { LineAttr, PathSegment } from '../pixels/draw-ops.ts';
import type { Point, Rect } from '../pixels/geometry.ts';
import { LineFlags, PathFlags } from '../pixels/draw-ops.ts';
import { type ResolvedBrush, tileRow } from './brush.ts';
import { applyRop, Rop } from './rop.ts';
import type { Surface } from './surface.ts';

/** 28.4 fixed point to an integer, rounding .5 down (spice-common's fix_to_int). */
export function fixToInt(v: number): number {
  const whole = Math.floor(v / 16);
  return (v & 0x0f) > 8 ? whole + 1 : whole;
}

// X11 octant bits and the default zero-line bias (octants 2, 3, 4, 5 in X's numbering).
const X_DECREASING = 4;
const Y_DECREASING = 2;
const Y_MAJOR = 1;
const ZERO_LINE_BIAS = (1 << (Y_DECREASING | Y_MAJOR)) | (1 << (X_DECREASING | Y_DECREASING | Y_MAJOR)) | (1 << (X_DECREASING | Y_DECREASING)) | (1 << X_DECREASING);

/** floor((a * k + b) / c) for c > 0, exact even when a * k is beyond 2^53. */
function floorDivLinear(a: number, k: number, b: number, c: number): number {
  const product = a * k;
  if (Math.abs(product) < 2 ** 50) return Math.floor((product + b) / c);
  const n = BigInt(a) * BigInt(k) + BigInt(b);
  const d = BigInt(c);
  let q = n / d;
  if (n % d !== 0n && n < 0n) q -= 1n;
  return Number(q);
}

export type Plot = (x: number, y: number) => void;

/**
 * The pixels of one zero-width segment from (x1, y1) towards (x2, y2), last point excluded,
 * limited to the w x h drawable; `plot` gets them in drawing order.
 */
export function zeroLineSegment(x1: number, y1: number, x2: number, y2: number, w: number, h: number, plot: Plot): void {
  let adx = x2 - x1;
  let ady = y2 - y1;
  let octant = 0;
  let sx = 1;
  let sy = 1;
  if (adx < 0) {
    adx = -adx;
    sx = -1;
    octant |= X_DECREASING;
  }
  if (ady < 0) {
    ady = -ady;
    sy = -1;
    octant |= Y_DECREASING;
  }
  const xMajor = adx > ady;
  if (!xMajor) octant |= Y_MAJOR;
  const fix = (ZERO_LINE_BIAS >> octant) & 1;
  // Major axis: position u = u1 + su*k for k in [0, major); minor axis v steps as the error term says.
  const major = xMajor ? adx : ady;
  const minor = xMajor ? ady : adx;
  if (major === 0) return;
  const u1 = xMajor ? x1 : y1;
  const v1 = xMajor ? y1 : x1;
  const su = xMajor ? sx : sy;
  const sv = xMajor ? sy : sx;
  const uLimit = (xMajor ? w : h) - 1;
  const vLimit = (xMajor ? h : w) - 1;
  // Steps whose major coordinate lies inside the drawable.
  let kMin = 0;
  let kMax = major - 1;
  if (su > 0) {
    kMin = Math.max(kMin, -u1);
    kMax = Math.min(kMax, uLimit - u1);
  } else {
    kMin = Math.max(kMin, u1 - uLimit);
    kMax = Math.min(kMax, u1);
  }
  if (kMin > kMax) return;
  // Closed form of the error term after kMin steps: e stays in [-2*major, 0).
  const steps = floorDivLinear(2 * minor, kMin, major - fix, 2 * major);
  let e = -major - fix + (2 * minor * kMin - 2 * major * steps);
  if (!Number.isSafeInteger(e)) {
    e = Number(-BigInt(major) - BigInt(fix) + 2n * BigInt(minor) * BigInt(kMin) - 2n * BigInt(major) * BigInt(steps));
  }
  let u = u1 + su * kMin;
  let v = v1 + sv * steps;
  const e1 = 2 * minor;
  const e3 = -2 * major;
  for (let k = kMin; k <= kMax; k++) {
    if (v >= 0 && v <= vLimit) {
      if (xMajor) plot(u, v);
      else plot(v, u);
    } else if ((sv > 0 && v > vLimit) || (sv < 0 && v < 0)) {
      return;
    }
    e += e1;
    if (e >= 0) {
      v += sv;
      e += e3;
    }
    u += su;
  }
}

/** X11 miZeroLine with CapNotLast over a polyline of integer points. */
export function zeroPolyline(points: readonly Point[], w: number, h: number, plot: Plot): void {
  for (let i = 0; i + 1 < points.length; i++) zeroLineSegment(points[i].x, points[i].y, points[i + 1].x, points[i + 1].y, w, h, plot);
}

/** The dashed variant: `dashes` alternate on/off lengths in pixels, starting `offset` into them. */
export function dashedPolyline(points: readonly Point[], dashes: readonly number[], offset: number, w: number, h: number, plot: Plot): void {
  const total = dashes.reduce((a, b) => a + b, 0);
  if (total <= 0) {
    zeroPolyline(points, w, h, plot);
    return;
  }
  // An odd-length list repeats with on and off swapped, as X does.
  const cycle = dashes.length % 2 ? [...dashes, ...dashes] : [...dashes];
  let index = 0;
  let left = cycle[0];
  let skip = offset % (cycle.reduce((a, b) => a + b, 0) || 1);
  const advance = (): void => {
    while (left <= 0) {
      index = (index + 1) % cycle.length;
      left = cycle[index];
    }
  };
  advance();
  while (skip > 0) {
    const n = Math.min(skip, left);
    skip -= n;
    left -= n;
    advance();
  }
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i];
    const b = points[i + 1];
    const major = Math.max(Math.abs(b.x - a.x), Math.abs(b.y - a.y));
    if (major > 1 << 16) {
      // Far off-surface geometry: not worth walking step by step for an approximation.
      zeroLineSegment(a.x, a.y, b.x, b.y, w, h, plot);
      continue;
    }
    // Walk every step, including those outside the drawable, so the pattern stays in phase.
    let k = 0;
    zeroLineSegment(a.x, a.y, b.x, b.y, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, (x, y) => {
      k++;
      const on = index % 2 === 0;
      left--;
      advance();
      if (on && x >= 0 && y >= 0 && x < w && y < h) plot(x, y);
    });
    for (; k < major; k++) {
      left--;
      advance();
    }
  }
}

function dot(x1: number, y1: number, x2: number, y2: number): bigint {
  return BigInt.asIntN(64, (BigInt(x1) * BigInt(x2) + BigInt(y1) * BigInt(y2)) >> 4n);
}

/** spice-common's subdivide_bezier: split until the control points deviate less than half a pixel. */
function subdivideBezier(out: Point[], p0: Point, p1: Point, p2: Point, p3: Point, depth: number): void {
  const a2 = dot(p1.x - p0.x, p1.y - p0.y, p1.x - p0.x, p1.y - p0.y);
  const b2 = dot(p3.x - p0.x, p3.y - p0.y, p3.x - p0.x, p3.y - p0.y);
  const c2 = dot(p2.x - p3.x, p2.y - p3.y, p2.x - p3.x, p2.y - p3.y);
  const ab = dot(p1.x - p0.x, p1.y - p0.y, p3.x - p0.x, p3.y - p0.y);
  const cb = dot(p2.x - p3.x, p2.y - p3.y, p0.x - p3.x, p0.y - p3.y);
  const h1 = BigInt.asIntN(64, a2 * b2 - ab * ab) >> 3n;
  const h2 = BigInt.asIntN(64, c2 * b2 - cb * cb) >> 3n;
  // The depth limit only guards against degenerate input; real curves flatten long before it.
  if ((h1 < b2 && h2 < b2) || depth > 24) {
    out.push({ x: fixToInt(p3.x), y: fixToInt(p3.y) });
    return;
  }
  const mid = (a: Point, b: Point): Point => ({ x: Math.trunc((a.x + b.x) / 2), y: Math.trunc((a.y + b.y) / 2) });
  const p01 = mid(p0, p1);
  const p12 = mid(p1, p2);
  const p23 = mid(p2, p3);
  const p012 = mid(p01, p12);
  const p123 = mid(p12, p23);
  const p0123 = mid(p012, p123);
  subdivideBezier(out, p0, p01, p012, p0123, depth + 1);
  subdivideBezier(out, p0123, p123, p23, p3, depth + 1);
}

/** The path as polylines of integer points, following canvas_draw_stroke's segment walk. */
export function flattenPath(path: readonly PathSegment[]): Point[][] {
  const lines: Point[][] = [];
  let current: Point[] = [];
  const flush = (): void => {
    if (current.length) lines.push(current);
    current = [];
  };
  for (const seg of path) {
    let i = 0;
    if (seg.flags & PathFlags.BEGIN && seg.points.length > 0) {
      flush();
      current.push({ x: fixToInt(seg.points[0].x), y: fixToInt(seg.points[0].y) });
      i = 1;
    }
    if (seg.flags & PathFlags.BEZIER) {
      // spice-common abandons the whole stroke when the control points are not in threes.
      if ((seg.points.length - i) % 3 !== 0) return lines.slice(0, 0);
      for (; i + 2 < seg.points.length; i += 3) {
        const last = current[current.length - 1];
        if (!last) continue;
        subdivideBezier(current, { x: last.x * 16, y: last.y * 16 }, seg.points[i], seg.points[i + 1], seg.points[i + 2], 0);
      }
    } else {
      for (; i < seg.points.length; i++) current.push({ x: fixToInt(seg.points[i].x), y: fixToInt(seg.points[i].y) });
    }
    if (seg.flags & PathFlags.END) {
      if (seg.flags & PathFlags.CLOSE && current.length) current.push({ ...current[0] });
      flush();
    }
  }
  flush();
  return lines;
}

/** The dash list in pixels and the starting offset, as canvas_draw_stroke builds them. */
export function dashPattern(attr: LineAttr): { dashes: number[]; offset: number } | null {
  if (!(attr.flags & LineFlags.STYLED) || attr.style.length === 0) return null;
  const px = attr.style.map((v) => Math.max(0, fixToInt(v) & 0xff));
  if (attr.flags & LineFlags.START_WITH_GAP) {
    const dashes = [...px.slice(1), px[0]];
    return { dashes, offset: dashes[0] };
  }
  return { dashes: px, offset: 0 };
}

export function drawStroke(surface: Surface, region: readonly Rect[], path: readonly PathSegment[], attr: LineAttr, brush: ResolvedBrush, rop: number): void {
  if (region.length === 0) return;
  const { data, width, height } = surface;
  const single = region.length === 1 ? region[0] : null;
  const inRegion = (x: number, y: number): boolean => {
    if (single) return x >= single.left && x < single.right && y >= single.top && y < single.bottom;
    for (const r of region) if (x >= r.left && x < r.right && y >= r.top && y < r.bottom) return true;
    return false;
  };
  const tilePixel = new Uint32Array(1);
  const plot: Plot = (x, y) => {
    if (!inRegion(x, y)) return;
    const at = y * width + x;
    let s: number;
    if (brush.kind === 'solid') s = brush.color;
    else {
      tileRow(brush, x, y, 1, tilePixel);
      s = tilePixel[0];
    }
    data[at] = rop === Rop.COPY ? s >>> 0 : applyRop(rop, s, data[at]);
  };
  const dash = dashPattern(attr);
  for (const line of flattenPath(path)) {
    if (dash) dashedPolyline(line, dash.dashes, dash.offset, width, height, plot);
    else zeroPolyline(line, width, height, plot);
  }
}
