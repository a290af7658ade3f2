import { describe, expect, it } from 'vitest';
import type { Palette } from '../../../src/protocol/pixels/formats.ts';
import type { Pixels } from '../../../src/protocol/pixels/pixels.ts';
import { decodeLz, MAX_DECODED_PIXELS } from '../../../src/protocol/codecs/lz.ts';
import { ProtocolError } from '../../../src/protocol/wire/errors.ts';
import { loadWasmDecoders } from '../../../src/protocol/codecs/wasm/wasm-decoders.ts';
import { bgr, LzType, LzWriter, lzCompressUnits, rng } from './lz-streams.ts';
import { expectProtocolError } from '../../helpers/expect-protocol-error.ts';

const A = 0x112233;
const B = 0x445566;
const C = 0x778899;

function palette(entries: number[]): Palette {
  return { unique: 1n, entries: Uint32Array.from(entries) };
}

function words(p: Pixels): number[] {
  return Array.from(p.data);
}


describe('LZ RGB types', () => {
  it('decodes RGB32 literals, a run and a back reference, top-down', () => {
    const s = new LzWriter(LzType.RGB32, 4, 2, 16, true)
      .literals([bgr(A), bgr(B)])
      .match(2, 1, 1) // B B (a run)
      .match(2, 4, 1) // A B from the start
      .literals([bgr(C)])
      .match(1, 1, 1)
      .build();
    const p = decodeLz(s, { width: 4, height: 2 }, null);
    expect(p.width).toBe(4);
    expect(p.height).toBe(2);
    expect(p.hasAlpha).toBe(false);
    expect(words(p)).toEqual([A, B, B, B, A, B, C, C]);
  });

  it('decodes RGB24 bottom-up: the first rows sent are the bottom of the image', () => {
    const s = new LzWriter(LzType.RGB24, 2, 3, 6, false)
      .literals([bgr(1), bgr(2), bgr(3), bgr(4), bgr(5), bgr(6)])
      .build();
    expect(words(decodeLz(s, { width: 2, height: 3 }, null))).toEqual([5, 6, 3, 4, 1, 2]);
  });

  it('widens RGB16 x555 literals (high byte first) by bit replication; matches are at least 2', () => {
    const s = new LzWriter(LzType.RGB16, 6, 1, 12, true)
      .literals([
        [0x7c, 0x00],
        [0x03, 0xe0],
        [0x00, 0x1f],
        [0x42, 0x10],
      ])
      .match(2, 1, 2)
      .build();
    expect(words(decodeLz(s, { width: 6, height: 1 }, null))).toEqual([0xff0000, 0x00ff00, 0x0000ff, 0x848484, 0x848484, 0x848484]);
  });

  it('decodes RGBA as an RGB stream followed by an alpha stream', () => {
    const s = new LzWriter(LzType.RGBA, 5, 1, 20, true)
      .literals([bgr(A), bgr(B)])
      .match(3, 2, 1) // A B A
      .literals([[0x10], [0x20]])
      .match(3, 2, 3) // alpha 10 20 10
      .build();
    const p = decodeLz(s, { width: 5, height: 1 }, null);
    expect(p.hasAlpha).toBe(true);
    expect(words(p)).toEqual([0x10000000 | A, 0x20000000 | B, 0x10000000 | A, 0x20000000 | B, 0x10000000 | A]);
  });

  it('decodes long match lengths and far (16-bit) distances', () => {
    const colour = (i: number): number => Math.imul(i, 2654435761) & 0xffffff;
    const w = new LzWriter(LzType.RGB32, 100, 100, 400, true);
    for (let i = 0; i < 9000; i += 30) w.literals(Array.from({ length: 30 }, (_, k) => bgr(colour(i + k))));
    w.match(1000, 9000, 1);
    const p = decodeLz(w.build(), { width: 100, height: 100 }, null);
    for (let i = 0; i < 10000; i++) {
      if (p.data[i] !== colour(i < 9000 ? i : i - 9000)) throw new Error(`pixel ${i} is ${p.data[i]}`);
    }
  });

  it('round-trips random images through a greedy encoder, both row orders', () => {
    const next = rng(7);
    for (const topDown of [true, false]) {
      const width = 23;
      const height = 17;
      const colours = [A, B, C, 0x000000, 0xffffff];
      const image: number[] = [];
      for (let i = 0; i < width * height; i++) image.push(next() % 4 === 0 ? next() & 0xffffff : colours[next() % colours.length]);
      const rows: number[][] = [];
      for (let y = 0; y < height; y++) rows.push(image.slice(y * width, (y + 1) * width));
      const sent = (topDown ? rows : [...rows].reverse()).flat();
      const w = new LzWriter(LzType.RGB24, width, height, width * 3, topDown);
      lzCompressUnits(w, sent.map(bgr), 1);
      expect(words(decodeLz(w.build(), { width, height }, null))).toEqual(image);
    }
  });

  it('reuses the buffer of `out` when it has room', () => {
    const s = new LzWriter(LzType.RGB32, 2, 1, 8, true).literals([bgr(A), bgr(B)]).build();
    const buffer = new Uint32Array(10);
    const p = decodeLz(s, { width: 2, height: 1 }, null, { width: 0, height: 0, data: buffer, hasAlpha: false });
    expect(p.data.buffer).toBe(buffer.buffer);
    expect(Array.from(buffer.subarray(0, 2))).toEqual([A, B]);
  });
});

