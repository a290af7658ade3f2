// The typed messages between a session host (the web gateway today, Electron main later) and a UI
// (the renderer). One definition for both sides; the codecs are host-codec.ts and ui-codec.ts.
//
// Framing: one bridge message per transport message (a WebSocket binary message, a MessagePort
// ArrayBuffer). Byte 0 is the kind; the rest is little-endian fields, then for display and cursor
// messages the SPICE message body as it came from the server, still compressed. Both sides send a
// HELLO first and drop the peer when its version differs: a page left open across an upgrade of
// the gateway must not mis-parse.
import { SpiceError, type SpiceErrorKind } from '../wire/errors.ts';
import type { HeadsHostMessage, HeadsUiMessage } from '../monitors/heads-bridge.ts';
import type { FileHostMessage, FileUiMessage } from './file-messages.ts';
import type { PolicyHostMessage } from '../policy/policy-bridge.ts';

/** Bumped whenever a message layout changes or kinds are added (a page must not meet kinds it cannot read). */
export const BRIDGE_VERSION = 4;
/** "SDBR" read as a little-endian u32: a HELLO from something that is not spicedesk fails early. */
export const BRIDGE_MAGIC = 0x52424453;

/**
 * Host -> UI message kinds (0x01..0x7f). Ranges by feature, so that work on several features at
 * once never hands out one code twice: 0x10-0x17 reconnect, 0x18-0x1f kiosk and policy, 0x20-0x27
 * heads and monitors, 0x28-0x2f file transfer and clipboard images.
 */
export const HostKind = {
  HELLO: 0x01,
  STATUS: 0x02,
  DISPLAY: 0x03,
  CURSOR: 0x04,
  MOUSE_MODE: 0x05,
  PASSWORD_REQUEST: 0x06,
  CLIPBOARD_TEXT: 0x07,
  AGENT: 0x08,
  /** The session the display messages came from is gone: forget its surfaces and caches. */
  DISPLAY_RESET: 0x10,
} as const;

/**
 * UI -> host message kinds (0x81..0xff), so a message sent the wrong way round is rejected. Ranges
 * as above, plus 0x80: 0x90-0x97 reconnect, 0x98-0x9f kiosk, 0xa0-0xa7 heads, 0xa8-0xaf files.
 */
export const UiKind = {
  HELLO: 0x81,
  KEY_DOWN: 0x82,
  KEY_UP: 0x83,
  KEY_MODIFIERS: 0x84,
  MOUSE_POSITION: 0x85,
  MOUSE_MOTION: 0x86,
  MOUSE_PRESS: 0x87,
  MOUSE_RELEASE: 0x88,
  CTRL_ALT_DEL: 0x89,
  PASSWORD: 0x8a,
  PASSWORD_CANCEL: 0x8b,
  DISPLAY_SIZE: 0x8c,
  CLIPBOARD_TEXT: 0x8d,
  CLIPBOARD_SHARING: 0x8e,
  MOUSE_MODE_REQUEST: 0x8f,
} as const;

/** CLIPBOARD_SHARING flags. */
export const SharingFlag = { TO_GUEST: 1, FROM_GUEST: 2 } as const;
/** AGENT flags: what the guest agent can do now. */
export const AgentFlag = { CONNECTED: 1, MONITORS_CONFIG: 2, CLIPBOARD: 4 } as const;

export const SessionState = { CONNECTING: 0, CONNECTED: 1, ERROR: 2, CLOSED: 3, RECONNECTING: 4 } as const;

/** SPICE mouse buttons (spice.proto `mouse_button`). */
export const MouseButton = { LEFT: 1, MIDDLE: 2, RIGHT: 3, UP: 4, DOWN: 5, SIDE: 6, EXTRA: 7 } as const;
/** Every bit of SPICE's `mouse_button_mask` (bit n-1 for button n). */
export const ALL_BUTTONS_MASK = 0x7f;
/** SPICE's `keyboard_modifier_flags`: scroll, num and caps lock. */
export const ALL_MODIFIERS_MASK = 0x7;

/** Bounds on what a UI may send; generous for any real screen, small enough to be harmless. */
export const Limits = {
  /** Absolute coordinates (client mouse mode). */
  maxCoordinate: 0x7fff,
  /** Relative motion per message (server mouse mode). */
  maxMotion: 0x7fff,
  /** Bytes of one string field (server name, error message). */
  maxStringBytes: 4096,
  /** SPICE's ticket holds at most 60 bytes of password (spice-protocol's SPICE_MAX_PASSWORD_LENGTH). */
  maxPasswordBytes: 60,
  /** Clipboard text in either direction; larger text is not shared (spice-gtk's limit is larger, but a page's clipboard is for text a person copies). */
  maxClipboardTextBytes: 1024 * 1024,
  /** A guest display side in device pixels (the QXL device's largest mode side). */
  maxDisplaySide: 16384,
  /** The largest UI message (clipboard text); the gateway refuses bigger WebSocket messages before parsing. */
  maxUiMessageBytes: 1 + 1024 * 1024,
  maxTargets: 0xffff,
} as const;

