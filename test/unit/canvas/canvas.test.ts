import { describe, expect, it } from 'vitest';
import { MaskFlags, Ropd } from '../../../src/protocol/pixels/draw-ops.ts';
import { SurfaceFormat } from '../../../src/protocol/pixels/formats.ts';
import { Canvas } from '../../../src/protocol/canvas/canvas.ts';
import { paintRects, Surface } from '../../../src/protocol/canvas/surface.ts';
import { base, image, images, maskImage, noMask, pixelsOf, rect, surfaceImage } from './fake-images.ts';

function setup(width = 8, height = 8, format: number = SurfaceFormat.XRGB32) {
  const canvas = new Canvas();
  const surface = canvas.createSurface({ surfaceId: 0, width, height, format, flags: 1 });
  return { canvas, surface };
}

/** Surface pixels numbered by position, so any misplaced copy shows. */
function numbered(surface: Surface): void {
  for (let i = 0; i < surface.data.length; i++) surface.data[i] = 0x100 + i;
}

const solid = (color: number) => ({ type: 'solid' as const, color });

describe('surfaces', () => {
  it('rejects absurd sizes and unknown formats with a protocol error', () => {
    const canvas = new Canvas({ maxSurfacePixels: 100 });
    expect(() => canvas.createSurface({ surfaceId: 3, width: 20, height: 20, format: 32, flags: 0 })).toThrow(/surface 3.*20x20/);
    expect(() => canvas.createSurface({ surfaceId: 3, width: 0, height: 2, format: 32, flags: 0 })).toThrow(/invalid size/);
    expect(() => canvas.createSurface({ surfaceId: 3, width: 2, height: 2, format: 77, flags: 0 })).toThrow(/unknown format 77/);
  });

  it('names the unknown target surface', () => {
    const { canvas } = setup();
    expect(() =>
      canvas.draw({ op: 'blackness', base: base(rect(0, 0, 1, 1), null, 9), mask: noMask }, images),
    ).toThrow(expect.objectContaining({ kind: 'protocol', message: expect.stringContaining('surface 9') }));
  });

  it('primary() prefers the PRIMARY flag, reset() clears only the primary', () => {
    const canvas = new Canvas();
    const off = canvas.createSurface({ surfaceId: 0, width: 2, height: 2, format: 32, flags: 0 });
    const prim = canvas.createSurface({ surfaceId: 5, width: 2, height: 2, format: 32, flags: 1 });
    expect(canvas.primary()).toBe(prim);
    off.data.fill(7);
    prim.data.fill(7);
    canvas.reset();
    expect([...prim.data]).toEqual([0, 0, 0, 0]);
    expect([...off.data]).toEqual([7, 7, 7, 7]);
    canvas.destroySurface(5);
    expect(canvas.primary()).toBe(off);
  });
});

describe('clipping', () => {
  it('paintRects returns disjoint rectangles for overlapping clip rects', () => {
    const surface = new Surface(0, 8, 8, 32, true);
    const rects = paintRects(surface, rect(0, 0, 8, 8), [rect(0, 0, 4, 4), rect(2, 2, 6, 6)]);
    const covered = new Map<string, number>();
    for (const r of rects)
      for (let y = r.top; y < r.bottom; y++) for (let x = r.left; x < r.right; x++) covered.set(`${x},${y}`, (covered.get(`${x},${y}`) ?? 0) + 1);
    expect(covered.size).toBe(16 + 16 - 4);
    expect([...covered.values()].every((n) => n === 1)).toBe(true);
  });

  it('XORs each pixel once where clip rects overlap, and clips to box and surface', () => {
    const { canvas, surface } = setup();
    surface.data.fill(0x00000f0f);
    canvas.draw(
      {
        op: 'fill',
        base: base(rect(1, 1, 20, 4), [rect(0, 0, 3, 3), rect(2, 2, 5, 5), rect(6, 0, 9, 9)]),
        brush: solid(0x00ffffff),
        ropDescriptor: Ropd.OP_XOR,
        mask: noMask,
      },
      images,
    );
    const X = 0x00fff0f0;
    const O = 0x00000f0f;
    expect(pixelsOf(surface.data, 8, rect(0, 0, 8, 5))).toEqual([
      [O, O, O, O, O, O, O, O],
      [O, X, X, O, O, O, X, X],
      [O, X, X, X, X, O, X, X],
      [O, O, X, X, X, O, X, X],
      [O, O, O, O, O, O, O, O],
    ]);
  });
});

