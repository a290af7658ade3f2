// Bodies that lie: every one must end in a ProtocolError that names the message and the offset of
// the lie, never a RangeError/TypeError and never an allocation sized by the lie.
import { describe, expect, it } from 'vitest';
import { parseDisplayMessage } from '../../../../src/protocol/channels/display/display-messages.ts';
import { ProtocolError } from '../../../../src/protocol/wire/errors.ts';
import { rng } from '../../../helpers/random.ts';
import { bitmapImage, binaryImage, body, box, bytesOf, paletteBlock, type Block, type BodyBuilder } from './body-builder.ts';

function protocolErrorOf(type: number, b: Uint8Array): ProtocolError {
  try {
    parseDisplayMessage(type, b);
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw new Error(`expected a ProtocolError, got ${String(e)}`, { cause: e });
  }
  throw new Error(`message ${type} of ${b.byteLength} bytes parsed without error`);
}

function expectError(type: number, name: string, b: Uint8Array, offset: number, text: string | RegExp): ProtocolError {
  const e = protocolErrorOf(type, b);
  expect(e.message).toContain(`${name} (${type})`);
  expect(e.message).toContain('display channel');
  expect(e.message).toMatch(text);
  expect(e.offset).toBe(offset);
  expect(e.kind).toBe('protocol');
  return e;
}

// DRAW_COPY with no clip and no mask: base 0..21, src ptr at 21, src_area 25, rop 41, scale 43,
// mask flags 44, mask pos 45, mask ptr 53; the first pointed-to block starts at 57.
const COPY_SRC_PTR = 21;
const FIRST_BLOCK = 57;
const IMAGE_WIDTH = FIRST_BLOCK + 10;
const BITMAP_FORMAT = FIRST_BLOCK + 18;
const BITMAP_STRIDE = BITMAP_FORMAT + 10;
const BITMAP_PALETTE = BITMAP_FORMAT + 14;

function copyBody(image: Block | null, tweak?: (x: BodyBuilder) => void): Uint8Array {
  return body((x) => {
    x.base(0, box(0, 0, 2, 4));
    x.ptr(image);
    x.rect(box(0, 0, 2, 4));
    x.w.u16(8).u8(0);
    x.noMask();
    tweak?.(x);
  });
}

const P8_PIXELS = bytesOf(0, 1, 2, 3, 3, 2, 1, 0);
const p8 = (palette: Block | null) => (x: BodyBuilder) => {
  x.descriptor(1n, 0, 0, 4, 2);
  x.w.u8(5).u8(0).u32(4).u32(2).u32(4);
  x.ptr(palette);
  x.w.bytes(P8_PIXELS);
};

/** A DRAW_COPY that uses every pointer kind: clip rects, bitmap + inline palette, a mask. */
function fullCopy(): Uint8Array {
  return body((x) => {
    x.base(1, box(0, 0, 2, 4), [box(0, 0, 1, 4), box(1, 0, 2, 4)]);
    x.ptr(p8(paletteBlock(5n, [1, 2, 3, 4])));
    x.rect(box(0, 0, 2, 4));
    x.w.u16(8).u8(0);
    x.qmask(1, 0, 0, bitmapImage({ format: 1, width: 4, height: 2, stride: 1, pixels: bytesOf(0xf0, 0x0f) }));
  });
}

function fullText(): Uint8Array {
  return body((x) => {
    x.base(0, box(0, 0, 2, 4));
    x.ptr((s) => {
      s.w.u16(2).u8(2);
      s.point(1, 1).point(0, 0).w.u16(3).u16(2).bytes(bytesOf(1, 2, 3, 4));
      s.point(2, 2).point(0, 0).w.u16(1).u16(1).bytes(bytesOf(5));
    });
    x.rect(box(0, 0, 2, 4));
    x.w.u8(2);
    x.ptr(binaryImage(1, bytesOf(1, 2)));
    x.point(0, 0);
    x.w.u8(1).u32(0);
    x.w.u16(0).u16(0);
  });
}

function fullStroke(): Uint8Array {
  return body((x) => {
    x.base(0, box(0, 0, 2, 4));
    x.ptr((p) => {
      p.w.u32(2);
      p.w.u8(1).u32(1);
      p.point(1, 2);
      p.w.u8(2).u32(2);
      p.point(3, 4).point(5, 6);
    });
    x.w.u8(8).u8(2);
    x.ptr((s) => s.w.i32(16).i32(32));
    x.w.u8(1).u32(0).u16(1).u16(2);
  });
}

