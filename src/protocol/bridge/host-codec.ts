// Host -> UI bridge messages: encoding (in the gateway) and validating decoding (in the renderer).
import { WireWriter } from '../wire/writer.ts';
import { encodeKindAndText, encodeString, FieldReader } from './bridge-fields.ts';
import { decodeFileHostMessage, encodeFileHostMessage } from './file-messages.ts';
import { decodeHeadsHostMessage, encodeHeadsHostMessage } from './heads-messages.ts';
import { decodePolicyHostMessage, encodePolicyHostMessage } from './policy-messages.ts';
import { decodeVideoHostMessage, encodeVideoHostMessage } from './video-messages.ts';
import { decodeUsbHostMessage, encodeUsbHostMessage } from './usb-messages.ts';
import { decodeAudioHostMessage, encodeAudioHostMessage } from './audio-messages.ts';
import { decodeVmHostMessage, encodeVmHostMessage } from './vm-messages.ts';
import { decodeSerialHostMessage, encodeSerialHostMessage } from './serial-messages.ts';
import { decodePrinterHostMessage, encodePrinterHostMessage } from './printer-messages.ts';
import { decodeFolderHostMessage, encodeFolderHostMessage } from './folder-messages.ts';
import { BridgeError } from './bridge-fields.ts';
import { AgentFlag, errorKinds, SessionState, type ChannelRef, type HostMessage, type SessionStatus } from './bridge-messages.ts';
import { BRIDGE_MAGIC, HostKind } from './kinds.ts';
import { Limits } from './limits.ts';

/** Bytes before the body of a DISPLAY or CURSOR message: kind, channel id, type, serial. */
export const BODY_HEADER_BYTES = 12;

export function encodeHostMessage(m: HostMessage): Uint8Array {
  switch (m.kind) {
    case 'hello':
      return new WireWriter(7).u8(HostKind.HELLO).u32(BRIDGE_MAGIC).u16(m.version).finish();
    case 'status':
      return encodeStatus(m.status);
    case 'display':
    case 'cursor': {
      const out = new Uint8Array(BODY_HEADER_BYTES + m.body.byteLength);
      const view = new DataView(out.buffer);
      view.setUint8(0, m.kind === 'display' ? HostKind.DISPLAY : HostKind.CURSOR);
      view.setUint8(1, m.channelId);
      view.setUint16(2, m.type, true);
      view.setBigUint64(4, m.serial, true);
      out.set(m.body, BODY_HEADER_BYTES);
      return out;
    }
    case 'mouse-mode':
      return new WireWriter(5).u8(HostKind.MOUSE_MODE).u16(m.supported).u16(m.current).finish();
    case 'password-request':
      return new WireWriter(16).u8(HostKind.PASSWORD_REQUEST).bytes(encodeString(m.reason, Limits.maxStringBytes)).finish();
    case 'clipboard-text':
      return encodeKindAndText(HostKind.CLIPBOARD_TEXT, m.text, Limits.maxClipboardTextBytes, 'clipboard text');
    case 'agent': {
      const flags = (m.connected ? AgentFlag.CONNECTED : 0) | (m.monitorsConfig ? AgentFlag.MONITORS_CONFIG : 0) | (m.clipboard ? AgentFlag.CLIPBOARD : 0);
      return new WireWriter(2).u8(HostKind.AGENT).u8(flags).finish();
    }
    case 'display-reset':
      return new Uint8Array([HostKind.DISPLAY_RESET]);
    case 'heads':
    case 'head-token':
    case 'head-mapping':
      return encodeHeadsHostMessage(m);
    case 'page-policy':
      return encodePolicyHostMessage(m);
    case 'media-time':
      return encodeVideoHostMessage(m);
    case 'usb-state':
    case 'usb-result':
    case 'usb-progress':
      return encodeUsbHostMessage(m);
    case 'playback':
    case 'record':
      return encodeAudioHostMessage(m);
    case 'vm-state':
    case 'vm-action-result':
      return encodeVmHostMessage(m);
    case 'serial-state':
    case 'serial-data':
      return encodeSerialHostMessage(m);
    case 'printers':
      return encodePrinterHostMessage(m);
    case 'folder-state':
    case 'folder-list':
      return encodeFolderHostMessage(m);
    default:
      return encodeFileHostMessage(m);
  }
}

