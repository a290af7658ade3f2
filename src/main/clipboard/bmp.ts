// BMP images from the guest's clipboard (Windows guests offer their CF_DIB as BMP), read into
// pixels for re-encoding as PNG. The guest is not trusted: every size, offset and palette index
// is checked against the bytes that are there before anything is read or allocated.
//
// Read: a file with its 14-byte "BM" header or a bare DIB; the core (12-byte), INFO (40) and
// V2-V5 headers; 1, 4 and 8 bits per pixel with a palette, 16 and 32 with BI_RGB or BITFIELDS
// masks, 24 with BI_RGB; bottom-up and top-down rows. RLE and embedded JPEG/PNG are refused.
import { SpiceError } from '../../protocol/wire/errors.ts';

export interface DecodedImage {
  width: number;
  height: number;
  /** 0xAARRGGBB per pixel, row-major, top row first. */
  data: Uint32Array;
}

/** Sides and pixel counts beyond these are not a clipboard image. */
export const MAX_IMAGE_SIDE = 16384;
export const MAX_IMAGE_PIXELS = 40_000_000;

const Compression = { RGB: 0, RLE8: 1, RLE4: 2, BITFIELDS: 3, JPEG: 4, PNG: 5, ALPHABITFIELDS: 6 } as const;

function fail(detail: string): never {
  throw new SpiceError('protocol', `the guest's BMP image is not valid: ${detail}`);
}

function unsupported(detail: string): never {
  throw new SpiceError('protocol', `the guest's BMP image is not supported: ${detail}`);
}

/** A channel mask as shift and bit count; its value scaled to 0..255. */
interface Channel {
  shift: number;
  bits: number;
}

function channel(mask: number, name: string): Channel | null {
  if (mask === 0) return null;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  let bits = 0;
  while (shift + bits < 32 && ((mask >>> (shift + bits)) & 1) === 1) bits++;
  if (shift + bits < 32 && mask >>> (shift + bits) !== 0) fail(`the ${name} mask 0x${(mask >>> 0).toString(16)} is not one run of bits`);
  return { shift, bits };
}

function scale(value: number, c: Channel | null): number {
  if (!c) return 0;
  const v = (value >>> c.shift) & (c.bits >= 32 ? 0xffffffff : (1 << c.bits) - 1);
  if (c.bits >= 8) return v >>> (c.bits - 8);
  // Bit replication (5 bits abcde -> abcdeabc), as BMP readers commonly widen a channel.
  let out = 0;
  for (let filled = 0; filled < 8; filled += c.bits) out = (out << c.bits) | v;
  return (out >>> (Math.ceil(8 / c.bits) * c.bits - 8)) & 0xff;
}

