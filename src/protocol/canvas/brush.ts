// Brushes resolved to what the fill loops need. A NONE brush paints colour 0 through the ROP,
// as spice-common's draw_brush does (the ROP may still invert or clear the destination).
import type { Rect } from '../pixels/geometry.ts';
import { Rop, ropSpanCopy, ropSpanSolid } from './rop.ts';
import { type PixelSource, scratch } from './source.ts';
import type { Surface } from './surface.ts';

export type ResolvedBrush =
  | { kind: 'solid'; color: number }
  /** A pattern tiled so that its pixel (0, 0) lands on (x, y) and every tile-size step from there. */
  | { kind: 'tile'; tile: PixelSource; x: number; y: number };

function mod(a: number, n: number): number {
  const r = a % n;
  return r < 0 ? r + n : r;
}

/** Writes the tile's pixels for destination pixels (x .. x+len-1, y) into out[0 .. len). */
export function tileRow(brush: { tile: PixelSource; x: number; y: number }, x: number, y: number, len: number, out: Uint32Array): void {
  const { tile } = brush;
  const row = mod(y - brush.y, tile.height) * tile.width;
  let tx = mod(x - brush.x, tile.width);
  for (let k = 0; k < len; k++) {
    out[k] = tile.data[row + tx];
    if (++tx === tile.width) tx = 0;
  }
}

/** Paints a region with a brush through a binary ROP (the brush is the ROP's source). */
export function fillRegion(surface: Surface, region: readonly Rect[], brush: ResolvedBrush, rop: number): void {
  if (rop === Rop.NOOP) return;
  const { data, width } = surface;
  if (brush.kind === 'solid') {
    for (const r of region) {
      const len = r.right - r.left;
      for (let y = r.top; y < r.bottom; y++) ropSpanSolid(data, y * width + r.left, len, brush.color, rop);
    }
    return;
  }
  if (brush.tile.width <= 0 || brush.tile.height <= 0) return;
  for (const r of region) {
    const len = r.right - r.left;
    const row = scratch(len);
    for (let y = r.top; y < r.bottom; y++) {
      tileRow(brush, r.left, y, len, row);
      ropSpanCopy(data, y * width + r.left, row, 0, len, rop);
    }
  }
}
