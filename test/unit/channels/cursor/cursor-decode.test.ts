// Every cursor type decoded from small hand-made cursors; each expected pixel is worked out by hand
// from the type's layout (see the comments), not by the decoder.
import { describe, expect, it } from 'vitest';
import { decodeCursor, type CursorImage } from '../../../../src/protocol/channels/cursor/cursor-decode.ts';
import { cursorDataSize, CursorType, type CursorHeader } from '../../../../src/protocol/channels/cursor/cursor-messages.ts';
import { ProtocolError } from '../../../../src/protocol/wire/errors.ts';
import { bytes, halfWords, palette, words } from './cursor-bodies.ts';

const header = (type: number, width: number, height: number, hotX = 0, hotY = 0): CursorHeader => ({ unique: 0n, type, width, height, hotX, hotY });

const BLACK = [0, 0, 0, 255];
const WHITE = [255, 255, 255, 255];
const CLEAR = [0, 0, 0, 0];
// spice-gtk's stand-in for a colour cursor's inverting pixel, by the parity of x+y.
const INV_ODD = [48, 48, 48, 192];
const INV_EVEN = [80, 80, 80, 48];

const pixels = (img: CursorImage): number[][] => {
  const out: number[][] = [];
  for (let i = 0; i < img.rgba.length; i += 4) out.push(Array.from(img.rgba.subarray(i, i + 4)));
  return out;
};

describe('cursor data sizes', () => {
  it('follow each type layout, with mask rows and COLOR4 rows padded to bytes', () => {
    expect(cursorDataSize(CursorType.ALPHA, 2, 1)).toBe(8);
    expect(cursorDataSize(CursorType.MONO, 3, 2)).toBe(4); // 2 masks x 2 rows x 1 byte
    expect(cursorDataSize(CursorType.MONO, 9, 2)).toBe(8); // 2 masks x 2 rows x 2 bytes
    expect(cursorDataSize(CursorType.COLOR4, 3, 2)).toBe(70); // 2 rows x 2 bytes + 64 palette + 2 mask
    expect(cursorDataSize(CursorType.COLOR8, 2, 2)).toBe(1030); // 4 + 1024 palette + 2 mask
    expect(cursorDataSize(CursorType.COLOR16, 4, 1)).toBe(9);
    expect(cursorDataSize(CursorType.COLOR24, 2, 2)).toBe(14);
    expect(cursorDataSize(CursorType.COLOR32, 3, 1)).toBe(13);
    expect(cursorDataSize(7, 1, 1)).toBeUndefined();
  });
});

describe('ALPHA', () => {
  // ARGB little-endian: bytes B, G, R, A.
  const data = words(0xff112233, 0x80402000, 0x00ffffff);

  it('turns premultiplied ARGB into straight RGBA', () => {
    const img = decodeCursor({ header: header(CursorType.ALPHA, 3, 1, 1, 0), data });
    expect(pixels(img)).toEqual([
      [0x11, 0x22, 0x33, 0xff],
      [128, 64, 0, 128], // 0x40*255/0x80 = 127.5 -> 128, 0x20*255/0x80 = 63.75 -> 64
      [0, 0, 0, 0], // nothing survives alpha 0
    ]);
    expect(img.invertMask).toBeUndefined();
    expect([img.width, img.height, img.hotX, img.hotY]).toEqual([3, 1, 1, 0]);
  });

  it('keeps the colour as is when told the alpha is straight', () => {
    const img = decodeCursor({ header: header(CursorType.ALPHA, 3, 1), data }, { alphaPremultiplied: false });
    expect(pixels(img)).toEqual([
      [0x11, 0x22, 0x33, 0xff],
      [0x40, 0x20, 0x00, 0x80],
      [0xff, 0xff, 0xff, 0x00],
    ]);
  });

  it('saturates a colour component larger than its alpha', () => {
    const img = decodeCursor({ header: header(CursorType.ALPHA, 1, 1), data: words(0x10ff0000) });
    expect(pixels(img)).toEqual([[255, 0, 0, 0x10]]);
  });
});

