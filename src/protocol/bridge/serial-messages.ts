// The VM's serial console in the page (kinds 0x42-0x43 host -> page, 0xc1 page -> host, in the VM
// menu's range): whether the session's server offers QEMU's serial console port
// (org.qemu.console.serial.0, channels/port/serial-console.ts) and whether QEMU has it open
// (SERIAL_STATE), the guest's output as it came (SERIAL_DATA), and what the user typed in the
// page's terminal (SERIAL_INPUT). The bytes are the guest's terminal, unframed, either way.
import { WireWriter } from '../wire/writer.ts';
import { FieldReader } from './bridge-fields.ts';
import { HostKind, UiKind } from './kinds.ts';

/** The most bytes of guest output in one SERIAL_DATA; the host cuts longer output. */
export const MAX_SERIAL_DATA_BYTES = 64 * 1024;
/** The most bytes of typed input in one SERIAL_INPUT; the page cuts a longer paste. */
export const MAX_SERIAL_INPUT_BYTES = 4096;

export interface SerialStateMessage {
  kind: 'serial-state';
  /** The session's server offers the serial console port (and the page may use it). */
  available: boolean;
  /** QEMU's side of the port is open (a serial chardev is, from the start). */
  open: boolean;
}

export interface SerialDataMessage {
  kind: 'serial-data';
  bytes: Uint8Array;
}

export interface SerialInputMessage {
  kind: 'serial-input';
  bytes: Uint8Array;
}

export type SerialHostMessage = SerialStateMessage | SerialDataMessage;
export type SerialUiMessage = SerialInputMessage;

const StateFlag = { AVAILABLE: 1, OPEN: 2 } as const;

export function encodeSerialHostMessage(m: SerialHostMessage): Uint8Array {
  if (m.kind === 'serial-state') return new Uint8Array([HostKind.SERIAL_STATE, (m.available ? StateFlag.AVAILABLE : 0) | (m.open ? StateFlag.OPEN : 0)]);
  if (m.bytes.byteLength > MAX_SERIAL_DATA_BYTES) throw new RangeError(`SERIAL_DATA of ${m.bytes.byteLength} bytes (at most ${MAX_SERIAL_DATA_BYTES})`);
  return new WireWriter(1 + m.bytes.byteLength).u8(HostKind.SERIAL_DATA).bytes(m.bytes).finish();
}

/** Null when the kind is not this file's; a BridgeError for a malformed message. */
export function decodeSerialHostMessage(bytes: Uint8Array): SerialHostMessage | null {
  if (bytes[0] === HostKind.SERIAL_STATE) {
    const r = new FieldReader(bytes, 'host', 'SERIAL_STATE');
    const flags = r.u8('flags');
    if (flags & ~(StateFlag.AVAILABLE | StateFlag.OPEN)) r.fail(`unknown flags 0x${flags.toString(16)}`);
    r.end();
    if (!(flags & StateFlag.AVAILABLE) && flags & StateFlag.OPEN) r.fail('open without a serial console');
    return { kind: 'serial-state', available: (flags & StateFlag.AVAILABLE) !== 0, open: (flags & StateFlag.OPEN) !== 0 };
  }
  if (bytes[0] === HostKind.SERIAL_DATA) {
    const r = new FieldReader(bytes, 'host', 'SERIAL_DATA');
    const data = r.rest();
    if (data.byteLength === 0) r.fail('no bytes');
    if (data.byteLength > MAX_SERIAL_DATA_BYTES) r.fail(`${data.byteLength} bytes (at most ${MAX_SERIAL_DATA_BYTES})`);
    return { kind: 'serial-data', bytes: data.slice() };
  }
  return null;
}

export function encodeSerialUiMessage(m: SerialUiMessage): Uint8Array {
  if (m.bytes.byteLength > MAX_SERIAL_INPUT_BYTES) throw new RangeError(`SERIAL_INPUT of ${m.bytes.byteLength} bytes (at most ${MAX_SERIAL_INPUT_BYTES})`);
  return new WireWriter(1 + m.bytes.byteLength).u8(UiKind.SERIAL_INPUT).bytes(m.bytes).finish();
}

/** SERIAL_INPUT's bytes (everything after the kind). */
export function decodeSerialUiMessage(kind: number, r: FieldReader): SerialUiMessage | null {
  if (kind !== UiKind.SERIAL_INPUT) return null;
  const data = r.rest();
  if (data.byteLength === 0) r.fail('no bytes');
  if (data.byteLength > MAX_SERIAL_INPUT_BYTES) r.fail(`${data.byteLength} bytes (at most ${MAX_SERIAL_INPUT_BYTES})`);
  return { kind: 'serial-input', bytes: data.slice() };
}

/** Input cut into SERIAL_INPUT-sized pieces, in order (a paste may be longer than one message). */
export function serialInputPieces(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < bytes.byteLength; o += MAX_SERIAL_INPUT_BYTES) out.push(bytes.subarray(o, Math.min(bytes.byteLength, o + MAX_SERIAL_INPUT_BYTES)));
  return out;
}
