import { describe, expect, it } from 'vitest';
import { parseDisplayMessage } from '../../../../src/protocol/channels/display/display-messages.ts';
import type { DrawOp, SpiceImage } from '../../../../src/protocol/pixels/draw-ops.ts';
import { binaryImage, bitmapImage, body, box, bytesOf } from './body-builder.ts';

function drawOf(type: number, b: Uint8Array): DrawOp {
  const msg = parseDisplayMessage(type, b);
  if (!msg || msg.type !== 'draw') throw new Error(`message ${type} did not parse as a draw`);
  return msg.draw;
}

const BASE = { surfaceId: 0, box: { top: 0, left: 0, bottom: 2, right: 4 }, clip: null };
const NO_MASK = { flags: 0, pos: { x: 0, y: 0 }, image: null };

/** A 4×2 8-bit paletted bitmap, stride 4, with the given palette setup. */
function p8(extra: { palette?: { unique: bigint; entries: number[] } | null; paletteId?: bigint; flags?: number }) {
  return bitmapImage({ format: 5, width: 4, height: 2, stride: 4, pixels: bytesOf(0, 1, 2, 3, 3, 2, 1, 0), ...extra });
}

describe('DRAW_COPY', () => {
  it('a BITMAP source with an inline palette, clip rects and a mask', () => {
    const b = body((x) => {
      x.base(1, box(10, 20, 12, 24), [box(10, 20, 11, 22), box(11, 20, 12, 24)]);
      x.ptr(p8({ palette: { unique: 0x42n, entries: [0x00ff0000, 0x0000ff00, 0x000000ff, 0xffffffff] } }));
      x.rect(box(0, 0, 2, 4));
      x.w.u16(1 << 3).u8(1);
      // A 1-bit mask image: 4 pixels fit in one byte per row.
      x.qmask(1, 2, 3, bitmapImage({ id: 9n, format: 1, width: 4, height: 2, stride: 1, pixels: bytesOf(0xa0, 0x50) }));
    });
    const op = drawOf(304, b);
    expect(op.op).toBe('copy');
    if (op.op !== 'copy') return;
    expect(op.base).toEqual({
      surfaceId: 1,
      box: { top: 10, left: 20, bottom: 12, right: 24 },
      clip: [
        { top: 10, left: 20, bottom: 11, right: 22 },
        { top: 11, left: 20, bottom: 12, right: 24 },
      ],
    });
    expect(op.srcArea).toEqual({ top: 0, left: 0, bottom: 2, right: 4 });
    expect(op.ropDescriptor).toBe(8);
    expect(op.scaleMode).toBe(1);
    expect(op.src.descriptor).toEqual({ id: 1n, type: 0, flags: 0, width: 4, height: 2 });
    const src = op.src.body;
    if (src.kind !== 'bitmap') throw new Error(`source is ${src.kind}`);
    expect(src.bitmap.format).toBe(5);
    expect(src.bitmap.width).toBe(4);
    expect(src.bitmap.height).toBe(2);
    expect(src.bitmap.stride).toBe(4);
    expect([...src.bitmap.data]).toEqual([0, 1, 2, 3, 3, 2, 1, 0]);
    expect(src.bitmap.data.buffer).toBe(b.buffer);
    expect(src.bitmap.paletteRef).toEqual({
      palette: { unique: 0x42n, entries: Uint32Array.from([0x00ff0000, 0x0000ff00, 0x000000ff, 0xffffffff]) },
    });
    expect(op.mask.flags).toBe(1);
    expect(op.mask.pos).toEqual({ x: 2, y: 3 });
    const mask = op.mask.image;
    if (!mask || mask.body.kind !== 'bitmap') throw new Error('mask missing');
    expect(mask.descriptor.id).toBe(9n);
    expect(mask.body.bitmap.format).toBe(1);
    expect([...mask.body.bitmap.data]).toEqual([0xa0, 0x50]);
    expect(mask.body.bitmap.paletteRef).toEqual({ palette: null });
  });

  it('a bitmap whose palette comes from the cache', () => {
    const b = body((x) => {
      x.base(0, box(0, 0, 2, 4));
      x.ptr(p8({ flags: 2 | 4, paletteId: 0x1234567890n }));
      x.rect(box(0, 0, 2, 4));
      x.w.u16(8).u8(0);
      x.noMask();
    });
    const op = drawOf(304, b);
    if (op.op !== 'copy' || op.src.body.kind !== 'bitmap') throw new Error('not a bitmap copy');
    expect(op.src.body.bitmap.flags).toBe(6);
    expect(op.src.body.bitmap.paletteRef).toEqual({ paletteId: 0x1234567890n });
    expect([...op.src.body.bitmap.data]).toEqual([0, 1, 2, 3, 3, 2, 1, 0]);
    expect(op.mask).toEqual(NO_MASK);
  });
});

