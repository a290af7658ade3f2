import { crc32, deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodePng, PngError } from '../../../../src/main/node/png-decode.ts';
import { encodeSurfacePng } from '../../../../src/main/node/png.ts';

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.byteLength);
  out.writeUInt32BE(data.byteLength, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.byteLength)), 8 + data.byteLength);
  return out;
}

/** A PNG written by hand: IHDR fields, optional PLTE/tRNS, and already-filtered scanlines. */
function handPng(o: { width: number; height: number; depth: number; colourType: number; scanlines: number[]; plte?: number[]; trns?: number[]; interlace?: number }): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(o.width, 0);
  ihdr.writeUInt32BE(o.height, 4);
  ihdr[8] = o.depth;
  ihdr[9] = o.colourType;
  ihdr[12] = o.interlace ?? 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(o.plte ? [chunk('PLTE', new Uint8Array(o.plte))] : []),
    ...(o.trns ? [chunk('tRNS', new Uint8Array(o.trns))] : []),
    chunk('IDAT', deflateSync(Buffer.from(o.scanlines))),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** Pseudo-random RGBA test pixels with smooth areas, so every filter pngjs tries gets used. */
function testPixels(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 4);
  let s = 12345;
  for (let i = 0; i < width * height; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const x = i % width;
    data[i * 4] = (x * 7) & 0xff;
    data[i * 4 + 1] = s >>> 24;
    data[i * 4 + 2] = i < width * 3 ? 200 : (s >>> 16) & 0xff;
    data[i * 4 + 3] = (s >>> 8) & 0xff;
  }
  return data;
}

describe('PNG decoding', () => {
  it('reads what pngjs writes in RGBA, RGB, grey and grey+alpha, 8 and 16 bits, every filter', () => {
    const width = 37;
    const height = 11;
    const pixels = testPixels(width, height);
    for (const colorType of [6, 2, 0, 4] as const) {
      for (const bitDepth of [8, 16] as const) {
        for (const filterType of [0, 1, 2, 3, 4]) {
          const png = new PNG({ width, height, colorType, bitDepth, inputHasAlpha: true, filterType });
          pixels.copy(png.data);
          const file = PNG.sync.write(png, { colorType, bitDepth, inputHasAlpha: true, filterType });
          const mine = decodePng(file);
          const theirs = PNG.sync.read(file);
          expect([mine.width, mine.height]).toEqual([width, height]);
          expect(Buffer.from(mine.rgba).equals(theirs.data), `colour type ${colorType}, depth ${bitDepth}, filter ${filterType}`).toBe(true);
        }
      }
    }
  });

  it('reads spicedesk capture output back to the surface pixels', () => {
    const data = new Uint32Array([0xff102030, 0xff405060, 0xffa0b0c0, 0xff000000, 0xffffffff, 0xff123456]);
    const decoded = decodePng(encodeSurfacePng({ width: 3, height: 2, data }));
    const words = Array.from({ length: 6 }, (_, i) => (decoded.rgba[i * 4] << 16) | (decoded.rgba[i * 4 + 1] << 8) | decoded.rgba[i * 4 + 2]);
    expect(words).toEqual(Array.from(data, (w) => w & 0xffffff));
  });

  it('reads palette images with transparency, and 1-bit grey', () => {
    const pal = decodePng(handPng({ width: 4, height: 1, depth: 2, colourType: 3, scanlines: [0, 0b00011011], plte: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], trns: [0, 128] }));
    expect(Array.from(pal.rgba)).toEqual([1, 2, 3, 0, 4, 5, 6, 128, 7, 8, 9, 255, 10, 11, 12, 255]);
    const grey = decodePng(handPng({ width: 10, height: 1, depth: 1, colourType: 0, scanlines: [0, 0b10100000, 0b01000000] }));
    expect(Array.from(grey.rgba.filter((_, i) => i % 4 === 0))).toEqual([255, 0, 255, 0, 0, 0, 0, 0, 0, 255]);
  });

  it('says what is wrong with files it cannot read', () => {
    expect(() => decodePng(Buffer.from('GIF89a....'))).toThrow(/not a PNG file/);
    const ok = handPng({ width: 1, height: 1, depth: 8, colourType: 2, scanlines: [0, 1, 2, 3] });
    expect(() => decodePng(ok.subarray(0, ok.byteLength - 12))).toThrow(/truncated/);
    expect(() => decodePng(ok.subarray(0, 40))).toThrow(PngError);
    expect(() => decodePng(handPng({ width: 1, height: 1, depth: 8, colourType: 2, scanlines: [0, 1, 2, 3], interlace: 1 }))).toThrow(/interlaced/);
    expect(() => decodePng(handPng({ width: 1, height: 1, depth: 8, colourType: 2, scanlines: [7, 1, 2, 3] }))).toThrow(/unknown filter type 7/);
    expect(() => decodePng(handPng({ width: 2, height: 2, depth: 8, colourType: 2, scanlines: [0, 1, 2, 3] }))).toThrow(/shorter than the image/);
    expect(() => decodePng(handPng({ width: 1, height: 1, depth: 4, colourType: 3, scanlines: [0, 0xf0], plte: [0, 0, 0] }))).toThrow(/palette entry 15/);
    expect(() => decodePng(handPng({ width: 1, height: 1, depth: 3, colourType: 2, scanlines: [0, 0] }))).toThrow(/unsupported colour type 2 with bit depth 3/);
  });
});
