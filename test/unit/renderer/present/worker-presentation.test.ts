// When the worker draws damage: at the next animation frame ('frame'), or at once after a quiet
// frame interval ('idle', the default), so that a key's echo does not wait for a frame boundary.
// A fake 2D canvas counts the draws; requestAnimationFrame is a queue the test runs by hand.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkerPresentation, type PresentationHooks } from '../../../../src/renderer/present/worker-presentation.ts';
import type { PresentTiming } from '../../../../src/renderer/present/presenter.ts';

const WIDTH = 4;
const surface = { data: new Uint32Array(WIDTH * 4), width: WIDTH };

let animationFrames: (() => void)[] = [];
const runAnimationFrame = (): void => {
  const due = animationFrames;
  animationFrames = [];
  for (const cb of due) cb();
};

beforeEach(() => {
  animationFrames = [];
  vi.stubGlobal('requestAnimationFrame', (cb: () => void) => animationFrames.push(cb));
  vi.stubGlobal(
    'ImageData',
    class {
      constructor(
        readonly data: Uint8ClampedArray,
        readonly width: number,
        readonly height: number,
      ) {}
    },
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

function presentation(timing: PresentTiming): { p: WorkerPresentation; damage: () => void; puts: () => number; frames: () => number } {
  let pending = false;
  let puts = 0;
  let frames = 0;
  const ctx = { putImageData: () => puts++ };
  const canvas = { width: 0, height: 0, getContext: (kind: string) => (kind === '2d' ? ctx : null) } as unknown as OffscreenCanvas;
  const hooks: PresentationHooks = {
    takeDamage: () => {
      const rects = pending ? [{ left: 0, top: 0, right: 2, bottom: 2 }] : [];
      pending = false;
      return { surface, rects };
    },
    damageAll: () => (pending = true),
    post: (m) => {
      if (m.kind === 'frames') frames += m.count;
    },
  };
  const p = new WorkerPresentation(canvas, '2d', timing, hooks);
  p.resize(WIDTH, 4);
  return {
    p,
    damage: () => {
      pending = true;
      p.requestFrame();
    },
    puts: () => puts,
    frames: () => frames,
  };
}

describe('WorkerPresentation timing', () => {
  it("'idle': damage after a quiet moment is drawn once the current message is done, without an animation frame", async () => {
    const t = presentation('idle');
    t.damage();
    expect(t.puts()).toBe(0); // not inside the message that brought it: the rest of it may add damage
    await Promise.resolve();
    expect(t.puts()).toBe(1);
    expect(t.frames()).toBe(1);
    expect(animationFrames).toHaveLength(0);
  });

  it("'idle': damage right after a draw waits for the animation frame (one draw per frame on a busy screen)", async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const t = presentation('idle');
    t.damage();
    await Promise.resolve();
    t.damage();
    t.damage(); // requested once
    await Promise.resolve();
    expect(t.puts()).toBe(1);
    expect(animationFrames).toHaveLength(1);
    runAnimationFrame();
    expect(t.puts()).toBe(2);
    // A frame interval later the screen is quiet again: drawn at once.
    vi.advanceTimersByTime(17);
    t.damage();
    await Promise.resolve();
    expect(t.puts()).toBe(3);
  });

  it("'frame': every draw waits for the animation frame", async () => {
    const t = presentation('frame');
    t.damage();
    await Promise.resolve();
    expect(t.puts()).toBe(0);
    runAnimationFrame();
    expect(t.puts()).toBe(1);
    expect(t.frames()).toBe(1);
  });
});
