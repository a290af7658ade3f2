// The image cache counts pixels as the server does (width x height per CACHE_ME image), gives
// memory back on INVAL_LIST / INVAL_ALL_PIXMAPS, and does not keep what goes past the size the
// client announced in DISPLAY_INIT (the server must release first); the palette cache is bounded to
// spice-server's 128 entries; every byte of both is charged to the session's budget.
import { describe, expect, it } from 'vitest';
import { ImageCache } from '../../../src/protocol/display/image-cache.ts';
import { BoundedPaletteCache, SERVER_PALETTE_CACHE_ENTRIES } from '../../../src/protocol/display/palette-cache.ts';
import type { Pixels } from '../../../src/protocol/pixels/pixels.ts';
import { MemoryBudget, MemoryLimitError } from '../../../src/protocol/wire/memory-budget.ts';
import { recordingLogger } from '../../helpers/logger.ts';

const image = (width: number, height: number): Pixels => ({ width, height, data: new Uint32Array(width * height), hasAlpha: false });

describe('ImageCache', () => {
  it('counts pixels and charges bytes; INVAL and CACHE_REPLACE_ME give them back', () => {
    const budget = new MemoryBudget(64 * 1024 * 1024);
    const cache = new ImageCache({ announcedPixels: 1_000_000, budget });
    expect(cache.put(1n, image(100, 100), true)).toBe(true);
    expect(cache.put(2n, image(10, 20), false)).toBe(true);
    expect(cache.putMask(3n, { width: 8, height: 8, bits: new Uint8Array(64) })).toBe(true);
    expect(cache.pixels).toBe(10_000 + 200 + 64);
    expect(budget.usedFor('image cache')).toBe(4 * 10_200 + 64);
    // The lossless copy replaces the lossy one: counted once.
    cache.put(1n, image(100, 100), false);
    expect(cache.pixels).toBe(10_264);
    expect(cache.get(1n)?.lossy).toBe(false);
    cache.remove(1n);
    expect(cache.pixels).toBe(264);
    cache.clear();
    expect(cache.pixels).toBe(0);
    expect(budget.used).toBe(0);
  });

  it('does not keep an image past the announced size (plus the tolerance), and warns once', () => {
    const logs: string[] = [];
    const cache = new ImageCache({ announcedPixels: 80_000, logger: recordingLogger(logs) });
    expect(cache.tolerancePixels).toBe(10_000);
    // 9 images of 10,000 pixels fit in 80,000 + 10,000.
    for (let i = 0; i < 9; i++) expect(cache.put(BigInt(i), image(100, 100), false)).toBe(true);
    expect(cache.put(9n, image(100, 100), false)).toBe(false);
    expect(cache.put(10n, image(100, 100), false)).toBe(false);
    expect(cache.get(9n)).toBeUndefined();
    expect(cache.pixels).toBe(90_000);
    expect(logs.filter((l) => l.includes('image cache already holds'))).toHaveLength(1);
    expect(logs.join('\n')).toMatch(/asked to cache image 9 of 100x100 although the image cache already holds 90000 pixels of the 80000 \(312\.5 KiB\) the client announced/);
    // Once the server releases (INVAL_LIST), new images are kept again.
    cache.remove(0n);
    cache.remove(1n);
    expect(cache.put(11n, image(100, 100), false)).toBe(true);
  });

  it('an image the budget cannot hold is refused with the budget error', () => {
    const budget = new MemoryBudget(1024 * 1024);
    const cache = new ImageCache({ announcedPixels: 20_000_000, budget });
    expect(() => cache.put(5n, image(1024, 1024), false)).toThrow(MemoryLimitError);
    expect(budget.exceeded?.message).toMatch(/^the server asked for image 5 of 1024x1024 in the image cache \(4 MiB\)/);
    expect(cache.get(5n)).toBeUndefined();
  });
});

describe('BoundedPaletteCache', () => {
  it('keeps at most what spice-server tracks, dropping the oldest, and charges each palette', () => {
    const budget = new MemoryBudget(64 * 1024 * 1024);
    const palettes = new BoundedPaletteCache({ budget });
    for (let i = 0; i < SERVER_PALETTE_CACHE_ENTRIES + 10; i++) palettes.put({ unique: BigInt(i), entries: new Uint32Array(256) });
    expect(palettes.size).toBe(SERVER_PALETTE_CACHE_ENTRIES);
    expect(palettes.get(0n)).toBeUndefined();
    expect(palettes.get(9n)).toBeUndefined();
    expect(palettes.get(10n)).toBeDefined();
    expect(budget.usedFor('palette cache')).toBe(SERVER_PALETTE_CACHE_ENTRIES * 1024);
    palettes.remove(10n);
    expect(budget.usedFor('palette cache')).toBe((SERVER_PALETTE_CACHE_ENTRIES - 1) * 1024);
    palettes.clear();
    expect(budget.used).toBe(0);
  });
});
