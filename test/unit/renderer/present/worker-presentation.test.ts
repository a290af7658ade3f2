// What the worker's presentation draws per animation frame with the 2D presenter, through a fake
// canvas that records the calls: a video picture is drawn when it is new, or when damage of the
// same frame covers part of it; a frame asked for with neither draws nothing (the canvas keeps
// what it shows); a resize draws the picture again.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Rect } from '../../../../src/protocol/pixels/geometry.ts';
import type { OverlaySource } from '../../../../src/renderer/present/presenter.ts';
import { WorkerPresentation, type PresentationMessage } from '../../../../src/renderer/present/worker-presentation.ts';

const WIDTH = 64;

interface Recorder {
  drawImages: number;
  putImageData: { x: number; y: number }[];
}

function fakeCanvas(rec: Recorder): OffscreenCanvas {
  const ctx = {
    putImageData: (_d: unknown, x: number, y: number) => rec.putImageData.push({ x, y }),
    drawImage: () => rec.drawImages++,
    save() {},
    restore() {},
    beginPath() {},
    rect() {},
    clip() {},
    translate() {},
    scale() {},
  };
  return { width: 0, height: 0, getContext: (kind: string) => (kind === '2d' ? ctx : null) } as unknown as OffscreenCanvas;
}

describe('WorkerPresentation with the 2D presenter', () => {
  let frames: (() => void)[] = [];
  const g = globalThis as unknown as { requestAnimationFrame?: (cb: () => void) => number; ImageData?: unknown };
  const saved = { raf: g.requestAnimationFrame, imageData: g.ImageData };
  beforeEach(() => {
    frames = [];
    g.requestAnimationFrame = (cb) => frames.push(cb);
    g.ImageData = class {
      constructor(
        readonly data: Uint8ClampedArray,
        readonly width: number,
        readonly height: number,
      ) {}
    };
  });
  afterEach(() => {
    g.requestAnimationFrame = saved.raf;
    g.ImageData = saved.imageData;
  });

  function setup(): { presentation: WorkerPresentation; rec: Recorder; damage: Rect[]; overlays: OverlaySource[]; posted: PresentationMessage[]; frame(): void } {
    const rec: Recorder = { drawImages: 0, putImageData: [] };
    const damage: Rect[] = [];
    const overlays: OverlaySource[] = [];
    const posted: PresentationMessage[] = [];
    const surface = { data: new Uint32Array(WIDTH * WIDTH), width: WIDTH };
    const presentation = new WorkerPresentation(fakeCanvas(rec), '2d', false, {
      takeDamage: () => ({ surface, rects: damage.splice(0) }),
      damageAll: () => damage.push({ left: 0, top: 0, right: WIDTH, bottom: WIDTH }),
      overlays: () => overlays,
      post: (m) => posted.push(m),
    });
    presentation.resize(WIDTH, WIDTH);
    const frame = (): void => {
      presentation.requestFrame();
      const run = frames.splice(0);
      expect(run).toHaveLength(1);
      run[0]();
    };
    return { presentation, rec, damage, overlays, posted, frame };
  }

  const picture = (generation: number): OverlaySource => ({
    key: '1:1',
    generation,
    source: {} as VideoFrame,
    dest: { left: 16, top: 16, right: 48, bottom: 48 },
    rects: [{ left: 16, top: 16, right: 48, bottom: 48 }],
    bottomUp: false,
  });

  it('draws a picture once, and again only when it is new or damage covers it', () => {
    const { rec, damage, overlays, posted, frame } = setup();
    overlays.push(picture(1));
    frame();
    expect(rec.drawImages).toBe(1);
    const presents = (): number => posted.filter((m) => m.kind === 'frames').length;
    expect(presents()).toBe(1);

    // Asked again with the same picture and no damage: nothing drawn, nothing presented.
    frame();
    expect(rec.drawImages).toBe(1);
    expect(presents()).toBe(1);

    // Damage beside the picture: the patch is drawn, the picture is not.
    damage.push({ left: 0, top: 0, right: 8, bottom: 8 });
    frame();
    expect(rec.putImageData).toEqual([{ x: 0, y: 0 }]);
    expect(rec.drawImages).toBe(1);
    expect(presents()).toBe(2);

    // Damage under the picture: the patch covers part of it, so it is drawn over the patch.
    damage.push({ left: 40, top: 40, right: 56, bottom: 56 });
    frame();
    expect(rec.putImageData).toHaveLength(2);
    expect(rec.drawImages).toBe(2);

    // The stream's next picture.
    overlays[0] = picture(2);
    frame();
    expect(rec.drawImages).toBe(3);
    expect(presents()).toBe(4);
  });

  it('draws the picture again after a resize cleared the canvas, and presents when a picture goes', () => {
    const { presentation, rec, overlays, posted, frame } = setup();
    overlays.push(picture(1));
    frame();
    presentation.resize(WIDTH, WIDTH);
    frame();
    expect(rec.drawImages).toBe(2);
    overlays.length = 0;
    const before = posted.length;
    frame();
    expect(posted.length).toBe(before + 1);
  });
});

describe('WorkerPresentation asks for a low-latency context when told', () => {
  for (const lowLatency of [true, false]) {
    it(`2D context with desynchronized: ${lowLatency}`, () => {
      const asked: unknown[] = [];
      const canvas = { width: 0, height: 0, getContext: (kind: string, o: unknown) => (asked.push({ kind, o }), kind === '2d' ? {} : null) } as unknown as OffscreenCanvas;
      new WorkerPresentation(canvas, '2d', lowLatency, { takeDamage: () => null, damageAll: () => {}, overlays: () => [], post: () => {} });
      expect(asked).toEqual([{ kind: '2d', o: { alpha: false, desynchronized: lowLatency } }]);
    });
  }
});
