import { describe, expect, it } from 'vitest';
import { AlphaFlags, CompositeFlags } from '../../../src/protocol/pixels/draw-ops.ts';
import { SurfaceFormat } from '../../../src/protocol/pixels/formats.ts';
import { Canvas } from '../../../src/protocol/canvas/canvas.ts';
import { alphaImage, base, image, images, rect } from './fake-images.ts';

function setup(format: number = SurfaceFormat.XRGB32) {
  const canvas = new Canvas();
  const surface = canvas.createSurface({ surfaceId: 0, width: 4, height: 4, format, flags: 1 });
  return { canvas, surface };
}

describe('DRAW_TRANSPARENT', () => {
  it('skips source pixels whose RGB equals true_color, whatever their top byte', () => {
    const { canvas, surface } = setup();
    surface.data.fill(0x11);
    canvas.draw(
      {
        op: 'transparent',
        base: base(rect(0, 0, 4, 1)),
        src: image(4, 1, [0x00ff00ff, 0x00123456, 0xffff00ff, 0x00ff00fe]),
        srcArea: rect(0, 0, 4, 1),
        srcColor: 0x123456,
        trueColor: 0x00ff00ff,
      },
      images,
    );
    expect([...surface.data.subarray(0, 4)]).toEqual([0x11, 0x00123456, 0x11, 0x00ff00fe]);
  });
});

describe('DRAW_ALPHA_BLEND', () => {
  it('does premultiplied OVER with a per-pixel alpha source', () => {
    const { canvas, surface } = setup();
    surface.data.fill(0x00808080);
    canvas.draw(
      { op: 'alpha-blend', base: base(rect(0, 0, 1, 1)), alphaFlags: 0, alpha: 255, src: image(1, 1, [0x80400000], true), srcArea: rect(0, 0, 1, 1) },
      images,
    );
    // r = 0x40 + 0x80 * 127/255 (rounded as pixman: 64), g = b = 64; alpha 0x80 + 0.
    expect(surface.data[0]).toBe(0x80804040);
    expect(surface.data[1]).toBe(0x00808080);
  });

  it('applies the overall alpha to an opaque source', () => {
    const { canvas, surface } = setup();
    surface.data.fill(0x000000ff);
    canvas.draw(
      { op: 'alpha-blend', base: base(rect(0, 0, 1, 1)), alphaFlags: 0, alpha: 128, src: image(1, 1, [0x00ff0000]), srcArea: rect(0, 0, 1, 1) },
      images,
    );
    // Source becomes alpha 128, red 128; blue keeps 255 * 127/255 = 127.
    expect(surface.data[0]).toBe(0x8080007f);
  });

  it('clears the alpha bytes on xRGB when the result came out opaque, unless DEST_HAS_ALPHA', () => {
    for (const [flags, expected] of [
      [0, 0x00ff0000],
      [AlphaFlags.DEST_HAS_ALPHA, 0xffff0000],
    ] as const) {
      const { canvas, surface } = setup();
      canvas.draw(
        { op: 'alpha-blend', base: base(rect(0, 0, 1, 1)), alphaFlags: flags, alpha: 255, src: image(1, 1, [0xffff0000], true), srcArea: rect(0, 0, 1, 1) },
        images,
      );
      expect(surface.data[0]).toBe(expected);
    }
  });

  it('draws nothing with alpha 0', () => {
    const { canvas, surface } = setup();
    canvas.draw(
      { op: 'alpha-blend', base: base(rect(0, 0, 1, 1)), alphaFlags: 0, alpha: 0, src: image(1, 1, [0xffff0000], true), srcArea: rect(0, 0, 1, 1) },
      images,
    );
    expect(surface.data[0]).toBe(0);
  });
});

describe('DRAW_COMPOSITE', () => {
  const flagsFor = (op: number) => op | CompositeFlags.HAS_MASK;
  const compose = (op: number) => ({
    op: 'composite' as const,
    base: base(rect(0, 0, 2, 1)),
    flags: flagsFor(op),
    src: image(2, 1, [0xff00ff00, 0x80800000], true),
    mask: alphaImage(2, 1, [0x80, 0xff]),
    srcTransform: null,
    maskTransform: null,
    srcOrigin: { x: 0, y: 0 },
    maskOrigin: { x: 0, y: 0 },
  });

  it('SRC with an a8 mask replaces the destination with source x mask alpha', () => {
    const { canvas, surface } = setup(SurfaceFormat.ARGB32);
    surface.data.fill(0xff0000ff);
    canvas.draw(compose(1), images);
    expect([surface.data[0], surface.data[1], surface.data[2]]).toEqual([0x80008000, 0x80800000, 0xff0000ff]);
  });

  it('OVER with an a8 mask blends onto an ARGB destination', () => {
    const { canvas, surface } = setup(SurfaceFormat.ARGB32);
    surface.data.fill(0xff0000ff);
    canvas.draw(compose(3), images);
    // Pixel 0: s' = 0x80008000, d * 127/255: blue 0x7f, alpha 0x80 + 0x7f.
    // Pixel 1: s = 0x80800000, d * 127/255 -> blue 0x7f, alpha 0xff, red 0x80.
    expect([surface.data[0], surface.data[1]]).toEqual([0xff00807f, 0xff80007f]);
  });

  it('repeats the source with REPEAT_NORMAL and honours the source origin', () => {
    const { canvas, surface } = setup(SurfaceFormat.ARGB32);
    canvas.draw(
      {
        op: 'composite',
        base: base(rect(0, 0, 4, 1)),
        flags: 1 | (1 << CompositeFlags.SRC_REPEAT_SHIFT),
        src: image(2, 1, [0xff000001, 0xff000002], true),
        mask: null,
        srcTransform: null,
        maskTransform: null,
        srcOrigin: { x: 1, y: 0 },
        maskOrigin: { x: 0, y: 0 },
      },
      images,
    );
    expect([...surface.data.subarray(0, 4)]).toEqual([0xff000002, 0xff000001, 0xff000002, 0xff000001]);
  });

  it('applies a scaling source transform with nearest filtering', () => {
    const { canvas, surface } = setup(SurfaceFormat.ARGB32);
    canvas.draw(
      {
        op: 'composite',
        base: base(rect(0, 0, 4, 1)),
        flags: 1 | (3 << CompositeFlags.SRC_FILTER_SHIFT) | CompositeFlags.HAS_SRC_TRANSFORM,
        src: image(2, 1, [0xff000001, 0xff000002], true),
        mask: null,
        srcTransform: [0x8000, 0, 0, 0, 0x10000, 0],
        maskTransform: null,
        srcOrigin: { x: 0, y: 0 },
        maskOrigin: { x: 0, y: 0 },
      },
      images,
    );
    expect([...surface.data.subarray(0, 4)]).toEqual([0xff000001, 0xff000001, 0xff000002, 0xff000002]);
  });
});
