// PNG output of a surface. pngjs does the format; the conversion from SPICE's 0xAARRGGBB words is
// done here in one pass.
import { PNG } from 'pngjs';
import type { Surface } from '../protocol/canvas/surface.ts';

export function surfaceToRgba(surface: Surface): Buffer {
  const { data } = surface;
  const out = Buffer.allocUnsafe(data.length * 4);
  for (let i = 0, o = 0; i < data.length; i++, o += 4) {
    const p = data[i];
    out[o] = (p >>> 16) & 0xff;
    out[o + 1] = (p >>> 8) & 0xff;
    out[o + 2] = p & 0xff;
    out[o + 3] = 0xff;
  }
  return out;
}

export function encodeSurfacePng(surface: Surface): Buffer {
  const png = { width: surface.width, height: surface.height, data: surfaceToRgba(surface) } as PNG;
  // Fast settings: a screenshot is written once; speed matters more than a few percent of size.
  return PNG.sync.write(png, { colorType: 2, inputColorType: 6, inputHasAlpha: true, deflateLevel: 3, filterType: 1 });
}
