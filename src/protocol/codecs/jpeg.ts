// SPICE JPEG images (image type JPEG, and the colour part of JPEG_ALPHA): one complete baseline
// JPEG (JFIF) stream per image, which spice-server writes with libjpeg when it may be lossy
// (its jpeg-wan-compression setting) and spice-gtk decodes with libjpeg into xRGB rows, top row
// first (src/decode-jpeg.c; common/canvas_base.c canvas_get_jpeg).
// Decoding itself is injected: src/protocol has no JPEG decoder, so the host brings one (a pure-JS
// decoder in Node, the browser's own in the renderer). What is done here is what must not be
// trusted to any decoder: reading the frame header first, so that an image whose JPEG says a
// different size than its descriptor (or a huge one) is refused before anything is allocated, and
// turning every decoder failure into a ProtocolError.
import type { Pixels } from '../pixels/pixels.ts';
import { ProtocolError, SpiceError } from '../wire/errors.ts';
import { checkImageSize, type ExpectedSize } from './lz.ts';

export interface JpegDecoder {
  /**
   * Decodes one complete JPEG stream to `expected.width`×`expected.height` pixels, rows top-down,
   * each word 0x00RRGGBB (top byte 0, as spice-gtk's xRGB surface). decodeJpegImage has already
   * checked that the frame header declares exactly that size; an implementation must still refuse
   * (throw or reject) rather than allocate for anything larger. Any failure may be thrown as any
   * error: decodeJpegImage turns it into a ProtocolError.
   */
  decode(jpeg: Uint8Array, expected: ExpectedSize): Pixels | Promise<Pixels>;
}

