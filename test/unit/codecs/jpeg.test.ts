// JPEG images: the frame-header checks done before any decoder runs, how decoder results and
// failures are handled (sync and async), and the Node decoder (jpeg-js) on small streams.
// Real recorded images are in jpeg-fixtures.test.ts.
import { encode } from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { nodeJpegDecoder } from '../../../src/main/node/jpeg-node.ts';
import type { Pixels } from '../../../src/protocol/pixels/pixels.ts';
import { decodeJpegImage, readJpegFrameHeader, type JpegDecoder } from '../../../src/protocol/codecs/jpeg.ts';
import { ProtocolError } from '../../../src/protocol/wire/errors.ts';
import { expectProtocolError } from '../../helpers/expect-protocol-error.ts';

interface StreamOptions {
  width?: number;
  height?: number;
  /** The SOF marker's low byte. */
  sof?: number;
  precision?: number;
  components?: number;
  /** Marker segments (marker byte, payload) inserted before the frame header. */
  before?: Array<[number, number[]]>;
  /** Marker segments inserted between the frame header and the scan. */
  after?: Array<[number, number[]]>;
  scanData?: number[];
  eoi?: boolean;
}

function segment(marker: number, payload: number[]): number[] {
  const length = payload.length + 2;
  return [0xff, marker, length >> 8, length & 255, ...payload];
}

/**
 * A JPEG stream with the marker structure the header checks look at (not decodable image data;
 * the decoder is faked where it is called).
 */
function jpegStream(o: StreamOptions = {}): Uint8Array {
  const width = o.width ?? 16;
  const height = o.height ?? 8;
  const components = o.components ?? 3;
  const bytes = [0xff, 0xd8];
  bytes.push(...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]));
  for (const [m, p] of o.before ?? []) bytes.push(...segment(m, p));
  const sof = [o.precision ?? 8, height >> 8, height & 255, width >> 8, width & 255, components];
  for (let c = 1; c <= components; c++) sof.push(c, 0x11, 0);
  bytes.push(...segment(o.sof ?? 0xc0, sof));
  for (const [m, p] of o.after ?? []) bytes.push(...segment(m, p));
  const sos = [components];
  for (let c = 1; c <= components; c++) sos.push(c, 0);
  sos.push(0, 63, 0);
  bytes.push(...segment(0xda, sos));
  bytes.push(...(o.scanData ?? [0x12, 0x34, 0xff, 0x00, 0x56]));
  if (o.eoi !== false) bytes.push(0xff, 0xd9);
  return Uint8Array.from(bytes);
}


/** A decoder that records its calls and returns (or throws) what it is given. */
function fakeDecoder(result: () => Pixels | Promise<Pixels>): JpegDecoder & { calls: number } {
  const d = {
    calls: 0,
    decode(): Pixels | Promise<Pixels> {
      d.calls++;
      return result();
    },
  };
  return d;
}

function solid(width: number, height: number, word: number, length = width * height): Pixels {
  return { width, height, data: new Uint32Array(length).fill(word), hasAlpha: false };
}

