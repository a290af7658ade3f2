// The WebAssembly SIMD scanlines give the JavaScript loop's bytes exactly, for every row width
// (a multiple of 4 pixels or not: the SIMD groups end past the row) and both filters.
import { describe, expect, it } from 'vitest';
import { scanlines } from '../../../../src/main/node/png.ts';
import { createSimdScanlines } from '../../../../src/main/node/png-scanlines-simd.ts';

function words(count: number, seed: number): Uint32Array {
  let x = seed;
  return Uint32Array.from({ length: count }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  });
}

describe('SIMD PNG scanlines', () => {
  const simd = createSimdScanlines();

  it('run in Node (WebAssembly SIMD is there)', () => {
    expect(simd).not.toBeNull();
  });

  for (const [width, height] of [[1, 1], [2, 3], [3, 2], [4, 4], [5, 3], [7, 5], [9, 2], [16, 1], [17, 3], [321, 7], [1920, 4]] as const) {
    it(`${width}x${height}: the same bytes as the loop, Sub and None`, () => {
      const surface = { width, height, data: words(width * height, width * 1000 + height) };
      for (const filter of ['sub', 'none'] as const) expect(Buffer.from(simd!(surface, filter))).toEqual(scanlines(surface, filter));
    });
  }

  it('a smaller screen after a larger one: the module memory is reused, the rows are the new ones', () => {
    const big = { width: 64, height: 64, data: words(64 * 64, 1) };
    const small = { width: 5, height: 2, data: words(10, 2) };
    simd!(big, 'sub');
    expect(Buffer.from(simd!(small, 'sub'))).toEqual(scanlines(small, 'sub'));
  });
});