/** What the frame header (SOFn) of a JPEG stream declares. */
export interface JpegFrameHeader {
  /** The SOF marker's low byte: 0xC0 baseline, 0xC1 extended sequential, 0xC2 progressive. */
  process: number;
  width: number;
  height: number;
  components: number;
  /** Offset of the SOS (start of scan) marker: the first entropy-coded data follows it. */
  scanOffset: number;
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
/** Huffman-coded DCT processes, the ones every JPEG decoder (libjpeg, browsers, jpeg-js) reads. */
const SUPPORTED_FRAMES: Record<number, string> = { 0xc0: 'baseline', 0xc1: 'extended sequential', 0xc2: 'progressive' };
/** Every SOFn marker; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames. */
function isFrameMarker(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function fail(detail: string, offset: number): never {
  throw new ProtocolError(`JPEG image: ${detail}`, offset);
}

function readU16BE(data: Uint8Array, offset: number): number {
  return (data[offset] << 8) | data[offset + 1];
}

/**
 * Walks the marker segments of a JPEG stream up to its first scan and checks what a decoder will
 * be asked to do: a SOI first, well-formed segments, exactly one frame of a supported process
 * with 8-bit samples and 1 or 3 components, of the size the image descriptor declared (and
 * within the global pixel limit), and an EOI at the very end (so a truncated stream is refused
 * here: decoders tend to pad a short scan with zeros rather than fail).
 * Throws ProtocolError with the offset of the offending byte.
 */
export function readJpegFrameHeader(data: Uint8Array, expected: ExpectedSize): JpegFrameHeader {
  if (data.length < 4) fail(`${data.length} bytes cannot hold a JPEG stream`, 0);
  if (data[0] !== 0xff || data[1] !== SOI) fail(`the stream does not start with a JPEG SOI marker (0xffd8)`, 0);
  let frame: JpegFrameHeader | null = null;
  let pos = 2;
  for (;;) {
    if (pos >= data.length) fail('the stream ends before its first scan (SOS)', pos);
    if (data[pos] !== 0xff) fail(`expected a marker, found byte 0x${data[pos].toString(16)}`, pos);
    // Any number of 0xff fill bytes may precede a marker.
    while (pos < data.length && data[pos] === 0xff) pos++;
    if (pos >= data.length) fail('the stream ends inside a marker', pos);
    const markerAt = pos - 1;
    const marker = data[pos++];
    if (marker === SOI || marker === EOI || marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7)) {
      fail(`unexpected marker 0xff${marker.toString(16).padStart(2, '0')} before the first scan`, markerAt);
    }
    if (pos + 2 > data.length) fail('the stream ends inside a segment length', pos);
    const length = readU16BE(data, pos);
    if (length < 2) fail(`segment 0xff${marker.toString(16)} has an impossible length ${length}`, pos);
    if (pos + length > data.length) fail(`segment 0xff${marker.toString(16)} of ${length} bytes runs past the end of the stream`, pos);
    if (isFrameMarker(marker)) {
      if (frame) fail('the stream has more than one frame (SOF) header', markerAt);
      const name = SUPPORTED_FRAMES[marker];
      if (name === undefined) fail(`unsupported JPEG process (SOF marker 0xff${marker.toString(16)})`, markerAt);
      if (length < 8) fail(`the frame header is ${length} bytes, too short`, pos);
      const precision = data[pos + 2];
      const height = readU16BE(data, pos + 3);
      const width = readU16BE(data, pos + 5);
      const components = data[pos + 7];
      if (precision !== 8) fail(`${precision}-bit samples are not supported (only 8-bit)`, pos + 2);
      if (components !== 1 && components !== 3) fail(`${components} colour components are not supported (only 1 or 3)`, pos + 7);
      if (length !== 8 + 3 * components) fail(`a frame header of ${components} components cannot be ${length} bytes`, pos);
      checkImageSize('JPEG', width, height, expected, pos + 3);
      frame = { process: marker, width, height, components, scanOffset: 0 };
    } else if (marker === SOS) {
      if (!frame) fail('the first scan comes before any frame (SOF) header', markerAt);
      const end = data.length;
      if (pos + length >= end - 2) fail('the scan has no entropy-coded data before the end of the stream', pos + length);
      if (data[end - 2] !== 0xff || data[end - 1] !== EOI) fail('the stream does not end with an EOI marker (0xffd9): it is truncated', end);
      return { ...frame, scanOffset: markerAt };
    }
    pos += length;
  }
}

function decoderFailure(error: unknown): SpiceError {
  if (error instanceof SpiceError) return error;
  const why = error instanceof Error ? error.message : String(error);
  return new ProtocolError(`JPEG image: the decoder refused the stream (${why})`, 0);
}

function checkDecoded(pixels: Pixels, expected: ExpectedSize): Pixels {
  const count = expected.width * expected.height;
  if (pixels.width !== expected.width || pixels.height !== expected.height || pixels.data.length < count) {
    throw new ProtocolError(
      `JPEG image: the decoder produced ${pixels.width}×${pixels.height} (${pixels.data.length} pixels) for a ${expected.width}×${expected.height} image`,
      0,
    );
  }
  const data = pixels.data.length === count ? pixels.data : pixels.data.subarray(0, count);
  return { width: expected.width, height: expected.height, data, hasAlpha: false };
}

/**
 * Decodes a JPEG image of the declared size with the injected decoder. Synchronous when the
 * decoder is. Throws (or rejects with) ProtocolError for a stream whose header is malformed,
 * truncated or of another size, and for anything the decoder fails on.
 */
export function decodeJpegImage(data: Uint8Array, decoder: JpegDecoder, expected: ExpectedSize): Pixels | Promise<Pixels> {
  readJpegFrameHeader(data, expected);
  let result: Pixels | Promise<Pixels>;
  try {
    result = decoder.decode(data, expected);
  } catch (error) {
    throw decoderFailure(error);
  }
  if (result instanceof Promise) {
    return result.then(
      (pixels) => checkDecoded(pixels, expected),
      (error: unknown) => {
        throw decoderFailure(error);
      },
    );
  }
  return checkDecoded(result, expected);
}
