// Builds display message bodies by hand for the parser tests. A pointer field is written as a
// placeholder; the structure it points to is appended after everything written so far when the
// body is finished, and the placeholder is patched with its offset (as spice-server lays them out).
import { WireWriter } from '../../../../src/protocol/wire/writer.ts';
import type { Rect } from '../../../../src/protocol/pixels/geometry.ts';

export type Block = (b: BodyBuilder) => void;

export class BodyBuilder {
  readonly w = new WireWriter();
  private readonly pending: { at: number; block: Block }[] = [];
  /** Offsets the pointed-to blocks landed at, in the order they were written. */
  readonly blockOffsets: number[] = [];

  /** A pointer field: NULL for null, else the offset of `block` once the body is finished. */
  ptr(block: Block | null): this {
    if (block) this.pending.push({ at: this.w.offset, block });
    this.w.u32(0);
    return this;
  }

  /** A pointer field with an explicit (possibly bogus) value. */
  rawPtr(value: number): this {
    this.w.u32(value);
    return this;
  }

  finish(): Uint8Array {
    for (let i = 0; i < this.pending.length; i++) {
      const { at, block } = this.pending[i];
      const offset = this.w.offset;
      this.blockOffsets.push(offset);
      block(this);
      this.w.patchU32(at, offset);
    }
    return this.w.finish();
  }

  rect(r: Rect): this {
    this.w.i32(r.top).i32(r.left).i32(r.bottom).i32(r.right);
    return this;
  }

  point(x: number, y: number): this {
    this.w.i32(x).i32(y);
    return this;
  }

  clip(rects: Rect[] | null): this {
    if (!rects) {
      this.w.u8(0);
      return this;
    }
    this.w.u8(1).u32(rects.length);
    for (const r of rects) this.rect(r);
    return this;
  }

  /** DisplayBase: u32 surface id, Rect box, Clip. */
  base(surfaceId: number, box: Rect, clip: Rect[] | null = null): this {
    this.w.u32(surfaceId);
    this.rect(box);
    return this.clip(clip);
  }

  /** ImageDescriptor: u64 id, u8 type, u8 flags, u32 width, u32 height. */
  descriptor(id: bigint, type: number, flags: number, width: number, height: number): this {
    this.w.u64(id).u8(type).u8(flags).u32(width).u32(height);
    return this;
  }

  /** QMask: u8 flags, Point pos, pointer to an image. */
  qmask(flags: number, x: number, y: number, image: Block | null): this {
    this.w.u8(flags);
    this.point(x, y);
    return this.ptr(image);
  }

  noMask(): this {
    return this.qmask(0, 0, 0, null);
  }
}

export function body(build: (b: BodyBuilder) => void): Uint8Array {
  const b = new BodyBuilder();
  build(b);
  return b.finish();
}

export const box = (top: number, left: number, bottom: number, right: number): Rect => ({ top, left, bottom, right });

/** A BITMAP image block: descriptor, BitmapData with an inline palette (or none), the pixels. */
export function bitmapImage(o: {
  id?: bigint;
  format: number;
  width: number;
  height: number;
  stride: number;
  flags?: number;
  palette?: { unique: bigint; entries: number[] } | null;
  paletteId?: bigint;
  pixels: Uint8Array;
}): Block {
  return (b) => {
    b.descriptor(o.id ?? 1n, 0, 0, o.width, o.height);
    b.w.u8(o.format).u8(o.flags ?? 0).u32(o.width).u32(o.height).u32(o.stride);
    if (o.paletteId !== undefined) b.w.u64(o.paletteId);
    else b.ptr(o.palette ? paletteBlock(o.palette.unique, o.palette.entries) : null);
    b.w.bytes(o.pixels);
  };
}

export function paletteBlock(unique: bigint, entries: number[], claimedCount = entries.length): Block {
  return (b) => {
    b.w.u64(unique).u16(claimedCount);
    for (const e of entries) b.w.u32(e);
  };
}

/** An image whose body is BinaryData (QUIC, LZ_RGB, GLZ_RGB, JPEG, LZ4). */
export function binaryImage(type: number, data: Uint8Array, id = 7n, width = 4, height = 2): Block {
  return (b) => {
    b.descriptor(id, type, 0, width, height);
    b.w.u32(data.byteLength).bytes(data);
  };
}

export function bytesOf(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}
