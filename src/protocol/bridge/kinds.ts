// The one registry of bridge message kinds: every kind byte of both directions, with the name the
// codecs report in their errors (the key). A new message gets its number here, in its feature's
// range, and bridge/kinds.test.ts checks that no number is given twice and that the codecs
// decode every kind. The version and magic of HELLO live here too: the version changes with kinds.

/** Bumped whenever a message layout changes or kinds are added (a page must not meet kinds it cannot read). */
export const BRIDGE_VERSION = 11;
/** "SDBR" read as a little-endian u32: a HELLO from something that is not spicedesk fails early. */
export const BRIDGE_MAGIC = 0x52424453;

/**
 * Host -> UI message kinds (0x01..0x7f). Ranges by feature, so that work on several features at
 * once never hands out one code twice: 0x10-0x17 reconnect, 0x18-0x1f kiosk and policy, 0x20-0x27
 * heads and monitors, 0x28-0x2f file transfer and clipboard images, 0x30-0x37 video streams, 0x38-0x3f
 * sound, 0x40-0x47 the VM menu, its serial console and the printer chooser, 0x48-0x4f USB redirection,
 * 0x50-0x57 the folder chooser.
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
  /** Kiosk mode, the page's controls and hotkeys (policy-messages.ts). */
  PAGE_POLICY: 0x18,
  /** Guest heads (heads-messages.ts). */
  HEADS: 0x20,
  HEAD_TOKEN: 0x21,
  HEAD_MAPPING: 0x22,
  /** Files and clipboard images (file-messages.ts). */
  FILE_CREDIT: 0x28,
  FILE_PROGRESS: 0x29,
  FILE_RESULT: 0x2a,
  CLIPBOARD_IMAGE: 0x2b,
  CLIPBOARD_POLICY: 0x2c,
  /** The session's multimedia time, for showing stream frames at their time (video-messages.ts). */
  MEDIA_TIME: 0x30,
  /** Sound: a playback or record channel message body as it came (audio-messages.ts). */
  PLAYBACK: 0x38,
  RECORD: 0x39,
  /** The VM's state and the power actions offered; how an action went (vm-messages.ts). */
  VM_STATE: 0x40,
  VM_ACTION_RESULT: 0x41,
  /** The serial console: offered and open, and the guest's output (serial-messages.ts). */
  SERIAL_STATE: 0x42,
  SERIAL_DATA: 0x43,
  /** Where the guest's next print job goes: the host's printers and saving, and the choice (printer-messages.ts). */
  PRINTERS: 0x44,
  /** USB redirection: the host's devices and the VM's slots, and one attach's or detach's outcome (usb-messages.ts). */
  USB_STATE: 0x48,
  USB_RESULT: 0x49,
  /** One step of a device on its way into the VM (usb-messages.ts). */
  USB_PROGRESS: 0x4a,
  /** The folder chooser: may the page choose, under which root, what is shared; one folder's subfolders (folder-messages.ts). */
  FOLDER_STATE: 0x50,
  FOLDER_LIST: 0x51,
} as const;

/**
 * UI -> host message kinds (0x81..0xff), so a message sent the wrong way round is rejected. Ranges
 * as above, plus 0x80: 0x90-0x97 reconnect, 0x98-0x9f kiosk, 0xa0-0xa7 heads, 0xa8-0xaf files,
 * 0xb0-0xb7 video streams, 0xb8-0xbf sound, 0xc0-0xc7 the VM menu (serial console and printer
 * chooser included), 0xc8-0xcf USB redirection, 0xd0-0xd7 the folder chooser.
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
  /** Guest heads (heads-messages.ts). */
  HEAD_JOIN: 0xa0,
  HEAD_ENABLE: 0xa1,
  /** The first message of a page's input socket: its key and pointer messages join the session whose token it names. */
  INPUT_JOIN: 0xa2,
  /** Files and clipboard images (file-messages.ts). */
  FILE_OFFER: 0xa8,
  FILE_DATA: 0xa9,
  FILE_CANCEL: 0xaa,
  CLIPBOARD_IMAGE: 0xab,
  /** The page could not decode a video stream: the server is told, and sends the area as draws (video-messages.ts). */
  STREAM_ERROR: 0xb0,
  /** Sound: the microphone's packets, and the multimedia time the page hears now (audio-messages.ts). */
  RECORD_DATA: 0xb8,
  AUDIO_CLOCK: 0xb9,
  /** A power action the user chose in the page's VM menu (vm-messages.ts). */
  VM_ACTION: 0xc0,
  /** What the user typed in the page's serial console (serial-messages.ts). */
  SERIAL_INPUT: 0xc1,
  /** The printer chooser's choice for the next job (printer-messages.ts). */
  PRINT_CHOOSE: 0xc2,
  /** USB redirection: a device of USB_STATE into the VM, or out of it (usb-messages.ts). */
  USB_ATTACH: 0xc8,
  USB_DETACH: 0xc9,
  /** The page (or window) gained or lost focus: devices plugged are auto-redirected only while it has it. */
  USB_FOCUS: 0xca,
  /** The folder chooser: list a folder, share one (read-only or not), stop sharing (folder-messages.ts). */
  FOLDER_BROWSE: 0xd0,
  FOLDER_SHARE: 0xd1,
  FOLDER_STOP: 0xd2,
} as const;

export type HostKindName = keyof typeof HostKind;
export type UiKindName = keyof typeof UiKind;

const namesOf = (kinds: Record<string, number>): Map<number, string> => new Map(Object.entries(kinds).map(([name, kind]) => [kind, name]));
const hostKindNames = namesOf(HostKind);
const uiKindNames = namesOf(UiKind);

/** The name of a host -> UI kind byte, or undefined for a byte that is no kind. */
export const hostKindName = (kind: number): string | undefined => hostKindNames.get(kind);
/** The name of a UI -> host kind byte, or undefined for a byte that is no kind. */
export const uiKindName = (kind: number): string | undefined => uiKindNames.get(kind);