describe('MONO', () => {
  // 3x2, one byte per mask row; the padding bits carry junk that must be ignored.
  //   (and,xor): row 0: (0,0) black, (0,1) white, (1,0) transparent
  //              row 1: (1,1) invert, (0,0) black, (1,0) transparent
  const and = [0b00111111, 0b10111111];
  const xor = [0b01010101, 0b10000000];

  it('decodes AND then XOR, MSB first, with odd width and row padding', () => {
    const img = decodeCursor({ header: header(CursorType.MONO, 3, 2, 2, 1), data: bytes(and, xor) });
    expect(pixels(img)).toEqual([BLACK, WHITE, CLEAR, WHITE, BLACK, CLEAR]);
    expect(Array.from(img.invertMask!)).toEqual([0, 0, 0, 1, 0, 0]);
    expect([img.hotX, img.hotY]).toEqual([2, 1]);
  });

  it('outlines an all-inverting cursor in black, as spice-gtk does (5x5, one XOR pixel in the middle)', () => {
    const allOnes = [0xff, 0xff, 0xff, 0xff, 0xff];
    const centre = [0, 0, 0b00100000, 0, 0];
    const img = decodeCursor({ header: header(CursorType.MONO, 5, 5), data: bytes(allOnes, centre) });
    const p = pixels(img);
    for (let y = 0; y < 5; y++) {
      for (let x = 0; x < 5; x++) {
        const expected = x === 2 && y === 2 ? WHITE : x >= 1 && x <= 3 && y >= 1 && y <= 3 ? BLACK : CLEAR;
        expect(p[y * 5 + x], `pixel ${x},${y}`).toEqual(expected);
      }
    }
    expect(img.invertMask!.reduce((a, b) => a + b, 0)).toBe(1);
    expect(img.invertMask![12]).toBe(1);
  });

  it('does not outline on the image border, and ignores AND padding bits when deciding "all ones"', () => {
    // 3x3, AND = ones in the image (padding bits zero), XOR only at (0,0): of its neighbours only
    // (1,1) is away from the border.
    const and = [0b11100000, 0b11100000, 0b11100000];
    const xor = [0b10000000, 0, 0];
    const img = decodeCursor({ header: header(CursorType.MONO, 3, 3), data: bytes(and, xor) });
    expect(pixels(img)).toEqual([WHITE, CLEAR, CLEAR, CLEAR, BLACK, CLEAR, CLEAR, CLEAR, CLEAR]);
  });

  it('does not outline when some AND bit is zero', () => {
    // 4x4: (0,0) is opaque black (AND 0), (1,1) inverts; (2,2) is interior and next to it, but
    // stays transparent because the mask is not all ones.
    const and = [0b01110000, 0b11110000, 0b11110000, 0b11110000];
    const xor = [0, 0b01000000, 0, 0];
    const img = decodeCursor({ header: header(CursorType.MONO, 4, 4), data: bytes(and, xor) });
    const expected = Array.from({ length: 16 }, (_, i) => (i === 0 ? BLACK : i === 5 ? WHITE : CLEAR));
    expect(pixels(img)).toEqual(expected);
    expect(Array.from(img.invertMask!)).toEqual(expected.map((_, i) => (i === 5 ? 1 : 0)));
  });
});

describe('COLOR4', () => {
  it('looks nibbles up in the 16-entry palette, rows padded to bytes, then applies the AND mask', () => {
    // 3x2. Indices row 0: 1 2 3 (+ junk nibble 10); row 1: 15 0 15 (+ junk 5).
    const indices = [0x12, 0x3a, 0xf0, 0xf5];
    const pal = palette(16, 0x123456, { 0: 0x000000, 1: 0xff0000, 2: 0x00ff00, 3: 0x0000ff, 15: 0xffffff });
    // Mask row 0: 0 0 1 (blue under mask: XOR with a colour, shown transparent)
    // Mask row 1: 1 1 0 (white under mask at (0,1): invert, x+y odd; black under mask: transparent)
    const mask = [0b00111111, 0b11000000];
    const img = decodeCursor({ header: header(CursorType.COLOR4, 3, 2), data: bytes(indices, pal, mask) });
    expect(pixels(img)).toEqual([[255, 0, 0, 255], [0, 255, 0, 255], CLEAR, INV_ODD, CLEAR, WHITE]);
    expect(Array.from(img.invertMask!)).toEqual([0, 0, 0, 1, 0, 0]);
  });
});

describe('COLOR8', () => {
  it('looks bytes up in the 256-entry palette, then applies the AND mask', () => {
    const indices = [0, 1, 255, 7];
    const pal = palette(256, 0x999999, { 0: 0x102030, 1: 0xffffff, 255: 0xabcdef, 7: 0xffffff });
    // (1,0) and (1,1) are white under the mask: inverting, x+y odd then even.
    const mask = [0b01111111, 0b01000000];
    const img = decodeCursor({ header: header(CursorType.COLOR8, 2, 2), data: bytes(indices, pal, mask) });
    expect(pixels(img)).toEqual([[0x10, 0x20, 0x30, 255], INV_ODD, [0xab, 0xcd, 0xef, 255], INV_EVEN]);
    expect(Array.from(img.invertMask!)).toEqual([0, 1, 0, 1]);
  });
});

