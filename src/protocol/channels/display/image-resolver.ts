// Turns the images of draw commands into pixels: the session's image cache and GLZ window, the
// channel's palette cache, and one decoder per image type (src/protocol/codecs).
import { decodeBitmap, decodeBitmapMask, MapPaletteCache, resolvePalette } from '../../codecs/bitmap.ts';
import { decodeGlz } from '../../codecs/glz.ts';
import type { GlzWindow } from '../../codecs/glz-window.ts';
import { decodeLz } from '../../codecs/lz.ts';
import { decodeLz4 } from '../../codecs/lz4.ts';
import { decodeQuic } from '../../codecs/quic.ts';
import { decodeZlibGlz, type Inflater } from '../../codecs/zlib-glz.ts';
import type { ImageCache } from '../../session/image-cache.ts';
import { SpiceError } from '../../wire/errors.ts';
import { ImageFlags, type Bitmask, type DrawOp, type ImageResolver, type Pixels, type SpiceImage } from './draw-types.ts';

export { MapPaletteCache as PaletteStore };

/** What the decoders share across the channels of a session (owned by the session). */
export interface SharedDecoding {
  cache: ImageCache;
  glzWindow: GlzWindow;
  /** zlib for ZLIB_GLZ_RGB images; injected by the host (src/protocol has no zlib). */
  inflater?: Inflater;
}

/** Image types whose decoders are not written yet. */
const notYetSupported: Record<string, string> = {
  jpeg: 'JPEG',
  'jpeg-alpha': 'JPEG_ALPHA',
};

const isGlz = (image: SpiceImage): boolean => image.body.kind === 'glz-rgb' || image.body.kind === 'zlib-glz-rgb';

export class DisplayImageResolver implements ImageResolver {
  private readonly shared: SharedDecoding;
  private readonly palettes: MapPaletteCache;
  /** GLZ images decoded ahead of their draw (they may wait for another channel). */
  private readonly preloaded = new Map<SpiceImage, Pixels>();

  constructor(shared: SharedDecoding, palettes: MapPaletteCache) {
    this.shared = shared;
    this.palettes = palettes;
  }

  /**
   * Decodes the GLZ images of a draw before it is drawn: a GLZ image may refer to one that another
   * display channel has not decoded yet, and waiting for it must not block inside the compositor.
   * Everything else decodes synchronously when the compositor asks.
   */
  prepare(op: DrawOp): Promise<void> | null {
    this.preloaded.clear();
    const glz = imagesOf(op).filter(isGlz);
    return glz.length ? this.preloadAll(glz) : null;
  }

  private async preloadAll(images: SpiceImage[]): Promise<void> {
    for (const image of images) this.preloaded.set(image, await this.decodeGlzImage(image));
  }

  image(image: SpiceImage): Pixels {
    const d = image.descriptor;
    const body = image.body;
    const expected = { width: d.width, height: d.height };
    switch (body.kind) {
      case 'from-cache':
      case 'from-cache-lossless': {
        const hit = this.shared.cache.get(d.id);
        if (!hit) throw new SpiceError('protocol', `the server referred to image ${d.id} which is not in the image cache`);
        if (body.kind === 'from-cache-lossless' && hit.lossy) {
          throw new SpiceError('protocol', `the server asked for a lossless copy of image ${d.id}, but the cache holds a lossy one`);
        }
        return hit.pixels;
      }
      case 'bitmap':
        return this.finish(image, decodeBitmap(body.bitmap, this.palettes), false);
      case 'quic':
        return this.finish(image, decodeQuic(body.data, expected), false);
      case 'lz-rgb':
        return this.finish(image, decodeLz(body.data, expected, null), false);
      case 'lz-plt':
        return this.finish(image, decodeLz(body.data, expected, resolvePalette(body.flags, body.paletteRef, this.palettes)), false);
      case 'lz4':
        return this.finish(image, decodeLz4(body.data, expected), false);
      case 'glz-rgb':
      case 'zlib-glz-rgb': {
        const pixels = this.preloaded.get(image);
        if (!pixels) throw new SpiceError('internal', 'a GLZ image was drawn without being prepared');
        return pixels;
      }
      case 'surface':
        // The canvas resolves surface sources itself; reaching here means a caller bug.
        throw new SpiceError('internal', 'surface images are resolved by the canvas');
      default:
        throw new SpiceError('protocol', `${notYetSupported[body.kind] ?? body.kind} images are not supported yet (the codecs issue)`);
    }
  }

  mask(image: SpiceImage): Bitmask {
    const d = image.descriptor;
    if (image.body.kind === 'from-cache' || image.body.kind === 'from-cache-lossless') {
      const hit = this.shared.cache.getMask(d.id);
      if (!hit) throw new SpiceError('protocol', `the server referred to mask ${d.id} which is not in the image cache`);
      return hit;
    }
    if (image.body.kind !== 'bitmap') throw new SpiceError('protocol', `a mask must be a 1-bit bitmap, got a ${image.body.kind} image`);
    const mask = decodeBitmapMask(image.body.bitmap);
    if (d.flags & ImageFlags.CACHE_ME) this.shared.cache.putMask(d.id, mask);
    return mask;
  }

  private async decodeGlzImage(image: SpiceImage): Promise<Pixels> {
    const d = image.descriptor;
    const expected = { width: d.width, height: d.height };
    const body = image.body;
    let pixels: Pixels;
    if (body.kind === 'glz-rgb') {
      pixels = await decodeGlz(body.data, this.shared.glzWindow, expected);
    } else if (body.kind === 'zlib-glz-rgb') {
      if (!this.shared.inflater) throw new SpiceError('internal', 'ZLIB_GLZ images need an inflater, and none was given to the session');
      pixels = await decodeZlibGlz(body, this.shared.inflater, this.shared.glzWindow, expected);
    } else {
      throw new SpiceError('internal', `not a GLZ image: ${body.kind}`);
    }
    return this.finish(image, pixels, false);
  }

  private finish(image: SpiceImage, pixels: Pixels, lossy: boolean): Pixels {
    const d = image.descriptor;
    if (d.flags & ImageFlags.HIGH_BITS_SET) {
      const px = pixels.data;
      for (let i = 0; i < px.length; i++) px[i] |= 0xff000000;
    }
    if (d.flags & (ImageFlags.CACHE_ME | ImageFlags.CACHE_REPLACE_ME)) this.shared.cache.put(d.id, pixels, lossy);
    return pixels;
  }
}

/** Every image a draw command carries (sources, pattern brushes, masks). */
export function imagesOf(op: DrawOp): SpiceImage[] {
  const out: SpiceImage[] = [];
  const brush = (b: { type: string; image?: SpiceImage }): void => {
    if (b.type === 'pattern' && b.image) out.push(b.image);
  };
  if ('src' in op) out.push(op.src);
  if ('brush' in op) brush(op.brush);
  if (op.op === 'text') {
    brush(op.foreBrush);
    brush(op.backBrush);
  }
  if (op.op === 'composite' && op.mask) out.push(op.mask);
  if ('mask' in op && op.op !== 'composite' && op.mask.image) out.push(op.mask.image);
  return out;
}
