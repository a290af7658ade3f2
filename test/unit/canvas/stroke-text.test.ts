import { describe, expect, it } from 'vitest';
import type { PathSegment } from '../../../src/protocol/pixels/draw-ops.ts';
import type { Point } from '../../../src/protocol/pixels/geometry.ts';
import { PathFlags, Ropd, StringFlags } from '../../../src/protocol/pixels/draw-ops.ts';
import { SurfaceFormat } from '../../../src/protocol/pixels/formats.ts';
import { Canvas } from '../../../src/protocol/canvas/canvas.ts';
import { fixToInt } from '../../../src/protocol/canvas/stroke.ts';
import { base, images, rect } from './fake-images.ts';

function setup(format: number = SurfaceFormat.XRGB32) {
  const canvas = new Canvas();
  const surface = canvas.createSurface({ surfaceId: 0, width: 8, height: 8, format, flags: 1 });
  return { canvas, surface };
}

const fx = (x: number, y: number): Point => ({ x: x * 16, y: y * 16 });

function stroke(canvas: Canvas, points: Point[], foreMode: number = Ropd.OP_PUT, flags = PathFlags.BEGIN | PathFlags.END) {
  const path: PathSegment[] = [{ flags, points }];
  canvas.draw(
    { op: 'stroke', base: base(rect(0, 0, 8, 8)), path, attr: { flags: 0, style: [] }, brush: { type: 'solid', color: 0x00ffffff }, foreMode, backMode: 0 },
    images,
  );
}

function lit(data: Uint32Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < data.length; i++) if (data[i]) out.push(`${i % 8},${Math.floor(i / 8)}`);
  return out.sort();
}

describe('DRAW_STROKE, 1-pixel solid lines (X11 zero-width, CapNotLast)', () => {
  it('horizontal: the last point is not drawn', () => {
    const { canvas, surface } = setup();
    stroke(canvas, [fx(1, 2), fx(5, 2)]);
    expect(lit(surface.data)).toEqual(['1,2', '2,2', '3,2', '4,2']);
  });

  it('vertical', () => {
    const { canvas, surface } = setup();
    stroke(canvas, [fx(3, 1), fx(3, 5)]);
    expect(lit(surface.data)).toEqual(['3,1', '3,2', '3,3', '3,4']);
  });

  it('diagonal', () => {
    const { canvas, surface } = setup();
    stroke(canvas, [fx(0, 0), fx(4, 4)]);
    expect(lit(surface.data)).toEqual(['0,0', '1,1', '2,2', '3,3']);
  });

  it('shallow lines break ties the same way in both directions (X octant bias)', () => {
    const a = setup();
    stroke(a.canvas, [fx(0, 0), fx(4, 1)]);
    expect(lit(a.surface.data)).toEqual(['0,0', '1,0', '2,1', '3,1']);
    const b = setup();
    stroke(b.canvas, [fx(4, 1), fx(0, 0)]);
    expect(lit(b.surface.data)).toEqual(['1,0', '2,1', '3,1', '4,1']);
  });

  it('a closed XOR polyline paints its corners once and clips to the surface', () => {
    const { canvas, surface } = setup();
    stroke(canvas, [fx(1, 1), fx(3, 1), fx(3, 3), fx(1, 3)], Ropd.OP_XOR, PathFlags.BEGIN | PathFlags.END | PathFlags.CLOSE);
    expect(lit(surface.data)).toEqual(['1,1', '1,2', '1,3', '2,1', '2,3', '3,1', '3,2', '3,3']);
    const c = setup();
    stroke(c.canvas, [fx(-3, 2), fx(20, 2)]);
    expect(lit(c.surface.data)).toEqual(['0,2', '1,2', '2,2', '3,2', '4,2', '5,2', '6,2', '7,2']);
  });

  it('rounds 28.4 coordinates like fix_to_int (.5 goes down)', () => {
    expect([fixToInt(8), fixToInt(9), fixToInt(-8), fixToInt(-7), fixToInt(24)]).toEqual([0, 1, -1, 0, 1]);
  });
});

