// The typed messages between a session host (the web gateway today, Electron main later) and a UI
// (the renderer). One definition for both sides; the codecs are host-codec.ts and ui-codec.ts.
//
// Framing: one bridge message per transport message (a WebSocket binary message, a MessagePort
// ArrayBuffer). Byte 0 is the kind; the rest is little-endian fields, then for display and cursor
// messages the SPICE message body as it came from the server, still compressed. Both sides send a
// HELLO first and drop the peer when its version differs: a page left open across an upgrade of
// the gateway must not mis-parse.
import type { SpiceErrorKind } from '../wire/errors.ts';
import type { HeadsHostMessage, HeadsUiMessage } from './heads-messages.ts';
import type { FileHostMessage, FileUiMessage } from './file-messages.ts';
import type { PolicyHostMessage } from './policy-messages.ts';
import type { VmHostMessage, VmUiMessage } from './vm-messages.ts';
import type { SerialHostMessage, SerialUiMessage } from './serial-messages.ts';
import type { PrintChooseMessage, PrintersMessage } from './printer-messages.ts';
import type { FolderHostMessage, FolderUiMessage } from './folder-messages.ts';
import type { VideoHostMessage, VideoUiMessage } from './video-messages.ts';
import type { UsbHostMessage, UsbUiMessage } from './usb-messages.ts';
import type { VideoCodecSupport } from '../channels/display/display-sink.ts';
import type { AudioHostMessage, AudioUiMessage } from './audio-messages.ts';
import type { AudioCapabilities } from '../audio/audio-format.ts';

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
  | PolicyHostMessage
  /** The multimedia time for the page's video streams (kind 0x30, video-messages.ts). */
  | VideoHostMessage
  /** The USB panel's devices and slots, and an attach's outcome (kinds 0x48-0x49, usb-messages.ts). */
  | UsbHostMessage
  /** Sound: playback and record channel bodies (kinds 0x38-0x39, audio-messages.ts). */
  | AudioHostMessage
  /** The VM menu: the VM's state, the actions offered, an action's result (kinds 0x40-0x41, vm-messages.ts). */
  | VmHostMessage
  /** The serial console: offered, open, the guest's output (kinds 0x42-0x43, serial-messages.ts). */
  | SerialHostMessage
  /** The printer chooser (kind 0x44, printer-messages.ts). */
  | PrintersMessage
  /** The folder chooser (kinds 0x50-0x51, folder-messages.ts). */
  | FolderHostMessage;

export type UiMessage =
  /**
   * The first message: which of the host's targets to connect to, and the video codecs the page
   * decodes, best first (the display channel announces exactly these; none: video comes as draws),
   * and what it can do with sound (the sound channels announce caps by it; absent: nothing, RAW only).
   */
  | { kind: 'hello'; version: number; target: number; videoCodecs?: readonly VideoCodecSupport[]; audio?: AudioCapabilities }
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
  | HeadsUiMessage
  /** A video stream the page could not decode (kind 0xb0, video-messages.ts). */
  | VideoUiMessage
  /** A device into the VM or out of it (kinds 0xc8-0xc9, usb-messages.ts). */
  | UsbUiMessage
  /** The microphone's packets and the page's audio clock (kinds 0xb8-0xb9, audio-messages.ts). */
  | AudioUiMessage
  /** A power action from the page's VM menu (kind 0xc0, vm-messages.ts). */
  | VmUiMessage
  /** Typed into the page's serial console (kind 0xc1, serial-messages.ts). */
  | SerialUiMessage
  /** The printer chooser's choice (kind 0xc2, printer-messages.ts). */
  | PrintChooseMessage
  /** The folder chooser: browse, share, stop (kinds 0xd0-0xd2, folder-messages.ts). */
  | FolderUiMessage;

export const errorKinds: readonly SpiceErrorKind[] = ['usage', 'unreachable', 'auth', 'tls', 'protocol', 'timeout', 'internal'];
