// DRAW_TEXT as spice-common's sw_canvas draws it: the back area is filled with the back brush
// (only when fore_mode is OP_PUT; otherwise nothing at all is drawn), then the glyphs are
// rasterised into one alpha mask (A1 bits OR-ed, A4/A8 coverage MAX-ed) and the fore brush is
// composited through it with pixman OVER. Glyph rows are read bottom-up whatever the
// RASTER_TOP_DOWN flag says, as spice-common does; A4 coverage n becomes n * 16.
import type { RasterGlyph, SpiceString } from '../pixels/draw-ops.ts';
import { boundingRect, type Rect } from '../pixels/geometry.ts';
import { Ropd, StringFlags } from '../pixels/draw-ops.ts';
import { fillRegion, type ResolvedBrush, tileRow } from './brush.ts';
import { clearDestAlpha, mul4, over } from './pixel-math.ts';
import { intersectRegion, isEmptyRect } from './region.ts';
import { Rop } from './rop.ts';
import { scratch } from './source.ts';
import type { Surface } from './surface.ts';

export interface TextParams {
  str: SpiceString;
  backArea: Rect;
  foreBrush: ResolvedBrush | null;
  backBrush: ResolvedBrush;
  foreMode: number;
  /** Sources of tiled brushes without alpha read as opaque. */
  foreTileHasAlpha: boolean;
  /** xRGB destination: spice-common clears the alpha bytes under the string afterwards. */
  clearAlpha: boolean;
}

interface GlyphMask {
  left: number;
  top: number;
  width: number;
  height: number;
  alpha: Uint8Array;
}

function glyphBox(g: RasterGlyph): Rect {
  const top = g.renderPos.y + g.glyphOrigin.y;
  const left = g.renderPos.x + g.glyphOrigin.x;
  return { top, left, bottom: top + g.height, right: left + g.width };
}

/**
 * canvas_get_str_mask: the union of the glyph boxes, with every glyph's coverage merged in, cut
 * to `within` (the area drawn): glyph positions are the server's, and two far apart would
 * otherwise size the mask by the distance between them.
 */
export function stringMask(str: SpiceString, depth: 1 | 4 | 8, within?: Rect): GlyphMask | null {
  if (str.glyphs.length === 0) return null;
  const bounds = glyphBox(str.glyphs[0]);
  for (const g of str.glyphs) {
    const b = glyphBox(g);
    bounds.top = Math.min(bounds.top, b.top);
    bounds.left = Math.min(bounds.left, b.left);
    bounds.bottom = Math.max(bounds.bottom, b.bottom);
    bounds.right = Math.max(bounds.right, b.right);
  }
  if (within) {
    bounds.top = Math.max(bounds.top, within.top);
    bounds.left = Math.max(bounds.left, within.left);
    bounds.bottom = Math.min(bounds.bottom, within.bottom);
    bounds.right = Math.min(bounds.right, within.right);
  }
  const width = bounds.right - bounds.left;
  const height = bounds.bottom - bounds.top;
  if (width <= 0 || height <= 0) return null;
  const alpha = new Uint8Array(width * height);
  for (const g of str.glyphs) {
    const stride = depth === 1 ? (g.width + 7) >> 3 : depth === 4 ? (g.width + 1) >> 1 : g.width;
    if (g.width <= 0 || g.height <= 0 || g.data.length < stride * g.height) continue;
    const b = glyphBox(g);
    const fromX = Math.max(0, bounds.left - b.left);
    const toX = Math.min(g.width, bounds.right - b.left);
    for (let row = Math.max(0, bounds.top - b.top); row < Math.min(g.height, bounds.bottom - b.top); row++) {
      const src = (g.height - 1 - row) * stride;
      const dst = (b.top - bounds.top + row) * width + (b.left - bounds.left);
      for (let x = fromX; x < toX; x++) {
        let a: number;
        if (depth === 1) a = (g.data[src + (x >> 3)] >> (7 - (x & 7))) & 1 ? 0xff : 0;
        else if (depth === 4) {
          const byte = g.data[src + (x >> 1)];
          a = x & 1 ? (byte << 4) & 0xf0 : byte & 0xf0;
        } else a = g.data[src + x];
        if (a > alpha[dst + x]) alpha[dst + x] = a;
      }
    }
  }
  return { left: bounds.left, top: bounds.top, width, height, alpha };
}

export function drawText(surface: Surface, region: readonly Rect[], p: TextParams): void {
  if (region.length === 0) return;
  if (!isEmptyRect(p.backArea)) {
    if (p.foreMode !== Ropd.OP_PUT) return;
    fillRegion(surface, intersectRegion(region, p.backArea), p.backBrush, Rop.COPY);
  }
  const flags = p.str.flags;
  const depth = flags & StringFlags.RASTER_A1 ? 1 : flags & StringFlags.RASTER_A4 ? 4 : flags & StringFlags.RASTER_A8 ? 8 : 0;
  if (depth === 0 || !p.foreBrush) return;
  const mask = stringMask(p.str, depth, boundingRect(region));
  if (!mask) return;
  const brush = p.foreBrush;
  const { data, width } = surface;
  const maskRect = { left: mask.left, top: mask.top, right: mask.left + mask.width, bottom: mask.top + mask.height };
  for (const r of intersectRegion(region, maskRect)) {
    const len = r.right - r.left;
    const row = scratch(len);
    for (let y = r.top; y < r.bottom; y++) {
      if (brush.kind === 'solid') row.fill((brush.color | 0xff000000) >>> 0, 0, len);
      else {
        tileRow(brush, r.left, y, len, row);
        if (!p.foreTileHasAlpha) for (let k = 0; k < len; k++) row[k] = (row[k] | 0xff000000) >>> 0;
      }
      const mrow = (y - mask.top) * mask.width - mask.left;
      const drow = y * width;
      for (let x = r.left; x < r.right; x++) {
        const m = mask.alpha[mrow + x];
        if (m === 0) continue;
        const s = mul4(row[x - r.left], m);
        data[drow + x] = s >>> 24 === 0xff ? s : over(s, data[drow + x]);
      }
    }
  }
  if (p.clearAlpha) clearDestAlpha(data, width, surface.height, mask.left, mask.top, mask.width, mask.height);
}
