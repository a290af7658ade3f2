import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { encodeSurfacePng } from '../../../../src/main/node/png.ts';

/** A seeded xorshift, so the noise is the same on every run. */
function noise(width: number, height: number, seed: number): Uint32Array {
  let x = seed;
  return Uint32Array.from({ length: width * height }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (0xff000000 | (x & 0xffffff)) >>> 0;
  });
}

function pixelsOf(png: Buffer): number[] {
  const img = PNG.sync.read(png);
  return Array.from({ length: img.width * img.height }, (_, i) => (img.data[i * 4] << 16) | (img.data[i * 4 + 1] << 8) | img.data[i * 4 + 2]);
}

describe('encodeSurfacePng', () => {
  const width = 320;
  const height = 200;
  const rawBytes = height * (1 + width * 3);

  it('deflates a desktop-like screen (flat areas and text-like rows)', () => {
    const data = new Uint32Array(width * height).fill(0xff336699);
    for (let y = 40; y < 120; y++) for (let x = 20; x < 300; x++) data[y * width + x] = (x * 7 + y * 3) % 5 ? 0xffffffff : 0xff000000;
    const png = encodeSurfacePng({ width, height, data });
    expect(png.byteLength).toBeLessThan(rawBytes / 10);
    expect(pixelsOf(png)).toEqual(Array.from(data, (w) => w & 0xffffff));
  });

  it('stores a screen of noise instead of spending time deflating it, pixels unchanged', () => {
    const data = noise(width, height, 0x1234567);
    const png = encodeSurfacePng({ width, height, data });
    expect(png.byteLength).toBeGreaterThan(rawBytes);
    expect(pixelsOf(png)).toEqual(Array.from(data, (w) => w & 0xffffff));
  });

  it("deflates photo-like content that 'auto' stores when asked with 'always'", () => {
    // Small noise on every channel: it deflates a little (residuals of 5 bits), too little for 'auto'.
    const data = noise(width, height, 99).map((w) => (0xff000000 | (w & 0x0f0f0f)) >>> 0);
    const auto = encodeSurfacePng({ width, height, data });
    const always = encodeSurfacePng({ width, height, data }, 'always');
    expect(auto.byteLength).toBeGreaterThan(rawBytes);
    expect(always.byteLength).toBeLessThan(0.8 * rawBytes);
    expect(pixelsOf(always)).toEqual(Array.from(data, (w) => w & 0xffffff));
    expect(pixelsOf(auto)).toEqual(pixelsOf(always));
  });

  it('stores content that deflates only to a third (a photograph, the sky): deflating it costs more than storing', () => {
    // A smooth gradient with a little noise, an odd width (the SIMD rows end mid-group): its Sub
    // residuals are a few bits each.
    const w = 321;
    const rand = noise(w, height, 7);
    const data = Uint32Array.from({ length: w * height }, (_, i) => {
      const x = i % w;
      const y = Math.floor(i / w);
      const n = rand[i] & 3;
      return (0xff000000 | (((x >> 1) + n) << 16) | (((y >> 1) + n) << 8) | ((x + y) >> 2)) >>> 0;
    });
    const raw = height * (1 + w * 3);
    const auto = encodeSurfacePng({ width: w, height, data });
    const always = encodeSurfacePng({ width: w, height, data }, 'always');
    expect(auto.byteLength).toBeGreaterThan(raw);
    expect(always.byteLength).toBeLessThan(0.5 * raw);
    expect(always.byteLength).toBeGreaterThan(0.125 * raw);
    expect(pixelsOf(auto)).toEqual(Array.from(data, (v) => v & 0xffffff));
    expect(pixelsOf(always)).toEqual(pixelsOf(auto));
  });

  it('small screens are deflated without sampling', () => {
    const data = new Uint32Array(8 * 3).fill(0xff00ff00);
    const png = encodeSurfacePng({ width: 8, height: 3, data });
    expect(pixelsOf(png)).toEqual(Array(24).fill(0x00ff00));
  });
});
