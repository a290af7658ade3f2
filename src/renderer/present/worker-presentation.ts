// Presenting from the decode worker, into the OffscreenCanvas the page handed over: once per
// animation frame of the worker, the damage since the last frame is drawn straight from the
// surface (patch-pixels.ts surfacePatch); nothing is copied for the page or posted to it but a
// frame count. What the page sees is what the browser composites from this canvas.
import type { Rect } from '../../protocol/pixels/geometry.ts';
import { Canvas2dPresenter } from './canvas2d-presenter.ts';
import { surfacePatch } from './patch-pixels.ts';
import type { OverlaySource, Presenter, PresenterKind, RendererChoice } from './presenter.ts';
import { WebGlPresenter } from './webgl-presenter.ts';

/**
 * What the worker's presentation tells the page: part of the worker's messages to the page
 * (FromDecodeWorker in ../worker-messages.ts), defined here so that this layer imports nothing of
 * the page's.
 */
export type PresentationMessage =
  /** Which presenter it made for the canvas. */
  | { kind: 'presenter'; presenter: PresenterKind }
  /** It drew `count` more frames, putting `pixels` pixels of the surface into the canvas (the damage's area). */
  | { kind: 'frames'; count: number; pixels: number }
  | { kind: 'pixels'; id: number; width: number; height: number; rgba: Uint8Array }
  | { kind: 'pixels'; id: number; error: string };

export interface PresentationHooks {
  /** The damage since the last call (and a clean slate), with the surface it is in; null when nothing is shown. */
  takeDamage(): { surface: { data: Uint32Array; width: number }; rects: Rect[] } | null;
  /** Marks the whole surface damaged (a restored WebGL context lost its texture). */
  damageAll(): void;
  /**
   * The video pictures to draw over the shown surface now (video-overlay.ts); none by default.
   * `withElements`: also those the page's `<video>` elements show (reading the screen back).
   */
  overlays?(withElements?: boolean): readonly OverlaySource[];
  post(m: PresentationMessage, transfer?: Transferable[]): void;
}

type FrameScheduler = (callback: () => void) => void;

/** The worker's requestAnimationFrame (Chromium, Firefox), or a 60 Hz timer where there is none. */
function frameScheduler(): FrameScheduler {
  const raf = (globalThis as { requestAnimationFrame?: (cb: () => void) => number }).requestAnimationFrame;
  return typeof raf === 'function' ? (cb) => raf.call(globalThis, cb) : (cb) => setTimeout(cb, 16);
}

export class WorkerPresentation {
  private readonly presenter: Presenter;
  private readonly schedule = frameScheduler();
  private frameRequested = false;
  /** The generation of each overlay's picture drawn by the last frame, by overlay key. */
  private readonly drawnGenerations = new Map<string, number>();
  private width = 0;
  private height = 0;

  constructor(
    canvas: OffscreenCanvas,
    choice: RendererChoice,
    lowLatency: boolean,
    private readonly hooks: PresentationHooks,
  ) {
    const onRestored = (): void => {
      this.drawnGenerations.clear();
      hooks.damageAll();
      this.requestFrame();
    };
    this.presenter =
      (choice === '2d' ? null : WebGlPresenter.create(canvas, onRestored, { allowSoftware: choice === 'webgl', lowLatency })) ?? new Canvas2dPresenter(canvas, { lowLatency });
    hooks.post({ kind: 'presenter', presenter: this.presenter.kind });
  }

  resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.presenter.resize(width, height);
    this.drawnGenerations.clear();
  }

  /** Blank: a new session has no picture yet (resizing a canvas clears it). */
  clear(): void {
    this.presenter.resize(this.width, this.height);
    this.drawnGenerations.clear();
    this.hooks.post({ kind: 'frames', count: 1, pixels: 0 });
  }

  /** Frames are drawn only when something changed: an idle session schedules nothing. */
  requestFrame(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    this.schedule(() => {
      this.frameRequested = false;
      const pixels = this.drawDamage();
      if (pixels !== null) this.hooks.post({ kind: 'frames', count: 1, pixels });
    });
  }

  /**
   * Draws what changed: the damage, and the overlays over it when there is damage or a new
   * picture (a new picture needs no damage). A frame with neither draws nothing, and the canvas
   * keeps showing what it shows: on the video bench a third of the frames asked for had nothing
   * new (33-36 a second for a 25 fps stream), and each drew the picture again.
   */
  private drawDamage(): number | null {
    const d = this.hooks.takeDamage();
    const overlays = this.hooks.overlays?.() ?? [];
    const rects = d?.rects ?? [];
    const newPicture = overlays.some((o) => this.drawnGenerations.get(o.key) !== o.generation) || overlays.length !== this.drawnGenerations.size;
    if (rects.length === 0 && !newPicture) return null;
    this.drawnGenerations.clear();
    for (const o of overlays) this.drawnGenerations.set(o.key, o.generation);
    this.presenter.draw(d ? rects.map((r) => surfacePatch(d.surface.data, d.surface.width, r)) : [], overlays);
    return d ? rects.reduce((sum, r) => sum + (r.right - r.left) * (r.bottom - r.top), 0) : 0;
  }

  readPixels(id: number): void {
    // What is already damaged would be on the screen at the next frame: show it now.
    const pixels = this.drawDamage();
    if (pixels !== null) this.hooks.post({ kind: 'frames', count: 1, pixels });
    const p = this.presenter.readPixels(this.hooks.overlays?.(true) ?? []);
    if (!p) {
      this.hooks.post({ kind: 'pixels', id, error: 'nothing is on the screen yet' });
      return;
    }
    this.hooks.post({ kind: 'pixels', id, width: p.width, height: p.height, rgba: p.rgba }, [p.rgba.buffer as ArrayBuffer]);
  }

  loseContextFor(ms: number): Promise<boolean> {
    return this.presenter instanceof WebGlPresenter ? this.presenter.loseContextFor(ms) : Promise.resolve(false);
  }
}
