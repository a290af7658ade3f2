import { describe, expect, it } from 'vitest';
import type { BitmapBody, Palette, PaletteRef } from '../../../src/protocol/pixels/formats.ts';
import { BitmapFlags, BitmapFormat } from '../../../src/protocol/pixels/formats.ts';
import { decodeBitmap, decodeBitmapMask, expandRgb555, MapPaletteCache } from '../../../src/protocol/codecs/bitmap.ts';

const palette: Palette = { unique: 7n, entries: Uint32Array.from([0x000000aa, 0x00bb0000, 0x0000cc00, 0x00dddddd]) };

function body(format: number, width: number, height: number, stride: number, bytes: number[], flags = 0, paletteRef: PaletteRef = { palette }): BitmapBody {
  return { format, flags, width, height, stride, paletteRef, data: Uint8Array.from(bytes) };
}

const decode = (b: BitmapBody, cache = new MapPaletteCache()) => {
  const p = decodeBitmap(b, cache);
  return { pixels: [...p.data], hasAlpha: p.hasAlpha };
};

describe('decodeBitmap formats (2x2, padded stride, bottom-up unless TOP_DOWN)', () => {
  // Each case: format, stride, bytes for rows in memory order, expected pixels top-down as if TOP_DOWN.
  const cases: [string, number, number, number[], number[], boolean][] = [
    ['32BIT keeps the top byte', BitmapFormat.RGB32, 8, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [0x04030201, 0x08070605, 0x0c0b0a09, 0x100f0e0d], false],
    ['RGBA', BitmapFormat.RGBA, 8, [1, 2, 3, 0x80, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0xff], [0x80030201, 0x08070605, 0x0c0b0a09, 0xff0f0e0d], true],
    ['24BIT is B,G,R', BitmapFormat.RGB24, 7, [1, 2, 3, 4, 5, 6, 0, 7, 8, 9, 10, 11, 12, 0], [0x030201, 0x060504, 0x090807, 0x0c0b0a], false],
    ['16BIT x555 widened by bit replication', BitmapFormat.RGB16, 4, [0xff, 0x7f, 0x10, 0x00, 0x01, 0x00, 0x00, 0x7c], [0xffffff, 0x84, 0x08, 0xff0000], false],
    ['8BIT paletted, index beyond the palette reads 0', BitmapFormat.P8, 4, [0, 1, 9, 9, 2, 200, 9, 9], [0xaa, 0xbb0000, 0xcc00, 0], false],
    ['4BIT_BE high nibble first', BitmapFormat.P4_BE, 1, [0x12, 0x3f], [0xbb0000, 0xcc00, 0xdddddd, 0], false],
    ['4BIT_LE low nibble first', BitmapFormat.P4_LE, 1, [0x12, 0x30], [0xcc00, 0xbb0000, 0xaa, 0xdddddd], false],
    ['1BIT_BE most significant bit first', BitmapFormat.A1_BE, 1, [0x80, 0x40], [0xbb0000, 0xaa, 0xaa, 0xbb0000], false],
    ['1BIT_LE least significant bit first', BitmapFormat.A1_LE, 1, [0x01, 0x02], [0xbb0000, 0xaa, 0xaa, 0xbb0000], false],
    ['8BIT_A as alpha over black', BitmapFormat.A8, 2, [0x00, 0x40, 0x80, 0xff], [0, 0x40000000, 0x80000000, 0xff000000], true],
  ];
  for (const [name, format, stride, bytes, topDown, alpha] of cases) {
    it(name, () => {
      const td = decode(body(format, 2, 2, stride, bytes, BitmapFlags.TOP_DOWN));
      expect(td).toEqual({ pixels: topDown, hasAlpha: alpha });
      // Without TOP_DOWN the first row in memory is the bottom row.
      const bu = decode(body(format, 2, 2, stride, bytes));
      expect(bu.pixels).toEqual([...topDown.slice(2), ...topDown.slice(0, 2)]);
    });
  }

  it('expandRgb555 matches spice-common for every 5-bit level', () => {
    for (let v = 0; v < 32; v++) {
      const eight = (v << 3) | (v >> 2);
      expect(expandRgb555(v | (v << 5) | (v << 10))).toBe((eight << 16) | (eight << 8) | eight);
    }
  });

  it('reuses the output buffer when it is large enough', () => {
    const out = new Uint32Array(16);
    const p = decodeBitmap(body(BitmapFormat.RGB24, 1, 1, 3, [1, 2, 3]), new MapPaletteCache(), out);
    expect(p.data.buffer).toBe(out.buffer);
    expect(p.data[0]).toBe(0x030201);
  });
});

