// PNG input, for `spicedesk do expect`: every colour type and bit depth of non-interlaced PNGs,
// to straight RGBA with 8 bits per channel. node:zlib inflates the IDAT stream; the scanline
// filters are undone here. CRCs are not checked: a damaged file shows up as a zlib error or as
// pixels that do not match, both reported.
import { inflateSync } from 'node:zlib';

export interface RgbaPng {
  width: number;
  height: number;
  /** 4 bytes per pixel, row-major. */
  rgba: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Beyond this many pixels a "screen" PNG is not a screen. */
const MAX_PIXELS = 16384 * 16384;

export class PngError extends Error {}

const channelsOf: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const depthsOf: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

export function decodePng(file: Uint8Array): RgbaPng {
  if (file.byteLength < 8 || SIGNATURE.some((b, i) => file[i] !== b)) throw new PngError('not a PNG file (bad signature)');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let offset = 8;
  let header: { width: number; height: number; depth: number; colourType: number; interlace: number } | null = null;
  let palette: Uint8Array | null = null;
  let transparency: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (offset + 8 <= file.byteLength) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...file.subarray(offset + 4, offset + 8));
    const start = offset + 8;
    if (start + length + 4 > file.byteLength) throw new PngError(`chunk ${type} runs past the end of the file`);
    const data = file.subarray(start, start + length);
    offset = start + length + 4;
    if (type === 'IHDR') {
      if (length !== 13) throw new PngError('IHDR chunk has the wrong size');
      header = { width: view.getUint32(start), height: view.getUint32(start + 4), depth: data[8], colourType: data[9], interlace: data[12] };
    } else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') transparency = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') {
      ended = true;
      break;
    }
  }
  if (!header) throw new PngError('no IHDR chunk');
  if (!ended) throw new PngError('the file is truncated (no IEND chunk)');
  const { width, height, depth, colourType, interlace } = header;
  const channels = channelsOf[colourType];
  if (channels === undefined || !depthsOf[colourType].includes(depth)) throw new PngError(`unsupported colour type ${colourType} with bit depth ${depth}`);
  if (interlace !== 0) throw new PngError('interlaced PNGs are not supported; save it without interlacing');
  if (width === 0 || height === 0 || width * height > MAX_PIXELS) throw new PngError(`unreasonable size ${width}x${height}`);
  if (colourType === 3 && !palette) throw new PngError('palette image without a PLTE chunk');

  const bitsPerPixel = channels * depth;
  const bytesPerPixel = Math.max(1, bitsPerPixel >> 3);
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  let raw: Uint8Array;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch (e) {
    throw new PngError(`the image data is damaged: ${(e as Error).message}`);
  }
  if (raw.byteLength < (stride + 1) * height) throw new PngError('the image data is shorter than the image');

  const rows = unfilter(raw, stride, height, bytesPerPixel);
  const rgba = new Uint8Array(width * height * 4);
  const sample = (row: Uint8Array, index: number): number => {
    if (depth === 8) return row[index];
    // 16-bit samples are rounded to the nearest 8-bit value, as libpng's scale-16 does.
    if (depth === 16) return Math.round((((row[index * 2] << 8) | row[index * 2 + 1]) * 255) / 65535);
    const perByte = 8 / depth;
    const shift = 8 - depth * (1 + (index % perByte));
    return (row[Math.floor(index / perByte)] >> shift) & ((1 << depth) - 1);
  };
  const scale = depth < 8 && colourType === 0 ? 255 / ((1 << depth) - 1) : 1;
  const transparentGrey = colourType === 0 && transparency && transparency.byteLength >= 2 ? (transparency[0] << 8) | transparency[1] : -1;
  for (let y = 0; y < height; y++) {
    const row = rows.subarray(y * stride, (y + 1) * stride);
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      switch (colourType) {
        case 0: {
          const v = sample(row, x);
          const full = depth === 16 ? (row[x * 2] << 8) | row[x * 2 + 1] : v;
          rgba[o] = rgba[o + 1] = rgba[o + 2] = Math.round(v * scale);
          rgba[o + 3] = full === transparentGrey ? 0 : 255;
          break;
        }
        case 2:
          rgba[o] = sample(row, x * 3);
          rgba[o + 1] = sample(row, x * 3 + 1);
          rgba[o + 2] = sample(row, x * 3 + 2);
          rgba[o + 3] = 255;
          break;
        case 3: {
          const i = sample(row, x);
          if (i * 3 + 2 >= palette!.byteLength) throw new PngError(`pixel (${x}, ${y}) uses palette entry ${i}, beyond the palette`);
          rgba[o] = palette![i * 3];
          rgba[o + 1] = palette![i * 3 + 1];
          rgba[o + 2] = palette![i * 3 + 2];
          rgba[o + 3] = transparency && i < transparency.byteLength ? transparency[i] : 255;
          break;
        }
        case 4:
          rgba[o] = rgba[o + 1] = rgba[o + 2] = sample(row, x * 2);
          rgba[o + 3] = sample(row, x * 2 + 1);
          break;
        default:
          rgba[o] = sample(row, x * 4);
          rgba[o + 1] = sample(row, x * 4 + 1);
          rgba[o + 2] = sample(row, x * 4 + 2);
          rgba[o + 3] = sample(row, x * 4 + 3);
      }
    }
  }
  return { width, height, rgba };
}

/** Undoes the per-row filters (None, Sub, Up, Average, Paeth) into rows without filter bytes. */
function unfilter(raw: Uint8Array, stride: number, height: number, bpp: number): Uint8Array {
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const dst = y * stride;
    const up = dst - stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? out[dst + i - bpp] : 0;
      const b = y > 0 ? out[up + i] : 0;
      const c = y > 0 && i >= bpp ? out[up + i - bpp] : 0;
      let predictor: number;
      switch (filter) {
        case 0:
          predictor = 0;
          break;
        case 1:
          predictor = a;
          break;
        case 2:
          predictor = b;
          break;
        case 3:
          predictor = (a + b) >> 1;
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          throw new PngError(`row ${y} has unknown filter type ${filter}`);
      }
      out[dst + i] = (raw[src + i] + predictor) & 0xff;
    }
  }
  return out;
}
