// The fallback presenter: a 2D canvas that takes the damaged rectangles with putImageData.
import type { DamagedRect } from '../worker-messages.ts';
import type { Presenter } from './presenter.ts';

export class Canvas2dPresenter implements Presenter {
  readonly kind = '2d';
  private readonly ctx: CanvasRenderingContext2D;
  private queued: DamagedRect[] = [];

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('this browser has neither WebGL2 nor a 2D canvas');
    this.ctx = ctx;
  }

  resize(width: number, height: number): void {
    this.canvas.width = width;
    this.canvas.height = height;
    this.queued = [];
  }

  upload(rects: DamagedRect[]): void {
    this.queued.push(...rects);
  }

  present(): void {
    for (const r of this.queued) {
      const pixels = new Uint8ClampedArray(r.pixels.buffer as ArrayBuffer, r.pixels.byteOffset, r.pixels.byteLength);
      this.ctx.putImageData(new ImageData(pixels, r.width, r.height), r.x, r.y);
    }
    this.queued = [];
  }

  readPixels(): { width: number; height: number; rgba: Uint8Array } | null {
    const { width, height } = this.canvas;
    if (width === 0 || height === 0) return null;
    const data = this.ctx.getImageData(0, 0, width, height).data;
    return { width, height, rgba: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }
}
