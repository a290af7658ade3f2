// The WebAssembly SIMD conversion gives exactly patchToRgba's bytes (the reference), for patches
// of any size (not whole 16-byte blocks), inside a wider surface (stride) or packed, and after the
// module's memory grew for a larger patch.
import { describe, expect, it } from 'vitest';
import { patchToRgba, surfacePatch } from '../../../../src/renderer/present/patch-pixels.ts';
import { createRgbaSwizzle } from '../../../../src/renderer/present/rgba-swizzle.ts';
import type { PixelPatch } from '../../../../src/renderer/present/presenter.ts';

function reference(p: PixelPatch): Uint8Array {
  const out = new Uint32Array(p.width * p.height);
  patchToRgba(p, out);
  return new Uint8Array(out.buffer);
}

/** A surface of pseudo-random words (alpha bytes too: they must not show). */
function surface(width: number, height: number, seed: number): Uint32Array {
  const data = new Uint32Array(width * height);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = s ^ (s << 7);
  }
  return data;
}

describe('createRgbaSwizzle', () => {
  const swizzle = createRgbaSwizzle();

  it('compiles here (Node has WebAssembly SIMD)', () => {
    expect(swizzle).not.toBeNull();
  });

  it("gives patchToRgba's bytes for patches of every shape, inside a surface and packed", () => {
    const width = 301;
    const data = surface(width, 200, 7);
    const rects = [
      { left: 0, top: 0, right: 1, bottom: 1 },
      { left: 3, top: 5, right: 6, bottom: 6 },
      { left: 10, top: 10, right: 17, bottom: 13 },
      { left: 0, top: 0, right: width, bottom: 200 },
      { left: 299, top: 199, right: 301, bottom: 200 },
      { left: 5, top: 0, right: 294, bottom: 37 },
    ];
    for (const r of rects) {
      const p = surfacePatch(data, width, r);
      expect(Array.from(swizzle!.toRgba(p)), JSON.stringify(r)).toEqual(Array.from(reference(p)));
      const packed: PixelPatch = { ...p, data: data.subarray(0, p.width * p.height), offset: 0, stride: p.width };
      expect(Array.from(swizzle!.toRgba(packed))).toEqual(Array.from(reference(packed)));
    }
  });

  it('grows its memory for a patch larger than a page, and converts a small one after', () => {
    const data = surface(1024, 768, 3);
    const whole = surfacePatch(data, 1024, { left: 0, top: 0, right: 1024, bottom: 768 });
    const big = swizzle!.toRgba(whole);
    expect(big.length).toBe(1024 * 768 * 4);
    expect(Buffer.from(big).equals(Buffer.from(reference(whole)))).toBe(true);
    const small = surfacePatch(data, 1024, { left: 1, top: 1, right: 4, bottom: 2 });
    expect(Array.from(swizzle!.toRgba(small))).toEqual(Array.from(reference(small)));
  });
});
