// Inputs channel message numbers and bodies (spice.proto `channel InputsChannel`, enums.h).
import { WireWriter } from '../../wire/writer.ts';

export const InputsMsg = {
  INIT: 101,
  KEY_MODIFIERS: 102,
  MOUSE_MOTION_ACK: 111,
} as const;

export const InputsMsgc = {
  KEY_DOWN: 101,
  KEY_UP: 102,
  KEY_MODIFIERS: 103,
  KEY_SCANCODE: 104,
  MOUSE_MOTION: 111,
  MOUSE_POSITION: 112,
  MOUSE_PRESS: 113,
  MOUSE_RELEASE: 114,
} as const;

export const InputsCap = { KEY_SCANCODE: 0 } as const;

/** Lock keys in KEY_MODIFIERS (SpiceKeyboardModifierFlags). */
export const LockModifier = { SCROLL_LOCK: 1, NUM_LOCK: 2, CAPS_LOCK: 4 } as const;

/** SpiceMouseButton: the button number in MOUSE_PRESS / MOUSE_RELEASE. */
export const MouseButton = { LEFT: 1, MIDDLE: 2, RIGHT: 3, UP: 4, DOWN: 5, SIDE: 6, EXTRA: 7 } as const;

/** The buttons_state bit of a button: bit (button - 1). */
export const buttonMask = (button: number): number => 1 << (button - 1);

/** The server acknowledges motion once per this many MOUSE_MOTION / MOUSE_POSITION messages. */
export const MOTION_ACK_BUNCH = 4;
/** No more motion messages than this may wait for their ack. */
export const MAX_UNACKED_MOTION = 2 * MOTION_ACK_BUNCH;

export const buildKeyCode = (code: number): Uint8Array => new WireWriter(4).u32(code).finish();
export const buildKeyModifiers = (modifiers: number): Uint8Array => new WireWriter(2).u16(modifiers).finish();
export const buildMouseMotion = (dx: number, dy: number, buttons: number): Uint8Array =>
  new WireWriter(10).i32(dx).i32(dy).u16(buttons).finish();
export const buildMousePosition = (x: number, y: number, buttons: number, displayId: number): Uint8Array =>
  new WireWriter(11).u32(x).u32(y).u16(buttons).u8(displayId).finish();
export const buildMouseButton = (button: number, buttons: number): Uint8Array => new WireWriter(3).u8(button).u16(buttons).finish();