function fullComposite(): Uint8Array {
  return body((x) => {
    x.base(0, box(0, 0, 2, 4), [box(0, 0, 1, 1)]);
    x.w.u32((1 << 19) | (1 << 20) | (1 << 21));
    x.ptr(binaryImage(105, bytesOf(0xff, 0xd8)));
    x.ptr(bitmapImage({ format: 10, width: 2, height: 2, stride: 2, pixels: bytesOf(1, 2, 3, 4) }));
    for (let i = 0; i < 12; i++) x.w.i32(i);
    x.w.i16(0).i16(0).i16(0).i16(0);
  });
}

describe('truncated bodies', () => {
  const cases: [number, string, () => Uint8Array][] = [
    [304, 'DRAW_COPY', fullCopy],
    [311, 'DRAW_TEXT', fullText],
    [310, 'DRAW_STROKE', fullStroke],
    [318, 'DRAW_COMPOSITE', fullComposite],
    [
      122,
      'STREAM_CREATE',
      () =>
        body((x) => {
          x.w.u32(0).u32(1).u8(0).u8(1).u64(0n).u32(8).u32(8).u32(8).u32(8);
          x.rect(box(0, 0, 8, 8)).clip([box(0, 0, 4, 4)]);
        }),
    ],
    [316, 'STREAM_DATA_SIZED', () => body((x) => x.w.u32(1).u32(2).u32(3).u32(4) && x.rect(box(0, 0, 1, 1)).w.u32(2).bytes(bytesOf(7, 7)))],
    [317, 'MONITORS_CONFIG', () => body((x) => x.w.u16(1).u16(1).u32(0).u32(0).u32(8).u32(8).u32(0).u32(0).u32(0))],
    [105, 'INVAL_LIST', () => body((x) => x.w.u16(2).u8(1).u64(1n).u8(1).u64(2n))],
    [106, 'INVAL_ALL_PIXMAPS', () => body((x) => x.w.u8(1).u8(2).u8(0).u64(9n))],
  ];

  for (const [type, name, build] of cases) {
    it(`${name}: the whole body parses and every shorter prefix fails`, () => {
      const full = build();
      expect(parseDisplayMessage(type, full)).not.toBeNull();
      for (let n = 0; n < full.byteLength; n++) {
        const prefix = full.slice(0, n);
        const e = protocolErrorOf(type, prefix);
        expect(e.message).toContain(`${name} (${type})`);
        expect(e.offset).toBeGreaterThanOrEqual(0);
        expect(e.offset).toBeLessThanOrEqual(n);
      }
    });
  }

  it('fixed-size messages fail when short', () => {
    expectError(101, 'MODE', bytesOf(0, 4, 0, 0, 0, 3, 0, 0), 8, /u32 needs 4 bytes but only 0 remain/);
    expectError(315, 'SURFACE_DESTROY', bytesOf(1, 2), 0, /needs 4 bytes/);
    expectError(107, 'INVAL_PALETTE', bytesOf(1, 2, 3, 4), 0, /needs 8 bytes/);
  });
});

