// What draws the remote screen into the page's canvas: WebGL2 when the browser has it, a 2D canvas
// otherwise. Uploads are queued as they come from the decode worker and applied once per
// animation frame, in present().
import type { DamagedRect } from '../worker-messages.ts';

export interface Presenter {
  readonly kind: 'webgl2' | '2d';
  /** A new primary surface: the canvas takes its size, the old contents are gone. */
  resize(width: number, height: number): void;
  /** Queues damaged rectangles for the next present(). */
  upload(rects: DamagedRect[]): void;
  /** Applies the queued uploads and shows the result. */
  present(): void;
  /** The canvas contents as RGBA rows, top row first (tests and screenshots). */
  readPixels(): { width: number; height: number; rgba: Uint8Array } | null;
}
