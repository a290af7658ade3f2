// SpiceImage and its palette as they sit in a display message body (spice.proto `Image`,
// `BitmapData`, `Palette`, ...). Images are reached only through pointer fields; pixel and codec
// data stay views into the message, so nothing here copies image bytes.
import type { WireReader } from '../../wire/reader.ts';
import { MAX_IMAGE_DIMENSION, MAX_PALETTE_ENTRIES } from '../../pixels/limits.ts';
import { ImageType, type ImageDescriptor, type SpiceImage, type SpiceImageBody } from '../../pixels/draw-ops.ts';
import { BitmapFlags, BitmapFormat, type BitmapBody, type Palette, type PaletteRef } from '../../pixels/formats.ts';

/** Bits per pixel of each BitmapFormat, indexed by format number; 0 for INVALID. */
const BITMAP_BITS_PER_PIXEL: readonly number[] = [0, 1, 1, 4, 4, 8, 16, 24, 32, 32, 8];

const IMAGE_DESCRIPTOR_BYTES = 18;

/** spice.proto image_size(bpp, width, rows): whole bytes per row times rows. */
export function imageSize(bitsPerPixel: number, width: number, rows: number): number {
  return Math.ceil((bitsPerPixel * width) / 8) * rows;
}

/**
 * Reads a u32 pointer field (an offset from the start of the body) and returns a reader at its
 * target, or null for a NULL pointer. A target at or past the end of the body is rejected here,
 * at the offset of the pointer field, so the error points at the lie rather than at a later read.
 */
export function followPointer(r: WireReader, what: string): WireReader | null {
  const fieldOffset = r.offset;
  const target = r.u32();
  if (target === 0) return null;
  if (target >= r.length) {
    r.fail(`${what} pointer ${target} lies outside the ${r.length}-byte message`, fieldOffset);
  }
  return r.at(target, what);
}

/** A pointer to an image, or null when the field is NULL. */
export function readImagePointer(r: WireReader, what: string): SpiceImage | null {
  const target = followPointer(r, what);
  return target ? readImage(target, what) : null;
}

/** A pointer to an image that the message cannot do without (a draw source, a pattern). */
export function readRequiredImagePointer(r: WireReader, what: string): SpiceImage {
  const fieldOffset = r.offset;
  const image = readImagePointer(r, what);
  if (!image) r.fail(`${what} pointer is NULL`, fieldOffset);
  return image;
}

/** One SpiceImage at the reader's position: descriptor, then the body its type calls for. */
export function readImage(r: WireReader, what = 'image'): SpiceImage {
  const start = r.offset;
  r.need(IMAGE_DESCRIPTOR_BYTES, `${what} descriptor`);
  const descriptor: ImageDescriptor = {
    id: r.u64(),
    type: r.u8(),
    flags: r.u8(),
    width: r.u32(),
    height: r.u32(),
  };
  checkDimensions(r, what, descriptor.width, descriptor.height, start + 10);
  return { descriptor, body: readImageBody(r, descriptor.type, what, start) };
}

function readImageBody(r: WireReader, type: number, what: string, descriptorOffset: number): SpiceImageBody {
  switch (type) {
    case ImageType.BITMAP:
      return { kind: 'bitmap', bitmap: readBitmap(r, what) };
    case ImageType.QUIC:
      return { kind: 'quic', data: readBinaryData(r, what) };
    case ImageType.LZ_RGB:
      return { kind: 'lz-rgb', data: readBinaryData(r, what) };
    case ImageType.GLZ_RGB:
      return { kind: 'glz-rgb', data: readBinaryData(r, what) };
    case ImageType.JPEG:
      return { kind: 'jpeg', data: readBinaryData(r, what) };
    case ImageType.LZ4:
      return { kind: 'lz4', data: readBinaryData(r, what) };
    case ImageType.LZ_PLT:
      return readLzPalette(r, what);
    case ImageType.ZLIB_GLZ_RGB: {
      const glzDataSize = r.u32();
      const dataSize = r.u32();
      return { kind: 'zlib-glz-rgb', glzDataSize, data: r.take(dataSize, `${what} zlib data`) };
    }
    case ImageType.JPEG_ALPHA: {
      const flags = r.u8();
      const jpegSizeOffset = r.offset;
      const jpegSize = r.u32();
      const dataSize = r.u32();
      if (jpegSize > dataSize) {
        r.fail(`${what} JPEG part of ${jpegSize} bytes is larger than its ${dataSize}-byte data`, jpegSizeOffset);
      }
      return { kind: 'jpeg-alpha', flags, jpegSize, data: r.take(dataSize, `${what} JPEG+alpha data`) };
    }
    case ImageType.SURFACE:
      return { kind: 'surface', surfaceId: r.u32() };
    case ImageType.FROM_CACHE:
      return { kind: 'from-cache' };
    case ImageType.FROM_CACHE_LOSSLESS:
      return { kind: 'from-cache-lossless' };
    default:
      return r.fail(`${what} has unknown image type ${type}`, descriptorOffset + 8);
  }
}

