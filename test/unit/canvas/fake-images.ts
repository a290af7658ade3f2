// Test support: a small ImageResolver that decodes 'bitmap' bodies with the real bitmap decoder,
// and builders for images and draw ops on tiny surfaces.
import type { DisplayBase, ImageResolver, QMask, SpiceImage } from '../../../src/protocol/pixels/draw-ops.ts';
import type { Rect } from '../../../src/protocol/pixels/geometry.ts';
import { ImageType } from '../../../src/protocol/pixels/draw-ops.ts';
import { BitmapFlags, BitmapFormat } from '../../../src/protocol/pixels/formats.ts';
import { decodeBitmap, decodeBitmapMask, MapPaletteCache } from '../../../src/protocol/codecs/bitmap.ts';

export const palettes = new MapPaletteCache();

export const images: ImageResolver = {
  image(image) {
    if (image.body.kind !== 'bitmap') throw new Error(`fake resolver cannot decode ${image.body.kind}`);
    return decodeBitmap(image.body.bitmap, palettes);
  },
  mask(image) {
    if (image.body.kind !== 'bitmap') throw new Error(`fake resolver cannot decode ${image.body.kind}`);
    return decodeBitmapMask(image.body.bitmap);
  },
};

let nextId = 1n;

function wrap(width: number, height: number, format: number, stride: number, data: Uint8Array): SpiceImage {
  return {
    descriptor: { id: nextId++, type: ImageType.BITMAP, flags: 0, width, height },
    body: {
      kind: 'bitmap',
      bitmap: { format, flags: BitmapFlags.TOP_DOWN, width, height, stride, paletteRef: { palette: null }, data },
    },
  };
}

/** A top-down 32BIT (or RGBA when `alpha`) image of the given 0xAARRGGBB pixels. */
export function image(width: number, height: number, pixels: number[], alpha = false): SpiceImage {
  const data = new Uint8Array(width * height * 4);
  pixels.forEach((p, i) => new DataView(data.buffer).setUint32(i * 4, p >>> 0, true));
  return wrap(width, height, alpha ? BitmapFormat.RGBA : BitmapFormat.RGB32, width * 4, data);
}

/** A top-down 8BIT_A image. */
export function alphaImage(width: number, height: number, alphas: number[]): SpiceImage {
  return wrap(width, height, BitmapFormat.A8, width, Uint8Array.from(alphas));
}

/** A top-down 1BIT_BE mask from rows of '0'/'1' characters. */
export function maskImage(rows: string[]): SpiceImage {
  const width = rows[0].length;
  const stride = Math.ceil(width / 8);
  const data = new Uint8Array(stride * rows.length);
  rows.forEach((row, y) => {
    for (let x = 0; x < width; x++) if (row[x] === '1') data[y * stride + (x >> 3)] |= 0x80 >> (x & 7);
  });
  return wrap(width, rows.length, BitmapFormat.A1_BE, stride, data);
}

export function surfaceImage(surfaceId: number): SpiceImage {
  return { descriptor: { id: 0n, type: ImageType.SURFACE, flags: 0, width: 0, height: 0 }, body: { kind: 'surface', surfaceId } };
}

export function rect(left: number, top: number, right: number, bottom: number): Rect {
  return { left, top, right, bottom };
}

export function base(box: Rect, clip: Rect[] | null = null, surfaceId = 0): DisplayBase {
  return { surfaceId, box, clip };
}

export const noMask: QMask = { flags: 0, pos: { x: 0, y: 0 }, image: null };

/** Rows of hex pixels of a surface area, for readable failures. */
export function pixelsOf(data: Uint32Array, width: number, area: Rect): number[][] {
  const out: number[][] = [];
  for (let y = area.top; y < area.bottom; y++) {
    const row: number[] = [];
    for (let x = area.left; x < area.right; x++) row.push(data[y * width + x]);
    out.push(row);
  }
  return out;
}