describe('LZ into a lent buffer (the display resolver lends one draw after draw)', () => {
  it('gives the same pixels as a fresh buffer whatever the lent one held, in TypeScript and WebAssembly', () => {
    const next = rng(11);
    const width = 29;
    const height = 13;
    const units = Array.from({ length: width * height }, () => (next() % 3 === 0 ? next() & 0xffffff : [A, B, C][next() % 3]));
    const alphas = Array.from({ length: width * height }, () => (next() % 4 === 0 ? next() & 0xff : 0));
    const streams: [string, Uint8Array, Palette | null][] = [];
    for (const topDown of [true, false]) {
      const rgb24 = new LzWriter(LzType.RGB24, width, height, width * 3, topDown);
      lzCompressUnits(rgb24, units.map(bgr), 1);
      streams.push([`RGB24 ${topDown ? 'top-down' : 'bottom-up'}`, rgb24.build(), null]);
      const rgba = new LzWriter(LzType.RGBA, width, height, width * 4, topDown);
      lzCompressUnits(rgba, units.map(bgr), 1);
      lzCompressUnits(rgba, alphas.map((a) => [a]), 3);
      streams.push([`RGBA ${topDown ? 'top-down' : 'bottom-up'}`, rgba.build(), null]);
    }
    const plt = new LzWriter(LzType.PLT8, width, height, width, true);
    lzCompressUnits(plt, units.map((u) => [u & 3]), 3);
    streams.push(['PLT8', plt.build(), palette([A, B, C, 0xffffff])]);
    const a8 = new LzWriter(LzType.A8, width, height, width, true);
    lzCompressUnits(a8, alphas.map((a) => [a]), 3);
    streams.push(['A8', a8.build(), null]);
    const wasm = loadWasmDecoders();
    expect(wasm).not.toBeNull();
    for (const [name, stream, pal] of streams) {
      for (const options of [{}, { wasm }]) {
        const fresh = decodeLz(stream, { width, height }, pal, undefined, options);
        const lent = new Uint32Array(width * height + 100).fill(0xdeadbeef);
        const into = decodeLz(stream, { width, height }, pal, undefined, { ...options, into: lent });
        expect(into.data.buffer, name).toBe(lent.buffer);
        expect(words(into), `${name}${options.wasm ? ', WebAssembly' : ''}`).toEqual(words(fresh));
      }
    }
  });

  it('takes a fresh buffer when the lent one is too small', () => {
    const s = new LzWriter(LzType.RGB32, 2, 1, 8, true).literals([bgr(A), bgr(B)]).build();
    const lent = new Uint32Array(1);
    const p = decodeLz(s, { width: 2, height: 1 }, null, undefined, { into: lent });
    expect(p.data.buffer).not.toBe(lent.buffer);
    expect(words(p)).toEqual([A, B]);
  });
});

