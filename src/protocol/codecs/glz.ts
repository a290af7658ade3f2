// GLZ images (GLZ_RGB): LZ whose back references may also point into earlier images of the
// session's GLZ window (glz-window.ts). Format facts from spice-gtk (src/decode-glz.c,
// decode-glz-tmpl.c) and the server's encoder (server/glz-encode-match.tmpl.c):
// - Header, big-endian: magic "LZ  ", version 1.1, one byte (image type in the low nibble,
//   top_down in the high nibble), width, height, stride (u32 each), image id (u64),
//   win_head_dist (u32). 33 bytes.
// - Control byte < 32: ctrl+1 literal pixels. Otherwise a match: length = ctrl>>5 (7 extends with
//   bytes until one is not 255), bit 4 selects a long pixel offset, the low nibble is the start of
//   the pixel offset. Then a byte (pixel offset << 4) and a byte whose top two bits count the
//   extra image-distance bytes. Short form: the low 6 bits start the image distance, the extra
//   bytes follow at 6, 14 and 22 bits. Long form: its low 5 bits are pixel offset << 12, bit 5
//   announces a final byte of pixel offset << 17, and the extra bytes are the image distance.
// - Image distance 0: a reference inside this image, pixel offset + 1 back. Otherwise a reference
//   to image (id − distance) at pixel offset from its first pixel, in the order its rows were sent.
// - Length bias: none for RGB24/RGB32, 1 for RGB16, 2 for the alpha stream of RGBA.
// - The server only uses GLZ for RGB16/24/32 and RGBA, and GLZ_RGB carries no palette; spice-gtk
//   fails paletted GLZ images, and so does this decoder.
// A reference to an image that is not in the window yet makes the decode wait for it (it may come
// over another display channel); decodeGlz then returns a Promise. When every reference is
// already there it decodes synchronously.
import type { Pixels } from '../pixels/pixels.ts';
import { ProtocolError } from '../wire/errors.ts';
import { expandRgb555 } from './bitmap.ts';
import type { AbortSignalLike, GlzWindow } from './glz-window.ts';
import { checkImageSize, copyMatch, flipRows, LZ_MAGIC, LZ_VERSION, LzImageType, readU32BE, type ExpectedSize, type LzHeader } from './lz.ts';

export const GLZ_HEADER_SIZE = 33;
const MAX_COPY = 32;

/** An LZ header plus GLZ's image id and how far back the server's window reaches. */
export interface GlzHeader extends LzHeader {
  id: bigint;
  winHeadDist: number;
}

export interface GlzDecodeOptions {
  /** Aborts a decode that waits for an image from another channel. */
  signal?: AbortSignalLike;
  /** Its buffer is reused for the result when it has room. */
  out?: Pixels;
}

function fail(detail: string, offset: number): never {
  throw new ProtocolError(`GLZ image: ${detail}`, offset);
}

function truncated(offset: number, what: string): never {
  fail(`the stream ends inside ${what}`, offset);
}

const BYTES_PER_PIXEL: Record<number, number> = {
  [LzImageType.RGB16]: 2,
  [LzImageType.RGB24]: 3,
  [LzImageType.RGB32]: 4,
  [LzImageType.RGBA]: 4,
};

/** Reads and validates the 33-byte header against the declared image size. */
export function readGlzHeader(data: Uint8Array, expected: ExpectedSize): GlzHeader {
  if (data.length < GLZ_HEADER_SIZE) truncated(data.length, `the ${GLZ_HEADER_SIZE}-byte header`);
  const magic = readU32BE(data, 0);
  if (magic !== LZ_MAGIC) fail(`bad magic 0x${magic.toString(16)} (expected 0x${LZ_MAGIC.toString(16)})`, 0);
  const version = readU32BE(data, 4);
  if (version !== LZ_VERSION) fail(`unsupported version 0x${version.toString(16)} (expected 0x${LZ_VERSION.toString(16)})`, 4);
  const type = data[8] & 0x0f;
  const bytesPerPixel = BYTES_PER_PIXEL[type];
  if (bytesPerPixel === undefined) {
    fail(`image type ${type} cannot be sent as GLZ (only RGB16, RGB24, RGB32 and RGBA; GLZ_RGB has no palette)`, 8);
  }
  const width = readU32BE(data, 9);
  const height = readU32BE(data, 13);
  const stride = readU32BE(data, 17);
  checkImageSize('GLZ', width, height, expected, 9);
  if (stride !== width * bytesPerPixel) {
    fail(`stride ${stride} does not match a ${width}-pixel row of type ${type} (${width * bytesPerPixel} bytes)`, 17);
  }
  const id = (BigInt(readU32BE(data, 21)) << 32n) | BigInt(readU32BE(data, 25));
  return { type, width, height, stride, topDown: data[8] >> 4 !== 0, id, winHeadDist: readU32BE(data, 29) };
}

