// pixman's 8-bit channel arithmetic, reproduced to the bit: products are rounded with
// t = a*b + 0x80; (t + (t >> 8)) >> 8, sums saturate at 255, and colours are premultiplied.

export function mulUn8(a: number, b: number): number {
  const t = a * b + 0x80;
  return ((t >> 8) + t) >> 8;
}

/** (a * 255 + b / 2) / b, pixman's DIV_UN8. */
export function divUn8(a: number, b: number): number {
  return Math.floor((a * 0xff + (b >> 1)) / b);
}

/** Every channel of `p` multiplied by `m` (0..255). */
export function mul4(p: number, m: number): number {
  if (m === 0xff) return p >>> 0;
  if (m === 0) return 0;
  return (
    ((mulUn8(p >>> 24, m) << 24) | (mulUn8((p >>> 16) & 0xff, m) << 16) | (mulUn8((p >>> 8) & 0xff, m) << 8) | mulUn8(p & 0xff, m)) >>> 0
  );
}

/** Porter-Duff OVER of premultiplied `s` onto `d`: s + d * (255 - alpha(s)) per channel. */
export function over(s: number, d: number): number {
  const ia = 0xff - (s >>> 24);
  if (ia === 0) return s >>> 0;
  const a = Math.min(0xff, (s >>> 24) + mulUn8(d >>> 24, ia));
  const r = Math.min(0xff, ((s >>> 16) & 0xff) + mulUn8((d >>> 16) & 0xff, ia));
  const g = Math.min(0xff, ((s >>> 8) & 0xff) + mulUn8((d >>> 8) & 0xff, ia));
  const b = Math.min(0xff, (s & 0xff) + mulUn8(d & 0xff, ia));
  return ((a << 24) | (r << 16) | (g << 8) | b) >>> 0;
}

/**
 * spice-common's clear_dest_alpha: after an OVER onto an xRGB surface, when the first pixel of
 * the operation's rectangle came out with alpha 0xff, the alpha bytes of the whole rectangle
 * (not just the clipped part) are cleared.
 */
export function clearDestAlpha(data: Uint32Array, width: number, height: number, x: number, y: number, w: number, h: number): void {
  if (w <= 0 || h <= 0 || x + w <= 0 || x >= width || y + h <= 0 || y >= height) return;
  if (x < 0) {
    w += x;
    x = 0;
  }
  if (y < 0) {
    h += y;
    y = 0;
  }
  w = Math.min(w, width - x);
  h = Math.min(h, height - y);
  if (data[y * width + x] >>> 24 !== 0xff) return;
  for (let row = y; row < y + h; row++) {
    const base = row * width;
    for (let i = base + x; i < base + x + w; i++) data[i] &= 0x00ffffff;
  }
}