describe('COLOR16', () => {
  it('widens x555 by bit replication, ignores the x bit, inverts white under the mask', () => {
    // red 31 -> 255; grey 16 -> 16<<3 | 16>>2 = 132; white under mask at x=2 (even); blue with x bit.
    const data = bytes(halfWords(0x7c00, 0x4210, 0x7fff, 0x801f), [0b00100000]);
    const img = decodeCursor({ header: header(CursorType.COLOR16, 4, 1), data });
    expect(pixels(img)).toEqual([[255, 0, 0, 255], [132, 132, 132, 255], INV_EVEN, [0, 0, 255, 255]]);
  });

  it('white that is not under the mask stays opaque white', () => {
    const img = decodeCursor({ header: header(CursorType.COLOR16, 1, 1), data: bytes(halfWords(0x7fff), [0]) });
    expect(pixels(img)).toEqual([WHITE]);
    expect(img.invertMask).toBeUndefined();
  });
});

describe('COLOR24', () => {
  it('reads B, G, R triplets, rows unpadded, then the AND mask', () => {
    const colour = [0x01, 0x02, 0x03, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x10, 0x20, 0x30];
    const mask = [0b01000000, 0b10000000];
    const img = decodeCursor({ header: header(CursorType.COLOR24, 2, 2), data: bytes(colour, mask) });
    expect(pixels(img)).toEqual([[3, 2, 1, 255], INV_ODD, CLEAR, [0x30, 0x20, 0x10, 255]]);
  });
});

describe('COLOR32', () => {
  it('reads xRGB words ignoring the x byte, then the AND mask', () => {
    const data = bytes(words(0xff00ff00, 0x00ffffff, 0x12ffffff), [0b01100000]);
    const img = decodeCursor({ header: header(CursorType.COLOR32, 3, 1), data });
    expect(pixels(img)).toEqual([[0, 255, 0, 255], INV_ODD, INV_EVEN]);
    expect(Array.from(img.invertMask!)).toEqual([0, 1, 1]);
  });

  it('reads the mask of a wider cursor row by row (9 pixels: two mask bytes per row)', () => {
    const colours = Array.from({ length: 18 }, (_, i) => 0x010101 * (i + 1));
    // Only pixel (8,0) and (0,1) are masked; both are not white, so they become transparent.
    const mask = [0x00, 0b10000000, 0b10000000, 0x00];
    const img = decodeCursor({ header: header(CursorType.COLOR32, 9, 2), data: bytes(words(...colours), mask) });
    const p = pixels(img);
    expect(p[8]).toEqual(CLEAR);
    expect(p[9]).toEqual(CLEAR);
    expect(p[7]).toEqual([8, 8, 8, 255]);
    expect(p[10]).toEqual([11, 11, 11, 255]);
    expect(p[17]).toEqual([18, 18, 18, 255]);
  });
});

describe('decodeCursor checks', () => {
  it('clamps a hot spot outside the image to its last pixel', () => {
    const img = decodeCursor({ header: header(CursorType.ALPHA, 2, 3, 7, 3), data: new Uint8Array(24) });
    expect([img.hotX, img.hotY]).toEqual([1, 2]);
  });

  it('accepts trailing spare bytes after the data a type needs', () => {
    const img = decodeCursor({ header: header(CursorType.COLOR32, 1, 1), data: bytes(words(0x00abcdef), [0], new Uint8Array(128)) });
    expect(pixels(img)).toEqual([[0xab, 0xcd, 0xef, 255]]);
  });

  it('refuses short data, an unknown type, an oversized cursor and a cursor with no shape', () => {
    const fails = (f: () => unknown, text: RegExp) => {
      expect(f).toThrow(ProtocolError);
      expect(f).toThrow(text);
    };
    fails(() => decodeCursor({ header: header(CursorType.COLOR32, 2, 2), data: new Uint8Array(17) }), /COLOR32 cursor 2x2 needs 18 bytes of data but the message carries 17/);
    fails(() => decodeCursor({ header: header(9, 1, 1), data: new Uint8Array(64) }), /unknown cursor type 9/);
    fails(() => decodeCursor({ header: header(CursorType.ALPHA, 1025, 1), data: new Uint8Array(1025 * 4) }), /larger than the 1024x1024/);
    fails(() => decodeCursor({ header: null, data: new Uint8Array(0) }), /without a shape/);
  });

  it('decodes an empty 0x0 cursor to an empty image', () => {
    const img = decodeCursor({ header: header(CursorType.MONO, 0, 0), data: new Uint8Array(0) });
    expect(img.rgba.length).toBe(0);
    expect([img.hotX, img.hotY]).toEqual([0, 0]);
  });
});