describe('LZ alpha types', () => {
  it('decodes A8 to alpha-only pixels', () => {
    const s = new LzWriter(LzType.A8, 3, 2, 3, false).literals([[1], [2], [3]]).match(3, 3, 3).build();
    const p = decodeLz(s, { width: 3, height: 2 }, null);
    expect(p.hasAlpha).toBe(true);
    expect(words(p)).toEqual([0x01000000, 0x02000000, 0x03000000, 0x01000000, 0x02000000, 0x03000000]);
  });

  it('applies an XXXA stream to the alpha of given pixels, bottom-up', () => {
    const out: Pixels = { width: 2, height: 2, data: Uint32Array.from([A, B, C, A]), hasAlpha: false };
    const s = new LzWriter(LzType.XXXA, 2, 2, 8, false).literals([[0x11], [0x22], [0x33], [0x44]]).build();
    const p = decodeLz(s, { width: 2, height: 2 }, null, out, { topDown: false });
    expect(p.hasAlpha).toBe(true);
    expect(Array.from(out.data)).toEqual([(0x33000000 | A) >>> 0, (0x44000000 | B) >>> 0, (0x11000000 | C) >>> 0, (0x22000000 | A) >>> 0]);
  });

  it('refuses XXXA without pixels to apply it to, or with a row order that disagrees', () => {
    const s = new LzWriter(LzType.XXXA, 1, 1, 4, true).literals([[1]]).build();
    expectProtocolError(() => decodeLz(s, { width: 1, height: 1 }, null));
    const out: Pixels = { width: 1, height: 1, data: new Uint32Array(1), hasAlpha: false };
    expect(expectProtocolError(() => decodeLz(s, { width: 1, height: 1 }, null, out, { topDown: false })).message).toMatch(/top-down/);
  });
});

describe('LZ paletted types', () => {
  it('decodes PLT8 through the palette, dropping the entries top byte, with byte matches', () => {
    const s = new LzWriter(LzType.PLT8, 3, 2, 3, false).literals([[0], [1], [2]]).match(3, 2, 3).build();
    const p = decodeLz(s, { width: 3, height: 2 }, palette([0xff000001, 0xff000002, 0x80000003]));
    expect(p.hasAlpha).toBe(false);
    // Sent: row "0 1 2" then "1 2 1"; bottom-up, so the second row sent is the top one.
    expect(words(p)).toEqual([2, 3, 2, 1, 2, 3]);
  });

  it('gives 0 for a PLT8 index past the palette', () => {
    const s = new LzWriter(LzType.PLT8, 2, 1, 2, true).literals([[0], [9]]).build();
    expect(words(decodeLz(s, { width: 2, height: 1 }, palette([0x123456])))).toEqual([0x123456, 0]);
  });

  it('decodes PLT4 high nibble first (BE) and low nibble first (LE), indices modulo the palette size', () => {
    const entries = palette([10, 11, 12]);
    const bytes = [[0x12], [0x30], [0x21], [0x00]];
    const be = new LzWriter(LzType.PLT4_BE, 3, 2, 2, true).literals(bytes).build();
    expect(words(decodeLz(be, { width: 3, height: 2 }, entries))).toEqual([11, 12, 10, 12, 11, 10]);
    const le = new LzWriter(LzType.PLT4_LE, 3, 2, 2, true).literals(bytes).build();
    expect(words(decodeLz(le, { width: 3, height: 2 }, entries))).toEqual([12, 11, 10, 11, 12, 10]);
  });

  it('decodes PLT1 most significant bit first (BE) and least first (LE), skipping row padding', () => {
    const entries = palette([0x000000, 0xffffff]);
    const bytes = [[0b10110000], [0b01000000]];
    const be = new LzWriter(LzType.PLT1_BE, 10, 1, 2, true).literals(bytes).build();
    expect(words(decodeLz(be, { width: 10, height: 1 }, entries)).map((v) => (v ? 1 : 0))).toEqual([1, 0, 1, 1, 0, 0, 0, 0, 0, 1]);
    const le = new LzWriter(LzType.PLT1_LE, 10, 1, 2, true).literals(bytes).build();
    expect(words(decodeLz(le, { width: 10, height: 1 }, entries)).map((v) => (v ? 1 : 0))).toEqual([0, 0, 0, 0, 1, 1, 0, 1, 0, 0]);
  });

  it('widens x555 palette entries for 16-bit surfaces', () => {
    const s = new LzWriter(LzType.PLT8, 1, 1, 1, true).literals([[0]]).build();
    expect(words(decodeLz(s, { width: 1, height: 1 }, palette([0x7c00]), undefined, { palette555: true }))).toEqual([0xff0000]);
  });

  it('refuses a paletted image without a palette, and PLT4 with an empty one', () => {
    const s = new LzWriter(LzType.PLT8, 1, 1, 1, true).literals([[0]]).build();
    expect(expectProtocolError(() => decodeLz(s, { width: 1, height: 1 }, null)).message).toMatch(/without a palette/);
    const s4 = new LzWriter(LzType.PLT4_BE, 2, 1, 1, true).literals([[0]]).build();
    expectProtocolError(() => decodeLz(s4, { width: 2, height: 1 }, palette([])));
  });
});