export interface ChannelRef {
  type: number;
  id: number;
}

export type SessionStatus =
  | { state: 'connecting'; where: string }
  | { state: 'connected'; serverName: string; channels: ChannelRef[] }
  | { state: 'error'; errorKind: SpiceErrorKind; message: string }
  /** The session ended without an error (the server or the host closed it). */
  | { state: 'closed'; reason: string }
  /**
   * The linked session dropped for a reason worth retrying: attempt `attempt` links again after
   * `delayMs` (0: it is linking now).
   */
  | { state: 'reconnecting'; where: string; reason: string; attempt: number; delayMs: number };

export type HostMessage =
  | { kind: 'hello'; version: number }
  | { kind: 'status'; status: SessionStatus }
  /** A display message body (type 101 and up) as received, for the UI's display pipeline. */
  | { kind: 'display'; channelId: number; type: number; serial: bigint; body: Uint8Array }
  /** A cursor message body as received. */
  | { kind: 'cursor'; channelId: number; type: number; serial: bigint; body: Uint8Array }
  /** The main channel's MOUSE_MODE: bit masks of spice.proto's mouse_mode (1 server, 2 client). */
  | { kind: 'mouse-mode'; supported: number; current: number }
  /**
   * The server refused the link and the target has no password: the UI asks the user and
   * answers with PASSWORD or PASSWORD_CANCEL. `reason` is the server's refusal.
   */
  | { kind: 'password-request'; reason: string }
  /** Text the guest put on its clipboard, for the UI's clipboard. */
  | { kind: 'clipboard-text'; text: string }
  /** The guest agent came, went, or announced what it can do. */
  | { kind: 'agent'; connected: boolean; monitorsConfig: boolean; clipboard: boolean }
  /**
   * Before a new session's display messages: the old session's surfaces, image cache and GLZ
   * window mean nothing to it, so the UI drops them and clears the screen.
   */
  | { kind: 'display-reset' }
  /** Files and clipboard images (kinds 0x28-0x2c, file-messages.ts). */
  | FileHostMessage
  /** Guest heads (kinds 0x20-0x21, src/protocol/monitors/heads-bridge.ts). */
  | HeadsHostMessage
  /** Kiosk mode, the page's controls and hotkeys (kind 0x18, src/protocol/policy/policy-bridge.ts). */
  | PolicyHostMessage;

export type UiMessage =
  /** The first message: which of the host's targets to connect to. */
  | { kind: 'hello'; version: number; target: number }
  | { kind: 'key-down'; scancode: number }
  | { kind: 'key-up'; scancode: number }
  /** Lock-key state (ALL_MODIFIERS_MASK bits), sent on focus. */
  | { kind: 'key-modifiers'; modifiers: number }
  /** Client mouse mode: an absolute position on a display, with the buttons held. */
  | { kind: 'mouse-position'; x: number; y: number; buttons: number; displayId: number }
  /** Server mouse mode: relative motion, with the buttons held. */
  | { kind: 'mouse-motion'; dx: number; dy: number; buttons: number }
  | { kind: 'mouse-press'; button: number; buttons: number }
  | { kind: 'mouse-release'; button: number; buttons: number }
  | { kind: 'ctrl-alt-del' }
  /** The answer to PASSWORD_REQUEST (at most Limits.maxPasswordBytes of UTF-8). */
  | { kind: 'password'; password: string }
  | { kind: 'password-cancel' }
  /** The UI's display area in device pixels: the guest's resolution when resize-to-fit is on. */
  | { kind: 'display-size'; width: number; height: number }
  /** Text from the UI's clipboard, for the guest's. */
  | { kind: 'clipboard-text'; text: string }
  /** Which clipboard directions the user allows; applied by the host at once. */
  | { kind: 'clipboard-sharing'; toGuest: boolean; fromGuest: boolean }
  /**
   * The mouse mode the user wants: 'server' keeps relative motion (Pointer Lock) even where the
   * server offers absolute positions (for programs that read relative motion, such as games);
   * 'client' (the default) asks for absolute positions whenever the server offers them.
   */
  | { kind: 'mouse-mode-request'; mode: 'client' | 'server' }
  /** Files and clipboard images (kinds 0xa8-0xab, file-messages.ts). */
  | FileUiMessage
  /** Guest heads (kinds 0xa0-0xa1, src/protocol/monitors/heads-bridge.ts). */
  | HeadsUiMessage;

export const errorKinds: readonly SpiceErrorKind[] = ['usage', 'unreachable', 'auth', 'tls', 'protocol', 'timeout', 'internal'];

/** A bridge message that cannot be decoded; the peer that sent it is dropped, the host goes on. */
export class BridgeError extends SpiceError {
  constructor(detail: string, from: 'UI' | 'host') {
    super('protocol', `malformed bridge message from the ${from}: ${detail}`);
    this.name = 'BridgeError';
  }
}
