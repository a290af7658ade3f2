// Port channel message bodies as spice-server sends them, for the unit tests and the fuzzer's seeds.
import { DataCompression } from '../../../../src/protocol/channels/spicevmc/spicevmc-messages.ts';
import { WireWriter } from '../../../../src/protocol/wire/writer.ts';

const ascii = (s: string) => new TextEncoder().encode(s);

/** PORT_INIT: u32 name size (with the NUL), u32 offset of the name, u8 opened, then the name. */
export function portInitBody(name: string, opened: boolean): Uint8Array {
  const bytes = ascii(name);
  return new WireWriter().u32(bytes.byteLength + 1).u32(9).u8(opened ? 1 : 0).bytes(bytes).u8(0).finish();
}

export const u8Body = (v: number) => Uint8Array.of(v);

/** COMPRESSED_DATA with NONE: the bytes as they are. */
export function uncompressedBody(data: Uint8Array): Uint8Array {
  return new WireWriter().u8(DataCompression.NONE).bytes(data).finish();
}

/**
 * COMPRESSED_DATA with LZ4: a block of a few literals, one match repeating them (so the decoder's
 * back references run), and the last literals. `text` = head + repeated head + tail.
 */
export function lz4Body(head: string, repeats: number, tail: string): { body: Uint8Array; text: string } {
  const h = ascii(head);
  const t = ascii(tail);
  const matchLength = h.byteLength * repeats;
  if (h.byteLength > 14 || t.byteLength > 14 || matchLength < 4 || matchLength - 4 > 14) throw new Error('lz4Body keeps to one-byte tokens');
  const block = new WireWriter()
    .u8((h.byteLength << 4) | (matchLength - 4))
    .bytes(h)
    .u16(h.byteLength)
    .u8(t.byteLength << 4)
    .bytes(t)
    .finish();
  const text = head + head.repeat(repeats) + tail;
  return { body: new WireWriter().u8(DataCompression.LZ4).u32(text.length).bytes(block).finish(), text };
}

/** QMP lines as QEMU sends them (CRLF). */
export const qmpLine = (value: unknown) => ascii(`${JSON.stringify(value)}\r\n`);

export const qmpGreeting = {
  QMP: { version: { qemu: { micro: 22, minor: 2, major: 7 }, package: 'Debian 1:7.2+dfsg-7+deb12u22' }, capabilities: ['oob'] },
};

/** A webdav mux frame: i64 LE client id, u16 LE size, the bytes. */
export function muxFrame(id: bigint, data: Uint8Array | string): Uint8Array {
  const bytes = typeof data === 'string' ? ascii(data) : data;
  return new WireWriter().i64(id).u16(bytes.byteLength).bytes(bytes).finish();
}
