// Port (10) and WebDAV (11) channel messages: the spicevmc byte stream (DATA, COMPRESSED_DATA) both
// ways, and the port's own INIT and EVENT (spice.proto `channel SpicevmcChannel`, `channel
// PortChannel`; layouts in docs/protocol.md "Port channels"). Parsing is pure and bounded.
import { ProtocolError, type WireContext } from '../../wire/errors.ts';
import { WireReader } from '../../wire/reader.ts';
import { WireWriter } from '../../wire/writer.ts';
import { decodeCompressedData, SpicevmcMsg, SpicevmcMsgc } from '../spicevmc/spicevmc-messages.ts';

/** Server messages. DATA and COMPRESSED_DATA are the spicevmc base; INIT and EVENT the port's. */
export const PortMsg = {
  DATA: SpicevmcMsg.DATA,
  COMPRESSED_DATA: SpicevmcMsg.COMPRESSED_DATA,
  INIT: 201,
  EVENT: 202,
} as const;

/** Client messages. */
export const PortMsgc = {
  DATA: SpicevmcMsgc.DATA,
  COMPRESSED_DATA: SpicevmcMsgc.COMPRESSED_DATA,
  EVENT: 201,
} as const;

export const portMessageNames: Record<number, string> = {
  [PortMsg.DATA]: 'SPICEVMC_DATA',
  [PortMsg.COMPRESSED_DATA]: 'SPICEVMC_COMPRESSED_DATA',
  [PortMsg.INIT]: 'PORT_INIT',
  [PortMsg.EVENT]: 'PORT_EVENT',
};

/** Port events (SPICE_PORT_EVENT_*): the guest side opened or closed the port, or a break. */
export const PortEvent = { OPENED: 0, CLOSED: 1, BREAK: 2 } as const;

export const portEventNames: Record<number, string> = { 0: 'OPENED', 1: 'CLOSED', 2: 'BREAK' };

/** The longest port name taken: QEMU's are a few dozen bytes (org.qemu.monitor.qmp.0). */
export const MAX_PORT_NAME = 256;

/** What the client writes per DATA message at most (spice-gtk's spicevmc writes are at most 64 KiB as well). */
export const MAX_CLIENT_DATA = 65536;

export type PortMessage =
  | { kind: 'data'; payload: Uint8Array }
  | { kind: 'init'; name: string; opened: boolean }
  | { kind: 'event'; event: number };

/**
 * Parses one server message of a port or webdav channel. Throws a ProtocolError naming the message
 * and what was wrong: a truncated body, a name pointer outside the body, a name that is too long,
 * not NUL-terminated or not printable ASCII, and what decodeCompressedData refuses (an unknown
 * compression type, LZ4 data that does not decode to exactly the size it declares or declares too much).
 */
export function parsePortMessage(type: number, body: Uint8Array, context: WireContext = {}): PortMessage {
  const ctx = { ...context, messageType: type, messageName: portMessageNames[type] };
  const r = new WireReader(body, 0, ctx);
  switch (type) {
    case PortMsg.DATA:
      return { kind: 'data', payload: r.rest() };
    case PortMsg.COMPRESSED_DATA:
      return { kind: 'data', payload: decodeCompressedData(body, ctx) };
    case PortMsg.INIT: {
      const nameSize = r.u32();
      const namePtr = r.u32();
      const opened = r.u8() !== 0;
      return { kind: 'init', name: readPortName(body, nameSize, namePtr, ctx), opened };
    }
    case PortMsg.EVENT:
      return { kind: 'event', event: r.u8() };
    default:
      throw new ProtocolError(`unknown port channel message ${type}`, 0, ctx);
  }
}

function readPortName(body: Uint8Array, size: number, ptr: number, ctx: WireContext): string {
  if (size < 1 || size > MAX_PORT_NAME + 1) throw new ProtocolError(`a port name of ${size} bytes with its NUL (1 to ${MAX_PORT_NAME + 1} accepted)`, 0, ctx);
  if (ptr > body.byteLength || size > body.byteLength - ptr) {
    throw new ProtocolError(`the port name (${size} bytes at ${ptr}) lies outside the ${body.byteLength}-byte message`, 4, ctx);
  }
  const bytes = body.subarray(ptr, ptr + size);
  if (bytes[size - 1] !== 0) throw new ProtocolError('the port name does not end in NUL', ptr + size - 1, ctx);
  let name = '';
  for (let i = 0; i < size - 1; i++) {
    const c = bytes[i];
    if (c < 0x21 || c > 0x7e) throw new ProtocolError(`the port name has byte 0x${c.toString(16).padStart(2, '0')} at ${i} (printable ASCII only)`, ptr + i, ctx);
    name += String.fromCharCode(c);
  }
  if (!name) throw new ProtocolError('the port name is empty', ptr, ctx);
  return name;
}

/** SPICEVMC_DATA bodies for `bytes`, cut into messages of at most MAX_CLIENT_DATA bytes. */
export function* dataMessages(bytes: Uint8Array): Generator<Uint8Array> {
  for (let o = 0; o < bytes.byteLength; o += MAX_CLIENT_DATA) yield bytes.subarray(o, Math.min(bytes.byteLength, o + MAX_CLIENT_DATA));
}

/** A client PORT_EVENT body. */
export function buildPortEvent(event: number): Uint8Array {
  return new WireWriter(1).u8(event).finish();
}