describe('DRAW_TEXT', () => {
  // An 8x2 A1 glyph; rows are stored bottom-up, most significant bit first.
  const glyph = { renderPos: { x: 2, y: 3 }, glyphOrigin: { x: 0, y: -2 }, width: 8, height: 2, data: Uint8Array.from([0b10000001, 0b11000000]) };

  it('composites the fore brush through an A1 glyph and fills the back area', () => {
    const { canvas, surface } = setup(SurfaceFormat.ARGB32);
    canvas.draw(
      {
        op: 'text',
        base: base(rect(0, 0, 8, 8)),
        str: { flags: StringFlags.RASTER_A1, glyphs: [glyph] },
        backArea: rect(0, 6, 2, 8),
        foreBrush: { type: 'solid', color: 0x00ff0000 },
        backBrush: { type: 'solid', color: 0x000000ff },
        foreMode: Ropd.OP_PUT,
        backMode: Ropd.OP_PUT,
      },
      images,
    );
    const lit: Record<string, number> = {};
    for (let i = 0; i < 64; i++) if (surface.data[i]) lit[`${i % 8},${Math.floor(i / 8)}`] = surface.data[i];
    expect(lit).toEqual({
      '2,1': 0xffff0000,
      '3,1': 0xffff0000,
      '2,2': 0xffff0000,
      '0,6': 0x000000ff,
      '1,6': 0x000000ff,
      '0,7': 0x000000ff,
      '1,7': 0x000000ff,
    });
  });

  it('a glyph far off the surface is cut away before the mask is made (found by the fuzzer)', () => {
    const draw = (glyphs: (typeof glyph)[]) => {
      const { canvas, surface } = setup(SurfaceFormat.ARGB32);
      canvas.draw(
        {
          op: 'text',
          base: base(rect(0, 0, 8, 8)),
          str: { flags: StringFlags.RASTER_A1, glyphs },
          backArea: rect(0, 0, 0, 0),
          foreBrush: { type: 'solid', color: 0x00ff0000 },
          backBrush: { type: 'solid', color: 0x000000ff },
          foreMode: Ropd.OP_PUT,
          backMode: Ropd.OP_PUT,
        },
        images,
      );
      return Array.from(surface.data);
    };
    // The union of these boxes is about 2e9 pixels square: a mask that size cannot be made.
    const far = { ...glyph, renderPos: { x: 2_000_000_000, y: 2_000_000_000 } };
    const halfOut = { ...glyph, renderPos: { x: 5, y: 7 } };
    expect(draw([glyph, far])).toEqual(draw([glyph]));
    expect(draw([glyph, far, halfOut])).toEqual(draw([glyph, halfOut]));
    expect(draw([glyph, halfOut]).filter((p) => p !== 0).length).toBe(3 + 3);
  });

  it('blends A4 coverage (n * 16) with pixman OVER', () => {
    const { canvas, surface } = setup(SurfaceFormat.ARGB32);
    surface.data.fill(0xff000000);
    canvas.draw(
      {
        op: 'text',
        base: base(rect(0, 0, 8, 8)),
        str: { flags: StringFlags.RASTER_A4, glyphs: [{ renderPos: { x: 0, y: 0 }, glyphOrigin: { x: 0, y: 0 }, width: 2, height: 1, data: Uint8Array.from([0xf8]) }] },
        backArea: rect(0, 0, 0, 0),
        foreBrush: { type: 'solid', color: 0x00ffffff },
        backBrush: { type: 'none' },
        foreMode: Ropd.OP_PUT,
        backMode: Ropd.OP_PUT,
      },
      images,
    );
    // Coverage 0xf0 and 0x80 of white over opaque black.
    expect([surface.data[0], surface.data[1]]).toEqual([0xfff0f0f0, 0xff808080]);
  });

  it('clears xRGB alpha bytes under the string like spice-common', () => {
    const { canvas, surface } = setup();
    canvas.draw(
      {
        op: 'text',
        base: base(rect(0, 0, 8, 8)),
        str: { flags: StringFlags.RASTER_A1, glyphs: [glyph] },
        backArea: rect(0, 0, 0, 0),
        foreBrush: { type: 'solid', color: 0x00ff0000 },
        backBrush: { type: 'none' },
        foreMode: Ropd.OP_PUT,
        backMode: Ropd.OP_PUT,
      },
      images,
    );
    expect([surface.data[1 * 8 + 2], surface.data[1 * 8 + 3], surface.data[2 * 8 + 2], surface.data[2 * 8 + 3]]).toEqual([0x00ff0000, 0x00ff0000, 0x00ff0000, 0]);
  });
});
