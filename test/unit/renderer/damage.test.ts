import { describe, expect, it } from 'vitest';
import { DamageTracker, MAX_DAMAGE_RECTS } from '../../../src/renderer/damage.ts';

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

  it('past the limit merges the two rectangles whose bounding box adds the least area', () => {
    const d = new DamageTracker(1000, 1000);
    // Far apart along a diagonal, except the last, just right of the first.
    for (let i = 0; i < MAX_DAMAGE_RECTS; i++) d.add(rect(i * 50, i * 50, i * 50 + 10, i * 50 + 10));
    d.add(rect(12, 0, 20, 10));
    const rects = d.take();
    expect(rects).toHaveLength(MAX_DAMAGE_RECTS);
    expect(rects).toContainEqual(rect(0, 0, 20, 10));
    for (let i = 1; i < MAX_DAMAGE_RECTS; i++) expect(rects).toContainEqual(rect(i * 50, i * 50, i * 50 + 10, i * 50 + 10));
  });

  it('keeps two busy regions apart: many lines of one and a box in the other do not become the box around both', () => {
    const d = new DamageTracker(1024, 768);
    d.add(rect(200, 300, 308, 400)); // a moving box
    for (let line = 0; line < 30; line++) d.add(rect(660, 200 + line * 13, 964, 213 + line * 13)); // a terminal's lines
    const rects = d.take();
    expect(rects.length).toBeLessThanOrEqual(MAX_DAMAGE_RECTS);
    const area = rects.reduce((s, r) => s + (r.right - r.left) * (r.bottom - r.top), 0);
    expect(area).toBe(108 * 100 + 304 * 390);
    // Every damaged pixel is still covered.
    const covered = (x: number, y: number): boolean => rects.some((r) => x >= r.left && x < r.right && y >= r.top && y < r.bottom);
    expect(covered(250, 350) && covered(700, 200) && covered(963, 589)).toBe(true);
  });

  it('drops the rectangles that a merge covers', () => {
    const d = new DamageTracker(1000, 1000);
    for (let i = 0; i < MAX_DAMAGE_RECTS; i++) d.add(rect(i * 50, 0, i * 50 + 10, 10));
    d.add(rect(0, 0, 60, 5)); // merged with the first: its box 0..60 holds the second as well
    expect(d.take()).toEqual([rect(0, 0, 60, 10), ...Array.from({ length: MAX_DAMAGE_RECTS - 2 }, (_, k) => rect((k + 2) * 50, 0, (k + 2) * 50 + 10, 10))]);
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