describe('JPEG frame header', () => {
  it('reads the size, process and components, and where the scan starts', () => {
    const s = jpegStream({ width: 300, height: 2, sof: 0xc2, components: 1 });
    const h = readJpegFrameHeader(s, { width: 300, height: 2 });
    expect(h).toMatchObject({ width: 300, height: 2, process: 0xc2, components: 1 });
    expect([s[h.scanOffset], s[h.scanOffset + 1]]).toEqual([0xff, 0xda]);
  });

  it('skips fill bytes before a marker and any number of tables', () => {
    const s = jpegStream({ before: [[0xdb, new Array(65).fill(1)]], after: [[0xc4, new Array(17).fill(0)], [0xfe, [65, 66]]] });
    const withFill = Uint8Array.from([...s.subarray(0, 2), 0xff, 0xff, ...s.subarray(2)]);
    expect(readJpegFrameHeader(withFill, { width: 16, height: 8 }).width).toBe(16);
  });

  it('refuses a frame of another size than the image descriptor, naming both', () => {
    const e = expectProtocolError(() => readJpegFrameHeader(jpegStream({ width: 4000, height: 3000 }), { width: 200, height: 150 }));
    expect(e.message).toMatch(/4000×3000/);
    expect(e.message).toMatch(/200×150/);
  });

  it('refuses a size over the global pixel limit even when the descriptor agrees', () => {
    expectProtocolError(() => readJpegFrameHeader(jpegStream({ width: 65535, height: 65535 }), { width: 65535, height: 65535 }), /limit/);
  });

  it('refuses a frame of height 0 (the height would come later in a DNL segment)', () => {
    expectProtocolError(() => readJpegFrameHeader(jpegStream({ height: 0 }), { width: 16, height: 0 }), /empty/);
  });

  it('refuses processes, precisions and component counts outside what decoders share', () => {
    for (const sof of [0xc3, 0xc5, 0xc9, 0xca, 0xcf]) expectProtocolError(() => readJpegFrameHeader(jpegStream({ sof }), { width: 16, height: 8 }), /unsupported JPEG process/);
    expectProtocolError(() => readJpegFrameHeader(jpegStream({ precision: 12 }), { width: 16, height: 8 }), /12-bit/);
    expectProtocolError(() => readJpegFrameHeader(jpegStream({ components: 4 }), { width: 16, height: 8 }), /4 colour components/);
  });

  it('refuses a second frame header and a scan before any frame', () => {
    const sof = [8, 0, 8, 0, 16, 1, 1, 0x11, 0];
    expectProtocolError(() => readJpegFrameHeader(jpegStream({ after: [[0xc0, sof]] }), { width: 16, height: 8 }), /more than one frame/);
    const noFrame = Uint8Array.from([0xff, 0xd8, ...segment(0xda, [1, 1, 0, 0, 63, 0]), 1, 2, 0xff, 0xd9]);
    expectProtocolError(() => readJpegFrameHeader(noFrame, { width: 16, height: 8 }), /before any frame/);
  });

  it('refuses a stream without SOI, with garbage between segments, or with a restart marker before the scan', () => {
    const s = jpegStream();
    expectProtocolError(() => readJpegFrameHeader(s.subarray(2), { width: 16, height: 8 }), /SOI/);
    const garbage = Uint8Array.from([...s.subarray(0, 20), 0x00, ...s.subarray(20)]);
    expectProtocolError(() => readJpegFrameHeader(garbage, { width: 16, height: 8 }), /expected a marker/);
    const rst = Uint8Array.from([0xff, 0xd8, 0xff, 0xd0, ...s.subarray(2)]);
    expectProtocolError(() => readJpegFrameHeader(rst, { width: 16, height: 8 }), /unexpected marker 0xffd0/);
  });

  it('refuses every truncation: a segment running past the end, or no EOI at the end', () => {
    const s = jpegStream();
    for (let n = 0; n < s.length; n++) expectProtocolError(() => readJpegFrameHeader(s.subarray(0, n), { width: 16, height: 8 }));
    expectProtocolError(() => readJpegFrameHeader(jpegStream({ eoi: false }), { width: 16, height: 8 }), /EOI/);
  });

  it('refuses a scan with no entropy-coded data', () => {
    expectProtocolError(() => readJpegFrameHeader(jpegStream({ scanData: [] }), { width: 16, height: 8 }), /no entropy-coded data/);
  });
});