describe('pointers', () => {
  it('a source pointer past the end names the pointer field', () => {
    const good = copyBody(binaryImage(1, bytesOf(1)));
    const atEnd = copyBody(null, (x) => x.w.patchU32(COPY_SRC_PTR, good.byteLength + 100));
    expectError(304, 'DRAW_COPY', atEnd, COPY_SRC_PTR, /source image pointer \d+ lies outside the 57-byte message/);
    const huge = copyBody(null, (x) => x.w.patchU32(COPY_SRC_PTR, 0xffffffff));
    expectError(304, 'DRAW_COPY', huge, COPY_SRC_PTR, /4294967295 lies outside/);
    const exactlyEnd = copyBody(null, (x) => x.w.patchU32(COPY_SRC_PTR, FIRST_BLOCK));
    expectError(304, 'DRAW_COPY', exactlyEnd, COPY_SRC_PTR, /lies outside/);
  });

  it('a NULL source is refused: the draw cannot happen without it', () => {
    expectError(304, 'DRAW_COPY', copyBody(null), COPY_SRC_PTR, /source image pointer is NULL/);
  });

  it('a palette pointer past the end', () => {
    const b = copyBody(p8(null));
    new DataView(b.buffer).setUint32(BITMAP_PALETTE, 5000, true);
    expectError(304, 'DRAW_COPY', b, BITMAP_PALETTE, /palette pointer 5000 lies outside/);
  });

  it('a pointer into the fixed part is parsed as whatever is there, once', () => {
    // The mask pointer aims at byte 1: read as an image descriptor, its type is byte 9 (0, BITMAP),
    // its width and height come out of the box as 512×1024, and the bitmap format is byte 19 (0).
    // Rejected as such; nothing is read twice over or followed further.
    const b = copyBody(binaryImage(1, bytesOf(1)));
    new DataView(b.buffer).setUint32(53, 1, true);
    expectError(304, 'DRAW_COPY', b, 19, /mask image has unknown bitmap format 0/);
  });

  it('NULL path, string and pattern pointers are refused', () => {
    const stroke = body((x) => {
      x.base(0, box(0, 0, 1, 1));
      x.ptr(null);
      x.w.u8(0).u8(0).u16(0).u16(0);
    });
    expectError(310, 'DRAW_STROKE', stroke, 21, /path pointer is NULL/);
    const text = body((x) => {
      x.base(0, box(0, 0, 1, 1));
      x.ptr(null);
      x.rect(box(0, 0, 1, 1)).w.u8(0).u8(0).u16(0).u16(0);
    });
    expectError(311, 'DRAW_TEXT', text, 21, /string pointer is NULL/);
    const fill = body((x) => {
      x.base(0, box(0, 0, 1, 1));
      x.w.u8(2);
      x.ptr(null);
      x.point(0, 0).w.u16(8);
      x.noMask();
    });
    expectError(302, 'DRAW_FILL', fill, 22, /brush pattern pointer is NULL/);
  });

  it('an LZ_PLT image must carry a palette', () => {
    const b = copyBody((i) => {
      i.descriptor(1n, 100, 0, 4, 2);
      i.w.u8(0).u32(1);
      i.ptr(null);
      i.w.u8(0);
    });
    // descriptor 18, flags 1, data_size 4: the palette pointer sits 23 bytes into the image.
    expectError(304, 'DRAW_COPY', b, FIRST_BLOCK + 23, /palette pointer is NULL/);
  });
});