describe('masks', () => {
  const rows = ['1100', '0110'];
  for (const invert of [false, true]) {
    it(`paints where the mask is ${invert ? 'clear (INVERS)' : 'set'}, never outside it, honouring pos`, () => {
      const { canvas, surface } = setup();
      canvas.draw(
        {
          op: 'fill',
          base: base(rect(2, 2, 8, 5)),
          brush: solid(0x00abcdef),
          ropDescriptor: Ropd.OP_PUT,
          mask: { flags: invert ? MaskFlags.INVERS : 0, pos: { x: 1, y: 0 }, image: maskImage(rows) },
        },
        images,
      );
      // Destination (x, y) reads mask pixel (x - 2 + 1, y - 2); the mask is 4x2.
      const P = 0x00abcdef;
      const expected = [
        invert ? [0, P, P, 0, 0, 0] : [P, 0, 0, 0, 0, 0],
        invert ? [0, 0, P, 0, 0, 0] : [P, P, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0],
      ];
      expect(pixelsOf(surface.data, 8, rect(2, 2, 8, 5))).toEqual(expected);
    });
  }
});

describe('brushes', () => {
  it('tiles a pattern from its position, wrapping in both directions', () => {
    const { canvas, surface } = setup();
    const [A, B, C, D] = [0xa, 0xb, 0xc, 0xd];
    canvas.draw(
      {
        op: 'fill',
        base: base(rect(0, 0, 4, 3)),
        brush: { type: 'pattern', image: image(2, 2, [A, B, C, D]), pos: { x: 1, y: 1 } },
        ropDescriptor: Ropd.OP_PUT,
        mask: noMask,
      },
      images,
    );
    // Pixel (x, y) takes pattern ((x - 1) mod 2, (y - 1) mod 2).
    expect(pixelsOf(surface.data, 8, rect(0, 0, 4, 3))).toEqual([
      [D, C, D, C],
      [B, A, B, A],
      [D, C, D, C],
    ]);
  });
});

describe('COPY_BITS', () => {
  const moves: [string, number, number][] = [
    ['up', 0, -2],
    ['down', 0, 2],
    ['left', -3, 0],
    ['right', 3, 0],
    ['down-right', 1, 1],
    ['up-left', -1, -1],
  ];
  for (const [name, dx, dy] of moves) {
    it(`moves an overlapping area ${name}`, () => {
      const { canvas, surface } = setup();
      numbered(surface);
      const before = surface.data.slice();
      const box = rect(2 + dx, 2 + dy, 6 + dx, 6 + dy);
      canvas.copyBits(base(box), { x: 2, y: 2 });
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++) {
          const inside = x >= box.left && x < box.right && y >= box.top && y < box.bottom;
          expect(surface.data[y * 8 + x]).toBe(inside ? before[(y - dy) * 8 + (x - dx)] : before[y * 8 + x]);
        }
    });
  }

  it('copies from the original pixels when several clip rects overlap each other’s sources', () => {
    const { canvas, surface } = setup();
    numbered(surface);
    const before = surface.data.slice();
    canvas.copyBits(base(rect(1, 1, 8, 8), [rect(1, 1, 4, 8), rect(4, 1, 8, 8)]), { x: 0, y: 0 });
    for (let y = 1; y < 8; y++) for (let x = 1; x < 8; x++) expect(surface.data[y * 8 + x]).toBe(before[(y - 1) * 8 + x - 1]);
  });
});