describe('other draws', () => {
  it('DRAW_FILL with a solid brush', () => {
    const b = body((x) => {
      x.base(0, box(0, 0, 2, 4));
      x.w.u8(1).u32(0x00123456).u16(8);
      x.noMask();
    });
    expect(drawOf(302, b)).toEqual({
      op: 'fill',
      base: BASE,
      brush: { type: 'solid', color: 0x00123456 },
      ropDescriptor: 8,
      mask: NO_MASK,
    });
  });

  it('DRAW_OPAQUE with a NONE brush and DRAW_BLEND', () => {
    const src = binaryImage(101, bytesOf(1, 2, 3));
    const opaque = body((x) => {
      x.base(0, box(0, 0, 2, 4));
      x.ptr(src);
      x.rect(box(0, 0, 2, 4));
      x.w.u8(0).u16(0x10).u8(0);
      x.noMask();
    });
    const op = drawOf(303, opaque);
    if (op.op !== 'opaque') throw new Error(op.op);
    expect(op.brush).toEqual({ type: 'none' });
    expect(op.ropDescriptor).toBe(0x10);
    expect(op.src.body).toEqual({ kind: 'lz-rgb', data: bytesOf(1, 2, 3) });

    const blend = body((x) => {
      x.base(0, box(0, 0, 2, 4));
      x.ptr(src);
      x.rect(box(0, 0, 1, 1));
      x.w.u16(0x20).u8(1);
      x.noMask();
    });
    const op2 = drawOf(305, blend);
    expect(op2.op).toBe('blend');
    if (op2.op !== 'blend') return;
    expect(op2.srcArea).toEqual({ top: 0, left: 0, bottom: 1, right: 1 });
    expect(op2.ropDescriptor).toBe(0x20);
    expect(op2.scaleMode).toBe(1);
  });

  it('DRAW_BLACKNESS, DRAW_WHITENESS, DRAW_INVERS', () => {
    const b = body((x) => {
      x.base(0, box(0, 0, 2, 4));
      x.noMask();
    });
    expect(drawOf(306, b)).toEqual({ op: 'blackness', base: BASE, mask: NO_MASK });
    expect(drawOf(307, b)).toEqual({ op: 'whiteness', base: BASE, mask: NO_MASK });
    expect(drawOf(308, b)).toEqual({ op: 'invers', base: BASE, mask: NO_MASK });
  });

  it('DRAW_ROP3 with a pattern brush', () => {
    const b = body((x) => {
      x.base(0, box(0, 0, 2, 4));
      x.ptr(binaryImage(1, bytesOf(0xaa), 70n));
      x.rect(box(0, 0, 2, 4));
      x.w.u8(2);
      x.ptr(bitmapImage({ id: 71n, format: 8, width: 2, height: 2, stride: 8, pixels: new Uint8Array(16).fill(0x11) }));
      x.point(-1, 5);
      x.w.u8(0xca).u8(0);
      x.noMask();
    });
    const op = drawOf(309, b);
    if (op.op !== 'rop3') throw new Error(op.op);
    expect(op.rop3).toBe(0xca);
    expect(op.src.body).toEqual({ kind: 'quic', data: bytesOf(0xaa) });
    expect(op.src.descriptor.id).toBe(70n);
    if (op.brush.type !== 'pattern') throw new Error(op.brush.type);
    expect(op.brush.pos).toEqual({ x: -1, y: 5 });
    expect(op.brush.image.descriptor.id).toBe(71n);
    if (op.brush.image.body.kind !== 'bitmap') throw new Error(op.brush.image.body.kind);
    expect(op.brush.image.body.bitmap.data.byteLength).toBe(16);
  });

  it('DRAW_STROKE with a path and a styled line', () => {
    const b = body((x) => {
      x.base(0, box(0, 0, 2, 4));
      x.ptr((p) => {
        p.w.u32(2);
        p.w.u8(1).u32(2);
        p.point(16, 32).point(48, 32);
        p.w.u8(2 | 8).u32(1);
        p.point(-16, 0);
      });
      x.w.u8(8 | 4).u8(3);
      x.ptr((s) => s.w.i32(64).i32(32).i32(-16));
      x.w.u8(1).u32(0xff00ff);
      x.w.u16(13).u16(7);
    });
    expect(drawOf(310, b)).toEqual({
      op: 'stroke',
      base: BASE,
      path: [
        { flags: 1, points: [{ x: 16, y: 32 }, { x: 48, y: 32 }] },
        { flags: 10, points: [{ x: -16, y: 0 }] },
      ],
      attr: { flags: 12, style: [64, 32, -16] },
      brush: { type: 'solid', color: 0xff00ff },
      foreMode: 13,
      backMode: 7,
    });
  });

  it('DRAW_STROKE with a plain line has no style fields on the wire', () => {
    const b = body((x) => {
      x.base(0, box(0, 0, 2, 4));
      x.ptr((p) => p.w.u32(0));
      x.w.u8(0);
      x.w.u8(0);
      x.w.u16(1).u16(2);
    });
    const op = drawOf(310, b);
    if (op.op !== 'stroke') throw new Error(op.op);
    expect(op.attr).toEqual({ flags: 0, style: [] });
    expect(op.path).toEqual([]);
    expect(op.brush).toEqual({ type: 'none' });
    expect([op.foreMode, op.backMode]).toEqual([1, 2]);
  });

  it('DRAW_TEXT with A1 glyphs', () => {
    const b = body((x) => {
      x.base(0, box(0, 0, 2, 4));
      x.ptr((s) => {
        s.w.u16(2).u8(1 | 8);
        // 9×2 at 1 bpp: 2 bytes per row.
        s.point(5, 6).point(0, -2);
        s.w.u16(9).u16(2).bytes(bytesOf(0xff, 0x80, 0x7f, 0x00));
        // 3×1 at 1 bpp: 1 byte.
        s.point(15, 6).point(1, -1);
        s.w.u16(3).u16(1).bytes(bytesOf(0xe0));
      });
      x.rect(box(0, 0, 8, 30));
      x.w.u8(1).u32(0xffffff);
      x.w.u8(0);
      x.w.u16(5).u16(6);
    });
    expect(drawOf(311, b)).toEqual({
      op: 'text',
      base: BASE,
      str: {
        flags: 9,
        glyphs: [
          { renderPos: { x: 5, y: 6 }, glyphOrigin: { x: 0, y: -2 }, width: 9, height: 2, data: bytesOf(0xff, 0x80, 0x7f, 0x00) },
          { renderPos: { x: 15, y: 6 }, glyphOrigin: { x: 1, y: -1 }, width: 3, height: 1, data: bytesOf(0xe0) },
        ],
      },
      backArea: { top: 0, left: 0, bottom: 8, right: 30 },
      foreBrush: { type: 'solid', color: 0xffffff },
      backBrush: { type: 'none' },
      foreMode: 5,
      backMode: 6,
    });
  });

  it('DRAW_TEXT with A4 glyphs', () => {
    const b = body((x) => {
      x.base(0, box(0, 0, 2, 4));
      x.ptr((s) => {
        s.w.u16(1).u8(2);
        // 3×2 at 4 bpp: (12+7)/8 = 2 bytes per row.
        s.point(1, 2).point(3, 4);
        s.w.u16(3).u16(2).bytes(bytesOf(0x12, 0x30, 0x45, 0x60));
      });
      x.rect(box(0, 0, 1, 1));
      x.w.u8(0).u8(0).u16(0).u16(0);
    });
    const op = drawOf(311, b);
    if (op.op !== 'text') throw new Error(op.op);
    expect(op.str.flags).toBe(2);
    expect(op.str.glyphs).toEqual([
      { renderPos: { x: 1, y: 2 }, glyphOrigin: { x: 3, y: 4 }, width: 3, height: 2, data: bytesOf(0x12, 0x30, 0x45, 0x60) },
    ]);
  });

  it('DRAW_TRANSPARENT', () => {
    const b = body((x) => {
      x.base(0, box(0, 0, 2, 4));
      x.ptr(binaryImage(109, bytesOf(4, 4)));
      x.rect(box(0, 0, 2, 4));
      x.w.u32(0x00ff00ff).u32(0x00fe00fe);
    });
    const op = drawOf(312, b);
    if (op.op !== 'transparent') throw new Error(op.op);
    expect(op.src.body).toEqual({ kind: 'lz4', data: bytesOf(4, 4) });
    expect(op.srcColor).toBe(0x00ff00ff);
    expect(op.trueColor).toBe(0x00fe00fe);
  });

  it('DRAW_ALPHA_BLEND', () => {
    const b = body((x) => {
      x.base(0, box(0, 0, 2, 4));
      x.w.u8(3).u8(200);
      x.ptr((i) => {
        i.descriptor(5n, 104, 0, 4, 2);
        i.w.u32(7);
      });
      x.rect(box(1, 1, 2, 2));
    });
    expect(drawOf(313, b)).toEqual({
      op: 'alpha-blend',
      base: BASE,
      alphaFlags: 3,
      alpha: 200,
      src: { descriptor: { id: 5n, type: 104, flags: 0, width: 4, height: 2 }, body: { kind: 'surface', surfaceId: 7 } },
      srcArea: { top: 1, left: 1, bottom: 2, right: 2 },
    });
  });

  it('DRAW_COMPOSITE with a mask and both transforms', () => {
    const flags = 3 | (1 << 19) | (1 << 20) | (1 << 21);
    const b = body((x) => {
      x.base(0, box(0, 0, 2, 4));
      x.w.u32(flags);
      x.ptr(binaryImage(102, bytesOf(1)));
      x.ptr(bitmapImage({ id: 3n, format: 10, width: 4, height: 2, stride: 4, pixels: new Uint8Array(8).fill(0x80) }));
      x.w.i32(-0x10000).i32(0).i32(-0x8000).i32(0).i32(0x10000).i32(0x20000);
      x.w.i32(0x8000).i32(0).i32(0).i32(0).i32(0x8000).i32(0);
      x.w.i16(-3).i16(4).i16(5).i16(-6);
    });
    const op = drawOf(318, b);
    if (op.op !== 'composite') throw new Error(op.op);
    expect(op.flags).toBe(flags);
    expect(op.src.body).toEqual({ kind: 'glz-rgb', data: bytesOf(1) });
    expect(op.mask?.descriptor.id).toBe(3n);
    expect(op.mask?.body.kind).toBe('bitmap');
    // Signed 16.16 (pixman_fixed_t), though spice.proto calls the fields uint32.
    expect(op.srcTransform).toEqual([-0x10000, 0, -0x8000, 0, 0x10000, 0x20000]);
    expect(op.maskTransform).toEqual([0x8000, 0, 0, 0, 0x8000, 0]);
    expect(op.srcOrigin).toEqual({ x: -3, y: 4 });
    expect(op.maskOrigin).toEqual({ x: 5, y: -6 });
  });

  it('DRAW_COMPOSITE without mask or transforms reads neither', () => {
    const b = body((x) => {
      x.base(0, box(0, 0, 2, 4));
      x.w.u32(1);
      x.ptr(binaryImage(1, bytesOf(1)));
      x.w.i16(1).i16(2).i16(3).i16(4);
    });
    const op = drawOf(318, b);
    if (op.op !== 'composite') throw new Error(op.op);
    expect(op.mask).toBeNull();
    expect(op.srcTransform).toBeNull();
    expect(op.maskTransform).toBeNull();
    expect(op.srcOrigin).toEqual({ x: 1, y: 2 });
    expect(op.maskOrigin).toEqual({ x: 3, y: 4 });
  });
});

