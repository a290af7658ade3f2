// Builds cursor-channel message bodies and cursor pixel data for tests, byte by byte.
import { WireWriter } from '../../../../src/protocol/wire/writer.ts';

export interface CursorSpec {
  flags?: number;
  unique?: bigint;
  type: number;
  width: number;
  height: number;
  hotX?: number;
  hotY?: number;
  data?: Uint8Array;
}

/** A Cursor struct: flags, then (unless NONE) the 17-byte header and the data. */
export function cursorStruct(c: CursorSpec | 'none'): Uint8Array {
  if (c === 'none') return new WireWriter().u16(1).finish();
  const w = new WireWriter().u16(c.flags ?? 0).u64(c.unique ?? 0n).u8(c.type).u16(c.width).u16(c.height).u16(c.hotX ?? 0).u16(c.hotY ?? 0);
  if (c.data) w.bytes(c.data);
  return w.finish();
}

export function initBody(o: { x?: number; y?: number; trailLength?: number; trailFrequency?: number; visible?: boolean; cursor: CursorSpec | 'none' }): Uint8Array {
  return new WireWriter()
    .i16(o.x ?? 0)
    .i16(o.y ?? 0)
    .u16(o.trailLength ?? 0)
    .u16(o.trailFrequency ?? 0)
    .u8(o.visible === false ? 0 : 1)
    .bytes(cursorStruct(o.cursor))
    .finish();
}

export function setBody(o: { x?: number; y?: number; visible?: boolean; cursor: CursorSpec | 'none' }): Uint8Array {
  return new WireWriter().i16(o.x ?? 0).i16(o.y ?? 0).u8(o.visible === false ? 0 : 1).bytes(cursorStruct(o.cursor)).finish();
}

export const moveBody = (x: number, y: number): Uint8Array => new WireWriter().i16(x).i16(y).finish();
export const trailBody = (length: number, frequency: number): Uint8Array => new WireWriter().u16(length).u16(frequency).finish();
export const invalOneBody = (id: bigint): Uint8Array => new WireWriter().u64(id).finish();

/** Concatenates byte arrays and plain byte lists. */
export function bytes(...parts: (Uint8Array | number[])[]): Uint8Array {
  const list = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(list.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of list) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** Little-endian u32 words (xRGB palette entries and COLOR32/ALPHA pixels). */
export function words(...values: number[]): Uint8Array {
  const w = new WireWriter(values.length * 4);
  for (const v of values) w.u32(v);
  return w.finish();
}

/** Little-endian u16 words (COLOR16 pixels). */
export function halfWords(...values: number[]): Uint8Array {
  const w = new WireWriter(values.length * 2);
  for (const v of values) w.u16(v);
  return w.finish();
}

/** A palette of `size` xRGB words, all `fill` except the given indices. */
export function palette(size: number, fill: number, entries: Record<number, number>): Uint8Array {
  const values = Array.from({ length: size }, (_, i) => entries[i] ?? fill);
  return words(...values);
}
