import { describe, expect, it } from 'vitest';
import { copyPatch, patchToRgba, surfacePatch } from '../../../../src/renderer/present/patch-pixels.ts';

const rect = (left: number, top: number, right: number, bottom: number) => ({ left, top, right, bottom });
// A 3x2 surface of 0xAARRGGBB words.
const surface = new Uint32Array([0x00112233, 0x00445566, 0x80778899, 0xffaabbcc, 0x00ddeeff, 0x12000001]);

describe('pixel patches', () => {
  it('a surface patch is a window into the surface: its offset and stride, no copy', () => {
    const p = surfacePatch(surface, 3, rect(1, 0, 3, 2));
    expect(p).toMatchObject({ x: 1, y: 0, width: 2, height: 2, offset: 1, stride: 3 });
    expect(p.data).toBe(surface);
  });

  it('a copied patch holds only its rows, stride = width', () => {
    const p = copyPatch(surface, 3, rect(1, 0, 3, 2));
    expect(p).toMatchObject({ x: 1, y: 0, width: 2, height: 2, offset: 0, stride: 2 });
    expect(Array.from(p.data)).toEqual([0x00445566, 0x80778899, 0x00ddeeff, 0x12000001]);
  });

  it('turns 0xAARRGGBB words into R, G, B, 255 bytes, row by row, from either kind of patch', () => {
    const expected = [0x44, 0x55, 0x66, 255, 0x77, 0x88, 0x99, 255, 0xdd, 0xee, 0xff, 255, 0x00, 0x00, 0x01, 255];
    for (const p of [surfacePatch(surface, 3, rect(1, 0, 3, 2)), copyPatch(surface, 3, rect(1, 0, 3, 2))]) {
      // A larger buffer than needed, as the presenter reuses one: only the first words are written.
      const out = new Uint32Array(6).fill(0x01020304);
      patchToRgba(p, out);
      expect(Array.from(new Uint8Array(out.buffer, 0, 16))).toEqual(expected);
      expect(out[4]).toBe(0x01020304);
    }
  });

  it('reads the second row of a patch that starts below the first', () => {
    const out = new Uint32Array(1);
    patchToRgba(surfacePatch(surface, 3, rect(0, 1, 1, 2)), out);
    expect(Array.from(new Uint8Array(out.buffer))).toEqual([0xaa, 0xbb, 0xcc, 255]);
  });
});