export function decodeBmp(bytes: Uint8Array): DecodedImage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (end: number, what: string): void => {
    if (end > bytes.byteLength) fail(`${what} needs ${end} bytes, but the image has ${bytes.byteLength}`);
  };
  const hasFileHeader = bytes.byteLength >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
  const dib = hasFileHeader ? 14 : 0;
  need(dib + 4, 'the header');
  const headerSize = view.getUint32(dib, true);
  if (![12, 40, 52, 56, 64, 108, 124].includes(headerSize)) fail(`a header of ${headerSize} bytes is none of the BMP header sizes`);
  need(dib + headerSize, 'the header');

  let width: number;
  let rawHeight: number;
  let bpp: number;
  let compression: number = Compression.RGB;
  let colorsUsed = 0;
  if (headerSize === 12) {
    width = view.getUint16(dib + 4, true);
    rawHeight = view.getUint16(dib + 6, true);
    if (view.getUint16(dib + 8, true) !== 1) fail('planes is not 1');
    bpp = view.getUint16(dib + 10, true);
  } else {
    width = view.getInt32(dib + 4, true);
    rawHeight = view.getInt32(dib + 8, true);
    if (view.getUint16(dib + 12, true) !== 1) fail('planes is not 1');
    bpp = view.getUint16(dib + 14, true);
    compression = view.getUint32(dib + 16, true);
    colorsUsed = view.getUint32(dib + 32, true);
  }
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width < 1 || height < 1 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) fail(`its size ${width}×${rawHeight} is outside 1..${MAX_IMAGE_SIDE} per side`);
  if (width * height > MAX_IMAGE_PIXELS) fail(`${width}×${height} is more than the ${MAX_IMAGE_PIXELS} pixels allowed`);

  if (compression === Compression.RLE8 || compression === Compression.RLE4) unsupported('run-length compressed (RLE) bitmaps cannot be read yet');
  if (compression === Compression.JPEG || compression === Compression.PNG) unsupported('bitmaps that embed JPEG or PNG cannot be read');
  if (compression !== Compression.RGB && compression !== Compression.BITFIELDS && compression !== Compression.ALPHABITFIELDS) fail(`compression ${compression} is unknown`);
  const masked = compression !== Compression.RGB;
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) fail(`${bpp} bits per pixel is none of 1, 4, 8, 16, 24, 32`);
  if (masked && bpp !== 16 && bpp !== 32) fail(`bit-field masks with ${bpp} bits per pixel`);

  // Masks: inside V2+ headers, or right after an INFO header.
  let afterHeader = dib + headerSize;
  let masks: [number, number, number] = bpp === 16 ? [0x7c00, 0x03e0, 0x001f] : [0xff0000, 0xff00, 0xff];
  if (masked) {
    const count = compression === Compression.ALPHABITFIELDS ? 4 : 3;
    if (headerSize === 40) {
      need(afterHeader + count * 4, 'the colour masks');
      afterHeader += count * 4;
    } else if (headerSize < 40 + count * 4) fail(`a ${headerSize}-byte header has no room for ${count} colour masks`);
    // Either way the red, green and blue masks start right after the INFO header's 40 bytes; alpha is not kept.
    masks = [view.getUint32(dib + 40, true), view.getUint32(dib + 44, true), view.getUint32(dib + 48, true)];
    if (bpp === 16 && masks.some((m) => m >>> 16 !== 0)) fail('a 16-bit mask has bits above bit 15');
  }
  const [red, green, blue] = [channel(masks[0], 'red'), channel(masks[1], 'green'), channel(masks[2], 'blue')];
  if (!red && !green && !blue) fail('the red, green and blue masks are all zero');

  let palette: Uint32Array | null = null;
  if (bpp <= 8) {
    const entryBytes = headerSize === 12 ? 3 : 4;
    const count = colorsUsed === 0 ? 1 << bpp : colorsUsed;
    if (count > 1 << bpp) fail(`${count} palette colours for ${bpp} bits per pixel`);
    need(afterHeader + count * entryBytes, 'the palette');
    palette = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      const o = afterHeader + i * entryBytes;
      palette[i] = (0xff000000 | (bytes[o + 2] << 16) | (bytes[o + 1] << 8) | bytes[o]) >>> 0;
    }
    afterHeader += count * entryBytes;
  }

  const pixelOffset = hasFileHeader ? view.getUint32(10, true) : afterHeader;
  if (pixelOffset < afterHeader) fail(`the pixels at offset ${pixelOffset} overlap the headers, which end at ${afterHeader}`);
  const stride = Math.ceil((width * bpp) / 32) * 4;
  need(pixelOffset + stride * height, `${width}×${height} pixels at ${bpp} bits`);

  const data = new Uint32Array(width * height);
  for (let row = 0; row < height; row++) {
    const src = pixelOffset + (topDown ? row : height - 1 - row) * stride;
    const out = row * width;
    switch (bpp) {
      case 1:
      case 4:
      case 8: {
        const pal = palette!;
        const perByte = 8 / bpp;
        const mask = (1 << bpp) - 1;
        for (let x = 0; x < width; x++) {
          const byte = bytes[src + Math.floor(x / perByte)];
          const index = (byte >> (8 - bpp * ((x % perByte) + 1))) & mask;
          if (index >= pal.length) fail(`pixel ${x},${row} uses palette entry ${index} of ${pal.length}`);
          data[out + x] = pal[index];
        }
        break;
      }
      case 16:
        for (let x = 0; x < width; x++) {
          const v = view.getUint16(src + x * 2, true);
          data[out + x] = (0xff000000 | (scale(v, red) << 16) | (scale(v, green) << 8) | scale(v, blue)) >>> 0;
        }
        break;
      case 24:
        for (let x = 0, o = src; x < width; x++, o += 3) data[out + x] = (0xff000000 | (bytes[o + 2] << 16) | (bytes[o + 1] << 8) | bytes[o]) >>> 0;
        break;
      case 32:
        for (let x = 0; x < width; x++) {
          const v = view.getUint32(src + x * 4, true);
          data[out + x] = (0xff000000 | (scale(v, red) << 16) | (scale(v, green) << 8) | scale(v, blue)) >>> 0;
        }
        break;
    }
  }
  return { width, height, data };
}
