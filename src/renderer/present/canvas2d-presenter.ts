// The presenter without a GPU: a 2D canvas that takes each damaged rectangle with putImageData,
// after turning its 0xAARRGGBB words into the RGBA bytes ImageData holds (in WebAssembly SIMD,
// rgba-swizzle.ts, where it compiles; else patchToRgba into one reused buffer).
// The canvas keeps what was drawn, so a video picture already drawn is drawn again only when a
// patch of this frame covers part of it: drawImage of a VideoFrame converts the whole picture
// each time.
import { patchToRgba } from './patch-pixels.ts';
import { createRgbaSwizzle } from './rgba-swizzle.ts';
import type { AnyCanvas, OverlaySource, PixelPatch, Presenter } from './presenter.ts';

type Context2d = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

export class Canvas2dPresenter implements Presenter {
  readonly kind = '2d';
  private readonly ctx: Context2d;
  private scratch = new Uint32Array(0);
  private readonly swizzle = createRgbaSwizzle();
  /** The generation of each overlay's picture now on the canvas, by overlay key. */
  private readonly drawnOverlays = new Map<string, number>();

  /**
   * `lowLatency` asks for a desynchronized context: Chromium then may put the canvas on the screen
   * without waiting for the compositor's next frame.
   */
  constructor(
    private readonly canvas: AnyCanvas,
    o: { lowLatency?: boolean } = {},
  ) {
    const ctx = canvas.getContext('2d', { alpha: false, desynchronized: o.lowLatency === true }) as Context2d | null;
    if (!ctx) throw new Error('this browser has neither WebGL2 nor a 2D canvas');
    this.ctx = ctx;
  }

  resize(width: number, height: number): void {
    this.canvas.width = width;
    this.canvas.height = height;
    this.drawnOverlays.clear();
  }

  draw(patches: readonly PixelPatch[], overlays: readonly OverlaySource[] = []): void {
    for (const p of patches) {
      const size = p.width * p.height;
      if (size === 0) continue;
      let bytes: Uint8ClampedArray<ArrayBuffer>;
      if (this.swizzle) bytes = this.swizzle.toRgba(p);
      else {
        if (this.scratch.length < size) this.scratch = new Uint32Array(size);
        patchToRgba(p, this.scratch);
        bytes = new Uint8ClampedArray(this.scratch.buffer, 0, size * 4);
      }
      this.ctx.putImageData(new ImageData(bytes, p.width, p.height), p.x, p.y);
    }
    const keys = new Set<string>();
    for (const o of overlays) {
      keys.add(o.key);
      if (this.drawnOverlays.get(o.key) === o.generation && !patches.some((p) => o.rects.some((r) => p.x < r.right && r.left < p.x + p.width && p.y < r.bottom && r.top < p.y + p.height))) continue;
      this.drawOverlay(o);
      this.drawnOverlays.set(o.key, o.generation);
    }
    for (const key of this.drawnOverlays.keys()) if (!keys.has(key)) this.drawnOverlays.delete(key);
  }

  /** drawImage of the picture scaled into its dest, inside its rects (a clip path), flipped when bottom-up. */
  private drawOverlay(o: OverlaySource, ctx: Context2d = this.ctx): void {
    const { dest } = o;
    ctx.save();
    ctx.beginPath();
    for (const r of o.rects) ctx.rect(r.left, r.top, r.right - r.left, r.bottom - r.top);
    ctx.clip();
    if (o.bottomUp) {
      ctx.translate(0, dest.top + dest.bottom);
      ctx.scale(1, -1);
    }
    ctx.drawImage(o.source, dest.left, dest.top, dest.right - dest.left, dest.bottom - dest.top);
    ctx.restore();
  }

  /**
   * The canvas, with the `overlays` it has not drawn (the pictures the page's `<video>` elements
   * show) drawn over a copy of it: the canvas itself stays as it is.
   */
  readPixels(overlays: readonly OverlaySource[] = []): { width: number; height: number; rgba: Uint8Array } | null {
    const { width, height } = this.canvas;
    if (width === 0 || height === 0) return null;
    const missing = overlays.filter((o) => this.drawnOverlays.get(o.key) !== o.generation);
    let ctx: Context2d = this.ctx;
    if (missing.length > 0) {
      const copy = new OffscreenCanvas(width, height).getContext('2d', { alpha: false });
      if (copy) {
        copy.drawImage(this.canvas, 0, 0);
        for (const o of missing) this.drawOverlay(o, copy);
        ctx = copy;
      }
    }
    const data = ctx.getImageData(0, 0, width, height).data;
    return { width, height, rgba: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }
}
