// The inputs channel: keys as set-1 scan codes, the guest's lock keys, and the mouse in both
// modes. Motion is paced by the server's acks: it acknowledges every MOTION_ACK_BUNCH motion
// messages, and no more than MAX_UNACKED_MOTION may be waiting. Beyond that, relative motion is
// summed and absolute positions collapse to the latest, and whatever the user did after that
// motion (clicks, keys) waits behind it, so the server sees everything in the order it happened.
import { Emitter } from '../../emitter.ts';
import { SpiceChannel, type ChannelHost, type HandlerTable, type MessageHandler } from '../../channel/channel.ts';
import { ChannelType } from '../../link/constants.ts';
import { wireCodesFor } from '../../input/scancodes.ts';
import { WireReader } from '../../wire/reader.ts';
import {
  buildKeyCode,
  buildKeyModifiers,
  buildMouseButton,
  buildMouseMotion,
  buildMousePosition,
  buttonMask,
  InputsMsg,
  InputsMsgc,
  MAX_UNACKED_MOTION,
  MOTION_ACK_BUNCH,
} from './inputs-messages.ts';

export type InputsEvents = {
  /** The guest's lock keys (LockModifier bits): first from INIT, then on every change. */
  modifiers: { modifiers: number; initial: boolean };
};

type Held =
  | { kind: 'motion'; dx: number; dy: number; buttons: number }
  | { kind: 'position'; x: number; y: number; buttons: number; displayId: number }
  | { kind: 'message'; type: number; body: Uint8Array };

type H = MessageHandler<InputsChannel>;

const modifiersHandler = (name: string, type: number, initial: boolean): H => ({
  name,
  handle(ch, body) {
    const modifiers = new WireReader(body, 0, { channel: ch.name, messageType: type, messageName: name }).u16();
    ch.serverModifiers(modifiers, initial);
  },
});

const inputsHandlers: HandlerTable<InputsChannel, typeof InputsMsg> = {
  [InputsMsg.INIT]: modifiersHandler('INIT', InputsMsg.INIT, true),
  [InputsMsg.KEY_MODIFIERS]: modifiersHandler('KEY_MODIFIERS', InputsMsg.KEY_MODIFIERS, false),
  [InputsMsg.MOUSE_MOTION_ACK]: { name: 'MOUSE_MOTION_ACK', handle: (ch) => ch.motionAcknowledged() },
};

function checkInt(value: number, name: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
}

export class InputsChannel extends SpiceChannel {
  readonly events = new Emitter<InputsEvents>();
  /** The guest's lock keys as the server last reported them; null before INIT. */
  modifiers: number | null = null;
  /** Motion messages sent and not yet acknowledged (as the server counts them). */
  unackedMotion = 0;
  private readonly held: Held[] = [];
  private readonly keysDown = new Set<number>();
  private buttonsDown = 0;
  private drainedWaiters: (() => void)[] = [];

  constructor(host: ChannelHost, id = 0) {
    super(host, ChannelType.INPUTS, id);
  }

  protected override handlerFor(type: number): MessageHandler<this> | undefined {
    return (inputsHandlers as Record<number, MessageHandler<InputsChannel>>)[type] as MessageHandler<this> | undefined;
  }

  /** Presses a key given as a set-1 scan code (0xE0nn for E0 keys, PAUSE_SCANCODE). */
  keyDown(scancode: number): void {
    const codes = wireCodesFor(scancode);
    this.keysDown.add(scancode);
    for (const code of codes.down) this.sendOrHold(InputsMsgc.KEY_DOWN, buildKeyCode(code));
  }

  keyUp(scancode: number): void {
    const codes = wireCodesFor(scancode);
    this.keysDown.delete(scancode);
    for (const code of codes.up) this.sendOrHold(InputsMsgc.KEY_UP, buildKeyCode(code));
  }

  keyPress(scancode: number): void {
    this.keyDown(scancode);
    this.keyUp(scancode);
  }

  /** Sets the guest's Scroll/Num/Caps Lock state (LockModifier bits). */
  setLockModifiers(mask: number): void {
    checkInt(mask, 'lock modifiers', 0, 0xffff);
    this.sendOrHold(InputsMsgc.KEY_MODIFIERS, buildKeyModifiers(mask));
  }

