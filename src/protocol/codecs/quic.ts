// QUIC images (SPICE image type QUIC) to 0xAARRGGBB pixels. QUIC is spice-common's lossless
// codec derived from SFALIC: each channel value is predicted from its left and upper neighbours,
// the residual is coded with a Golomb-Rice code whose parameter an adaptive per-context model
// picks, and runs of repeated pixels are coded with MELCODE. The algorithm and constants follow
// spice-common common/quic.c, quic_tmpl.c and quic_family_tmpl.c, so that every stream decodes to
// the pixels spice-gtk shows:
// - RGB32 and RGB24 give a zero top byte; RGBA keeps its alpha (hasAlpha).
// - RGB16 (5 bits per channel) is widened by bit replication, (v << 3) | (v >> 2), as spice-common
//   does when it decodes RGB16 into a 32-bit surface.
// - GRAY, which spice-common's canvas refuses and no server sends, gives grey pixels (v, v, v).
// A corrupt or truncated stream throws a ProtocolError; decoding stops at the first word past the
// data and every loop is bounded by the image size. The row decoders are in quic-rows.ts.
import type { Pixels } from '../pixels/pixels.ts';
import { MAX_IMAGE_DIMENSION } from '../pixels/limits.ts';
import { ProtocolError, SpiceError } from '../wire/errors.ts';
import { ChannelModels, decodePlaneRow, decodeRgbRow, QuicStream } from './quic-rows.ts';
import { FAMILY_5BPC, FAMILY_8BPC } from './quic-tables.ts';
import type { WasmDecoders } from './wasm/wasm-decoders.ts';

export const QuicImageType = { GRAY: 1, RGB16: 2, RGB24: 3, RGB32: 4, RGBA: 5 } as const;

/** Largest image decoded (width × height): 256 MiB of pixels. */
export const QUIC_MAX_PIXELS = 1 << 26;

const QUIC_MAGIC = 0x43495551; // "QUIC" as a little-endian u32
const QUIC_VERSION = 0;
const HEADER_BYTES = 20;

/** 5-bit channel value to 8 bits by bit replication. */
const WIDEN_5_TO_8 = Uint8Array.from({ length: 32 }, (_, v) => (v << 3) | (v >>> 2));

export interface QuicHeader {
  type: number;
  width: number;
  height: number;
}

function headerError(detail: string, offset: number): never {
  throw new ProtocolError(detail, offset, { messageName: 'QUIC image' });
}

/** Reads and checks the 20-byte QUIC header without decoding anything else. */
export function readQuicHeader(data: Uint8Array): QuicHeader {
  if (data.length < HEADER_BYTES) headerError(`QUIC data of ${data.length} bytes is shorter than its ${HEADER_BYTES}-byte header`, 0);
  const word = (i: number): number => (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) >>> 0;
  if (word(0) !== QUIC_MAGIC) headerError(`QUIC data does not start with the "QUIC" magic (got 0x${word(0).toString(16)})`, 0);
  if (word(4) !== QUIC_VERSION) headerError(`QUIC version 0x${word(4).toString(16)} is not the supported 0`, 4);
  const type = word(8);
  if (type < QuicImageType.GRAY || type > QuicImageType.RGBA) headerError(`unknown QUIC image type ${type}`, 8);
  return { type, width: word(12), height: word(16) };
}

/**
 * Decodes a QUIC image into pixels. `expected` is the size the image descriptor announced; the
 * stream must say the same. `out`, if given, must be that size and receives the pixels. `wasm`,
 * when the host passes it (wasm-decoders.ts), decodes first; the TypeScript decoder is the fallback.
 */
export function decodeQuic(data: Uint8Array, expected: { width: number; height: number }, out?: Pixels, wasm: WasmDecoders | null = null): Pixels {
  const { type, width, height } = readQuicHeader(data);
  if (width === 0 || height === 0 || width > MAX_IMAGE_DIMENSION || height > MAX_IMAGE_DIMENSION) {
    headerError(`QUIC image size ${width}x${height} is empty or over the ${MAX_IMAGE_DIMENSION}-pixel limit`, 12);
  }
  if (width !== expected.width || height !== expected.height) {
    headerError(`QUIC image is ${width}x${height} but its descriptor says ${expected.width}x${expected.height}`, 12);
  }
  if (width * height > QUIC_MAX_PIXELS) headerError(`QUIC image ${width}x${height} is over the ${QUIC_MAX_PIXELS}-pixel limit`, 12);
  // Every pixel of the first row and the first pixel of every other row take at least one bit.
  if ((data.length - HEADER_BYTES) * 8 < width + height - 1) {
    headerError(`QUIC data of ${data.length} bytes is too short for a ${width}x${height} image`, HEADER_BYTES);
  }
  let pixels: Pixels;
  if (out) {
    if (out.width !== width || out.height !== height || out.data.length < width * height) {
      throw new SpiceError('internal', `decodeQuic: the output is ${out.width}x${out.height}, the image ${width}x${height}`);
    }
    pixels = out;
    pixels.hasAlpha = type === QuicImageType.RGBA;
  } else {
    pixels = { width, height, data: new Uint32Array(width * height), hasAlpha: type === QuicImageType.RGBA };
  }

  // The WebAssembly decoder when it can run; the code below stays the reference, the fallback,
  // and what reports a corrupt stream (the WebAssembly one only says that it failed).
  if (wasm?.quic(data, HEADER_BYTES, type, width, height, pixels.data)) return pixels;

  const family = type === QuicImageType.RGB16 ? FAMILY_5BPC : FAMILY_8BPC;
  const px = pixels.data;
  const stream = new QuicStream(data, HEADER_BYTES, family, px, width);

  if (type === QuicImageType.GRAY) {
    const grey = new ChannelModels(family, 1, width);
    for (let y = 0; y < height; y++) {
      decodePlaneRow(stream, grey, y, 0);
      for (let o = y * width, end = o + width; o < end; o++) px[o] = (px[o] & 0xff) * 0x010101;
    }
    return pixels;
  }

  const rgb = new ChannelModels(family, 3, width);
  if (type === QuicImageType.RGBA) {
    const alpha = new ChannelModels(family, 1, width);
    for (let y = 0; y < height; y++) {
      decodeRgbRow(stream, rgb, y);
      decodePlaneRow(stream, alpha, y, 24);
    }
    return pixels;
  }
  for (let y = 0; y < height; y++) decodeRgbRow(stream, rgb, y);
  if (type === QuicImageType.RGB16) {
    // Widened only now: the rows above must keep their 5-bit values while the image is decoded.
    const count = width * height;
    for (let o = 0; o < count; o++) {
      const v = px[o];
      px[o] = (WIDEN_5_TO_8[(v >>> 16) & 31] << 16) | (WIDEN_5_TO_8[(v >>> 8) & 31] << 8) | WIDEN_5_TO_8[v & 31];
    }
  }
  return pixels;
}
