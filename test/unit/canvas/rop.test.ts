import { describe, expect, it } from 'vitest';
import { Ropd } from '../../../src/protocol/pixels/draw-ops.ts';
import { SurfaceFormat } from '../../../src/protocol/pixels/formats.ts';
import { Canvas } from '../../../src/protocol/canvas/canvas.ts';
import { Rop, ropFromDescriptor } from '../../../src/protocol/canvas/rop.ts';
import { base, image, images, noMask, rect } from './fake-images.ts';

const S = 0x12345678;
const D = 0x0f0f00ff;
const u = (v: number) => v >>> 0;

function setup(dest: number) {
  const canvas = new Canvas();
  const surface = canvas.createSurface({ surfaceId: 0, width: 4, height: 4, format: SurfaceFormat.XRGB32, flags: 1 });
  surface.data.fill(dest);
  return { canvas, surface };
}

describe('rop descriptors on DRAW_FILL (brush is the source)', () => {
  const cases: [string, number, number][] = [
    ['PUT', Ropd.OP_PUT, S],
    ['PUT brush-inverted', Ropd.OP_PUT | Ropd.INVERS_BRUSH, ~S],
    ['PUT result-inverted', Ropd.OP_PUT | Ropd.INVERS_RES, ~S],
    ['PUT brush- and result-inverted', Ropd.OP_PUT | Ropd.INVERS_BRUSH | Ropd.INVERS_RES, S],
    ['PUT ignores INVERS_SRC', Ropd.OP_PUT | Ropd.INVERS_SRC, S],
    ['OR', Ropd.OP_OR, S | D],
    ['OR brush-inverted', Ropd.OP_OR | Ropd.INVERS_BRUSH, ~S | D],
    ['OR dest-inverted', Ropd.OP_OR | Ropd.INVERS_DEST, S | ~D],
    ['OR result-inverted', Ropd.OP_OR | Ropd.INVERS_RES, ~(S | D)],
    ['AND', Ropd.OP_AND, S & D],
    ['AND both inverted', Ropd.OP_AND | Ropd.INVERS_BRUSH | Ropd.INVERS_DEST, ~S & ~D],
    ['AND result-inverted', Ropd.OP_AND | Ropd.INVERS_RES, ~(S & D)],
    ['XOR', Ropd.OP_XOR, S ^ D],
    ['XOR dest-inverted', Ropd.OP_XOR | Ropd.INVERS_DEST, ~(S ^ D)],
    ['XOR all inverted', Ropd.OP_XOR | Ropd.INVERS_BRUSH | Ropd.INVERS_DEST | Ropd.INVERS_RES, ~(S ^ D)],
    ['BLACKNESS', Ropd.OP_BLACKNESS, 0],
    ['WHITENESS', Ropd.OP_WHITENESS, 0xffffffff],
    ['INVERS', Ropd.OP_INVERS, ~D],
    ['no operation bit means copy', 0, S],
  ];
  for (const [name, desc, expected] of cases) {
    it(name, () => {
      const { canvas, surface } = setup(D);
      canvas.draw({ op: 'fill', base: base(rect(1, 1, 3, 3)), brush: { type: 'solid', color: S }, ropDescriptor: desc, mask: noMask }, images);
      expect(surface.data[1 * 4 + 1]).toBe(u(expected));
      expect(surface.data[2 * 4 + 2]).toBe(u(expected));
      expect(surface.data[0]).toBe(D);
      expect(surface.data[3 * 4 + 3]).toBe(D);
    });
  }
});

describe('rop descriptors on DRAW_COPY (image is the source)', () => {
  const cases: [string, number, number][] = [
    ['AND source-inverted', Ropd.OP_AND | Ropd.INVERS_SRC, ~S & D],
    ['AND ignores INVERS_BRUSH', Ropd.OP_AND | Ropd.INVERS_BRUSH, S & D],
    ['OR', Ropd.OP_OR, S | D],
    ['PUT source-inverted', Ropd.OP_PUT | Ropd.INVERS_SRC, ~S],
  ];
  for (const [name, desc, expected] of cases) {
    it(name, () => {
      const { canvas, surface } = setup(D);
      canvas.draw(
        { op: 'copy', base: base(rect(0, 0, 1, 1)), src: image(1, 1, [S]), srcArea: rect(0, 0, 1, 1), ropDescriptor: desc, scaleMode: 1, mask: noMask },
        images,
      );
      expect(surface.data[0]).toBe(u(expected));
      expect(surface.data[1]).toBe(D);
    });
  }
});

