// Resize-to-fit: the page's display area, in device pixels, becomes the guest's resolution
// (through the host and the guest agent), as remote-viewer does by default. With the option
// off (#resize=never, or the toggle) the guest keeps its resolution and the page scales it.
import { Limits } from '../protocol/bridge/limits.ts';

/** Long enough to let a window drag finish, short enough to feel like it follows. */
export const RESIZE_DEBOUNCE_MS = 300;

export interface DeviceSize {
  width: number;
  height: number;
}

/**
 * The area's size in device pixels: CSS pixels times the device pixel ratio (fractional with
 * scaled displays), rounded as Chromium rounds the device-pixel content box.
 */
export function devicePixels(cssWidth: number, cssHeight: number, ratio: number): DeviceSize {
  const side = (css: number): number => Math.min(Limits.maxDisplaySide, Math.max(1, Math.round(css * ratio)));
  return { width: side(cssWidth), height: side(cssHeight) };
}

export class ResizeToFit {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastSent: string | null = null;
  /** The size last measured, sent or not: tests compare the guest's mode with it. */
  measured: DeviceSize | null = null;
  private active = false;

  constructor(
    private readonly area: HTMLElement,
    private readonly send: (size: DeviceSize) => void,
    public enabled: boolean,
  ) {
    const observer = new ResizeObserver(() => this.schedule());
    observer.observe(area);
    // A window moved to a screen with another scale factor changes the ratio, not the CSS size.
    const watchRatio = (): void => {
      matchMedia(`(resolution: ${devicePixelRatio}dppx)`).addEventListener('change', () => {
        this.schedule();
        watchRatio();
      }, { once: true });
    };
    watchRatio();
  }

  /** The session is connected and the agent can set modes: sizes go out from now on. */
  setActive(active: boolean): void {
    this.active = active;
    if (!active) this.lastSent = null;
    this.schedule();
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.lastSent = null;
    this.schedule();
  }

  private measure(): DeviceSize {
    const box = this.area.getBoundingClientRect();
    return devicePixels(box.width, box.height, devicePixelRatio);
  }

  private schedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const size = this.measure();
      this.measured = size;
      if (!this.enabled || !this.active) return;
      const key = `${size.width}x${size.height}`;
      if (key === this.lastSent) return;
      this.lastSent = key;
      this.send(size);
    }, RESIZE_DEBOUNCE_MS);
  }
}