// The match being decoded, set by readGlzMatch (module state keeps the loops allocation-free).
let matchLength = 0;
let matchPixelOffset = 0;
let matchImageDistance = 0;

/** Reads a match whose control byte is `ctrl`; returns the next input position. */
function readGlzMatch(src: Uint8Array, ip: number, ctrl: number): number {
  const end = src.length;
  let length = ctrl >>> 5;
  let pixelOffset = ctrl & 0x0f;
  if (length === 7) {
    let code: number;
    do {
      if (ip >= end) truncated(ip, 'a match length');
      code = src[ip++];
      length += code;
    } while (code === 255);
  }
  if (ip + 2 > end) truncated(ip, 'a match offset');
  pixelOffset += src[ip++] << 4;
  const code = src[ip++];
  const extraBytes = code >>> 6;
  let imageDistance: number;
  if ((ctrl & 0x10) === 0) {
    if (ip + extraBytes > end) truncated(ip, 'an image distance');
    imageDistance = code & 0x3f;
    for (let i = 0; i < extraBytes; i++) imageDistance += src[ip++] * 2 ** (6 + 8 * i);
  } else {
    pixelOffset += (code & 0x1f) << 12;
    const veryLong = (code & 0x20) !== 0;
    if (ip + extraBytes + (veryLong ? 1 : 0) > end) truncated(ip, 'a long match offset');
    imageDistance = 0;
    for (let i = 0; i < extraBytes; i++) imageDistance += src[ip++] << (8 * i);
    if (veryLong) pixelOffset += src[ip++] << 17;
  }
  matchLength = length;
  matchPixelOffset = pixelOffset;
  matchImageDistance = imageDistance;
  return ip;
}

/** Which stream a pass decodes: RGB24/RGB32 pixels, RGB16 pixels, or the alpha bytes of RGBA. */
const PassKind = { Rgb24: 0, Rgb16: 1, Alpha: 2 } as const;
type PassKind = (typeof PassKind)[keyof typeof PassKind];

/** A decode in progress; it can stop at a reference to a missing image and resume later. */
class GlzJob {
  readonly header: GlzHeader;
  readonly data: Uint8Array;
  readonly window: GlzWindow;
  /** Stream-order pixels, added to the window as they are when the decode ends. */
  readonly pixels: Uint32Array;
  readonly passes: PassKind[];
  pass = 0;
  ip = GLZ_HEADER_SIZE;
  op = 0;
  private lastDistance = -1;
  private lastImage: Uint32Array | null = null;

  constructor(header: GlzHeader, data: Uint8Array, window: GlzWindow) {
    this.header = header;
    this.data = data;
    this.window = window;
    this.pixels = window.spare(header.width * header.height);
    const first = header.type === LzImageType.RGB16 ? PassKind.Rgb16 : PassKind.Rgb24;
    this.passes = header.type === LzImageType.RGBA ? [first, PassKind.Alpha] : [first];
  }

  /** Decodes as far as it can: null when done, or the id of a missing image it must wait for. */
  run(): bigint | null {
    while (this.pass < this.passes.length) {
      const missing = this.runPass(this.passes[this.pass]);
      if (missing !== null) return missing;
      this.pass++;
      this.op = 0;
    }
    if (this.ip !== this.data.length) {
      fail(`${this.data.length - this.ip} bytes are left over after the image is complete`, this.ip);
    }
    return null;
  }

  /**
   * The pixels of the image `distance` images back, or null when it has not arrived yet. Keeps the
   * last one: consecutive references usually go to the same image.
   */
  private referenced(distance: number, at: number): Uint32Array | bigint {
    if (distance === this.lastDistance && this.lastImage) return this.lastImage;
    const id = this.header.id - BigInt(distance);
    if (id < 0n) fail(`a match refers to image ${id}, before the first image`, at);
    const image = this.window.get(id);
    if (image) {
      this.lastDistance = distance;
      this.lastImage = image;
      return image;
    }
    if (this.window.isReleased(id)) fail(`a match refers to image ${id}, which is no longer in the GLZ window`, at);
    const failure = this.window.failure(id);
    if (failure !== undefined) fail(`a match refers to image ${id}, which could not be decoded (${failure})`, at);
    return id;
  }

