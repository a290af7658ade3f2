// UI -> host bridge messages: encoding (in the renderer) and the strict decoder the host runs on
// everything a UI sends. In the web gateway anyone holding the page's token can send these bytes,
// so every field is range-checked, every layout has an exact size, and nothing is allocated from
// a length the sender chose.
import { formatScancode, isValidScancode } from '../input/scancodes.ts';
import { WireWriter } from '../wire/writer.ts';
import { encodeKindAndText, encodeString, FieldReader, utf8Length } from './bridge-fields.ts';
import { ALL_BUTTONS_MASK, ALL_MODIFIERS_MASK, MouseButton, SharingFlag, type UiMessage } from './bridge-messages.ts';
import { BRIDGE_MAGIC, UiKind, uiKindName } from './kinds.ts';
import { Limits } from './limits.ts';
import { SpiceError } from '../wire/errors.ts';
import { decodeFileUiMessage, encodeFileUiMessage } from './file-messages.ts';
import { decodeHeadsUiMessage, encodeHeadsUiMessage } from './heads-messages.ts';
import { decodeVmUiMessage, encodeVmUiMessage } from './vm-messages.ts';
import { decodeSerialUiMessage, encodeSerialUiMessage } from './serial-messages.ts';
import { decodePrinterUiMessage, encodePrinterUiMessage } from './printer-messages.ts';
import { decodeFolderUiMessage, encodeFolderUiMessage } from './folder-messages.ts';
import { decodeVideoCodecs, decodeVideoUiMessage, encodeVideoCodecs, encodeVideoUiMessage } from './video-messages.ts';
import { decodeUsbUiMessage, encodeUsbUiMessage } from './usb-messages.ts';
import { decodeAudioCapabilities, decodeAudioUiMessage, encodeAudioCapabilities, encodeAudioUiMessage } from './audio-messages.ts';

export function encodeUiMessage(m: UiMessage): Uint8Array {
  switch (m.kind) {
    case 'hello':
      return encodeAudioCapabilities(encodeVideoCodecs(new WireWriter(12).u8(UiKind.HELLO).u32(BRIDGE_MAGIC).u16(m.version).u16(m.target), m.videoCodecs ?? []), m.audio).finish();
    case 'key-down':
      return new WireWriter(5).u8(UiKind.KEY_DOWN).u32(m.scancode).finish();
    case 'key-up':
      return new WireWriter(5).u8(UiKind.KEY_UP).u32(m.scancode).finish();
    case 'key-modifiers':
      return new WireWriter(3).u8(UiKind.KEY_MODIFIERS).u16(m.modifiers).finish();
    case 'mouse-position':
      return new WireWriter(12).u8(UiKind.MOUSE_POSITION).u32(m.x).u32(m.y).u16(m.buttons).u8(m.displayId).finish();
    case 'mouse-motion':
      return new WireWriter(11).u8(UiKind.MOUSE_MOTION).i32(m.dx).i32(m.dy).u16(m.buttons).finish();
    case 'mouse-press':
      return new WireWriter(4).u8(UiKind.MOUSE_PRESS).u8(m.button).u16(m.buttons).finish();
    case 'mouse-release':
      return new WireWriter(4).u8(UiKind.MOUSE_RELEASE).u8(m.button).u16(m.buttons).finish();
    case 'ctrl-alt-del':
      return new Uint8Array([UiKind.CTRL_ALT_DEL]);
    case 'password': {
      // Checked here too: encodeString would cut it, and a cut password is a wrong one.
      const n = utf8Length(m.password);
      if (n > Limits.maxPasswordBytes) throw new SpiceError('usage', `the password is ${n} bytes; SPICE allows ${Limits.maxPasswordBytes}`);
      return new WireWriter(3 + n).u8(UiKind.PASSWORD).bytes(encodeString(m.password, Limits.maxPasswordBytes)).finish();
    }
    case 'password-cancel':
      return new Uint8Array([UiKind.PASSWORD_CANCEL]);
    case 'display-size':
      return new WireWriter(5).u8(UiKind.DISPLAY_SIZE).u16(m.width).u16(m.height).finish();
    case 'clipboard-text':
      return encodeKindAndText(UiKind.CLIPBOARD_TEXT, m.text, Limits.maxClipboardTextBytes, 'clipboard text');
    case 'clipboard-sharing':
      return new WireWriter(2).u8(UiKind.CLIPBOARD_SHARING).u8((m.toGuest ? SharingFlag.TO_GUEST : 0) | (m.fromGuest ? SharingFlag.FROM_GUEST : 0)).finish();
    case 'mouse-mode-request':
      return new Uint8Array([UiKind.MOUSE_MODE_REQUEST, m.mode === 'server' ? 1 : 2]);
    case 'head-join':
    case 'head-enable':
    case 'input-join':
      return encodeHeadsUiMessage(m);
    case 'stream-error':
      return encodeVideoUiMessage(m);
    case 'vm-action':
      return encodeVmUiMessage(m);
    case 'serial-input':
      return encodeSerialUiMessage(m);
    case 'print-choose':
      return encodePrinterUiMessage(m);
    case 'folder-browse':
    case 'folder-share':
    case 'folder-stop':
      return encodeFolderUiMessage(m);
    case 'usb-attach':
    case 'usb-detach':
    case 'usb-focus':
      return encodeUsbUiMessage(m);
    case 'record-data':
    case 'audio-clock':
      return encodeAudioUiMessage(m);
    default:
      return encodeFileUiMessage(m);
  }
}