describe('decodeJpegImage', () => {
  it('returns the decoder pixels, trimmed to the image, without alpha, synchronously', () => {
    const d = fakeDecoder(() => ({ ...solid(16, 8, 0x123456, 16 * 8 + 5), hasAlpha: true }));
    const p = decodeJpegImage(jpegStream(), d, { width: 16, height: 8 }) as Pixels;
    expect(p).not.toBeInstanceOf(Promise);
    expect(p.data.length).toBe(128);
    expect(p.hasAlpha).toBe(false);
    expect(p.data[127]).toBe(0x123456);
  });

  it('does not call the decoder when the header is refused', () => {
    const d = fakeDecoder(() => solid(4000, 3000, 0));
    expectProtocolError(() => decodeJpegImage(jpegStream({ width: 4000, height: 3000 }), d, { width: 200, height: 150 }));
    expect(d.calls).toBe(0);
  });

  it('turns decoder exceptions of any kind into ProtocolError with the reason', () => {
    for (const thrown of [new Error('Huffman table 3 missing'), 'marker was not found', new RangeError('Array buffer allocation failed')]) {
      const d = fakeDecoder(() => {
        throw thrown;
      });
      const e = expectProtocolError(() => decodeJpegImage(jpegStream(), d, { width: 16, height: 8 }), /decoder refused/);
      expect(e.message).toContain(thrown instanceof Error ? thrown.message : thrown);
    }
  });

  it('refuses decoder output of another size', () => {
    expectProtocolError(() => decodeJpegImage(jpegStream(), fakeDecoder(() => solid(8, 16, 0)), { width: 16, height: 8 }), /8×16/);
    expectProtocolError(() => decodeJpegImage(jpegStream(), fakeDecoder(() => solid(16, 8, 0, 100)), { width: 16, height: 8 }), /100 pixels/);
  });

  it('with an asynchronous decoder: resolves with the pixels, rejects with ProtocolError', async () => {
    const ok = decodeJpegImage(jpegStream(), fakeDecoder(() => Promise.resolve(solid(16, 8, 0xabcdef))), { width: 16, height: 8 });
    expect(ok).toBeInstanceOf(Promise);
    expect((await ok).data[0]).toBe(0xabcdef);
    await expect(decodeJpegImage(jpegStream(), fakeDecoder(() => Promise.reject(new Error('bad scan'))), { width: 16, height: 8 })).rejects.toThrow(ProtocolError);
    await expect(decodeJpegImage(jpegStream(), fakeDecoder(() => Promise.resolve(solid(2, 2, 0))), { width: 16, height: 8 })).rejects.toThrow(ProtocolError);
  });
});

describe('nodeJpegDecoder (jpeg-js)', () => {
  /** Four 8×8 quadrants: red, green / blue, white, encoded at the best quality. */
  function quadrants(): Uint8Array {
    const colours = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [255, 255, 255],
    ];
    const rgba = Buffer.alloc(16 * 16 * 4);
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) {
        const c = colours[(y >> 3) * 2 + (x >> 3)];
        rgba.set([...c, 255], (y * 16 + x) * 4);
      }
    }
    return new Uint8Array(encode({ width: 16, height: 16, data: rgba }, 100).data);
  }

  it('gives 0x00RRGGBB words, rows top-down', () => {
    const p = decodeJpegImage(quadrants(), nodeJpegDecoder, { width: 16, height: 16 }) as Pixels;
    const at = (x: number, y: number): number => p.data[y * 16 + x];
    const near = (word: number, rgb: number[]): boolean =>
      word >>> 24 === 0 && rgb.every((v, i) => Math.abs(((word >> (16 - 8 * i)) & 255) - v) <= 4);
    expect(near(at(3, 3), [255, 0, 0])).toBe(true);
    expect(near(at(12, 3), [0, 255, 0])).toBe(true);
    expect(near(at(3, 12), [0, 0, 255])).toBe(true);
    expect(near(at(12, 12), [255, 255, 255])).toBe(true);
  });

  it('refuses by itself a frame larger than the image it was asked for', () => {
    expect(() => nodeJpegDecoder.decode(quadrants(), { width: 8, height: 8 })).toThrow(/limit|decoded/);
  });

  it('turns corrupt scan data into a ProtocolError rather than a partial image', () => {
    const s = quadrants();
    const h = readJpegFrameHeader(s, { width: 16, height: 16 });
    // An undefined Huffman code: a run of 1 bits is never a valid code in the encoder's tables.
    const bad = Uint8Array.from([...s.subarray(0, h.scanOffset + 14), 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0xd9]);
    expectProtocolError(() => decodeJpegImage(bad, nodeJpegDecoder, { width: 16, height: 16 }));
  });
});
