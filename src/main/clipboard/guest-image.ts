// An image from the guest's clipboard, made PNG for a local clipboard (a browser page takes
// image/png only). PNG passes through after a check of its header; BMP (our own parser), JPEG
// (jpeg-js) and TIFF (the `tiff` package, first page) are decoded and re-encoded. Alpha is not
// kept in re-encoded images: png.ts writes RGB, and the alpha of clipboard BMPs is rarely
// meaningful. Every failure is a SpiceError with a sentence naming the format and the problem.
import { decode as decodeJpeg } from 'jpeg-js';
import { decode as decodeTiff } from 'tiff';
import { ClipboardType } from '../../protocol/channels/main/agent/agent-messages.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { encodeSurfacePng } from '../node/png.ts';
import { decodeBmp, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE, type DecodedImage } from './bmp.ts';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height of a PNG, after checking its signature and IHDR; throws on anything else. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const bad = (detail: string): never => {
    throw new SpiceError('protocol', `the PNG image is not valid: ${detail}`);
  };
  if (bytes.byteLength < 33 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) bad('it does not start with the PNG signature and header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(8) !== 13 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') bad('its first chunk is not a 13-byte IHDR');
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width < 1 || height < 1 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) bad(`its size ${width}×${height} is outside 1..${MAX_IMAGE_SIDE} per side`);
  return { width, height };
}

function imageError(format: string, e: unknown): SpiceError {
  if (e instanceof SpiceError) return e;
  return new SpiceError('protocol', `the guest's ${format} image could not be read: ${e instanceof Error ? e.message : String(e)}`);
}

function fromJpeg(bytes: Uint8Array): DecodedImage {
  const image = decodeJpeg(bytes, {
    useTArray: true,
    formatAsRGBA: false,
    tolerantDecoding: false,
    // jpeg-js checks both before it allocates the image.
    maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
    maxMemoryUsageInMB: 1024,
  });
  const count = image.width * image.height;
  const rgb = image.data;
  if (rgb.length < count * 3) throw new Error(`the decoder returned ${rgb.length} bytes for ${count} pixels`);
  const data = new Uint32Array(count);
  for (let i = 0, s = 0; i < count; i++, s += 3) data[i] = (0xff000000 | (rgb[s] << 16) | (rgb[s + 1] << 8) | rgb[s + 2]) >>> 0;
  return { width: image.width, height: image.height, data };
}

const Photometric = { WHITE_IS_ZERO: 0, BLACK_IS_ZERO: 1, RGB: 2, PALETTE: 3 } as const;

function fromTiff(bytes: Uint8Array): DecodedImage {
  const unsupported = (detail: string): never => {
    throw new SpiceError('protocol', `the guest's TIFF image is not supported: ${detail}`);
  };
  // The size first, from the tags alone: nothing the size of the image is allocated before it is checked.
  const [head] = decodeTiff(bytes, { pages: [0], ignoreImageData: true });
  if (!head) unsupported('it has no image');
  const { width, height } = head;
  // A damaged size tag can give a non-number, which every comparison below would let through.
  if (!Number.isInteger(width) || !Number.isInteger(height)) unsupported(`its width or height tag is missing or damaged (${width}×${height})`);
  if (width < 1 || height < 1 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS) {
    unsupported(`its size ${width}×${height} is outside 1..${MAX_IMAGE_SIDE} per side or over ${MAX_IMAGE_PIXELS} pixels`);
  }
  if (head.planarConfiguration !== 1) unsupported('planar (not interleaved) samples');
  if (head.sampleFormat === 3) unsupported('floating-point samples');
  const [ifd] = decodeTiff(bytes, { pages: [0] });
  const bits = ifd.bitsPerSample;
  if (bits !== 8 && bits !== 16) unsupported(`${bits} bits per sample (8 and 16 are read)`);
  const samples = ifd.samplesPerPixel;
  // A damaged tag can give a list here: the loops below would then step by a string.
  if (!Number.isInteger(samples) || samples < 1 || samples > 8) unsupported('its samples-per-pixel tag is not a whole number from 1 to 8');
  const src = ifd.data;
  const count = width * height;
  if (src.length < count * samples) throw new Error(`${src.length} samples for ${count} pixels of ${samples}`);
  const shift = bits === 16 ? 8 : 0;
  const data = new Uint32Array(count);
  switch (ifd.type) {
    case Photometric.RGB:
      if (samples < 3) unsupported(`RGB with ${samples} samples per pixel`);
      for (let i = 0, s = 0; i < count; i++, s += samples) data[i] = (0xff000000 | ((src[s] >> shift) << 16) | ((src[s + 1] >> shift) << 8) | (src[s + 2] >> shift)) >>> 0;
      break;
    case Photometric.WHITE_IS_ZERO:
    case Photometric.BLACK_IS_ZERO: {
      const invert = ifd.type === Photometric.WHITE_IS_ZERO ? 0xff : 0;
      for (let i = 0, s = 0; i < count; i++, s += samples) {
        const g = (src[s] >> shift) ^ invert;
        data[i] = (0xff000000 | (g << 16) | (g << 8) | g) >>> 0;
      }
      break;
    }
    case Photometric.PALETTE: {
      const palette = ifd.palette;
      if (!palette || palette.length === 0) unsupported('a palette image without its palette');
      const wide = palette!.some(([r, g, b]) => r > 255 || g > 255 || b > 255);
      for (let i = 0, s = 0; i < count; i++, s += samples) {
        const entry = palette![src[s]];
        if (!entry) throw new Error(`pixel ${i} uses palette entry ${src[s]} of ${palette!.length}`);
        const [r, g, b] = wide ? entry.map((v) => v >> 8) : entry;
        data[i] = (0xff000000 | (r << 16) | (g << 8) | b) >>> 0;
      }
      break;
    }
    default:
      unsupported(`photometric interpretation ${ifd.type} (RGB, grey and palette images are read)`);
  }
  return { width, height, data };
}

/** The guest's clipboard image of agent clipboard type `type`, as PNG bytes. */
export function guestImageToPng(type: number, bytes: Uint8Array): Uint8Array {
  let image: DecodedImage;
  switch (type) {
    case ClipboardType.IMAGE_PNG:
      pngSize(bytes);
      return bytes;
    case ClipboardType.IMAGE_BMP:
      image = decodeBmp(bytes);
      break;
    case ClipboardType.IMAGE_JPG:
      try {
        image = fromJpeg(bytes);
      } catch (e) {
        throw imageError('JPEG', e);
      }
      break;
    case ClipboardType.IMAGE_TIFF:
      try {
        image = fromTiff(bytes);
      } catch (e) {
        throw imageError('TIFF', e);
      }
      break;
    default:
      throw new SpiceError('protocol', `clipboard type ${type} is not an image type`);
  }
  return encodeSurfacePng(image);
}
