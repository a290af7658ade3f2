// Drawing in pieces (so a host can give the event loop turns during a costly draw) paints exactly
// what one call paints, also when a draw reads its own target, and the pipeline really lets a
// timer run in the middle of one costly draw.
import { describe, expect, it } from 'vitest';
import { Canvas, regionPieces } from '../../../src/protocol/canvas/canvas.ts';
import type { DrawOp, SpiceImage } from '../../../src/protocol/pixels/draw-ops.ts';
import { ImageType } from '../../../src/protocol/pixels/draw-ops.ts';
import { BitmapFlags, BitmapFormat, type Palette } from '../../../src/protocol/pixels/formats.ts';
import { decodeBitmap } from '../../../src/protocol/codecs/bitmap.ts';
import { DisplayImageResolver } from '../../../src/protocol/display/image-resolver.ts';
import { MapPaletteCache as PaletteStore } from '../../../src/protocol/codecs/bitmap.ts';
import { ImageCache } from '../../../src/protocol/display/image-cache.ts';
import type { Rect } from '../../../src/protocol/pixels/geometry.ts';
import { Ropd } from '../../../src/protocol/pixels/draw-ops.ts';
import { DisplayPipeline } from '../../../src/protocol/display/display-pipeline.ts';
import { silentLogger } from '../../../src/protocol/logger.ts';
import { displayMessages as M, drawComposite, drawFill, surfaceCreate } from '../../peers/fake-session.ts';
import { base, image, images, noMask, rect, surfaceImage } from './fake-images.ts';

function area(rects: readonly Rect[]): number {
  return rects.reduce((sum, r) => sum + (r.right - r.left) * (r.bottom - r.top), 0);
}

describe('regionPieces', () => {
  it('cuts a region into pieces of at most the pixels asked, covering it exactly once, in order', () => {
    const region = [rect(0, 0, 100, 7), rect(3, 7, 50, 9), rect(0, 9, 1, 200)];
    const pieces = [...regionPieces(region, 128)];
    for (const p of pieces) expect(area(p)).toBeLessThanOrEqual(128);
    const covered = new Map<string, number>();
    for (const r of pieces.flat()) {
      for (let y = r.top; y < r.bottom; y++) for (let x = r.left; x < r.right; x++) covered.set(`${x},${y}`, (covered.get(`${x},${y}`) ?? 0) + 1);
    }
    expect(covered.size).toBe(area(region));
    expect([...covered.values()].every((n) => n === 1)).toBe(true);
    const tops = pieces.flat().map((r) => r.top);
    expect(tops).toEqual([...tops].sort((a, b) => a - b));
  });

  it('gives a row wider than the budget a piece of its own', () => {
    const pieces = [...regionPieces([rect(0, 0, 1000, 3)], 10)];
    expect(pieces).toEqual([[rect(0, 0, 1000, 1)], [rect(0, 1, 1000, 2)], [rect(0, 2, 1000, 3)]]);
  });

  it('is the whole region in one piece without a budget', () => {
    expect([...regionPieces([rect(0, 0, 5, 5)], Infinity)]).toEqual([[rect(0, 0, 5, 5)]]);
  });
});

describe('Canvas.drawInPieces', () => {
  function scene(): Canvas {
    const canvas = new Canvas();
    const s = canvas.createSurface({ surfaceId: 0, width: 40, height: 30, format: 32, flags: 1 });
    for (let i = 0; i < s.data.length; i++) s.data[i] = (0x10000 * i + 7 * i) >>> 0;
    return canvas;
  }
  const ops: [string, DrawOp][] = [
    ['a fill with XOR', { op: 'fill', base: base(rect(3, 2, 37, 29)), brush: { type: 'solid', color: 0x00ff00ff }, ropDescriptor: Ropd.OP_XOR, mask: noMask }],
    ['a copy of the target onto itself, scaled and overlapping', { op: 'copy', base: base(rect(5, 5, 40, 30)), src: surfaceImage(0), srcArea: rect(0, 0, 20, 15), ropDescriptor: Ropd.OP_PUT, scaleMode: 0, mask: noMask }],
    ['an opaque draw with a pattern brush', { op: 'opaque', base: base(rect(0, 0, 33, 21), [rect(0, 0, 10, 30), rect(12, 3, 40, 9)]), src: image(2, 2, [1, 2, 3, 4]), srcArea: rect(0, 0, 2, 2), brush: { type: 'pattern', image: surfaceImage(0), pos: { x: 3, y: 1 } }, ropDescriptor: Ropd.OP_AND, scaleMode: 1, mask: noMask }],
    ['a ROP3 of the target', { op: 'rop3', base: base(rect(1, 1, 39, 28)), src: surfaceImage(0), srcArea: rect(2, 1, 40, 28), brush: { type: 'solid', color: 0x123456 }, rop3: 0x96, scaleMode: 1, mask: noMask }],
  ];
  it.each(ops)('%s: pieces of 17 pixels paint what one call paints', (_, op) => {
    const whole = scene();
    whole.draw(op, images);
    const pieces = scene();
    let steps = 0;
    for (const step of pieces.drawInPieces(op, images, 17)) {
      void step;
      steps++;
    }
    expect(steps).toBeGreaterThan(10);
    expect(pieces.primary()!.data).toEqual(whole.primary()!.data);
  });
});