  /** Relative motion, for the server mouse mode. */
  mouseMotion(dx: number, dy: number, buttons: number): void {
    checkInt(dx, 'dx', -0x80000000, 0x7fffffff);
    checkInt(dy, 'dy', -0x80000000, 0x7fffffff);
    checkInt(buttons, 'buttons', 0, 0xffff);
    if (dx === 0 && dy === 0) return;
    const tail = this.held.at(-1);
    if (tail?.kind === 'motion') {
      tail.dx += dx;
      tail.dy += dy;
      tail.buttons = buttons;
      return;
    }
    if (this.held.length === 0 && this.unackedMotion < MAX_UNACKED_MOTION) this.sendMotion({ kind: 'motion', dx, dy, buttons });
    else this.held.push({ kind: 'motion', dx, dy, buttons });
  }

  /** An absolute position on a display, for the client mouse mode. */
  mousePosition(x: number, y: number, buttons: number, displayId: number): void {
    checkInt(x, 'x', 0, 0xffffffff);
    checkInt(y, 'y', 0, 0xffffffff);
    checkInt(buttons, 'buttons', 0, 0xffff);
    checkInt(displayId, 'display id', 0, 0xff);
    const tail = this.held.at(-1);
    if (tail?.kind === 'position' && tail.displayId === displayId) {
      tail.x = x;
      tail.y = y;
      tail.buttons = buttons;
      return;
    }
    const position: Held = { kind: 'position', x, y, buttons, displayId };
    if (this.held.length === 0 && this.unackedMotion < MAX_UNACKED_MOTION) this.sendMotion(position);
    else this.held.push(position);
  }

  /** Presses `button` (MouseButton); `buttons` is the buttons_state after the press. */
  mousePress(button: number, buttons: number): void {
    checkInt(button, 'button', 1, 16);
    checkInt(buttons, 'buttons', 0, 0xffff);
    this.buttonsDown |= buttonMask(button);
    this.sendOrHold(InputsMsgc.MOUSE_PRESS, buildMouseButton(button, buttons));
  }

  /** Releases `button`; `buttons` is the buttons_state after the release. */
  mouseRelease(button: number, buttons: number): void {
    checkInt(button, 'button', 1, 16);
    checkInt(buttons, 'buttons', 0, 0xffff);
    this.buttonsDown &= ~buttonMask(button);
    this.sendOrHold(InputsMsgc.MOUSE_RELEASE, buildMouseButton(button, buttons));
  }

  /** Releases every key and mouse button pressed through this channel and not released yet. */
  releaseAll(): void {
    for (const scancode of [...this.keysDown].reverse()) this.keyUp(scancode);
    for (let button = 1; button <= 16; button++) {
      if (this.buttonsDown & buttonMask(button)) this.mouseRelease(button, this.buttonsDown & ~buttonMask(button));
    }
  }

  /** Keys still held down (set-1 scan codes), oldest first. */
  get pressedKeys(): number[] {
    return [...this.keysDown];
  }

  /** True while input waits for a motion ack before it can be sent. */
  get holding(): boolean {
    return this.held.length > 0;
  }

  /** Resolves once nothing waits for a motion ack (at once when nothing does). */
  whenSent(): Promise<void> {
    if (this.held.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainedWaiters.push(resolve));
  }

  serverModifiers(modifiers: number, initial: boolean): void {
    this.modifiers = modifiers;
    this.events.emit('modifiers', { modifiers, initial });
  }

  motionAcknowledged(): void {
    this.unackedMotion = Math.max(0, this.unackedMotion - MOTION_ACK_BUNCH);
    this.drain();
  }

  override close(): Promise<void> {
    const closed = super.close();
    // Nothing held back will be sent now; nobody should wait for it.
    this.held.length = 0;
    this.notifyDrained();
    return closed;
  }

  private sendOrHold(type: number, body: Uint8Array): void {
    if (this.held.length === 0) this.send(type, body);
    else this.held.push({ kind: 'message', type, body });
  }

  private sendMotion(m: Held): void {
    if (m.kind === 'motion') this.send(InputsMsgc.MOUSE_MOTION, buildMouseMotion(m.dx, m.dy, m.buttons));
    else if (m.kind === 'position') this.send(InputsMsgc.MOUSE_POSITION, buildMousePosition(m.x, m.y, m.buttons, m.displayId));
    this.unackedMotion++;
  }

  private drain(): void {
    while (this.held.length > 0) {
      const next = this.held[0];
      if (next.kind === 'message') this.send(next.type, next.body);
      else if (this.unackedMotion < MAX_UNACKED_MOTION) this.sendMotion(next);
      else return;
      this.held.shift();
    }
    this.notifyDrained();
  }

  private notifyDrained(): void {
    const waiters = this.drainedWaiters;
    this.drainedWaiters = [];
    for (const w of waiters) w();
  }
}
