// SPICE data headers: the full 18-byte SpiceDataHeader and the 6-byte mini header, used when both
// peers advertised MINI_HEADER. Serials are implicit with the mini header.
import { WireWriter } from './writer.ts';

export const FULL_HEADER_SIZE = 18;
export const MINI_HEADER_SIZE = 6;

/** Largest message body accepted from a server; a bigger declared size is treated as hostile. */
export const MAX_MESSAGE_SIZE = 128 * 1024 * 1024;

/** A message's header alone, for a body written after it in pieces (SpiceChannel.sendPieces). */
export function encodeHeader(mini: boolean, serial: bigint, type: number, size: number): Uint8Array {
  const out = new Uint8Array(mini ? MINI_HEADER_SIZE : FULL_HEADER_SIZE);
  const view = new DataView(out.buffer);
  let o = 0;
  if (!mini) {
    view.setBigUint64(0, serial, true);
    o = 8;
  }
  view.setUint16(o, type, true);
  view.setUint32(o + 2, size, true);
  return out;
}

export function encodeMessage(mini: boolean, serial: bigint, type: number, body: Uint8Array): Uint8Array {
  const w = new WireWriter((mini ? MINI_HEADER_SIZE : FULL_HEADER_SIZE) + body.byteLength);
  if (!mini) w.u64(serial);
  w.u16(type).u32(body.byteLength);
  if (!mini) w.u32(0);
  w.bytes(body);
  return w.finish();
}
