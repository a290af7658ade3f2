// The page's hotkeys, as the host's PAGE_POLICY names them (src/protocol/policy): release-cursor
// gives the pointer back, toggle-fullscreen uses the Fullscreen API, secure-attention sends
// Ctrl+Alt+Del, the zoom keys scale the view; the actions spicedesk does not implement yet say so.
// In the Electron window main takes the window's own hotkeys first (src/main/electron/hotkeys.ts),
// so the page only sees the rest.
import type { HotkeyAction } from '../protocol/profile/types.ts';
import { hotkeyMatches, parseHotkey, type Hotkey, type KeyInput } from '../protocol/policy/hotkey-combo.ts';
import { UNIMPLEMENTED_ACTIONS } from '../protocol/policy/kiosk-policy.ts';

export interface HotkeyActions {
  releaseCursor(): void;
  ctrlAltDel(): void;
  /** Says something briefly (an action that is not implemented). */
  notice(text: string): void;
}

/** remote-viewer's zoom range and step, in percent of the guest's pixels. */
export const ZOOM_MIN = 10;
export const ZOOM_MAX = 400;
export const ZOOM_STEP = 10;

/** The next zoom in percent from the current scale: a multiple of the step, within the range. */
export function nextZoom(currentPercent: number, direction: 1 | -1): number {
  const snapped = Math.round(currentPercent / ZOOM_STEP) * ZOOM_STEP;
  return Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, snapped + direction * ZOOM_STEP));
}

/**
 * The view's zoom: null fits the screen into the window (the page's default, never scaled up);
 * a percentage shows the guest's pixels at that scale, scrolling when larger than the window.
 */
export class PageZoom {
  percent: number | null = null;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly view: HTMLElement,
    private readonly changed: () => void,
  ) {}

  step(direction: 1 | -1): void {
    const width = this.canvas.width;
    if (width === 0) return;
    const shown = (this.canvas.getBoundingClientRect().width * devicePixelRatio * 100) / width;
    this.set(nextZoom(this.percent ?? shown, direction));
  }

  reset(): void {
    this.set(null);
  }

  private set(percent: number | null): void {
    this.percent = percent;
    const s = this.canvas.style;
    if (percent === null) {
      s.width = s.height = s.maxWidth = s.maxHeight = '';
      this.view.style.overflow = '';
    } else {
      s.width = `${(this.canvas.width * percent) / 100 / devicePixelRatio}px`;
      s.height = `${(this.canvas.height * percent) / 100 / devicePixelRatio}px`;
      s.maxWidth = s.maxHeight = 'none';
      this.view.style.overflow = 'auto';
    }
    this.changed();
  }
}

export function keyInputOf(e: KeyboardEvent): KeyInput {
  return { type: e.type === 'keyup' ? 'keyUp' : 'keyDown', code: e.code, control: e.ctrlKey, shift: e.shiftKey, alt: e.altKey, meta: e.metaKey };
}

export class PageHotkeys {
  private hotkeys: { action: HotkeyAction; hotkey: Hotkey }[] = [];
  /** Actions run, for the page's test hooks. */
  readonly ran: HotkeyAction[] = [];

  constructor(
    private readonly actions: HotkeyActions,
    private readonly zoom: PageZoom,
  ) {}

  /** The policy's hotkeys (already checked by the bridge decoder). */
  set(list: readonly { action: HotkeyAction; text: string }[]): void {
    this.hotkeys = [];
    for (const { action, text } of list) {
      const hotkey = parseHotkey(text);
      if (hotkey) this.hotkeys.push({ action, hotkey });
    }
  }

  get active(): { action: HotkeyAction; text: string }[] {
    return this.hotkeys.map((h) => ({ action: h.action, text: h.hotkey.text }));
  }

  /**
   * A key-down of the screen: true when it was a hotkey that the guest must not see. A modifier-only
   * hotkey (Ctrl+Alt) runs but still reaches the guest, which has seen the other modifiers go down.
   */
  take(e: KeyboardEvent): boolean {
    const input = keyInputOf(e);
    for (const { action, hotkey } of this.hotkeys) {
      if (!hotkeyMatches(hotkey, input)) continue;
      // Holding a hotkey down does not repeat its action (one Ctrl+Alt+Del per press).
      if (!e.repeat) this.run(action);
      return hotkey.code !== null;
    }
    return false;
  }

  run(action: HotkeyAction): void {
    this.ran.push(action);
    switch (action) {
      case 'release-cursor':
        this.actions.releaseCursor();
        return;
      case 'secure-attention':
        this.actions.ctrlAltDel();
        return;
      case 'toggle-fullscreen':
        if (document.fullscreenElement) void document.exitFullscreen().catch(() => {});
        else void document.documentElement.requestFullscreen().catch((e: unknown) => this.actions.notice(`fullscreen refused: ${e instanceof Error ? e.message : String(e)}`));
        return;
      case 'zoom-in':
        this.zoom.step(1);
        return;
      case 'zoom-out':
        this.zoom.step(-1);
        return;
      case 'zoom-reset':
        this.zoom.reset();
        return;
      case 'usb-device-reset':
      case 'smartcard-insert':
      case 'smartcard-remove':
        this.actions.notice(`${action}: ${UNIMPLEMENTED_ACTIONS[action] ?? 'not implemented yet'}`);
        return;
    }
  }
}