describe('LZ malformed streams', () => {
  const good = (): LzWriter => new LzWriter(LzType.RGB32, 2, 1, 8, true).literals([bgr(A), bgr(B)]);

  it('checks magic, version, type, size and stride', () => {
    const s = good().build();
    const bad = (offset: number, value: number): Uint8Array => {
      const c = s.slice();
      c[offset] = value;
      return c;
    };
    expect(expectProtocolError(() => decodeLz(bad(0, 0x21), { width: 2, height: 1 }, null)).message).toMatch(/magic/);
    expect(expectProtocolError(() => decodeLz(bad(7, 2), { width: 2, height: 1 }, null)).message).toMatch(/version/);
    expect(expectProtocolError(() => decodeLz(bad(11, 12), { width: 2, height: 1 }, null)).message).toMatch(/type 12/);
    expect(expectProtocolError(() => decodeLz(bad(23, 12), { width: 2, height: 1 }, null)).offset).toBe(20);
    expect(expectProtocolError(() => decodeLz(s, { width: 3, height: 1 }, null)).message).toMatch(/descriptor says 3×1/);
  });

  it('checks the size against the pixel limit before allocating', () => {
    const side = Math.ceil(Math.sqrt(MAX_DECODED_PIXELS)) + 1;
    const s = new LzWriter(LzType.A8, side, side, side, true).build();
    expect(expectProtocolError(() => decodeLz(s, { width: side, height: side }, null)).message).toMatch(/limit/);
  });

  it('refuses references before the first pixel, overruns and leftovers', () => {
    const early = new LzWriter(LzType.RGB32, 3, 1, 12, true).literals([bgr(A)]).match(2, 2, 1).build();
    expect(expectProtocolError(() => decodeLz(early, { width: 3, height: 1 }, null)).offset).toBe(32);
    const long = new LzWriter(LzType.RGB32, 3, 1, 12, true).literals([bgr(A)]).match(3, 1, 1).build();
    expect(expectProtocolError(() => decodeLz(long, { width: 3, height: 1 }, null)).message).toMatch(/runs past/);
    const tooManyLiterals = new LzWriter(LzType.RGB32, 1, 1, 4, true).literals([bgr(A), bgr(B)]).build();
    expectProtocolError(() => decodeLz(tooManyLiterals, { width: 1, height: 1 }, null));
    const leftover = good().raw(0).build();
    expect(expectProtocolError(() => decodeLz(leftover, { width: 2, height: 1 }, null)).message).toMatch(/left over/);
  });

  it('throws a ProtocolError for every truncation of real streams', () => {
    const next = rng(3);
    const streams: [Uint8Array, number, number, Palette | null][] = [];
    const rgba = new LzWriter(LzType.RGBA, 12, 8, 48, false);
    const units: number[][] = [];
    for (let i = 0; i < 96; i++) units.push(bgr(next() % 3 === 0 ? next() & 0xffffff : A));
    lzCompressUnits(rgba, units, 1);
    lzCompressUnits(rgba, units.map((u) => [u[0]]), 3);
    streams.push([rgba.build(), 12, 8, null]);
    const plt = new LzWriter(LzType.PLT4_BE, 9, 5, 5, true);
    lzCompressUnits(plt, Array.from({ length: 25 }, () => [next() % 2 ? 0x11 : next() & 255]), 3);
    streams.push([plt.build(), 9, 5, palette([1, 2, 3, 4])]);
    for (const [s, width, height, pal] of streams) {
      expect(decodeLz(s, { width, height }, pal).data.length).toBe(width * height);
      for (let n = 0; n < s.length; n++) expectProtocolError(() => decodeLz(s.subarray(0, n), { width, height }, pal));
    }
  });

  it('never fails other than with a ProtocolError when any single bit is flipped', () => {
    const next = rng(11);
    const w = new LzWriter(LzType.RGB16, 10, 10, 20, true);
    lzCompressUnits(w, Array.from({ length: 100 }, () => (next() % 3 ? [0x12, 0x34] : [next() & 127, next() & 255])), 2);
    const s = w.build();
    for (let bit = 0; bit < s.length * 8; bit++) {
      const c = s.slice();
      c[bit >> 3] ^= 1 << (bit & 7);
      try {
        const p = decodeLz(c, { width: 10, height: 10 }, null);
        expect(p.data.length).toBe(100);
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
      }
    }
  });
});
