// DRAW_COMPOSITE: pixman_image_composite32 with the operator, filters, repeat modes, transforms
// and component alpha packed in the flags. Implemented per pixel with pixman's 8-bit arithmetic:
// the Porter-Duff operators (0-13) and their disjoint (0x10-0x1b) and conjoint (0x20-0x2b)
// variants. The PDF blend modes (0x30 and up) are drawn as OVER, an approximation.
import type { Point, Rect, Transform } from '../pixels/geometry.ts';
import { divUn8, mulUn8 } from './pixel-math.ts';
import { bilinear } from './scale.ts';
import type { PixelSource } from './source.ts';
import type { Surface } from './surface.ts';

/** pixman_filter_t and pixman_repeat_t numbers, as the flags carry them. */
export const Filter = { FAST: 0, GOOD: 1, BEST: 2, NEAREST: 3, BILINEAR: 4, CONVOLUTION: 5, SEPARABLE_CONVOLUTION: 6 } as const;
export const Repeat = { NONE: 0, NORMAL: 1, PAD: 2, REFLECT: 3 } as const;

export interface CompositeLayer {
  src: PixelSource;
  transform: Transform | null;
  filter: number;
  repeat: number;
  origin: Point;
}

export interface CompositeParams {
  op: number;
  src: CompositeLayer;
  mask: CompositeLayer | null;
  componentAlpha: boolean;
  box: Rect;
  /** Whether the destination's top byte is alpha; otherwise it reads as 0xff. */
  destHasAlpha: boolean;
}

function repeatCoord(c: number, size: number, repeat: number): number {
  switch (repeat) {
    case Repeat.NORMAL: {
      const r = c % size;
      return r < 0 ? r + size : r;
    }
    case Repeat.PAD:
      return c < 0 ? 0 : c >= size ? size - 1 : c;
    case Repeat.REFLECT: {
      let r = c % (size * 2);
      if (r < 0) r += size * 2;
      return r >= size ? size * 2 - r - 1 : r;
    }
    default:
      return c < 0 || c >= size ? -1 : c;
  }
}

function fetch(layer: CompositeLayer, x: number, y: number): number {
  const { src } = layer;
  if (src.width <= 0 || src.height <= 0) return 0;
  const rx = repeatCoord(x, src.width, layer.repeat);
  const ry = repeatCoord(y, src.height, layer.repeat);
  if (rx < 0 || ry < 0) return 0;
  const p = src.data[ry * src.width + rx];
  return src.hasAlpha ? p : (p | 0xff000000) >>> 0;
}

/** The layer's pixel for source-space pixel (x, y), through its transform and filter. */
function sample(layer: CompositeLayer, x: number, y: number): number {
  const t = layer.transform;
  if (!t) return fetch(layer, x, y);
  // pixman_transform_point_3d on the pixel centre, rounded to 16.16.
  const vx = t[0] * x + t[1] * y + t[2] + Math.floor((t[0] * 0x8000 + t[1] * 0x8000 + 0x8000) / 65536);
  const vy = t[3] * x + t[4] * y + t[5] + Math.floor((t[3] * 0x8000 + t[4] * 0x8000 + 0x8000) / 65536);
  if (layer.filter === Filter.NEAREST || layer.filter === Filter.FAST) {
    return fetch(layer, Math.floor((vx - 1) / 65536), Math.floor((vy - 1) / 65536));
  }
  const x1 = vx - 0x8000;
  const y1 = vy - 0x8000;
  const x0 = Math.floor(x1 / 65536);
  const y0 = Math.floor(y1 / 65536);
  const wx = (Math.floor(x1 / 512) & 0x7f) << 1;
  const wy = (Math.floor(y1 / 512) & 0x7f) << 1;
  return bilinear(fetch(layer, x0, y0), fetch(layer, x0 + 1, y0), fetch(layer, x0, y0 + 1), fetch(layer, x0 + 1, y0 + 1), wx, wy);
}

// Factor selectors for the general form result = s * Fa + d * Fb.
const F_ZERO = 0;
const F_ONE = 1;
const F_IN = 2; // Fa = da, Fb = sa
const F_OUT = 3; // Fa = 1 - da, Fb = 1 - sa

// [Fa, Fb] for the twelve Porter-Duff operators in pixman order (CLEAR .. XOR).
const PORTER_DUFF: readonly (readonly [number, number])[] = [
  [F_ZERO, F_ZERO],
  [F_ONE, F_ZERO],
  [F_ZERO, F_ONE],
  [F_ONE, F_OUT],
  [F_OUT, F_ONE],
  [F_IN, F_ZERO],
  [F_ZERO, F_IN],
  [F_OUT, F_ZERO],
  [F_ZERO, F_OUT],
  [F_IN, F_OUT],
  [F_OUT, F_IN],
  [F_OUT, F_OUT],
];

