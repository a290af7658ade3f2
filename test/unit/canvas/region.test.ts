import { describe, expect, it } from 'vitest';
import { bandRects } from '../../../src/protocol/canvas/region.ts';
import type { Rect } from '../../../src/protocol/pixels/geometry.ts';
import { MAX_REGION_RECTS } from '../../../src/protocol/pixels/limits.ts';
import { rng } from '../../helpers/random.ts';

const SIZE = 48;

/** Which pixels of a SIZE x SIZE area the rectangles cover, and how often. */
function coverage(rects: readonly Rect[]): Uint8Array {
  const cells = new Uint8Array(SIZE * SIZE);
  for (const r of rects) {
    for (let y = Math.max(0, r.top); y < Math.min(SIZE, r.bottom); y++) {
      for (let x = Math.max(0, r.left); x < Math.min(SIZE, r.right); x++) cells[y * SIZE + x]++;
    }
  }
  return cells;
}

describe('bandRects', () => {
  it('covers exactly the union, each pixel once, in y-x banded order, for random clips', () => {
    const next = rng(7);
    for (let round = 0; round < 300; round++) {
      const rects: Rect[] = Array.from({ length: 1 + (next() % 40) }, () => {
        const top = next() % SIZE;
        const left = next() % SIZE;
        // Some empty or inverted rectangles too: they cover nothing.
        return { top, left, bottom: top + (next() % 20) - 2, right: left + (next() % 20) - 2 };
      });
      const banded = bandRects(rects);
      const union = coverage(rects).map((n) => (n > 0 ? 1 : 0));
      expect(coverage(banded)).toEqual(union);
      for (let i = 1; i < banded.length; i++) {
        const a = banded[i - 1];
        const b = banded[i];
        expect(a.top < b.top || (a.top === b.top && a.bottom === b.bottom && a.right < b.left)).toBe(true);
      }
    }
  });

  it('bands a grid of 100,000 small rectangles into 100,000', () => {
    const grid = Array.from({ length: 100_000 }, (_, i) => {
      const left = (i % 300) * 3;
      const top = Math.floor(i / 300) * 3;
      return { top, left, bottom: top + 2, right: left + 2 };
    });
    expect(bandRects(grid)).toHaveLength(100_000);
  });

  it('refuses a clip whose banded form grows past the limit, before it exhausts memory', () => {
    // Tall thin columns, each starting one row lower: every band holds every column begun so far.
    const columns = Array.from({ length: 1000 }, (_, i) => ({ top: i, left: i * 2, bottom: 100_000, right: i * 2 + 1 }));
    expect(() => bandRects(columns)).toThrow(new RegExp(`bands into more than ${MAX_REGION_RECTS} rectangles`));
  });
});