function encodeStatus(s: SessionStatus): Uint8Array {
  const w = new WireWriter(32).u8(HostKind.STATUS);
  switch (s.state) {
    case 'connecting':
      return w.u8(SessionState.CONNECTING).bytes(encodeString(s.where, Limits.maxStringBytes)).finish();
    case 'connected': {
      w.u8(SessionState.CONNECTED).bytes(encodeString(s.serverName, Limits.maxStringBytes)).u16(s.channels.length);
      for (const c of s.channels) w.u8(c.type).u8(c.id);
      return w.finish();
    }
    case 'error':
      return w
        .u8(SessionState.ERROR)
        .bytes(encodeString(s.errorKind, Limits.maxStringBytes))
        .bytes(encodeString(s.message, Limits.maxStringBytes))
        .finish();
    case 'closed':
      return w.u8(SessionState.CLOSED).bytes(encodeString(s.reason, Limits.maxStringBytes)).finish();
    case 'reconnecting':
      return w
        .u8(SessionState.RECONNECTING)
        .bytes(encodeString(s.where, Limits.maxStringBytes))
        .bytes(encodeString(s.reason, Limits.maxStringBytes))
        .u32(s.attempt)
        .u32(s.delayMs)
        .finish();
  }
}

/** The decoders of the feature files, keyed on kind; the core kinds are decoded by decodeHostMessage's switch. */
const featureHostDecoders = new Map<number, (bytes: Uint8Array) => HostMessage | null>([
  [HostKind.PAGE_POLICY, decodePolicyHostMessage],
  [HostKind.HEADS, decodeHeadsHostMessage],
  [HostKind.HEAD_TOKEN, decodeHeadsHostMessage],
  [HostKind.HEAD_MAPPING, decodeHeadsHostMessage],
  [HostKind.FILE_CREDIT, decodeFileHostMessage],
  [HostKind.FILE_PROGRESS, decodeFileHostMessage],
  [HostKind.FILE_RESULT, decodeFileHostMessage],
  [HostKind.CLIPBOARD_IMAGE, decodeFileHostMessage],
  [HostKind.CLIPBOARD_POLICY, decodeFileHostMessage],
  [HostKind.MEDIA_TIME, decodeVideoHostMessage],
  [HostKind.PLAYBACK, decodeAudioHostMessage],
  [HostKind.RECORD, decodeAudioHostMessage],
  [HostKind.VM_STATE, decodeVmHostMessage],
  [HostKind.VM_ACTION_RESULT, decodeVmHostMessage],
  [HostKind.SERIAL_STATE, decodeSerialHostMessage],
  [HostKind.SERIAL_DATA, decodeSerialHostMessage],
  [HostKind.PRINTERS, decodePrinterHostMessage],
  [HostKind.USB_STATE, decodeUsbHostMessage],
  [HostKind.USB_RESULT, decodeUsbHostMessage],
  [HostKind.USB_PROGRESS, decodeUsbHostMessage],
  [HostKind.FOLDER_STATE, decodeFolderHostMessage],
  [HostKind.FOLDER_LIST, decodeFolderHostMessage],
]);