describe('image bodies', () => {
  function copyOf(image: (b: import('./body-builder.ts').BodyBuilder) => void): SpiceImage {
    const b = body((x) => {
      x.base(0, box(0, 0, 2, 4));
      x.ptr(image);
      x.rect(box(0, 0, 2, 4));
      x.w.u16(8).u8(0);
      x.noMask();
    });
    const op = drawOf(304, b);
    if (op.op !== 'copy') throw new Error(op.op);
    return op.src;
  }

  it('QUIC, LZ_RGB, GLZ_RGB, JPEG, LZ4 carry their data', () => {
    const cases: [number, string][] = [
      [1, 'quic'],
      [101, 'lz-rgb'],
      [102, 'glz-rgb'],
      [105, 'jpeg'],
      [109, 'lz4'],
    ];
    for (const [type, kind] of cases) {
      const img = copyOf(binaryImage(type, bytesOf(type & 0xff, 1, 2), 11n, 16, 8));
      expect(img.descriptor).toEqual({ id: 11n, type, flags: 0, width: 16, height: 8 });
      expect(img.body).toEqual({ kind, data: bytesOf(type & 0xff, 1, 2) });
    }
  });

  it('LZ_PLT with an inline palette and with a cached one', () => {
    const inline = copyOf((i) => {
      i.descriptor(1n, 100, 1, 4, 2);
      i.w.u8(1).u32(2);
      i.ptr((p) => p.w.u64(77n).u16(2).u32(0x010203).u32(0x040506));
      i.w.bytes(bytesOf(0xde, 0xad));
    });
    expect(inline.body).toEqual({
      kind: 'lz-plt',
      flags: 1,
      paletteRef: { palette: { unique: 77n, entries: Uint32Array.from([0x010203, 0x040506]) } },
      data: bytesOf(0xde, 0xad),
    });
    const cached = copyOf((i) => {
      i.descriptor(1n, 100, 0, 4, 2);
      i.w.u8(2).u32(1).u64(78n).bytes(bytesOf(0xbe));
    });
    expect(cached.body).toEqual({ kind: 'lz-plt', flags: 2, paletteRef: { paletteId: 78n }, data: bytesOf(0xbe) });
  });

  it('ZLIB_GLZ_RGB and JPEG_ALPHA', () => {
    const zlib = copyOf((i) => {
      i.descriptor(1n, 107, 0, 4, 2);
      i.w.u32(1000).u32(3).bytes(bytesOf(0x78, 0x9c, 0));
    });
    expect(zlib.body).toEqual({ kind: 'zlib-glz-rgb', glzDataSize: 1000, data: bytesOf(0x78, 0x9c, 0) });
    const jpegAlpha = copyOf((i) => {
      i.descriptor(1n, 108, 0, 4, 2);
      i.w.u8(1).u32(2).u32(4).bytes(bytesOf(0xff, 0xd8, 9, 9));
    });
    expect(jpegAlpha.body).toEqual({ kind: 'jpeg-alpha', flags: 1, jpegSize: 2, data: bytesOf(0xff, 0xd8, 9, 9) });
  });

  it('FROM_CACHE, FROM_CACHE_LOSSLESS and SURFACE', () => {
    expect(copyOf((i) => i.descriptor(0xfeedn, 103, 0, 4, 2))).toEqual({
      descriptor: { id: 0xfeedn, type: 103, flags: 0, width: 4, height: 2 },
      body: { kind: 'from-cache' },
    });
    expect(copyOf((i) => i.descriptor(0xfeedn, 106, 0, 4, 2)).body).toEqual({ kind: 'from-cache-lossless' });
    expect(copyOf((i) => (i.descriptor(2n, 104, 0, 4, 2), i.w.u32(3))).body).toEqual({ kind: 'surface', surfaceId: 3 });
  });

  it('every bitmap format accepts its minimum stride', () => {
    // width 5: bytes per row for formats 1..10.
    const minStride = [1, 1, 3, 3, 5, 10, 15, 20, 20, 5];
    minStride.forEach((stride, i) => {
      const format = i + 1;
      const img = copyOf(bitmapImage({ format, width: 5, height: 2, stride, pixels: new Uint8Array(stride * 2) }));
      if (img.body.kind !== 'bitmap') throw new Error(img.body.kind);
      expect(img.body.bitmap.data.byteLength).toBe(stride * 2);
    });
  });

  it('two pointers to one image each get their own parse', () => {
    const b = new Uint8Array(
      body((x) => {
        x.base(0, box(0, 0, 2, 4));
        x.ptr(binaryImage(1, bytesOf(5)));
        x.rect(box(0, 0, 2, 4));
        x.w.u16(8).u8(0);
        x.w.u8(0).i32(0).i32(0);
        x.rawPtr(0);
      }),
    );
    // Point the mask (base 21 + src ptr 4 + rect 16 + rop 2 + scale 1 + flags 1 + pos 8 = 53) at the source.
    const view = new DataView(b.buffer);
    view.setUint32(53, view.getUint32(21, true), true);
    const op = drawOf(304, b);
    if (op.op !== 'copy') throw new Error(op.op);
    expect(op.mask.image).toEqual(op.src);
  });
});