/** pixman's disjoint/conjoint factor for "a" against "b" (the other operand's alpha). */
function boundedFactor(kind: number, conjoint: boolean, a: number, b: number): number {
  if (kind === F_ZERO) return 0;
  if (kind === F_ONE) return 0xff;
  if (!conjoint) {
    const nb = 0xff - b;
    if (kind === F_OUT) return nb >= a ? 0xff : divUn8(nb, a);
    return nb >= a ? 0 : 0xff - divUn8(nb, a);
  }
  if (kind === F_OUT) return b >= a ? 0 : 0xff - divUn8(b, a);
  return b >= a ? 0xff : divUn8(b, a);
}

function plainFactor(kind: number, alpha: number): number {
  switch (kind) {
    case F_ZERO:
      return 0;
    case F_ONE:
      return 0xff;
    case F_IN:
      return alpha;
    default:
      return 0xff - alpha;
  }
}

/**
 * One destination pixel: `s` already multiplied by the mask, `srcAlpha` the per-channel source
 * alpha (equal channels unless component alpha), `d` and `da` the destination.
 */
function combine(op: number, s: number, srcAlpha: number, d: number, da: number): number {
  if (op === 12) return addSat(s, d);
  if (op === 13) {
    let out = 0;
    for (let shift = 0; shift < 32; shift += 8) {
      const sa = (srcAlpha >>> shift) & 0xff;
      let sc = (s >>> shift) & 0xff;
      if (sa > 0xff - da) sc = mulUn8(sc, divUn8(0xff - da, sa));
      out |= Math.min(0xff, sc + ((d >>> shift) & 0xff)) << shift;
    }
    return out >>> 0;
  }
  const family = op >> 4;
  const factors = PORTER_DUFF[op & 0x0f] ?? PORTER_DUFF[3];
  const useOver = family > 2 || (op & 0x0f) > 11;
  const [fa, fb] = useOver ? PORTER_DUFF[3] : factors;
  let out = 0;
  for (let shift = 0; shift < 32; shift += 8) {
    const sa = (srcAlpha >>> shift) & 0xff;
    let ka: number;
    let kb: number;
    if (family === 1 || family === 2) {
      ka = boundedFactor(fa, family === 2, sa, da);
      kb = boundedFactor(fb, family === 2, da, sa);
    } else {
      ka = plainFactor(fa, da);
      kb = plainFactor(fb, sa);
    }
    const c = mulUn8((s >>> shift) & 0xff, ka) + mulUn8((d >>> shift) & 0xff, kb);
    out |= Math.min(0xff, c) << shift;
  }
  return out >>> 0;
}

function addSat(a: number, b: number): number {
  let out = 0;
  for (let shift = 0; shift < 32; shift += 8) out |= Math.min(0xff, ((a >>> shift) & 0xff) + ((b >>> shift) & 0xff)) << shift;
  return out >>> 0;
}

function mulChannels(a: number, b: number): number {
  let out = 0;
  for (let shift = 0; shift < 32; shift += 8) out |= mulUn8((a >>> shift) & 0xff, (b >>> shift) & 0xff) << shift;
  return out >>> 0;
}

function splat(a: number): number {
  return (a * 0x01010101) >>> 0;
}

export function drawComposite(surface: Surface, region: readonly Rect[], p: CompositeParams): void {
  const { data, width } = surface;
  const { box, src, mask, op } = p;
  for (const r of region) {
    for (let y = r.top; y < r.bottom; y++) {
      const j = y - box.top;
      for (let x = r.left; x < r.right; x++) {
        const i = x - box.left;
        let s = sample(src, i + src.origin.x, j + src.origin.y);
        let srcAlpha: number;
        if (mask) {
          const m = sample(mask, i + mask.origin.x, j + mask.origin.y);
          if (p.componentAlpha) {
            const sa = s >>> 24;
            s = mulChannels(s, m);
            srcAlpha = mulChannels(m, splat(sa));
          } else {
            const ma = m >>> 24;
            s = mulChannels(s, splat(ma));
            srcAlpha = splat(s >>> 24);
          }
        } else {
          srcAlpha = splat(s >>> 24);
        }
        const at = y * width + x;
        const d = data[at];
        data[at] = combine(op, s, srcAlpha, d, p.destHasAlpha ? d >>> 24 : 0xff);
      }
    }
  }
}