/** The decoders of the feature files, keyed on kind; the core kinds are decoded by decodeUiMessage's switch. */
const featureUiDecoders = new Map<number, (kind: number, r: FieldReader, expectedVersion: number) => UiMessage | null>([
  [UiKind.HEAD_JOIN, decodeHeadsUiMessage],
  [UiKind.HEAD_ENABLE, decodeHeadsUiMessage],
  [UiKind.INPUT_JOIN, decodeHeadsUiMessage],
  [UiKind.FILE_OFFER, decodeFileUiMessage],
  [UiKind.FILE_DATA, decodeFileUiMessage],
  [UiKind.FILE_CANCEL, decodeFileUiMessage],
  [UiKind.CLIPBOARD_IMAGE, decodeFileUiMessage],
  [UiKind.STREAM_ERROR, decodeVideoUiMessage],
  [UiKind.RECORD_DATA, decodeAudioUiMessage],
  [UiKind.AUDIO_CLOCK, decodeAudioUiMessage],
  [UiKind.VM_ACTION, decodeVmUiMessage],
  [UiKind.SERIAL_INPUT, decodeSerialUiMessage],
  [UiKind.PRINT_CHOOSE, decodePrinterUiMessage],
  [UiKind.USB_ATTACH, decodeUsbUiMessage],
  [UiKind.USB_DETACH, decodeUsbUiMessage],
  [UiKind.USB_FOCUS, decodeUsbUiMessage],
  [UiKind.FOLDER_BROWSE, decodeFolderUiMessage],
  [UiKind.FOLDER_SHARE, decodeFolderUiMessage],
  [UiKind.FOLDER_STOP, decodeFolderUiMessage],
]);

/**
 * Decodes one message from a UI; throws BridgeError (kind 'protocol') on anything malformed:
 * unknown kind, wrong size, a field out of range, a HELLO from another version.
 */