describe('DRAW_OPAQUE', () => {
  it('copies the source, then combines the brush with it (INVERS_SRC inverts the copied source)', () => {
    const B = 0x00ff00f0;
    const { canvas, surface } = setup(D);
    canvas.draw(
      {
        op: 'opaque',
        base: base(rect(0, 0, 1, 1)),
        src: image(1, 1, [S]),
        srcArea: rect(0, 0, 1, 1),
        brush: { type: 'solid', color: B },
        ropDescriptor: Ropd.OP_XOR | Ropd.INVERS_SRC,
        scaleMode: 1,
        mask: noMask,
      },
      images,
    );
    expect(surface.data[0]).toBe(u(B ^ ~S));
  });
});

describe('ropFromDescriptor', () => {
  it('maps to the X11 GX codes spice-common uses', () => {
    expect(ropFromDescriptor(Ropd.OP_AND | Ropd.INVERS_DEST, 'brush', 'dest')).toBe(Rop.AND_REVERSE);
    expect(ropFromDescriptor(Ropd.OP_AND | Ropd.INVERS_BRUSH, 'brush', 'dest')).toBe(Rop.AND_INVERTED);
    expect(ropFromDescriptor(Ropd.OP_OR | Ropd.INVERS_DEST, 'brush', 'dest')).toBe(Rop.OR_REVERSE);
    expect(ropFromDescriptor(Ropd.OP_OR | Ropd.INVERS_BRUSH | Ropd.INVERS_DEST, 'brush', 'dest')).toBe(Rop.NAND);
    expect(ropFromDescriptor(Ropd.OP_XOR | Ropd.INVERS_RES, 'src', 'dest')).toBe(Rop.EQUIV);
    expect(ropFromDescriptor(Ropd.OP_OR | Ropd.INVERS_RES, 'src', 'dest')).toBe(Rop.NOR);
  });
});

/** Reference rop3, bit by bit from the truth table: bit ((p << 2) | (s << 1) | d) of the code. */
function rop3Reference(code: number, p: number, s: number, d: number): number {
  let out = 0;
  for (let bit = 0; bit < 32; bit++) {
    const idx = (((p >>> bit) & 1) << 2) | (((s >>> bit) & 1) << 1) | ((d >>> bit) & 1);
    if ((code >> idx) & 1) out |= 1 << bit;
  }
  return out >>> 0;
}

describe('DRAW_ROP3', () => {
  const P = 0x00ff00f0;
  // Named formulas from rop3.c's table, written independently of the truth table.
  const named: [number, (p: number, s: number, d: number) => number][] = [
    [0x00, () => 0],
    [0xff, () => 0xffffffff],
    [0xcc, (_p, s) => s],
    [0xf0, (p) => p],
    [0xaa, (_p, _s, d) => d],
    [0x66, (_p, s, d) => s ^ d],
    [0x5a, (p, _s, d) => p ^ d],
    [0xb8, (p, s, d) => ((p ^ d) & s) ^ p],
    [0xe2, (p, s, d) => ((p ^ d) & s) ^ d],
    [0x96, (p, s, d) => d ^ p ^ s],
    [0x1e, (p, s, d) => (d | s) ^ p],
    [0x69, (p, s, d) => ~(s ^ d ^ p)],
    [0x80, (p, s, d) => d & p & s],
    [0x16, (p, s, d) => (~(p & s) & d) ^ s ^ p],
  ];
  for (const [code, formula] of named) {
    it(`code 0x${code.toString(16)} with a solid brush`, () => {
      const { canvas, surface } = setup(D);
      canvas.draw(
        {
          op: 'rop3',
          base: base(rect(0, 0, 2, 1)),
          src: image(2, 1, [S, ~S >>> 0]),
          srcArea: rect(0, 0, 2, 1),
          brush: { type: 'solid', color: P },
          rop3: code,
          scaleMode: 1,
          mask: noMask,
        },
        images,
      );
      expect(surface.data[0]).toBe(u(formula(P, S, D)));
      expect(surface.data[1]).toBe(u(formula(P, ~S, D)));
      expect(rop3Reference(code, P, S, D)).toBe(u(formula(P, S, D)));
    });
  }

  it('matches the truth table for every code with a tiled pattern brush', () => {
    const pat = [0x13579bdf, 0x2468ace0];
    for (let code = 0; code < 256; code++) {
      const { canvas, surface } = setup(D);
      canvas.draw(
        {
          op: 'rop3',
          base: base(rect(0, 0, 3, 1)),
          src: image(3, 1, [S, 0xdeadbeef, 0x01020304]),
          srcArea: rect(0, 0, 3, 1),
          brush: { type: 'pattern', image: image(2, 1, pat), pos: { x: 1, y: 0 } },
          rop3: code,
          scaleMode: 1,
          mask: noMask,
        },
        images,
      );
      // Pattern pixel for x is pat[(x - 1) mod 2].
      expect([surface.data[0], surface.data[1], surface.data[2]]).toEqual([
        rop3Reference(code, pat[1], S, D),
        rop3Reference(code, pat[0], 0xdeadbeef, D),
        rop3Reference(code, pat[1], 0x01020304, D),
      ]);
    }
  });
});
