// DRAW_TRANSPARENT: copy source pixels except those whose RGB equals the key colour.
// spice-common keys on true_color (src_color is ignored) and compares the low 24 bits on 32-bit
// surfaces; a stretched source is always sampled NEAREST.
import type { Rect } from '../pixels/geometry.ts';
import { intersectRegion } from './region.ts';
import { scaleMapForArea, sampleScaledRow } from './scale.ts';
import { type PixelSource, scratch } from './source.ts';
import type { Surface } from './surface.ts';

function keyRow(dst: Uint32Array, doff: number, row: Uint32Array, soff: number, len: number, key: number): void {
  for (let k = 0; k < len; k++) {
    const s = row[soff + k];
    if ((s & 0xffffff) !== key) dst[doff + k] = s;
  }
}

export function drawTransparent(surface: Surface, region: readonly Rect[], src: PixelSource, srcArea: Rect, box: Rect, trueColor: number): void {
  const key = trueColor & 0xffffff;
  const { data, width } = surface;
  const sameSize = srcArea.right - srcArea.left === box.right - box.left && srcArea.bottom - srcArea.top === box.bottom - box.top;
  if (sameSize) {
    const ox = box.left - srcArea.left;
    const oy = box.top - srcArea.top;
    const inside = intersectRegion(region, { left: ox, top: oy, right: ox + src.width, bottom: oy + src.height });
    for (const r of inside) {
      for (let y = r.top; y < r.bottom; y++) {
        keyRow(data, y * width + r.left, src.data, (y - oy) * src.width + (r.left - ox), r.right - r.left, key);
      }
    }
    return;
  }
  const map = scaleMapForArea(srcArea, box, false);
  if (!map) return;
  for (const r of region) {
    const len = r.right - r.left;
    const row = scratch(len);
    for (let y = r.top; y < r.bottom; y++) {
      sampleScaledRow(src, map, r.left, y, len, row, 0);
      keyRow(data, y * width + r.left, row, 0, len, key);
    }
  }
}
