// DRAW_ALPHA_BLEND: pixman OVER of a premultiplied source, scaled by the overall alpha, onto the
// surface. A stretched source is always sampled NEAREST (spice-common passes NEAREST here).
// Sources without alpha read as opaque; samples outside the source are transparent.
import type { Rect } from '../pixels/geometry.ts';
import { clearDestAlpha, mul4, over } from './pixel-math.ts';
import { scaleMapForArea, sampleScaledRow } from './scale.ts';
import { type PixelSource, scratch } from './source.ts';
import type { Surface } from './surface.ts';

export interface AlphaBlendParams {
  src: PixelSource;
  srcArea: Rect;
  box: Rect;
  /** 0..255, applied to every source pixel (pixman's solid mask). */
  alpha: number;
  /**
   * The destination is an xRGB surface the server does not treat as having alpha: spice-common
   * then clears the alpha bytes it wrote (clear_dest_alpha).
   */
  clearAlpha: boolean;
}

function blendRow(dst: Uint32Array, doff: number, row: Uint32Array, len: number, alpha: number): void {
  for (let k = 0; k < len; k++) {
    let s = row[k];
    if (alpha !== 0xff) s = mul4(s, alpha);
    if (s === 0) continue;
    dst[doff + k] = s >>> 24 === 0xff ? s : over(s, dst[doff + k]);
  }
}

export function drawAlphaBlend(surface: Surface, region: readonly Rect[], p: AlphaBlendParams): void {
  const { src, srcArea, box, alpha } = p;
  const { data, width } = surface;
  const dw = box.right - box.left;
  const dh = box.bottom - box.top;
  const sameSize = srcArea.right - srcArea.left === dw && srcArea.bottom - srcArea.top === dh;
  const map = sameSize ? null : scaleMapForArea(srcArea, box, false);
  if (!sameSize && !map) return;
  const alphaBits = src.hasAlpha ? 0 : 0xff000000;
  for (const r of region) {
    const len = r.right - r.left;
    const row = scratch(len);
    for (let y = r.top; y < r.bottom; y++) {
      if (map) {
        sampleScaledRow(src, map, r.left, y, len, row, 0, true);
      } else {
        const sy = y - box.top + srcArea.top;
        const rowInside = sy >= 0 && sy < src.height;
        for (let k = 0; k < len; k++) {
          const sx = r.left + k - box.left + srcArea.left;
          row[k] = rowInside && sx >= 0 && sx < src.width ? (src.data[sy * src.width + sx] | alphaBits) >>> 0 : 0;
        }
      }
      blendRow(data, y * width + r.left, row, len, alpha);
    }
  }
  if (p.clearAlpha) clearDestAlpha(data, width, surface.height, box.left, box.top, dw, dh);
}
