// DRAW_ROP3: a ternary ROP of pattern (the brush), source image and destination, as
// spice-common's canvas_draw_rop3 + rop3.c. A stretched source goes through canvas_scale_surface
// (its own scale rounding). When the source is smaller than the box needs, spice-common draws
// nothing, and so does this. All 256 codes are implemented from their truth table; spice-common
// lacks the codes the server never sends (those equivalent to simpler operations).
import type { Rect } from '../pixels/geometry.ts';
import { ScaleMode } from '../pixels/draw-ops.ts';
import { type ResolvedBrush, tileRow } from './brush.ts';
import { rop3Span } from './rop.ts';
import { scaleMapForRop3, sampleScaledRow } from './scale.ts';
import type { PixelSource } from './source.ts';
import type { Surface } from './surface.ts';

export interface Rop3Params {
  code: number;
  src: PixelSource;
  srcArea: Rect;
  box: Rect;
  brush: ResolvedBrush;
  scaleMode: number;
}

export function drawRop3(surface: Surface, region: readonly Rect[], p: Rop3Params): void {
  const { box, srcArea, src, brush } = p;
  const w = box.right - box.left;
  const h = box.bottom - box.top;
  if (w <= 0 || h <= 0) return;
  const sameSize = srcArea.right - srcArea.left === w && srcArea.bottom - srcArea.top === h;
  let map = null;
  if (!sameSize) {
    if (p.scaleMode !== ScaleMode.NEAREST && p.scaleMode !== ScaleMode.INTERPOLATE) return;
    map = scaleMapForRop3(srcArea, box, p.scaleMode === ScaleMode.INTERPOLATE);
    if (!map) return;
  } else if (srcArea.left < 0 || srcArea.top < 0 || src.width - srcArea.left < w || src.height - srcArea.top < h) {
    return;
  }
  const maxLen = Math.max(0, ...region.map((r) => r.right - r.left));
  const srcRow = new Uint32Array(maxLen);
  const patRow = brush.kind === 'tile' ? new Uint32Array(maxLen) : null;
  const patColor = brush.kind === 'solid' ? brush.color : 0;
  const { data, width } = surface;
  for (const r of region) {
    const len = r.right - r.left;
    for (let y = r.top; y < r.bottom; y++) {
      if (map) sampleScaledRow(src, map, r.left, y, len, srcRow, 0);
      else srcRow.set(src.data.subarray((y - box.top + srcArea.top) * src.width + (r.left - box.left + srcArea.left)).subarray(0, len));
      if (patRow && brush.kind === 'tile') tileRow(brush, r.left, y, len, patRow);
      rop3Span(p.code & 0xff, data, y * width + r.left, srcRow, 0, patRow, 0, patColor, len);
    }
  }
}