  private runPass(kind: PassKind): bigint | null {
    const src = this.data;
    const dst = this.pixels;
    const count = dst.length;
    const bias = kind === PassKind.Alpha ? 2 : kind === PassKind.Rgb16 ? 1 : 0;
    const literalBytes = kind === PassKind.Alpha ? 1 : kind === PassKind.Rgb16 ? 2 : 3;
    let ip = this.ip;
    let op = this.op;
    while (op < count) {
      const at = ip;
      if (ip >= src.length) truncated(ip, 'a control byte');
      const ctrl = src[ip++];
      if (ctrl < MAX_COPY) {
        const n = ctrl + 1;
        if (n > count - op) fail(`${n} literals at pixel ${op} run past the ${count} pixels of the image`, at);
        if (ip + n * literalBytes > src.length) truncated(ip, `a run of ${n} literals`);
        const end = op + n;
        if (kind === PassKind.Rgb24) {
          for (; op < end; op++, ip += 3) dst[op] = src[ip] | (src[ip + 1] << 8) | (src[ip + 2] << 16);
        } else if (kind === PassKind.Rgb16) {
          for (; op < end; op++, ip += 2) dst[op] = expandRgb555((src[ip] << 8) | src[ip + 1]);
        } else {
          for (; op < end; op++) dst[op] = (dst[op] & 0xffffff) | (src[ip++] << 24);
        }
        continue;
      }
      ip = readGlzMatch(src, ip, ctrl);
      const length = matchLength + bias;
      if (length > count - op) fail(`a match of ${length} at pixel ${op} runs past the ${count} pixels of the image`, at);
      if (matchImageDistance === 0) {
        const distance = matchPixelOffset + 1;
        if (distance > op) fail(`a match reaches ${distance} back from pixel ${op}, before the start of the image`, at);
        if (kind === PassKind.Alpha) {
          for (const end = op + length; op < end; op++) dst[op] = (dst[op] & 0xffffff) | (dst[op - distance] & 0xff000000);
        } else {
          copyMatch(dst, op, length, distance);
          op += length;
        }
        continue;
      }
      const ref = this.referenced(matchImageDistance, at);
      if (typeof ref === 'bigint') {
        // Resume at this control byte once the image is there.
        this.ip = at;
        this.op = op;
        return ref;
      }
      const from = matchPixelOffset;
      if (from + length > ref.length) {
        fail(`a match copies pixels ${from}..${from + length} of an image that has ${ref.length}`, at);
      }
      if (kind === PassKind.Alpha) {
        for (let i = 0; i < length; i++, op++) dst[op] = (dst[op] & 0xffffff) | (ref[from + i] & 0xff000000);
      } else {
        dst.set(ref.subarray(from, from + length), op);
        op += length;
      }
    }
    this.ip = ip;
    this.op = op;
    return null;
  }

  /** Adds the image to the window and returns it top-down. */
  finish(out: Pixels | undefined): Pixels {
    const { width, height, topDown, id, winHeadDist, type } = this.header;
    this.window.add(id, this.pixels, winHeadDist);
    const count = width * height;
    const result = out && out.data.length >= count ? out.data.subarray(0, count) : new Uint32Array(count);
    result.set(this.pixels);
    if (!topDown) flipRows(result, width, height);
    return { width, height, data: result, hasAlpha: type === LzImageType.RGBA };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function finishAfterWaits(job: GlzJob, firstMissing: bigint, options: GlzDecodeOptions): Promise<Pixels> {
  try {
    let missing: bigint | null = firstMissing;
    while (missing !== null) {
      await job.window.whenAvailable(missing, options.signal);
      missing = job.run();
    }
    return job.finish(options.out);
  } catch (error) {
    job.window.abandon(job.header.id, describe(error));
    throw error;
  }
}

/**
 * Decodes a GLZ stream and adds the image to `window`. Returns the pixels (rows top-down) when
 * every image it refers to is in the window, else a Promise that settles once they have arrived
 * (or rejects: see GlzWindow.whenAvailable). Throws ProtocolError (offset into `data`) for
 * anything malformed; other decodes waiting for this image are then failed too.
 */
export function decodeGlz(
  data: Uint8Array,
  window: GlzWindow,
  expected: ExpectedSize,
  options: GlzDecodeOptions = {},
): Pixels | Promise<Pixels> {
  const header = readGlzHeader(data, expected);
  const job = new GlzJob(header, data, window);
  let missing: bigint | null;
  try {
    missing = job.run();
    if (missing === null) return job.finish(options.out);
  } catch (error) {
    window.abandon(header.id, describe(error));
    throw error;
  }
  return finishAfterWaits(job, missing, options);
}

/** The id a GLZ stream will take in the window (for callers that track pending images). */
export function glzImageId(data: Uint8Array): bigint {
  if (data.length < GLZ_HEADER_SIZE) truncated(data.length, `the ${GLZ_HEADER_SIZE}-byte header`);
  return (BigInt(readU32BE(data, 21)) << 32n) | BigInt(readU32BE(data, 25));
}
