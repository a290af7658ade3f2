import { describe, expect, it } from 'vitest';
import { BitmapFormat } from '../../../src/protocol/pixels/formats.ts';
import type { Pixels } from '../../../src/protocol/pixels/pixels.ts';
import { decodeLz4, decodeLz4Block } from '../../../src/protocol/codecs/lz4.ts';
import { ProtocolError } from '../../../src/protocol/wire/errors.ts';
import { lz4CompressBlock, lz4CompressImage, lz4Image, lz4Sequence, rng } from './lz-streams.ts';
import { expectProtocolError } from '../../helpers/expect-protocol-error.ts';

function words(p: Pixels): number[] {
  return Array.from(p.data);
}

function block(...sequences: [number[], { offset: number; length: number } | null][]): Uint8Array {
  const out: number[] = [];
  for (const [literals, match] of sequences) lz4Sequence(out, literals, match);
  return Uint8Array.from(out);
}


describe('LZ4 blocks', () => {
  it('decodes literals and an overlapping match (a run)', () => {
    const b = block([[1, 2], { offset: 2, length: 7 }], [[9], null]);
    const out = new Uint8Array(10);
    expect(decodeLz4Block(b, 0, b.length, out, 0, 10)).toBe(10);
    expect(Array.from(out)).toEqual([1, 2, 1, 2, 1, 2, 1, 2, 1, 9]);
  });

  it('decodes extended literal and match lengths (15 + bytes until one is not 255)', () => {
    const literals = Array.from({ length: 300 }, (_, i) => i & 255);
    const b = block([literals, { offset: 300, length: 600 }], [[7], null]);
    expect(b[0]).toBe(0xff);
    const out = new Uint8Array(901);
    expect(decodeLz4Block(b, 0, b.length, out, 0, out.length)).toBe(901);
    for (let i = 0; i < 900; i++) expect(out[i]).toBe(i % 300 & 255);
    expect(out[900]).toBe(7);
  });

  it('rejects offset 0, a reach before the output, and output past the end', () => {
    const out = new Uint8Array(16);
    const zero = block([[1, 2, 3, 4], { offset: 0, length: 4 }], [[1], null]);
    expect(expectProtocolError(() => decodeLz4Block(zero, 0, zero.length, out, 0, 16)).message).toMatch(/offset 0/);
    const far = block([[1, 2], { offset: 3, length: 4 }], [[1], null]);
    expect(expectProtocolError(() => decodeLz4Block(far, 0, far.length, out, 0, 16)).offset).toBe(3);
    const long = block([[1], { offset: 1, length: 20 }], [[1], null]);
    expect(expectProtocolError(() => decodeLz4Block(long, 0, long.length, out, 0, 16)).message).toMatch(/past the end of the image/);
    const lits = block([[1, 2, 3], null]);
    expectProtocolError(() => decodeLz4Block(lits, 0, lits.length, out, 0, 2));
  });
});

