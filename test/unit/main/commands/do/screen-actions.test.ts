// compareScreen, which `do expect` uses: RGB only, a region against a PNG of the region or of the screen.
import { describe, expect, it } from 'vitest';
import { compareScreen } from '../../../../../src/main/commands/do/screen-actions.ts';

describe('do: comparing the screen with a PNG', () => {
  const screen = { width: 4, height: 3, data: new Uint32Array(12).map((_, i) => 0xff000000 | (i * 0x010203)) };
  const pngOf = (width: number, height: number, pick: (x: number, y: number) => number) => {
    const rgba = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const w = pick(x, y);
        rgba.set([(w >> 16) & 0xff, (w >> 8) & 0xff, w & 0xff, 0x7f], (y * width + x) * 4);
      }
    }
    return { width, height, rgba };
  };
  const same = pngOf(4, 3, (x, y) => (y * 4 + x) * 0x010203);

  it('counts differing pixels over RGB only', () => {
    expect(compareScreen(screen, same)).toEqual({ differing: 0, total: 12 });
    const twoOff = pngOf(4, 3, (x, y) => (y * 4 + x) * 0x010203 ^ (x === 1 && y < 2 ? 0x000100 : 0));
    expect(compareScreen(screen, twoOff)).toEqual({ differing: 2, total: 12 });
  });

  it('compares a region against a PNG of the region or of the whole screen', () => {
    const region = { x: 1, y: 1, width: 2, height: 2 };
    const crop = pngOf(2, 2, (x, y) => ((y + 1) * 4 + x + 1) * 0x010203);
    expect(compareScreen(screen, crop, region)).toEqual({ differing: 0, total: 4 });
    expect(compareScreen(screen, same, region)).toEqual({ differing: 0, total: 4 });
    const wrongCrop = pngOf(2, 2, () => 0xffffff);
    expect(compareScreen(screen, wrongCrop, region)).toEqual({ differing: 4, total: 4 });
  });

  it('reports sizes that cannot be compared', () => {
    expect(compareScreen(screen, pngOf(3, 3, () => 0)).problem).toMatch(/screen is 4x3 and the PNG 3x3/);
    expect(compareScreen(screen, same, { x: 3, y: 0, width: 2, height: 1 }).problem).toMatch(/beyond the 4x3 screen/);
  });
});
