// Keyboard capture: KeyboardEvent.code (the key's position, whatever the layout) to set-1 scan
// codes through src/protocol/input's table; the guest applies its own layout. Every key held is
// released when the page loses focus, so no key stays down in the guest; the lock keys are synced
// from the first event after focus.
import type { UiMessage } from '../../protocol/bridge/bridge-messages.ts';
import { LockModifier } from '../../protocol/channels/inputs/inputs-messages.ts';
import { scancodeForCode } from '../../protocol/input/scancodes.ts';

const LOCK_CODES = new Set(['CapsLock', 'NumLock', 'ScrollLock']);

export class KeyboardCapture {
  /** KeyboardEvent.code -> scan code, for every key pressed and not released. */
  private readonly held = new Map<string, number>();
  private locksSynced = false;

  constructor(
    private readonly target: HTMLElement,
    private readonly send: (m: UiMessage) => void,
    /** Returns true when the event was a local hotkey and must not reach the guest. */
    private readonly hotkey: (e: KeyboardEvent) => boolean = () => false,
  ) {
    target.addEventListener('keydown', (e) => this.onKeyDown(e));
    target.addEventListener('keyup', (e) => this.onKeyUp(e));
    target.addEventListener('blur', () => this.releaseAll());
    window.addEventListener('blur', () => this.releaseAll());
    target.addEventListener('focus', () => (this.locksSynced = false));
  }

  /** Sends the guest the lock-key state the browser reports with this event. */
  syncLocks(e: KeyboardEvent | MouseEvent): void {
    if (this.locksSynced) return;
    if (e instanceof KeyboardEvent && LOCK_CODES.has(e.code)) return; // the state may be mid-toggle
    this.locksSynced = true;
    let modifiers = 0;
    if (e.getModifierState('CapsLock')) modifiers |= LockModifier.CAPS_LOCK;
    if (e.getModifierState('NumLock')) modifiers |= LockModifier.NUM_LOCK;
    if (e.getModifierState('ScrollLock')) modifiers |= LockModifier.SCROLL_LOCK;
    this.send({ kind: 'key-modifiers', modifiers });
  }

  private onKeyDown(e: KeyboardEvent): void {
    if (e.isComposing) return;
    if (this.hotkey(e)) {
      e.preventDefault();
      return;
    }
    const scancode = scancodeForCode(e.code);
    if (scancode === undefined) return;
    e.preventDefault();
    this.syncLocks(e);
    this.held.set(e.code, scancode);
    // Auto-repeat arrives as repeated key-downs, which is what the guest expects (typematic).
    this.send({ kind: 'key-down', scancode });
  }

  private onKeyUp(e: KeyboardEvent): void {
    const scancode = this.held.get(e.code) ?? (e.code === 'PrintScreen' ? scancodeForCode(e.code) : undefined);
    if (scancode === undefined) return;
    e.preventDefault();
    // Some systems deliver PrintScreen as a key-up alone.
    if (!this.held.has(e.code)) this.send({ kind: 'key-down', scancode });
    this.held.delete(e.code);
    this.send({ kind: 'key-up', scancode });
  }

  releaseAll(): void {
    for (const scancode of [...this.held.values()].reverse()) this.send({ kind: 'key-up', scancode });
    this.held.clear();
    this.locksSynced = false;
  }

  get pressed(): number {
    return this.held.size;
  }
}
