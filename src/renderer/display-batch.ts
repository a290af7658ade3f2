// The display messages of a host packet on their way to the decode worker. Cloning an array of
// objects with a view and a bigint each cost the page's thread more than anything else it did
// (a CPU profile of the gateway bench: postMessage about 70 ms a second); a flat table of
// numbers and the packet's buffer, both transferred, cost almost nothing to send.
import type { DisplayItem } from './worker-messages.ts';

/** Per item: buffer index, channel id, message type, body offset, body length, serial low and high 32 bits. */
const COLUMNS = 7;

export interface PackedDisplayBatch {
  /** The buffers the bodies are in (usually one packet's). */
  buffers: ArrayBuffer[];
  table: Uint32Array;
}

export function packDisplayBatch(items: readonly DisplayItem[]): PackedDisplayBatch {
  const buffers: ArrayBuffer[] = [];
  const table = new Uint32Array(items.length * COLUMNS);
  let o = 0;
  for (const i of items) {
    const buffer = i.body.buffer as ArrayBuffer;
    let b = buffers.indexOf(buffer);
    if (b < 0) b = buffers.push(buffer) - 1;
    table[o++] = b;
    table[o++] = i.channelId;
    table[o++] = i.type;
    table[o++] = i.body.byteOffset;
    table[o++] = i.body.byteLength;
    table[o++] = Number(i.serial & 0xffffffffn);
    table[o++] = Number((i.serial >> 32n) & 0xffffffffn);
  }
  return { buffers, table };
}

/** Calls `each` with the items in order; throws on a table that does not fit its buffers (the page is trusted, but a bug should say so). */
export function forEachDisplayItem(batch: PackedDisplayBatch, each: (channelId: number, type: number, body: Uint8Array, serial: bigint) => void): void {
  const { buffers, table } = batch;
  if (table.length % COLUMNS !== 0) throw new Error(`display batch: a table of ${table.length} numbers is not rows of ${COLUMNS}`);
  for (let o = 0; o < table.length; o += COLUMNS) {
    const buffer = buffers[table[o]];
    const offset = table[o + 3];
    const length = table[o + 4];
    if (!buffer || offset + length > buffer.byteLength) throw new Error(`display batch: item ${o / COLUMNS} lies outside its buffer`);
    const serial = (BigInt(table[o + 6]) << 32n) | BigInt(table[o + 5]);
    each(table[o + 1], table[o + 2], new Uint8Array(buffer, offset, length), serial);
  }
}