describe('LZ4 images', () => {
  it('decodes 32BIT top-down, keeping the top byte as sent', () => {
    const raw = [0x33, 0x22, 0x11, 0x80, 0x66, 0x55, 0x44, 0x00];
    const img = lz4Image(true, BitmapFormat.RGB32, [block([raw, null])]);
    const p = decodeLz4(img, { width: 2, height: 1 });
    expect(p.hasAlpha).toBe(false);
    expect(words(p)).toEqual([0x80112233, 0x00445566]);
  });

  it('lets a block copy from the output of the block before it (streaming)', () => {
    const row = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]; // 4 pixels of 24BIT
    const first = block([row, null]);
    const second = block([[], { offset: 12, length: 8 }], [[9, 10, 11, 12], null]);
    const img = lz4Image(false, BitmapFormat.RGB24, [first, second]);
    const p = decodeLz4(img, { width: 4, height: 2 });
    // Both rows are equal; bottom-up changes nothing but must still decode to the same rows.
    expect(words(p)).toEqual([0x030201, 0x060504, 0x090807, 0x0c0b0a, 0x030201, 0x060504, 0x090807, 0x0c0b0a]);
    const shorter = lz4Image(false, BitmapFormat.RGB24, [second]);
    expectProtocolError(() => decodeLz4(shorter, { width: 4, height: 1 }));
  });

  it('decodes 16BIT (little-endian x555) and RGBA, bottom-up', () => {
    const r16 = lz4Image(false, BitmapFormat.RGB16, [block([[0x00, 0x7c, 0x1f, 0x00], null])]);
    expect(words(decodeLz4(r16, { width: 1, height: 2 }))).toEqual([0x0000ff, 0xff0000]);
    const rgba = lz4Image(false, BitmapFormat.RGBA, [block([[1, 2, 3, 0x40, 4, 5, 6, 0x80], null])]);
    const p = decodeLz4(rgba, { width: 1, height: 2 });
    expect(p.hasAlpha).toBe(true);
    expect(words(p)).toEqual([0x80060504, 0x40030201]);
  });

  it('round-trips images through a greedy streaming encoder, several rows per block', () => {
    const next = rng(9);
    for (const [format, bpp] of [
      [BitmapFormat.RGB32, 4],
      [BitmapFormat.RGB24, 3],
    ]) {
      const width = 37;
      const height = 21;
      const raw = new Uint8Array(width * height * bpp);
      for (let i = 0; i < raw.length; i++) raw[i] = next() % 5 === 0 ? next() & 255 : (i % 7) * 30;
      const img = lz4CompressImage(raw, width * bpp, 4, true, format);
      const p = decodeLz4(img, { width, height });
      for (let i = 0; i < width * height; i++) {
        const s = i * bpp;
        const want = (raw[s] | (raw[s + 1] << 8) | (raw[s + 2] << 16) | (bpp === 4 ? raw[s + 3] << 24 : 0)) >>> 0;
        if (p.data[i] !== want) throw new Error(`format ${format} pixel ${i}: ${p.data[i]} != ${want}`);
      }
    }
  });

  it('rejects bad formats, empty blocks, sizes past the data, and output that does not fill the image', () => {
    const ok = block([[1, 2, 3, 4], null]);
    expect(expectProtocolError(() => decodeLz4(lz4Image(true, 5, [ok]), { width: 1, height: 1 })).message).toMatch(/format 5/);
    expectProtocolError(() => decodeLz4(lz4Image(true, BitmapFormat.RGB32, [new Uint8Array(0)]), { width: 1, height: 1 }));
    const lying = lz4Image(true, BitmapFormat.RGB32, [ok]);
    lying[5] = 9;
    expect(expectProtocolError(() => decodeLz4(lying, { width: 1, height: 1 })).offset).toBe(2);
    expect(expectProtocolError(() => decodeLz4(lz4Image(true, BitmapFormat.RGB32, [ok]), { width: 2, height: 1 })).message).toMatch(/needs 8/);
    expectProtocolError(() => decodeLz4(lz4Image(true, BitmapFormat.RGB32, [block([[], null])]), { width: 1, height: 1 }));
    expectProtocolError(() => decodeLz4(Uint8Array.from([1]), { width: 1, height: 1 }));
  });

  it('throws a ProtocolError for every truncation and never anything else for bit flips', () => {
    const next = rng(21);
    const raw = new Uint8Array(16 * 8 * 4);
    for (let i = 0; i < raw.length; i++) raw[i] = next() % 3 === 0 ? next() & 255 : 0x55;
    const img = lz4CompressImage(raw, 64, 3, false, BitmapFormat.RGBA);
    expect(decodeLz4(img, { width: 16, height: 8 }).data.length).toBe(128);
    for (let n = 0; n < img.length; n++) expectProtocolError(() => decodeLz4(img.subarray(0, n), { width: 16, height: 8 }));
    for (let bit = 0; bit < img.length * 8; bit++) {
      const c = img.slice();
      c[bit >> 3] ^= 1 << (bit & 7);
      try {
        expect(decodeLz4(c, { width: 16, height: 8 }).data.length).toBe(128);
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
      }
    }
  });

  it('compresses with real back references in the test encoder (so the round trip means something)', () => {
    const data = new Uint8Array(200).fill(7);
    expect(lz4CompressBlock(data, 0, 200).length).toBeLessThan(20);
  });
});
