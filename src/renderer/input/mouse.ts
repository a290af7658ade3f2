// Mouse capture. Client mouse mode (the server takes absolute positions): the page's pointer is the
// pointer, its position scaled from the canvas's CSS size to the surface. Server mode (relative
// motion only): a click captures the pointer with Pointer Lock and movement is sent as deltas;
// shift+F12 or Escape gives it back. Buttons include the wheel and the two side buttons.
import { MouseButton, type UiMessage } from '../../protocol/bridge/bridge-messages.ts';
import { buttonMask } from '../../protocol/channels/inputs/inputs-messages.ts';

export type MouseMode = 'client' | 'server';

/** MouseEvent.button -> SPICE button. */
const domButtons: Record<number, number> = {
  0: MouseButton.LEFT,
  1: MouseButton.MIDDLE,
  2: MouseButton.RIGHT,
  3: MouseButton.SIDE,
  4: MouseButton.EXTRA,
};

/** Wheel travel per step: one notch is 100 px in Chromium and Firefox, 3 lines in line mode. */
const PIXELS_PER_STEP = 100;
const LINES_PER_STEP = 3;

export class MouseCapture {
  mode: MouseMode = 'server';
  private buttons = 0;
  private wheelAccumulated = 0;
  private lastX = -1;
  private lastY = -1;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly send: (m: UiMessage) => void,
    private readonly surfaceSize: () => { width: number; height: number },
    private readonly beforeInput: (e: MouseEvent) => void = () => {},
  ) {
    canvas.addEventListener('mousemove', (e) => this.onMove(e));
    canvas.addEventListener('mousedown', (e) => this.onButton(e, true));
    // Releases outside the canvas still count (a drag that ends elsewhere).
    window.addEventListener('mouseup', (e) => this.onButton(e, false));
    canvas.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    canvas.addEventListener('contextmenu', (e) => e.preventDefault());
    canvas.addEventListener('auxclick', (e) => e.preventDefault());
    window.addEventListener('blur', () => this.releaseAll());
  }

  get locked(): boolean {
    return document.pointerLockElement === this.canvas;
  }

  setMode(mode: MouseMode): void {
    this.mode = mode;
    if (mode === 'client' && this.locked) document.exitPointerLock();
  }

  releasePointer(): void {
    if (this.locked) document.exitPointerLock();
  }

  /** The event's position on the surface, clamped to it; null before there is a surface. */
  private surfacePoint(e: MouseEvent): { x: number; y: number } | null {
    const { width, height } = this.surfaceSize();
    const rect = this.canvas.getBoundingClientRect();
    if (width === 0 || height === 0 || rect.width === 0 || rect.height === 0) return null;
    const x = Math.floor(((e.clientX - rect.left) * width) / rect.width);
    const y = Math.floor(((e.clientY - rect.top) * height) / rect.height);
    return { x: Math.min(width - 1, Math.max(0, x)), y: Math.min(height - 1, Math.max(0, y)) };
  }

  private sendPosition(e: MouseEvent, force = false): void {
    const p = this.surfacePoint(e);
    if (!p || (!force && p.x === this.lastX && p.y === this.lastY)) return;
    this.lastX = p.x;
    this.lastY = p.y;
    this.send({ kind: 'mouse-position', x: p.x, y: p.y, buttons: this.buttons, displayId: 0 });
  }

  private onMove(e: MouseEvent): void {
    if (this.mode === 'client') {
      this.beforeInput(e);
      this.sendPosition(e);
    } else if (this.locked && (e.movementX !== 0 || e.movementY !== 0)) {
      this.send({ kind: 'mouse-motion', dx: clampMotion(e.movementX), dy: clampMotion(e.movementY), buttons: this.buttons });
    }
  }

  private onButton(e: MouseEvent, down: boolean): void {
    const button = domButtons[e.button];
    if (button === undefined) return;
    if (down) {
      this.canvas.focus();
      e.preventDefault();
      if (this.mode === 'server' && !this.locked) {
        // This click only captures the pointer; the guest gets the next ones.
        void this.canvas.requestPointerLock();
        return;
      }
      this.beforeInput(e);
      if (this.mode === 'client') this.sendPosition(e);
      if (this.buttons & buttonMask(button)) return;
      this.buttons |= buttonMask(button);
      this.send({ kind: 'mouse-press', button, buttons: this.buttons });
    } else {
      if (!(this.buttons & buttonMask(button))) return;
      this.buttons &= ~buttonMask(button);
      this.send({ kind: 'mouse-release', button, buttons: this.buttons });
    }
  }

  private onWheel(e: WheelEvent): void {
    if (this.mode === 'server' && !this.locked) return;
    e.preventDefault();
    const perStep = e.deltaMode === WheelEvent.DOM_DELTA_LINE ? LINES_PER_STEP : e.deltaMode === WheelEvent.DOM_DELTA_PAGE ? 1 : PIXELS_PER_STEP;
    this.wheelAccumulated += e.deltaY;
    if (this.mode === 'client') this.sendPosition(e);
    while (Math.abs(this.wheelAccumulated) >= perStep) {
      const button = this.wheelAccumulated < 0 ? MouseButton.UP : MouseButton.DOWN;
      this.wheelAccumulated -= Math.sign(this.wheelAccumulated) * perStep;
      this.send({ kind: 'mouse-press', button, buttons: this.buttons | buttonMask(button) });
      this.send({ kind: 'mouse-release', button, buttons: this.buttons });
    }
  }

  releaseAll(): void {
    for (let button = MouseButton.LEFT; button <= MouseButton.EXTRA; button++) {
      if (!(this.buttons & buttonMask(button))) continue;
      this.buttons &= ~buttonMask(button);
      this.send({ kind: 'mouse-release', button, buttons: this.buttons });
    }
  }
}

const clampMotion = (d: number): number => Math.max(-0x7fff, Math.min(0x7fff, Math.round(d)));
