// Guest clipboard images made PNG: BMP (our parser), TIFF and JPEG fixtures written by ImageMagick
// (test/fixtures/clipboard, README there) decode to the pixels ImageMagick itself reads from them;
// hostile BMPs, PNGs and TIFFs are refused with a sentence, never with a crash or a huge allocation.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClipboardType } from '../../../../src/protocol/channels/main/agent/agent-messages.ts';
import { SpiceError } from '../../../../src/protocol/wire/errors.ts';
import { decodeBmp } from '../../../../src/main/clipboard/bmp.ts';
import { guestImageToPng, pngSize } from '../../../../src/main/clipboard/guest-image.ts';
import { decodePng } from '../../../../src/main/node/png-decode.ts';
import { WireWriter } from '../../../../src/protocol/wire/writer.ts';

const dir = join(__dirname, '../../../fixtures/clipboard');
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, name)));

function readPpm(bytes: Uint8Array): { width: number; height: number; rgb: Uint8Array } {
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, 64));
  const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(text);
  if (!m) throw new Error('not a binary 8-bit PPM');
  const width = Number(m[1]);
  const height = Number(m[2]);
  return { width, height, rgb: bytes.subarray(m[0].length, m[0].length + width * height * 3) };
}

/** The PNG's pixels as RGB, and the largest difference from the expected PPM. */
function compare(png: Uint8Array, expectedName: string): { width: number; height: number; maxDiff: number } {
  const got = decodePng(png);
  const want = readPpm(fixture(`expected/${expectedName}.ppm`));
  expect([got.width, got.height]).toEqual([want.width, want.height]);
  let maxDiff = 0;
  for (let i = 0; i < want.width * want.height; i++) {
    for (let c = 0; c < 3; c++) maxDiff = Math.max(maxDiff, Math.abs(got.rgba[i * 4 + c] - want.rgb[i * 3 + c]));
    expect(got.rgba[i * 4 + 3]).toBe(255);
  }
  return { width: got.width, height: got.height, maxDiff };
}

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SpiceError);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('guest clipboard images to PNG', () => {
  it.each(['rgb24.bmp', 'rgba32-bitfields.bmp', 'rgb565.bmp', 'palette8.bmp', 'palette4.bmp', 'bilevel1.bmp'])('BMP %s gives the pixels ImageMagick reads', (name) => {
    const r = compare(guestImageToPng(ClipboardType.IMAGE_BMP, fixture(name)), name);
    expect(r).toEqual({ width: 23, height: 17, maxDiff: 0 });
  });

  it.each(['rgb.tiff', 'lzw.tiff', 'zip.tiff', 'gray.tiff', 'palette8.tiff'])('TIFF %s gives the pixels ImageMagick reads', (name) => {
    const r = compare(guestImageToPng(ClipboardType.IMAGE_TIFF, fixture(name)), name);
    expect(r).toEqual({ width: 23, height: 17, maxDiff: 0 });
  });

  it('JPEG decodes within a few levels of ImageMagick (decoders round differently)', () => {
    const r = compare(guestImageToPng(ClipboardType.IMAGE_JPG, fixture('photo.jpg')), 'photo.jpg');
    expect(r.width).toBe(23);
    expect(r.maxDiff).toBeLessThanOrEqual(4);
  });

  it('PNG passes through unchanged after a header check', () => {
    const png = guestImageToPng(ClipboardType.IMAGE_BMP, fixture('rgb24.bmp'));
    expect(guestImageToPng(ClipboardType.IMAGE_PNG, png)).toBe(png);
    expect(pngSize(png)).toEqual({ width: 23, height: 17 });
    expect(refusal(() => guestImageToPng(ClipboardType.IMAGE_PNG, new TextEncoder().encode('GIF89a.............................')))).toMatch(/PNG image is not valid: it does not start with the PNG signature/);
    const huge = new Uint8Array(png);
    new DataView(huge.buffer).setUint32(16, 100_000);
    expect(refusal(() => pngSize(huge))).toMatch(/size 100000×17 is outside/);
    expect(refusal(() => guestImageToPng(ClipboardType.UTF8_TEXT, png))).toMatch(/not an image type/);
  });

  it('a TIFF without its width tag is refused, not drawn as NaN pixels (found by the fuzzer)', () => {
    const tiff = new Uint8Array(fixture('rgb.tiff'));
    const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
    const little = tiff[0] === 0x49;
    const ifd = view.getUint32(4, little);
    const entries = view.getUint16(ifd, little);
    const widthEntry = Array.from({ length: entries }, (_, i) => ifd + 2 + 12 * i).find((at) => view.getUint16(at, little) === 256);
    expect(widthEntry).toBeDefined();
    // Tag 256 (ImageWidth) becomes a private tag: the file has no width any more.
    view.setUint16(widthEntry!, 65000, little);
    expect(refusal(() => guestImageToPng(ClipboardType.IMAGE_TIFF, tiff))).toMatch(/^the guest's TIFF image is not supported: its width or height tag is missing or damaged/);
  });

  it('a TIFF whose samples-per-pixel tag is a list is refused at once (found by the fuzzer: it looped for seconds)', () => {
    const tiff = new Uint8Array(fixture('rgb.tiff'));
    const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
    const little = tiff[0] === 0x49;
    const ifd = view.getUint32(4, little);
    const entries = view.getUint16(ifd, little);
    const at = Array.from({ length: entries }, (_, i) => ifd + 2 + 12 * i).find((e) => view.getUint16(e, little) === 277);
    const bitsAt = Array.from({ length: entries }, (_, i) => ifd + 2 + 12 * i).find((e) => view.getUint16(e, little) === 258);
    expect(at).toBeDefined();
    expect(bitsAt).toBeDefined();
    // SamplesPerPixel (277) becomes three SHORTs stored where BitsPerSample's three SHORTs are (8, 8, 8).
    view.setUint16(at! + 2, 3, little);
    view.setUint32(at! + 4, 3, little);
    view.setUint32(at! + 8, view.getUint32(bitsAt! + 8, little), little);
    expect(refusal(() => guestImageToPng(ClipboardType.IMAGE_TIFF, tiff))).toMatch(/samples-per-pixel tag is not a whole number/);
  });

  it('RLE BMPs and 4-bit palette TIFFs are refused as not supported', () => {
    expect(refusal(() => decodeBmp(fixture('rle8.bmp')))).toBe("the guest's BMP image is not supported: run-length compressed (RLE) bitmaps cannot be read yet");
    expect(refusal(() => guestImageToPng(ClipboardType.IMAGE_TIFF, fixture('palette4.tiff')))).toMatch(/^the guest's TIFF image could not be read: .*4/);
  });
});

/** A bare DIB (INFO header) with the given fields and pixel bytes. */
function dib(o: { width: number; height: number; bpp: number; compression?: number; colors?: number; palette?: number[]; masks?: number[]; pixels: number[] }): Uint8Array {
  const w = new WireWriter()
    .u32(40)
    .i32(o.width)
    .i32(o.height)
    .u16(1)
    .u16(o.bpp)
    .u32(o.compression ?? 0)
    .u32(0)
    .u32(0)
    .u32(0)
    .u32(o.colors ?? 0)
    .u32(0);
  for (const m of o.masks ?? []) w.u32(m);
  for (const c of o.palette ?? []) w.u32(c);
  w.bytes(Uint8Array.from(o.pixels));
  return w.finish();
}

describe('the BMP parser', () => {
  it('reads a bare top-down DIB with a two-colour palette', () => {
    // 3x2, top-down (negative height), 1 bit: rows 101 and 010, each padded to 4 bytes.
    const image = decodeBmp(dib({ width: 3, height: -2, bpp: 1, colors: 2, palette: [0x000000, 0xff8000], pixels: [0b10100000, 0, 0, 0, 0b01000000, 0, 0, 0] }));
    expect(Array.from(image.data, (p) => (p & 0xffffff).toString(16))).toEqual(['ff8000', '0', 'ff8000', '0', 'ff8000', '0']);
  });

  it('bottom-up rows come out top row first', () => {
    const image = decodeBmp(dib({ width: 1, height: 2, bpp: 24, pixels: [1, 2, 3, 0, 4, 5, 6, 0] }));
    expect(Array.from(image.data, (p) => p & 0xffffff)).toEqual([0x060504, 0x030201]);
  });

  it('refuses hostile headers and data', () => {
    expect(refusal(() => decodeBmp(new Uint8Array([0x42, 0x4d, 1])))).toMatch(/the header needs 18 bytes, but the image has 3/);
    expect(refusal(() => decodeBmp(dib({ width: 3, height: 1, bpp: 24, pixels: [] }).subarray(0, 30)))).toMatch(/header needs 40 bytes/);
    expect(refusal(() => decodeBmp(new WireWriter().u32(41).bytes(new Uint8Array(60)).finish()))).toMatch(/41 bytes is none of the BMP header sizes/);
    expect(refusal(() => decodeBmp(dib({ width: 100_000, height: 1, bpp: 24, pixels: [] })))).toMatch(/size 100000×1 is outside/);
    expect(refusal(() => decodeBmp(dib({ width: 16000, height: 16000, bpp: 24, pixels: [] })))).toMatch(/more than the 40000000 pixels/);
    expect(refusal(() => decodeBmp(dib({ width: 0, height: 1, bpp: 24, pixels: [] })))).toMatch(/size 0×1/);
    // The pixel rows claimed are not all there: refused before allocating the image.
    expect(refusal(() => decodeBmp(dib({ width: 4000, height: 4000, bpp: 32, pixels: [1, 2, 3] })))).toMatch(/4000×4000 pixels at 32 bits needs 64000040 bytes, but the image has 43/);
    expect(refusal(() => decodeBmp(dib({ width: 1, height: 1, bpp: 7, pixels: [0, 0, 0, 0] })))).toMatch(/7 bits per pixel/);
    expect(refusal(() => decodeBmp(dib({ width: 1, height: 1, bpp: 24, compression: 9, pixels: [0, 0, 0, 0] })))).toMatch(/compression 9 is unknown/);
    expect(refusal(() => decodeBmp(dib({ width: 1, height: 1, bpp: 24, compression: 3, pixels: [0, 0, 0, 0] })))).toMatch(/bit-field masks with 24 bits/);
    expect(refusal(() => decodeBmp(dib({ width: 1, height: 1, bpp: 32, compression: 3, masks: [0xf0f000, 0xff00, 0xff], pixels: [0, 0, 0, 0] })))).toMatch(/red mask 0xf0f000 is not one run of bits/);
    expect(refusal(() => decodeBmp(dib({ width: 1, height: 1, bpp: 32, compression: 3, masks: [0, 0, 0], pixels: [0, 0, 0, 0] })))).toMatch(/all zero/);
    expect(refusal(() => decodeBmp(dib({ width: 1, height: 1, bpp: 16, compression: 3, masks: [0x1f0000, 0x7e0, 0x1f], pixels: [0, 0, 0, 0] })))).toMatch(/16-bit mask has bits above bit 15/);
    expect(refusal(() => decodeBmp(dib({ width: 1, height: 1, bpp: 4, colors: 17, pixels: [] })))).toMatch(/17 palette colours for 4 bits/);
    expect(refusal(() => decodeBmp(dib({ width: 2, height: 1, bpp: 4, colors: 2, palette: [0, 0xffffff], pixels: [0x15, 0, 0, 0] })))).toMatch(/pixel 1,0 uses palette entry 5 of 2/);
    // A file header whose pixel offset points into the headers.
    const file = new WireWriter().u8(0x42).u8(0x4d).u32(0).u32(0).u32(20).bytes(dib({ width: 1, height: 1, bpp: 24, pixels: [0, 0, 0, 0] })).finish();
    expect(refusal(() => decodeBmp(file))).toMatch(/pixels at offset 20 overlap the headers, which end at 54/);
  });

  it('never throws anything but a SpiceError on mangled fixtures', () => {
    const base = fixture('palette8.bmp');
    let seed = 12345;
    const random = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 2000; i++) {
      const bytes = base.slice(0, 1 + Math.floor(random() * base.byteLength));
      for (let k = 0; k < 4; k++) bytes[Math.floor(random() * Math.min(bytes.byteLength, 80))] = Math.floor(random() * 256);
      try {
        decodeBmp(bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(SpiceError);
      }
    }
  });

  it('a mangled TIFF or JPEG is a SpiceError naming the format', () => {
    const tiff = fixture('lzw.tiff').slice(0, 40);
    expect(refusal(() => guestImageToPng(ClipboardType.IMAGE_TIFF, tiff))).toMatch(/^the guest's TIFF image (could not be read|is not supported)/);
    expect(refusal(() => guestImageToPng(ClipboardType.IMAGE_JPG, fixture('photo.jpg').slice(0, 100)))).toMatch(/^the guest's JPEG image could not be read/);
  });
});
