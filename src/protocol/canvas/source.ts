// What drawing operations read pixels from: a decoded image or a surface, 0xAARRGGBB per pixel.
import type { Pixels } from '../pixels/pixels.ts';
import { type Surface, surfaceHasAlpha } from './surface.ts';

export interface PixelSource {
  readonly width: number;
  readonly height: number;
  readonly data: Uint32Array;
  /** False: the top byte is not alpha, and pixman-style reads see 0xff there. */
  readonly hasAlpha: boolean;
}

export function sourceOfSurface(surface: Surface, hasAlpha = surfaceHasAlpha(surface)): PixelSource {
  return { width: surface.width, height: surface.height, data: surface.data, hasAlpha };
}

export function sourceOfPixels(pixels: Pixels): PixelSource {
  return pixels;
}

let scratchBuffer = new Uint32Array(4096);

/** A shared temporary row of at least `len` pixels, valid until the next call. */
export function scratch(len: number): Uint32Array {
  if (scratchBuffer.length < len) scratchBuffer = new Uint32Array(Math.max(len, scratchBuffer.length * 2));
  return scratchBuffer;
}