export function decodeUiMessage(bytes: Uint8Array, expectedVersion: number): UiMessage {
  if (bytes.byteLength > Limits.maxUiMessageBytes) {
    throw new FieldReader(bytes, 'UI', 'message').fail(`${bytes.byteLength} bytes is more than the ${Limits.maxUiMessageBytes} any UI message takes`);
  }
  if (bytes.byteLength === 0) throw new FieldReader(bytes, 'UI', 'empty message').fail('no kind byte');
  const kind = bytes[0];
  const name = uiKindName(kind);
  if (!name) throw new FieldReader(bytes, 'UI', 'message').fail(`unknown kind 0x${kind.toString(16)}`);
  const r = new FieldReader(bytes, 'UI', name);
  const buttons = (): number => {
    const mask = r.u16('buttons');
    if (mask & ~ALL_BUTTONS_MASK) r.fail(`buttons 0x${mask.toString(16)} has bits outside 0x${ALL_BUTTONS_MASK.toString(16)}`);
    return mask;
  };
  const button = (): number => r.range(r.u8('button'), 'button', MouseButton.LEFT, MouseButton.EXTRA);
  // Scan codes as src/protocol/input writes them: 0x00nn, 0xE0nn, or Pause's E1 sequence.
  const scancode = (): number => {
    const code = r.u32('scancode');
    if (!isValidScancode(code)) r.fail(`scancode ${formatScancode(code)} is not a set-1 scan code (0xNN, 0xE0NN or Pause)`);
    return code;
  };
  let m: UiMessage;
  switch (kind) {
    case UiKind.HELLO: {
      const magic = r.u32('magic');
      if (magic !== BRIDGE_MAGIC) r.fail(`magic is 0x${magic.toString(16)}, not spicedesk's 0x${BRIDGE_MAGIC.toString(16)}`);
      const version = r.u16('version');
      if (version !== expectedVersion) r.fail(`the page speaks bridge version ${version}, this host ${expectedVersion}; reload the page`);
      const target = r.u16('target');
      const videoCodecs = decodeVideoCodecs(r);
      m = { kind: 'hello', version, target, videoCodecs, audio: decodeAudioCapabilities(r) };
      break;
    }
    case UiKind.KEY_DOWN:
      m = { kind: 'key-down', scancode: scancode() };
      break;
    case UiKind.KEY_UP:
      m = { kind: 'key-up', scancode: scancode() };
      break;
    case UiKind.KEY_MODIFIERS: {
      const modifiers = r.u16('modifiers');
      if (modifiers & ~ALL_MODIFIERS_MASK) r.fail(`modifiers 0x${modifiers.toString(16)} has bits outside 0x${ALL_MODIFIERS_MASK.toString(16)}`);
      m = { kind: 'key-modifiers', modifiers };
      break;
    }
    case UiKind.MOUSE_POSITION: {
      const x = r.range(r.u32('x'), 'x', 0, Limits.maxCoordinate);
      const y = r.range(r.u32('y'), 'y', 0, Limits.maxCoordinate);
      m = { kind: 'mouse-position', x, y, buttons: buttons(), displayId: r.u8('display id') };
      break;
    }
    case UiKind.MOUSE_MOTION: {
      const dx = r.range(r.i32('dx'), 'dx', -Limits.maxMotion, Limits.maxMotion);
      const dy = r.range(r.i32('dy'), 'dy', -Limits.maxMotion, Limits.maxMotion);
      m = { kind: 'mouse-motion', dx, dy, buttons: buttons() };
      break;
    }
    case UiKind.MOUSE_PRESS:
      m = { kind: 'mouse-press', button: button(), buttons: buttons() };
      break;
    case UiKind.MOUSE_RELEASE:
      m = { kind: 'mouse-release', button: button(), buttons: buttons() };
      break;
    case UiKind.CTRL_ALT_DEL:
      m = { kind: 'ctrl-alt-del' };
      break;
    case UiKind.PASSWORD:
      // Failures name the field and its size, never its contents.
      m = { kind: 'password', password: r.string('password', Limits.maxPasswordBytes) };
      break;
    case UiKind.PASSWORD_CANCEL:
      m = { kind: 'password-cancel' };
      break;
    case UiKind.DISPLAY_SIZE: {
      const width = r.range(r.u16('width'), 'width', 1, Limits.maxDisplaySide);
      const height = r.range(r.u16('height'), 'height', 1, Limits.maxDisplaySide);
      m = { kind: 'display-size', width, height };
      break;
    }
    case UiKind.CLIPBOARD_TEXT:
      m = { kind: 'clipboard-text', text: r.textToEnd('text', Limits.maxClipboardTextBytes) };
      break;
    case UiKind.CLIPBOARD_SHARING: {
      const flags = r.u8('flags');
      const all = SharingFlag.TO_GUEST | SharingFlag.FROM_GUEST;
      if (flags & ~all) r.fail(`flags 0x${flags.toString(16)} has bits outside 0x${all.toString(16)}`);
      m = { kind: 'clipboard-sharing', toGuest: (flags & SharingFlag.TO_GUEST) !== 0, fromGuest: (flags & SharingFlag.FROM_GUEST) !== 0 };
      break;
    }
    case UiKind.MOUSE_MODE_REQUEST: {
      // spice.proto's mouse_mode values: 1 server, 2 client.
      const mode = r.u8('mode');
      if (mode !== 1 && mode !== 2) r.fail(`mouse mode ${mode} is neither 1 (server) nor 2 (client)`);
      m = { kind: 'mouse-mode-request', mode: mode === 1 ? 'server' : 'client' };
      break;
    }
    default:
      m = featureUiDecoders.get(kind)?.(kind, r, expectedVersion) ?? r.fail(`unknown kind 0x${kind.toString(16)}`);
  }
  r.end();
  return m;
}
