// The pipeline's default FramePresenter: a decoded picture is drawn into the software surface at
// once (scaled into the stream's dest, inside its clip, flipped when bottom-up), and given back to
// its decoder. The CLI's captures and the tests read the surface; a host that shows pictures on a
// GPU brings its own presenter (video-decoder.ts).
import { paintRects, type Surface } from '../canvas/surface.ts';
import type { Clip, Rect } from '../pixels/geometry.ts';
import type { Pixels } from '../pixels/pixels.ts';
import type { DecodedFrame, FramePlacement, FramePresenter } from './video-decoder.ts';

export class SurfaceFramePresenter implements FramePresenter {
  async present(frame: DecodedFrame, at: FramePlacement): Promise<Rect | null> {
    try {
      const pixels = await frame.pixels();
      drawFrame(at.surface, pixels, at.dest, at.clip, at.bottomUp);
      return at.dest;
    } finally {
      frame.close();
    }
  }

  streamGone(): void {
    // Its pictures are in the surface's pixels already, as any draw's.
  }
}

/**
 * Draws a decoded frame scaled (nearest pixel) into `dest`, inside the clip; `bottomUp` frames
 * have their first row at the bottom.
 */
export function drawFrame(surface: Surface, frame: Pixels, dest: Rect, clip: Clip, bottomUp: boolean): void {
  const dw = dest.right - dest.left;
  const dh = dest.bottom - dest.top;
  const fw = frame.width;
  const fh = frame.height;
  for (const r of paintRects(surface, dest, clip)) {
    const columns = new Int32Array(r.right - r.left);
    for (let x = r.left; x < r.right; x++) columns[x - r.left] = Math.floor(((x - dest.left) * fw) / dw);
    for (let y = r.top; y < r.bottom; y++) {
      const row = Math.floor(((y - dest.top) * fh) / dh);
      const from = (bottomUp ? fh - 1 - row : row) * fw;
      let to = y * surface.width + r.left;
      for (let i = 0; i < columns.length; i++) surface.data[to++] = (frame.data[from + columns[i]] | 0xff000000) >>> 0;
    }
  }
}
