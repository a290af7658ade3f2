// Source-area scaling the way spice-common asks pixman for it: a 16.16 scale (and translation)
// transform, REPEAT_NONE (samples outside the source read as 0x00000000), and either NEAREST or
// GOOD, which pixman implements as bilinear with 7-bit weights. Sample positions are computed as
// pixman_transform_point_3d does: centre of the destination pixel, products rounded to 16.16.
import type { Rect } from '../pixels/geometry.ts';
import type { PixelSource } from './source.ts';

export interface ScaleMap {
  /** 16.16 source step per destination pixel. */
  fsx: number;
  fsy: number;
  /** 16.16 translation added after scaling. */
  tx: number;
  ty: number;
  /** Destination pixel index offsets added before scaling. */
  ox: number;
  oy: number;
  /** The destination pixel that is index 0. */
  destX: number;
  destY: number;
  bilinear: boolean;
}

/** spice-common's __scale_image and friends: src_area stretched onto box. */
export function scaleMapForArea(srcArea: Rect, box: Rect, bilinear: boolean): ScaleMap | null {
  const sw = srcArea.right - srcArea.left;
  const sh = srcArea.bottom - srcArea.top;
  const dw = box.right - box.left;
  const dh = box.bottom - box.top;
  if (sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0) return null;
  return {
    fsx: Math.floor((sw * 65536) / dw),
    fsy: Math.floor((sh * 65536) / dh),
    tx: srcArea.left * 65536,
    ty: srcArea.top * 65536,
    ox: 0,
    oy: 0,
    destX: box.left,
    destY: box.top,
    bilinear,
  };
}

/**
 * spice-common's canvas_scale_surface (used by rop3): the scale is a double truncated to 16.16
 * and the source offset is round(left / scale) destination pixels instead of a translation.
 */
export function scaleMapForRop3(srcArea: Rect, box: Rect, bilinear: boolean): ScaleMap | null {
  const sw = srcArea.right - srcArea.left;
  const sh = srcArea.bottom - srcArea.top;
  const dw = box.right - box.left;
  const dh = box.bottom - box.top;
  if (sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0) return null;
  const sx = sw / dw;
  const sy = sh / dh;
  return {
    fsx: Math.trunc(sx * 65536),
    fsy: Math.trunc(sy * 65536),
    tx: 0,
    ty: 0,
    ox: Math.floor(srcArea.left / sx + 0.5),
    oy: Math.floor(srcArea.top / sy + 0.5),
    destX: box.left,
    destY: box.top,
    bilinear,
  };
}

/** pixman's rounding of (m * (index + 1/2)) in 16.16, for m >= 0 and index >= 0. */
function centre(m: number, index: number): number {
  return m * index + Math.floor((m * 0x8000 + 0x8000) / 65536);
}

function fetch(src: PixelSource, x: number, y: number): number {
  if (x < 0 || y < 0 || x >= src.width || y >= src.height) return 0;
  const p = src.data[y * src.width + x];
  return src.hasAlpha ? p : (p | 0xff000000) >>> 0;
}

/** pixman's bilinear_interpolation with 8-bit weights (7-bit weights shifted left once). */
export function bilinear(tl: number, tr: number, bl: number, br: number, wx: number, wy: number): number {
  const wtl = (256 - wx) * (256 - wy);
  const wtr = wx * (256 - wy);
  const wbl = (256 - wx) * wy;
  const wbr = wx * wy;
  let out = 0;
  for (let shift = 0; shift < 32; shift += 8) {
    const c =
      ((tl >>> shift) & 0xff) * wtl + ((tr >>> shift) & 0xff) * wtr + ((bl >>> shift) & 0xff) * wbl + ((br >>> shift) & 0xff) * wbr;
    out |= (c >>> 16) << shift;
  }
  return out >>> 0;
}

/** The bilinear sample at a 16.16 source position (already the transformed pixel centre). */
export function sampleBilinear(src: PixelSource, vx: number, vy: number): number {
  const x1 = vx - 0x8000;
  const y1 = vy - 0x8000;
  const wx = (Math.floor(x1 / 512) & 0x7f) << 1;
  const wy = (Math.floor(y1 / 512) & 0x7f) << 1;
  const x0 = Math.floor(x1 / 65536);
  const y0 = Math.floor(y1 / 65536);
  return bilinear(fetch(src, x0, y0), fetch(src, x0 + 1, y0), fetch(src, x0, y0 + 1), fetch(src, x0 + 1, y0 + 1), wx, wy);
}

/**
 * Fills out[outOff .. outOff+len) with the scaled source pixels for destination pixels
 * (x .. x+len-1, y); samples outside the source are 0. NEAREST copies source pixels as stored
 * unless `opaque` asks for the top byte of sources without alpha to read 0xff (as pixman reads
 * them when it blends); bilinear always reads them that way.
 */
export function sampleScaledRow(
  src: PixelSource,
  map: ScaleMap,
  x: number,
  y: number,
  len: number,
  out: Uint32Array,
  outOff: number,
  opaque = false,
): void {
  const j = y - map.destY + map.oy;
  const i0 = x - map.destX + map.ox;
  const vy = centre(map.fsy, j) + map.ty;
  let vx = centre(map.fsx, i0) + map.tx;
  if (!map.bilinear) {
    const sy = Math.floor((vy - 1) / 65536);
    if (sy < 0 || sy >= src.height) {
      out.fill(0, outOff, outOff + len);
      return;
    }
    const row = sy * src.width;
    const w = src.width;
    const data = src.data;
    const alphaBits = opaque && !src.hasAlpha ? 0xff000000 : 0;
    vx -= 1;
    for (let k = 0; k < len; k++, vx += map.fsx) {
      const sx = Math.floor(vx / 65536);
      out[outOff + k] = sx >= 0 && sx < w ? (data[row + sx] | alphaBits) >>> 0 : 0;
    }
    return;
  }
  for (let k = 0; k < len; k++, vx += map.fsx) out[outOff + k] = sampleBilinear(src, vx, vy);
}