/** spice.proto BinaryData: u32 data_size, then that many bytes. */
function readBinaryData(r: WireReader, what: string): Uint8Array {
  const size = r.u32();
  return r.take(size, `${what} compressed data`);
}

function readBitmap(r: WireReader, what: string): BitmapBody {
  const formatOffset = r.offset;
  const format = r.u8();
  const flags = r.u8();
  const width = r.u32();
  const height = r.u32();
  const strideOffset = r.offset;
  const stride = r.u32();
  const bitsPerPixel = bitmapBitsPerPixel(format);
  if (bitsPerPixel === 0) {
    r.fail(`${what} has unknown bitmap format ${format}`, formatOffset);
  }
  checkDimensions(r, `${what} bitmap`, width, height, formatOffset + 2);
  const minStride = imageSize(bitsPerPixel, width, 1);
  if (stride < minStride) {
    r.fail(`${what} bitmap stride ${stride} is below the ${minStride} bytes a ${width}-pixel row of format ${format} needs`, strideOffset);
  }
  const paletteRef = readPaletteRef(r, flags, false, what);
  const data = r.take(stride * height, `${what} bitmap pixels (${stride}×${height})`);
  return { format, flags, width, height, stride, paletteRef, data };
}

function readLzPalette(r: WireReader, what: string): SpiceImageBody {
  const flags = r.u8();
  const dataSize = r.u32();
  const paletteRef = readPaletteRef(r, flags, true, what);
  return { kind: 'lz-plt', flags, paletteRef, data: r.take(dataSize, `${what} LZ data`) };
}

/** The `pal` switch of BitmapData and LZPLTData: a cached palette id or a pointer to a palette. */
function readPaletteRef(r: WireReader, bitmapFlags: number, required: boolean, what: string): PaletteRef {
  if (bitmapFlags & BitmapFlags.PAL_FROM_CACHE) return { paletteId: r.u64() };
  const fieldOffset = r.offset;
  const target = followPointer(r, `${what} palette`);
  if (!target) {
    if (required) r.fail(`${what} palette pointer is NULL`, fieldOffset);
    return { palette: null };
  }
  return { palette: readPalette(target, what) };
}

function readPalette(r: WireReader, what: string): Palette {
  const unique = r.u64();
  const countOffset = r.offset;
  const numEntries = r.u16();
  if (numEntries > MAX_PALETTE_ENTRIES) {
    r.fail(`${what} palette claims ${numEntries} entries; at most ${MAX_PALETTE_ENTRIES} are allowed`, countOffset);
  }
  r.count(numEntries, 4, `${what} palette`);
  const entries = new Uint32Array(numEntries);
  for (let i = 0; i < numEntries; i++) entries[i] = r.u32();
  return { unique, entries };
}

/** Rejects a width or height over MAX_IMAGE_DIMENSION; `offset` is where the width field sits. */
export function checkDimensions(r: WireReader, what: string, width: number, height: number, offset: number): void {
  if (width > MAX_IMAGE_DIMENSION || height > MAX_IMAGE_DIMENSION) {
    r.fail(`${what} is ${width}×${height}, over the ${MAX_IMAGE_DIMENSION}×${MAX_IMAGE_DIMENSION} limit`, offset);
  }
}

/** Bits per pixel of a BitmapFormat, or 0 for one this client does not know. */
export function bitmapBitsPerPixel(format: number): number {
  return format > BitmapFormat.INVALID && format < BITMAP_BITS_PER_PIXEL.length ? BITMAP_BITS_PER_PIXEL[format] : 0;
}
