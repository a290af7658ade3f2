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
