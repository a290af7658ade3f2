// What draws the remote screen into a canvas: WebGL2 when the browser has it on a GPU, a 2D canvas
// otherwise. The canvas is the page's own, or (where the browser can) an OffscreenCanvas the page
// handed to the decode worker, which then presents straight from its surface with no copy to the
// page. Either way draw() is called at most once per animation frame with what changed since the
// last one.

/**
 * A rectangle of pixels in 0xAARRGGBB words (the software compositor's format, alpha ignored):
 * row r starts at data[offset + r * stride]. In the worker it is a window into the surface itself;
 * on the page it is a copy the worker sent (stride == width, offset 0).
 */
export interface PixelPatch {
  x: number;
  y: number;
  width: number;
  height: number;
  data: Uint32Array;
  offset: number;
  stride: number;
}

export type PresenterKind = 'webgl2' | '2d';

/** '2d' skips WebGL; 'webgl' uses it even when it is software-rendered; 'auto' avoids that. */
export type RendererChoice = 'auto' | '2d' | 'webgl';

/**
 * A picture drawn over the surface (a video stream's, present/video-overlay.ts): defined there,
 * repeated here as what a presenter needs of it.
 */
export interface OverlaySource {
  key: string;
  generation: number;
  source: VideoFrame | ImageBitmap;
  dest: { left: number; top: number; right: number; bottom: number };
  rects: readonly { left: number; top: number; right: number; bottom: number }[];
  bottomUp: boolean;
}

export interface Presenter {
  readonly kind: PresenterKind;
  /** A new primary surface: the canvas takes its size, the old contents are gone. */
  resize(width: number, height: number): void;
  /**
   * Draws the patches into the canvas, then the overlays over it (scaled into their dest, cut to
   * their rects), and shows the result.
   */
  draw(patches: readonly PixelPatch[], overlays?: readonly OverlaySource[]): void;
  /** The canvas contents as RGBA rows, top row first (tests and screenshots), overlays included. */
  readPixels(overlays?: readonly OverlaySource[]): { width: number; height: number; rgba: Uint8Array } | null;
}

/** A canvas on the page or in a worker: the presenters use only what both have. */
export type AnyCanvas = HTMLCanvasElement | OffscreenCanvas;