/** Decodes one message from the host; throws BridgeError on anything malformed. */
export function decodeHostMessage(bytes: Uint8Array): HostMessage {
  if (bytes.byteLength === 0) throw new FieldReader(bytes, 'host', 'empty message').fail('no kind byte');
  const kind = bytes[0];
  switch (kind) {
    case HostKind.HELLO: {
      const r = new FieldReader(bytes, 'host', 'HELLO');
      const magic = r.u32('magic');
      if (magic !== BRIDGE_MAGIC) r.fail(`magic is 0x${magic.toString(16)}, not spicedesk's 0x${BRIDGE_MAGIC.toString(16)}`);
      const version = r.u16('version');
      r.end();
      return { kind: 'hello', version };
    }
    case HostKind.STATUS:
      return { kind: 'status', status: decodeStatus(new FieldReader(bytes, 'host', 'STATUS')) };
    case HostKind.DISPLAY:
    case HostKind.CURSOR: {
      const r = new FieldReader(bytes, 'host', kind === HostKind.DISPLAY ? 'DISPLAY' : 'CURSOR');
      const channelId = r.u8('channel id');
      const type = r.u16('message type');
      const serial = r.u64('serial');
      return { kind: kind === HostKind.DISPLAY ? 'display' : 'cursor', channelId, type, serial, body: r.rest() };
    }
    case HostKind.MOUSE_MODE: {
      const r = new FieldReader(bytes, 'host', 'MOUSE_MODE');
      const supported = r.u16('supported modes');
      const current = r.u16('current mode');
      r.end();
      return { kind: 'mouse-mode', supported, current };
    }
    case HostKind.PASSWORD_REQUEST: {
      const r = new FieldReader(bytes, 'host', 'PASSWORD_REQUEST');
      const reason = r.string('reason', Limits.maxStringBytes);
      r.end();
      return { kind: 'password-request', reason };
    }
    case HostKind.CLIPBOARD_TEXT:
      return { kind: 'clipboard-text', text: new FieldReader(bytes, 'host', 'CLIPBOARD_TEXT').textToEnd('text', Limits.maxClipboardTextBytes) };
    case HostKind.AGENT: {
      const r = new FieldReader(bytes, 'host', 'AGENT');
      const flags = r.u8('flags');
      const all = AgentFlag.CONNECTED | AgentFlag.MONITORS_CONFIG | AgentFlag.CLIPBOARD;
      if (flags & ~all) r.fail(`flags 0x${flags.toString(16)} has bits outside 0x${all.toString(16)}`);
      r.end();
      return { kind: 'agent', connected: (flags & AgentFlag.CONNECTED) !== 0, monitorsConfig: (flags & AgentFlag.MONITORS_CONFIG) !== 0, clipboard: (flags & AgentFlag.CLIPBOARD) !== 0 };
    }
    case HostKind.DISPLAY_RESET:
      new FieldReader(bytes, 'host', 'DISPLAY_RESET').end();
      return { kind: 'display-reset' };
    default:
      return featureHostDecoders.get(kind)?.(bytes) ?? new FieldReader(bytes, 'host', 'message').fail(`unknown kind 0x${kind.toString(16)}`);
  }
}

function decodeStatus(r: FieldReader): SessionStatus {
  const state = r.u8('state');
  let status: SessionStatus;
  switch (state) {
    case SessionState.CONNECTING:
      status = { state: 'connecting', where: r.string('where', Limits.maxStringBytes) };
      break;
    case SessionState.CONNECTED: {
      const serverName = r.string('server name', Limits.maxStringBytes);
      const n = r.u16('channel count');
      if (n * 2 > r.bytes.byteLength - r.offset) r.fail(`channel list claims ${n} channels but only ${r.bytes.byteLength - r.offset} bytes remain`);
      const channels: ChannelRef[] = [];
      for (let i = 0; i < n; i++) channels.push({ type: r.u8('channel type'), id: r.u8('channel id') });
      status = { state: 'connected', serverName, channels };
      break;
    }
    case SessionState.ERROR: {
      const kind = r.string('error kind', Limits.maxStringBytes);
      const errorKind = errorKinds.find((k) => k === kind);
      if (!errorKind) r.fail(`unknown error kind "${kind}"`);
      status = { state: 'error', errorKind, message: r.string('error message', Limits.maxStringBytes) };
      break;
    }
    case SessionState.CLOSED:
      status = { state: 'closed', reason: r.string('reason', Limits.maxStringBytes) };
      break;
    case SessionState.RECONNECTING: {
      const where = r.string('where', Limits.maxStringBytes);
      const reason = r.string('reason', Limits.maxStringBytes);
      status = { state: 'reconnecting', where, reason, attempt: r.u32('attempt'), delayMs: r.u32('delay') };
      break;
    }
    default:
      return r.fail(`unknown session state ${state}`);
  }
  r.end();
  return status;
}

/**
 * Host messages travel in packets: one transport message (a WebSocket or MessagePort message)
 * carries every host message produced in one turn of the host's event loop, each as a u32
 * little-endian length and its bytes. A busy server sends thousands of small display messages a
 * second; one transport message each cost the page more than decoding them (the gateway bench).
 */
export function encodeHostPacket(messages: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const m of messages) size += 4 + m.byteLength;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let o = 0;
  for (const m of messages) {
    view.setUint32(o, m.byteLength, true);
    out.set(m, o + 4);
    o += 4 + m.byteLength;
  }
  return out;
}

/**
 * A packet being gathered: encoded messages and DISPLAY / CURSOR bodies by reference, written once
 * into the packet's own buffer by `take`. The gateway's busiest path (every display message of a
 * scrolling screen) then copies each body once, from the socket's chunk into the packet, where
 * encoding each message and then the packet copied it twice and left a buffer per message to the
 * garbage collector. The bytes are those of encodeHostPacket over encodeHostMessage.
 */
