// Where the element path's `<video>` goes over the canvas (video-elements.ts elementStyle): the
// stream's dest scaled as the canvas is, its clip as a CSS path in the element's own box (flipped
// with it for a bottom-up stream), and nothing shown when the clip leaves nothing.
import { describe, expect, it } from 'vitest';
import { elementStyle } from '../../../../src/renderer/present/video-elements.ts';

const box = (left: number, top: number, right: number, bottom: number) => ({ left, top, right, bottom });

describe('elementStyle', () => {
  it('puts the element at the dest, scaled as the canvas shows the surface, offset by the canvas', () => {
    expect(elementStyle({ dest: box(100, 50, 740, 530), rects: [box(100, 50, 740, 530)], bottomUp: false }, { left: 8, top: 20 }, 0.5)).toEqual({
      left: '58px',
      top: '45px',
      width: '320px',
      height: '240px',
      clipPath: 'none',
      transform: 'none',
    });
  });

  it('cuts it to its clip rects, in its own box', () => {
    const s = elementStyle({ dest: box(100, 50, 740, 530), rects: [box(100, 50, 740, 290), box(100, 290, 300, 530)], bottomUp: false }, { left: 0, top: 0 }, 1);
    expect(s.clipPath).toBe("path('M0 0h640v240h-640ZM0 240h200v240h-200Z')");
  });

  it('a bottom-up stream: flipped, and its clip measured from the dest bottom (the flip turns it back)', () => {
    const s = elementStyle({ dest: box(0, 0, 640, 480), rects: [box(0, 0, 640, 100)], bottomUp: true }, { left: 0, top: 0 }, 1);
    expect(s.transform).toBe('scaleY(-1)');
    expect(s.clipPath).toBe("path('M0 380h640v100h-640Z')");
  });

  it('no rect left: nothing of the element shows', () => {
    expect(elementStyle({ dest: box(0, 0, 64, 64), rects: [], bottomUp: false }, { left: 0, top: 0 }, 1).clipPath).toBe('polygon(0 0, 0 0, 0 0)');
  });
});