describe('palette cache', () => {
  it('PAL_CACHE_ME stores the palette and PAL_FROM_CACHE finds it', () => {
    const cache = new MapPaletteCache();
    decodeBitmap(body(BitmapFormat.P8, 1, 1, 1, [1], BitmapFlags.PAL_CACHE_ME), cache);
    expect(cache.get(7n)).toBe(palette);
    const later = decodeBitmap(body(BitmapFormat.P8, 1, 1, 1, [3], BitmapFlags.PAL_FROM_CACHE, { paletteId: 7n }), cache);
    expect(later.data[0]).toBe(0xdddddd);
  });

  it('a missing palette id is a protocol error naming it', () => {
    expect(() => decodeBitmap(body(BitmapFormat.P8, 1, 1, 1, [0], BitmapFlags.PAL_FROM_CACHE, { paletteId: 99n }), new MapPaletteCache())).toThrow(
      expect.objectContaining({ kind: 'protocol', message: expect.stringContaining('palette 99') }),
    );
  });

  it('a paletted bitmap without a palette is a protocol error', () => {
    expect(() => decodeBitmap(body(BitmapFormat.P8, 1, 1, 1, [0], 0, { palette: null }), new MapPaletteCache())).toThrow(/no palette/);
  });

  it('widens x555 palette entries for 16-bit surfaces', () => {
    const p555: Palette = { unique: 1n, entries: Uint32Array.from([0x7c00]) };
    const px = decodeBitmap(body(BitmapFormat.P8, 1, 1, 1, [0], 0, { palette: p555 }), new MapPaletteCache(), undefined, { palette555: true });
    expect(px.data[0]).toBe(0xff0000);
  });
});

describe('bitmap validation', () => {
  it('rejects short data, short strides and unknown formats', () => {
    const cache = new MapPaletteCache();
    expect(() => decodeBitmap(body(BitmapFormat.RGB32, 2, 2, 8, [0, 0, 0, 0]), cache)).toThrow(/needs 16 bytes/);
    expect(() => decodeBitmap(body(BitmapFormat.RGB32, 2, 1, 4, new Array(8).fill(0)), cache)).toThrow(/stride 4/);
    expect(() => decodeBitmap(body(42, 1, 1, 4, [0, 0, 0, 0]), cache)).toThrow(/unknown bitmap format 42/);
  });
});

describe('decodeBitmapMask', () => {
  it('decodes 1BIT_BE and 1BIT_LE in both row orders', () => {
    const be = decodeBitmapMask(body(BitmapFormat.A1_BE, 3, 2, 1, [0xa0, 0x40], BitmapFlags.TOP_DOWN));
    expect([...be.bits]).toEqual([1, 0, 1, 0, 1, 0]);
    const le = decodeBitmapMask(body(BitmapFormat.A1_LE, 3, 2, 1, [0x05, 0x02]));
    expect([...le.bits]).toEqual([0, 1, 0, 1, 0, 1]);
  });

  it('refuses other formats', () => {
    expect(() => decodeBitmapMask(body(BitmapFormat.P8, 1, 1, 1, [0]))).toThrow(/1-bit/);
  });
});