describe('DisplayPipeline', () => {
  it('lets a timer run during one costly draw, and drops what is queued once closed', async () => {
    const pipeline = new DisplayPipeline({ logger: silentLogger, onEvent: () => {} });
    const S = 1024;
    const body = (b: Buffer): Uint8Array => new Uint8Array(b);
    pipeline.submit(0, M.SURFACE_CREATE, body(surfaceCreate(0, S, S)), 1n);
    pipeline.submit(0, M.SURFACE_CREATE, body(surfaceCreate(1, S, S, false, true)), 2n);
    await pipeline.drain(0);
    // The costliest per-pixel draw: a bilinear composite through a transform, 1 M pixels.
    const whole = { left: 0, top: 0, right: S, bottom: S };
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    pipeline.submit(0, M.DRAW_COMPOSITE, body(drawComposite(0, whole, 1, { width: S, height: S })), 3n);
    await pipeline.drain(0);
    clearInterval(ticker);
    // Drawing this takes far more than the pipeline's 40 ms slice on any machine. Without turns
    // inside the draw the ticker could run once at most (before it); it ran again within it.
    expect(ticks).toBeGreaterThanOrEqual(2);

    let drawn = 0;
    const counting = new DisplayPipeline({ logger: silentLogger, onEvent: (e) => void (e.type === 'invalidate' && drawn++) });
    counting.submit(0, M.SURFACE_CREATE, body(surfaceCreate(0, 64, 64)), 1n);
    for (let i = 0; i < 5; i++) counting.submit(0, M.DRAW_FILL, body(drawFill(0, { left: 0, top: 0, right: 64, bottom: 64 }, i)), BigInt(i + 2));
    counting.close();
    await counting.drain(0);
    expect(drawn).toBe(0);
  });
});

describe('large bitmaps, decoded in bands', () => {
  const bitmapImage = (format: number, flags: number, width: number, height: number, stride: number, palette: Palette | null): SpiceImage => {
    const data = new Uint8Array(stride * height);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + (i >> 9)) & 0xff;
    return {
      descriptor: { id: 99n, type: ImageType.BITMAP, flags: 0, width, height },
      body: { kind: 'bitmap', bitmap: { format, flags, width, height, stride, paletteRef: { palette }, data } },
    };
  };
  it.each([
    ['32-bit, bottom-up, padded rows', bitmapImage(BitmapFormat.RGB32, 0, 700, 601, 700 * 4 + 8, null)],
    ['32-bit, top-down', bitmapImage(BitmapFormat.RGB32, BitmapFlags.TOP_DOWN, 1000, 530, 4000, null)],
    ['1-bit with a palette, bottom-up', bitmapImage(BitmapFormat.A1_BE, 0, 2049, 300, 257, { unique: 5n, entries: Uint32Array.from([0x112233, 0xffeedd]) })],
  ])('%s: the same pixels as one decode', async (_, src) => {
    const resolver = new DisplayImageResolver({ cache: new ImageCache({ announcedPixels: 20_000_000 }), decoder: null, breather: () => Promise.resolve() }, new PaletteStore());
    const op: DrawOp = { op: 'copy', base: base(rect(0, 0, 10, 10)), src, srcArea: rect(0, 0, 10, 10), ropDescriptor: Ropd.OP_PUT, scaleMode: 1, mask: noMask };
    const preparing = resolver.prepare(op);
    expect(preparing).not.toBeNull();
    await preparing;
    if (src.body.kind !== 'bitmap') throw new Error('a bitmap image');
    const once = decodeBitmap(src.body.bitmap, new PaletteStore());
    const banded = resolver.image(src);
    expect(banded.hasAlpha).toBe(once.hasAlpha);
    expect(Buffer.from(banded.data.buffer, banded.data.byteOffset, banded.data.byteLength).equals(Buffer.from(once.data.buffer, once.data.byteOffset, once.data.byteLength))).toBe(true);
  });
});
