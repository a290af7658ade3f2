import { describe, expect, it } from 'vitest';
import { DamageTracker, extractRgba, MAX_DAMAGE_RECTS } from '../../../src/renderer/damage.ts';

const rect = (left: number, top: number, right: number, bottom: number) => ({ left, top, right, bottom });

describe('DamageTracker', () => {
  it('keeps separate rectangles, clipped to the surface, and empties on take()', () => {
    const d = new DamageTracker(100, 50);
    d.add(rect(-10, -5, 20, 10));
    d.add(rect(90, 40, 200, 80));
    d.add(rect(30, 30, 30, 40)); // empty
    d.add(rect(150, 0, 160, 10)); // outside
    expect(d.take()).toEqual([rect(0, 0, 20, 10), rect(90, 40, 100, 50)]);
    expect(d.empty).toBe(true);
    expect(d.take()).toEqual([]);
  });

  it('drops a rectangle inside one already damaged', () => {
    const d = new DamageTracker(100, 100);
    d.add(rect(10, 10, 50, 50));
    d.add(rect(20, 20, 30, 30));
    expect(d.take()).toEqual([rect(10, 10, 50, 50)]);
  });

  it('collapses into the bounding box past the limit', () => {
    const d = new DamageTracker(1000, 1000);
    for (let i = 0; i <= MAX_DAMAGE_RECTS; i++) d.add(rect(i * 10, i * 5, i * 10 + 3, i * 5 + 2));
    expect(d.take()).toEqual([rect(0, 0, MAX_DAMAGE_RECTS * 10 + 3, MAX_DAMAGE_RECTS * 5 + 2)]);
  });

  it('all() is the whole surface, and resize() forgets the old damage', () => {
    const d = new DamageTracker(0, 0);
    d.all();
    expect(d.empty).toBe(true);
    d.resize(64, 32);
    d.add(rect(1, 1, 2, 2));
    d.resize(8, 8);
    expect(d.empty).toBe(true);
    d.all();
    expect(d.take()).toEqual([rect(0, 0, 8, 8)]);
  });
});

describe('extractRgba', () => {
  it('turns 0xAARRGGBB words into R, G, B, 255 bytes, row by row', () => {
    // A 3x2 surface; the rectangle is its right two columns.
    const data = new Uint32Array([0x00112233, 0x00445566, 0x80778899, 0xffaabbcc, 0x00ddeeff, 0x12000001]);
    const bytes = extractRgba(data, 3, rect(1, 0, 3, 2));
    expect(Array.from(bytes)).toEqual([0x44, 0x55, 0x66, 255, 0x77, 0x88, 0x99, 255, 0xdd, 0xee, 0xff, 255, 0x00, 0x00, 0x01, 255]);
  });
});