describe('lying counts', () => {
  it('a huge clip rect count', () => {
    const b = body((x) => {
      x.w.u32(0).i32(0).i32(0).i32(1).i32(1).u8(1).u32(0x7fffffff);
      x.point(0, 0);
    });
    // surface 4 + box 16 + clip type 1 + num_rects 4.
    expectError(104, 'COPY_BITS', b, 25, /clip rects claims 2147483647 entries of 16 bytes but only 8 bytes remain/);
  });

  it('more clip rectangles than any real server sends, all present', () => {
    const rects = Array.from({ length: 8193 }, (_, i) => box(0, i, 1, i + 1));
    const many = body((x) => x.base(0, box(0, 0, 1, 1), rects).point(0, 0));
    const allowed = body((x) => x.base(0, box(0, 0, 1, 1), rects.slice(1)).point(0, 0));
    expect(() => parseDisplayMessage(104, allowed)).not.toThrow();
    // surface 4 + box 16 + clip type 1: the count at 21.
    expectError(104, 'COPY_BITS', many, 21, /8193 clip rectangles; at most 8192 are accepted/);
  });

  it('a palette over 256 entries, and one whose entries are not there', () => {
    const huge = copyBody(p8(paletteBlock(1n, [1, 2], 0xffff)));
    const paletteAt = FIRST_BLOCK + 18 + 18 + P8_PIXELS.byteLength;
    expectError(304, 'DRAW_COPY', huge, paletteAt + 8, /claims 65535 entries; at most 256/);
    const short = copyBody(p8(paletteBlock(1n, [1, 2], 200)));
    expectError(304, 'DRAW_COPY', short, paletteAt + 10, /palette claims 200 entries of 4 bytes but only 8 bytes remain/);
  });

  it('a huge glyph count, and glyph data that is not there', () => {
    const huge = body((x) => {
      x.base(0, box(0, 0, 1, 1));
      x.ptr((s) => s.w.u16(0xffff).u8(1).bytes(new Uint8Array(40)));
      x.rect(box(0, 0, 1, 1)).w.u8(0).u8(0).u16(0).u16(0);
    });
    // Fixed part: base 21 + ptr 4 + rect 16 + 2 brushes 2 + modes 4 = 47; count and flags read.
    expectError(311, 'DRAW_TEXT', huge, 47 + 3, /string glyphs claims 65535 entries/);
    const plain = body((x) => {
      x.base(0, box(0, 0, 1, 1));
      x.ptr((s) => {
        s.w.u16(1).u8(4);
        s.point(0, 0).point(0, 0).w.u16(100).u16(100).bytes(bytesOf(1, 2, 3));
      });
      x.rect(box(0, 0, 1, 1)).w.u8(0).u8(0).u16(0).u16(0);
    });
    // Glyph data starts at 47 + 3 + 20.
    expectError(311, 'DRAW_TEXT', plain, 47 + 23, /glyph 0 \(100×100\) needs 10000 bytes but only 3 remain/);
  });

  it('a string with glyphs but no raster format', () => {
    const b = body((x) => {
      x.base(0, box(0, 0, 1, 1));
      x.ptr((s) => s.w.u16(1).u8(8).bytes(new Uint8Array(21)));
      x.rect(box(0, 0, 1, 1)).w.u8(0).u8(0).u16(0).u16(0);
    });
    expectError(311, 'DRAW_TEXT', b, 47, /string of 1 glyphs has no raster format/);
  });

  it('huge path segment and point counts, a short line style', () => {
    const stroke = (path: Block, styleCount: number, style: Block | null) =>
      body((x) => {
        x.base(0, box(0, 0, 1, 1));
        x.ptr(path);
        x.w.u8(8).u8(styleCount);
        x.ptr(style);
        x.w.u8(0).u16(0).u16(0);
      });
    // Fixed part: base 21 + path ptr 4 + flags 1 + nseg 1 + style ptr 4 + brush 1 + modes 4 = 36.
    expectError(310, 'DRAW_STROKE', stroke((p) => p.w.u32(0x10000000), 0, null), 40, /path segments claims 268435456 entries/);
    expectError(
      310,
      'DRAW_STROKE',
      stroke((p) => p.w.u32(1).u8(1).u32(0xffffffff).bytes(new Uint8Array(8)), 0, null),
      45,
      /path segment points claims 4294967295 entries of 8 bytes but only 8 bytes remain/,
    );
    // Style block follows the 4-byte empty path at 36: it starts at 40 and holds one dash.
    expectError(310, 'DRAW_STROKE', stroke((p) => p.w.u32(0), 255, (s) => s.w.i32(1)), 40, /line style dashes claims 255 entries/);
    expectError(310, 'DRAW_STROKE', stroke((p) => p.w.u32(0), 2, null), 27, /line style of 2 dashes has a NULL pointer/);
  });

  it('huge resource, wait and head counts', () => {
    expectError(105, 'INVAL_LIST', body((x) => x.w.u16(0xffff).u8(1).u64(1n)), 2, /resources claims 65535 entries of 9 bytes but only 9/);
    expectError(106, 'INVAL_ALL_PIXMAPS', body((x) => x.w.u8(255)), 1, /channel waits claims 255 entries/);
    expectError(317, 'MONITORS_CONFIG', body((x) => x.w.u16(0xffff).u16(1)), 4, /monitor heads claims 65535 entries of 28 bytes/);
  });

  it('data sizes that run past the end', () => {
    expectError(123, 'STREAM_DATA', body((x) => x.w.u32(1).u32(2).u32(0xffffffff).u8(0)), 12, /stream frame needs 4294967295 bytes but only 1 remain/);
    const quic = copyBody((i) => {
      i.descriptor(1n, 1, 0, 4, 2);
      i.w.u32(1000).bytes(bytesOf(1, 2));
    });
    expectError(304, 'DRAW_COPY', quic, FIRST_BLOCK + 22, /source image compressed data needs 1000 bytes but only 2 remain/);
    const jpegAlpha = copyBody((i) => {
      i.descriptor(1n, 108, 0, 4, 2);
      i.w.u8(0).u32(10).u32(4).bytes(bytesOf(1, 2, 3, 4));
    });
    expectError(304, 'DRAW_COPY', jpegAlpha, FIRST_BLOCK + 19, /JPEG part of 10 bytes is larger than its 4-byte data/);
  });
});

describe('bitmaps', () => {
  it('pixel data shorter than stride × height', () => {
    const b = copyBody(bitmapImage({ format: 8, width: 4, height: 3, stride: 16, pixels: new Uint8Array(40) }));
    expectError(304, 'DRAW_COPY', b, BITMAP_PALETTE + 4, /bitmap pixels \(16×3\) needs 48 bytes but only 40 remain/);
  });

  it('a stride below what the format and width need', () => {
    const rgb24 = copyBody(bitmapImage({ format: 7, width: 10, height: 1, stride: 29, pixels: new Uint8Array(29) }));
    expectError(304, 'DRAW_COPY', rgb24, BITMAP_STRIDE, /stride 29 is below the 30 bytes a 10-pixel row of format 7 needs/);
    const a1 = copyBody(bitmapImage({ format: 1, width: 9, height: 1, stride: 1, pixels: new Uint8Array(1) }));
    expectError(304, 'DRAW_COPY', a1, BITMAP_STRIDE, /stride 1 is below the 2 bytes/);
  });

  it('an unknown bitmap format', () => {
    for (const format of [0, 11, 255]) {
      const b = copyBody(bitmapImage({ format, width: 1, height: 1, stride: 4, pixels: new Uint8Array(4) }));
      expectError(304, 'DRAW_COPY', b, BITMAP_FORMAT, new RegExp(`unknown bitmap format ${format}`));
    }
  });
});

