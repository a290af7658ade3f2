// The guest's cursor in the page. The raw cursor bodies from the bridge are parsed, decoded and
// cached here (src/protocol's cursor-messages, cursor-decode, cursor-state). In client mouse mode
// the shape becomes the canvas's CSS cursor (a PNG data URL with its hot spot), so it moves with
// the local pointer at no cost; in server mode the local pointer is locked and hidden, and the
// shape is drawn where the server says the pointer is.
import { parseCursorMessage } from '../protocol/channels/cursor/cursor-messages.ts';
import type { CursorImage } from '../protocol/channels/cursor/cursor-decode.ts';
import { CursorState } from '../protocol/channels/cursor/cursor-state.ts';
import type { Logger } from '../protocol/logger.ts';
import { MemoryBudget } from '../protocol/wire/memory-budget.ts';
import type { MouseMode } from './input/mouse.ts';

const consoleLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (obj, msg) => console.warn('spicedesk cursor:', msg ?? obj),
  error: (obj, msg) => console.error('spicedesk cursor:', msg ?? obj),
  child: () => consoleLogger,
};

export class CursorView {
  private readonly state: CursorState;
  private readonly budget = new MemoryBudget();
  private image: CursorImage | null = null;
  private dataUrl = '';
  private visible = false;
  private mode: MouseMode = 'server';
  /** The CSS cursor value last set on the canvas (tests read it). */
  css = 'default';
  shapes = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly overlay: HTMLImageElement,
    private readonly surfaceSize: () => { width: number; height: number },
    /** The server asked for more cursor memory than the page's budget allows (the sentence says what). */
    memoryExceeded: (message: string) => void = () => {},
  ) {
    // The cursors the page caches (up to 1024x1024 each) are charged to a budget of the default limit.
    this.budget.onExceeded((error) => memoryExceeded(error.message));
    this.state = new CursorState(
      {
        shape: (image) => this.onShape(image),
        move: () => this.place(),
        visible: (visible) => {
          this.visible = visible;
          this.refresh();
        },
      },
      consoleLogger,
      {},
      this.budget,
    );
  }

  /** A new session: its cursors start from an empty cache, and the budget takes charges again. */
  newSession(): void {
    this.state.clearCache();
    this.budget.rearm();
  }

  receive(type: number, body: Uint8Array): void {
    try {
      this.state.apply(parseCursorMessage(type, body));
    } catch (e) {
      consoleLogger.warn({}, `skipping a cursor message: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  setMode(mode: MouseMode): void {
    this.mode = mode;
    this.refresh();
  }

  private onShape(image: CursorImage | null): void {
    this.image = image;
    this.shapes++;
    this.dataUrl = image ? toDataUrl(image) : '';
    this.overlay.src = this.dataUrl || 'data:,';
    this.refresh();
  }

  private refresh(): void {
    const shown = this.visible && this.image !== null;
    if (this.mode === 'client') {
      this.css = shown && this.image ? `url("${this.dataUrl}") ${this.image.hotX} ${this.image.hotY}, default` : 'none';
      this.overlay.hidden = true;
    } else {
      // The locked pointer is invisible; the overlay shows where the guest's pointer is.
      this.css = 'none';
      this.overlay.hidden = !shown;
    }
    this.canvas.style.cursor = this.css;
    this.place();
  }

  /** Puts the overlay at the guest's pointer, scaled like the canvas. */
  place(): void {
    if (this.overlay.hidden || !this.image) return;
    const { width, height } = this.surfaceSize();
    const rect = this.canvas.getBoundingClientRect();
    if (width === 0 || height === 0) return;
    const sx = rect.width / width;
    const sy = rect.height / height;
    this.overlay.style.left = `${rect.left + window.scrollX + (this.state.x - this.image.hotX) * sx}px`;
    this.overlay.style.top = `${rect.top + window.scrollY + (this.state.y - this.image.hotY) * sy}px`;
    this.overlay.style.width = `${this.image.width * sx}px`;
    this.overlay.style.height = `${this.image.height * sy}px`;
  }
}

function toDataUrl(image: CursorImage): string {
  const c = document.createElement('canvas');
  c.width = image.width;
  c.height = image.height;
  // Read back at once (toDataURL): a CPU canvas avoids a GPU round trip for every shape.
  const ctx = c.getContext('2d', { willReadFrequently: true });
  if (!ctx) return '';
  ctx.putImageData(new ImageData(new Uint8ClampedArray(image.rgba), image.width, image.height), 0, 0);
  return c.toDataURL('image/png');
}
