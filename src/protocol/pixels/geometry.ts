// Points and rectangles as SPICE sends them (spice-common's spice.proto `Point`, `Rect`, clip),
// shared by the display messages that carry them, the compositor that draws in them and the page
// that presents the damaged parts. Every integer is as read from the wire.

export interface Point {
  x: number;
  y: number;
}

/** SPICE Rect: int32 top, left, bottom, right; bottom/right exclusive. */
export interface Rect {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

/** null = no clipping (clip type NONE); otherwise the union of the rectangles. */
export type Clip = Rect[] | null;

/** Affine transform in 16.16 fixed point, as pixman takes it (t00 t01 t02 / t10 t11 t12). */
export type Transform = [number, number, number, number, number, number];

/** The smallest rectangle holding every one of `rects` (at least one). */
export function boundingRect(rects: readonly Rect[]): Rect {
  const out = { ...rects[0]! };
  for (const r of rects) {
    out.top = Math.min(out.top, r.top);
    out.left = Math.min(out.left, r.left);
    out.bottom = Math.max(out.bottom, r.bottom);
    out.right = Math.max(out.right, r.right);
  }
  return out;
}