describe('DRAW_COPY', () => {
  it('scales 2x with NEAREST by duplicating pixels', () => {
    const { canvas, surface } = setup();
    canvas.draw(
      { op: 'copy', base: base(rect(1, 1, 5, 5)), src: image(2, 2, [1, 2, 3, 4]), srcArea: rect(0, 0, 2, 2), ropDescriptor: Ropd.OP_PUT, scaleMode: 1, mask: noMask },
      images,
    );
    expect(pixelsOf(surface.data, 8, rect(1, 1, 5, 5))).toEqual([
      [1, 1, 2, 2],
      [1, 1, 2, 2],
      [3, 3, 4, 4],
      [3, 3, 4, 4],
    ]);
  });

  it('scales 2x with INTERPOLATE like pixman bilinear (7-bit weights, transparent outside)', () => {
    const { canvas, surface } = setup();
    canvas.draw(
      {
        op: 'copy',
        base: base(rect(0, 0, 4, 1)),
        src: image(2, 1, [0x00ff0000, 0x000000ff]),
        srcArea: rect(0, 0, 2, 1),
        ropDescriptor: Ropd.OP_PUT,
        scaleMode: 0,
        mask: noMask,
      },
      images,
    );
    // Hand-computed: weights 192/64 of 256 between neighbours, zero beyond the edges.
    expect(pixelsOf(surface.data, 8, rect(0, 0, 4, 1))).toEqual([[0xbfbf0000, 0xffbf003f, 0xff3f00bf, 0xbf0000bf]]);
  });

  it('copies a sub-area between surfaces and within one surface (overlapping)', () => {
    const { canvas, surface } = setup();
    const other = canvas.createSurface({ surfaceId: 1, width: 4, height: 4, format: 32, flags: 0 });
    numbered(other);
    canvas.draw(
      { op: 'copy', base: base(rect(0, 0, 2, 2)), src: surfaceImage(1), srcArea: rect(1, 1, 3, 3), ropDescriptor: Ropd.OP_PUT, scaleMode: 1, mask: noMask },
      images,
    );
    expect(pixelsOf(surface.data, 8, rect(0, 0, 2, 2))).toEqual([
      [0x105, 0x106],
      [0x109, 0x10a],
    ]);
    numbered(surface);
    const before = surface.data.slice();
    canvas.draw(
      { op: 'copy', base: base(rect(1, 1, 5, 5)), src: surfaceImage(0), srcArea: rect(0, 0, 4, 4), ropDescriptor: Ropd.OP_PUT, scaleMode: 1, mask: noMask },
      images,
    );
    for (let y = 1; y < 5; y++) for (let x = 1; x < 5; x++) expect(surface.data[y * 8 + x]).toBe(before[(y - 1) * 8 + x - 1]);
  });

  it('rejects an unknown source surface', () => {
    const { canvas } = setup();
    expect(() =>
      canvas.draw(
        { op: 'copy', base: base(rect(0, 0, 1, 1)), src: surfaceImage(42), srcArea: rect(0, 0, 1, 1), ropDescriptor: Ropd.OP_PUT, scaleMode: 1, mask: noMask },
        images,
      ),
    ).toThrow(/surface 42/);
  });
});

describe('blackness, whiteness, invers', () => {
  it('clears, sets and inverts the whole pixel', () => {
    const { canvas, surface } = setup();
    surface.data.fill(0x12345678);
    canvas.draw({ op: 'blackness', base: base(rect(0, 0, 1, 1)), mask: noMask }, images);
    canvas.draw({ op: 'whiteness', base: base(rect(1, 0, 2, 1)), mask: noMask }, images);
    canvas.draw({ op: 'invers', base: base(rect(2, 0, 3, 1)), mask: noMask }, images);
    expect([surface.data[0], surface.data[1], surface.data[2], surface.data[3]]).toEqual([0, 0xffffffff, 0xedcba987, 0x12345678]);
  });
});