describe('sizes over the limit', () => {
  it('an image descriptor wider or taller than 16384', () => {
    expectError(304, 'DRAW_COPY', copyBody((i) => i.descriptor(1n, 103, 0, 16385, 1)), IMAGE_WIDTH, /16385×1, over the 16384×16384 limit/);
    expectError(304, 'DRAW_COPY', copyBody((i) => i.descriptor(1n, 103, 0, 1, 0xffffffff)), IMAGE_WIDTH, /1×4294967295/);
    expect(parseDisplayMessage(304, copyBody((i) => i.descriptor(1n, 103, 0, 16384, 16384)))).not.toBeNull();
  });

  it('a bitmap whose own size is over the limit', () => {
    const b = copyBody((i) => {
      i.descriptor(1n, 0, 0, 4, 2);
      i.w.u8(8).u8(0).u32(20000).u32(1).u32(80000).u32(0);
    });
    expectError(304, 'DRAW_COPY', b, BITMAP_FORMAT + 2, /bitmap is 20000×1, over the 16384/);
  });

  it('surfaces and streams over the limit', () => {
    expectError(314, 'SURFACE_CREATE', body((x) => x.w.u32(0).u32(65536).u32(10).u32(32).u32(1)), 4, /surface 0 is 65536×10/);
    const stream = body((x) => {
      x.w.u32(0).u32(1).u8(0).u8(1).u64(0n).u32(8).u32(8).u32(1).u32(100000);
      x.rect(box(0, 0, 1, 1)).w.u8(0);
    });
    // surface 4 + id 4 + flags 1 + codec 1 + stamp 8 + stream size 8: src_width sits at 26.
    expectError(122, 'STREAM_CREATE', stream, 26, /stream source is 1×100000/);
  });
});

describe('unknown enum values', () => {
  it('an unknown image type names the type', () => {
    for (const type of [2, 99, 110, 255]) {
      expectError(304, 'DRAW_COPY', copyBody((i) => i.descriptor(1n, type, 0, 1, 1)), FIRST_BLOCK + 8, new RegExp(`unknown image type ${type}\\b`));
    }
  });

  it('an unknown brush type and an unknown clip type', () => {
    const fill = body((x) => {
      x.base(0, box(0, 0, 1, 1));
      x.w.u8(3).u32(0).u16(0);
      x.noMask();
    });
    expectError(302, 'DRAW_FILL', fill, 21, /brush has unknown type 3/);
    // A clip type of 2 at offset 20, after surface 4 + box 16.
    const clip = body((x) => x.base(0, box(0, 0, 1, 1)).point(0, 0));
    clip[20] = 2;
    expectError(104, 'COPY_BITS', clip, 20, /unknown clip type 2/);
  });
});

describe('the error context', () => {
  it('uses the channel name it is given', () => {
    try {
      parseDisplayMessage(101, new Uint8Array(0), 'display:1');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ProtocolError);
      const pe = e as ProtocolError;
      expect(pe.context).toEqual({ channel: 'display:1', messageType: 101, messageName: 'MODE' });
      expect(pe.message).toContain('display:1 channel');
    }
  });
});

describe('corrupted bodies', () => {
  const cases: [number, () => Uint8Array][] = [
    [304, fullCopy],
    [311, fullText],
    [310, fullStroke],
    [318, fullComposite],
  ];

  for (const [type, build] of cases) {
    it(`message ${type} with random bytes overwritten either parses or throws a ProtocolError`, () => {
      const next = rng(type);
      const original = build();
      let failures = 0;
      for (let round = 0; round < 3000; round++) {
        const b = original.slice();
        const flips = 1 + (next() % 4);
        for (let i = 0; i < flips; i++) {
          const at = next() % b.byteLength;
          // Favour the values that make counts and pointers lie the most.
          const pick = next() % 4;
          b[at] = pick === 0 ? 0xff : pick === 1 ? 0 : next() & 0xff;
        }
        try {
          parseDisplayMessage(type, b);
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw new Error(`round ${round}: ${String(e)}`, { cause: e });
          expect(e.offset).toBeGreaterThanOrEqual(0);
          expect(e.offset).toBeLessThanOrEqual(b.byteLength);
          failures++;
        }
      }
      // The corruption must actually reach the checks, or this test proves nothing.
      expect(failures).toBeGreaterThan(100);
    });
  }
});
