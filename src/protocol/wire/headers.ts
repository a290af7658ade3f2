// SPICE data headers: the full 18-byte SpiceDataHeader and the 6-byte mini header, used when both
// peers advertised MINI_HEADER. Serials are implicit with the mini header.
export const FULL_HEADER_SIZE = 18;
export const MINI_HEADER_SIZE = 6;

/** Largest message body accepted from a server; a bigger declared size is treated as hostile. */
export const MAX_MESSAGE_SIZE = 128 * 1024 * 1024;

/** A message's header alone, for a body written after it in pieces (SpiceChannel.sendPieces). */
export function encodeHeader(mini: boolean, serial: bigint, type: number, size: number): Uint8Array {
  const out = new Uint8Array(mini ? MINI_HEADER_SIZE : FULL_HEADER_SIZE);
  writeMessageHeader(out, mini, serial, type, size);
  return out;
}

export function encodeMessage(mini: boolean, serial: bigint, type: number, body: Uint8Array): Uint8Array {
  const headerSize = mini ? MINI_HEADER_SIZE : FULL_HEADER_SIZE;
  const out = new Uint8Array(headerSize + body.byteLength);
  writeMessageHeader(out, mini, serial, type, body.byteLength);
  out.set(body, headerSize);
  return out;
}

/** Writes a message header at the start of `into` (which has room for it) for a body of `size` bytes. */
export function writeMessageHeader(into: Uint8Array, mini: boolean, serial: bigint, type: number, size: number): void {
  const view = new DataView(into.buffer, into.byteOffset, mini ? MINI_HEADER_SIZE : FULL_HEADER_SIZE);
  if (mini) {
    view.setUint16(0, type, true);
    view.setUint32(2, size, true);
    return;
  }
  view.setBigUint64(0, serial, true);
  view.setUint16(8, type, true);
  view.setUint32(10, size, true);
  view.setUint32(14, 0, true);
}