export class HostPacketBuilder {
  /** Per message: 0 for an encoded message in `parts`, else the HostKind of a body in `parts`. */
  private kinds: number[] = [];
  private parts: Uint8Array[] = [];
  private channelIds: number[] = [];
  private types: number[] = [];
  private serials: bigint[] = [];
  private size = 0;

  /** `allocate` gives the packet's buffer (the gateway passes one that skips zero-filling). */
  constructor(private readonly allocate: (bytes: number) => Uint8Array = (n) => new Uint8Array(n)) {}

  /** Packet bytes gathered so far. */
  get byteLength(): number {
    return this.size;
  }

  get messageCount(): number {
    return this.kinds.length;
  }

  /** An encoded message (encodeHostMessage); referenced until `take`. */
  addEncoded(message: Uint8Array): void {
    this.kinds.push(0);
    this.parts.push(message);
    this.channelIds.push(0);
    this.types.push(0);
    this.serials.push(0n);
    this.size += 4 + message.byteLength;
  }

  /**
   * A DISPLAY, CURSOR or PLAYBACK message (the same 12-byte header: kind, channel id, type, serial)
   * whose body is referenced, not copied, until `take`.
   */
  addBody(kind: 'display' | 'cursor' | 'playback', channelId: number, type: number, serial: bigint, body: Uint8Array): void {
    this.kinds.push(kind === 'display' ? HostKind.DISPLAY : kind === 'cursor' ? HostKind.CURSOR : HostKind.PLAYBACK);
    this.parts.push(body);
    this.channelIds.push(channelId);
    this.types.push(type);
    this.serials.push(serial);
    this.size += 4 + BODY_HEADER_BYTES + body.byteLength;
  }

  /** The packet of everything added since the last take, or null when nothing was; drops the references. */
  take(): Uint8Array | null {
    if (this.kinds.length === 0) return null;
    const out = this.allocate(this.size);
    this.takeInto(out);
    return out;
  }

  /** Writes the packet (`byteLength` bytes) into `out`, as `take` would return it; drops the references. */
  takeInto(out: Uint8Array): void {
    const n = this.kinds.length;
    if (out.byteLength !== this.size) throw new RangeError(`a packet of ${this.size} bytes does not fit a buffer of ${out.byteLength}`);
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    let o = 0;
    for (let i = 0; i < n; i++) {
      const kind = this.kinds[i];
      const part = this.parts[i];
      if (kind === 0) {
        view.setUint32(o, part.byteLength, true);
        out.set(part, o + 4);
        o += 4 + part.byteLength;
        continue;
      }
      view.setUint32(o, BODY_HEADER_BYTES + part.byteLength, true);
      out[o + 4] = kind;
      out[o + 5] = this.channelIds[i];
      view.setUint16(o + 6, this.types[i], true);
      view.setBigUint64(o + 8, this.serials[i], true);
      out.set(part, o + 4 + BODY_HEADER_BYTES);
      o += 4 + BODY_HEADER_BYTES + part.byteLength;
    }
    this.clear();
  }

  /** Forgets everything added (the references included). */
  clear(): void {
    this.kinds.length = 0;
    this.parts.length = 0;
    this.channelIds.length = 0;
    this.types.length = 0;
    this.serials.length = 0;
    this.size = 0;
  }
}

/** The messages of a packet, as views into it; throws BridgeError on broken framing. */
export function splitHostPacket(packet: Uint8Array): Uint8Array[] {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const out: Uint8Array[] = [];
  let o = 0;
  if (packet.byteLength === 0) throw new BridgeError('host packet: empty', 'host');
  while (o < packet.byteLength) {
    if (o + 4 > packet.byteLength) throw new BridgeError(`host packet: a length field is cut off at offset ${o}`, 'host');
    const n = view.getUint32(o, true);
    if (n === 0 || o + 4 + n > packet.byteLength) {
      throw new BridgeError(`host packet: a message of ${n} bytes at offset ${o} does not fit in the ${packet.byteLength}-byte packet`, 'host');
    }
    out.push(packet.subarray(o + 4, o + 4 + n));
    o += 4 + n;
  }
  return out;
}

/** Every message of a packet, decoded. */
export function decodeHostPacket(packet: Uint8Array): HostMessage[] {
  return splitHostPacket(packet).map(decodeHostMessage);
}
