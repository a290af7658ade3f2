// Pixel patches (presenter.ts) cut out of a surface and turned into RGBA.
import type { Rect } from '../../protocol/pixels/geometry.ts';
import type { PixelPatch } from './presenter.ts';

/** A window into a surface's words: no copy. */
export function surfacePatch(data: Uint32Array, surfaceWidth: number, r: Rect): PixelPatch {
  return { x: r.left, y: r.top, width: r.right - r.left, height: r.bottom - r.top, data, offset: r.top * surfaceWidth + r.left, stride: surfaceWidth };
}

/** A copy of a rectangle of a surface (stride == width), for sending to the page. */
export function copyPatch(data: Uint32Array, surfaceWidth: number, r: Rect): PixelPatch {
  const width = r.right - r.left;
  const height = r.bottom - r.top;
  const out = new Uint32Array(width * height);
  for (let y = 0; y < height; y++) {
    const from = (r.top + y) * surfaceWidth + r.left;
    out.set(data.subarray(from, from + width), y * width);
  }
  return { x: r.left, y: r.top, width, height, data: out, offset: 0, stride: width };
}

/**
 * The patch's pixels as RGBA bytes with alpha 255 (the byte order of ImageData and texImage2D)
 * in the first width * height words of `out`. The surface's alpha byte is not meaningful (xRGB).
 */
export function patchToRgba(p: PixelPatch, out: Uint32Array): void {
  const { width, height, data, stride } = p;
  let o = 0;
  for (let y = 0; y < height; y++) {
    let i = p.offset + y * stride;
    const end = i + width;
    for (; i < end; i++) {
      const v = data[i];
      // Little-endian memory of 0xAABBGGRR is the bytes R, G, B, A.
      out[o++] = 0xff000000 | ((v & 0xff) << 16) | (v & 0xff00) | ((v >>> 16) & 0xff);
    }
  }
}
