// Turns the images of draw commands into pixels: the session's image cache, the channel's palette
// cache, and one decoder per image type (src/protocol/codecs).
import { decodeBitmap, decodeBitmapMask, type PaletteCache } from '../../codecs/bitmap.ts';
import { decodeQuic } from '../../codecs/quic.ts';
import type { ImageCache } from '../../session/image-cache.ts';
import { SpiceError } from '../../wire/errors.ts';
import { ImageFlags, type Bitmask, type ImageResolver, type Palette, type Pixels, type SpiceImage } from './draw-types.ts';

export class PaletteStore implements PaletteCache {
  private readonly palettes = new Map<bigint, Palette>();
  get(id: bigint): Palette | undefined {
    return this.palettes.get(id);
  }
  put(p: Palette): void {
    this.palettes.set(p.unique, p);
  }
  remove(id: bigint): void {
    this.palettes.delete(id);
  }
  clear(): void {
    this.palettes.clear();
  }
}

/** Image types whose decoders come with the codecs issue. */
const notYetSupported: Record<string, string> = {
  'lz-rgb': 'LZ_RGB',
  'lz-plt': 'LZ_PLT',
  'glz-rgb': 'GLZ_RGB',
  'zlib-glz-rgb': 'ZLIB_GLZ_RGB',
  jpeg: 'JPEG',
  'jpeg-alpha': 'JPEG_ALPHA',
  lz4: 'LZ4',
};

export class DisplayImageResolver implements ImageResolver {
  private readonly cache: ImageCache;
  private readonly palettes: PaletteStore;

  constructor(cache: ImageCache, palettes: PaletteStore) {
    this.cache = cache;
    this.palettes = palettes;
  }

  image(image: SpiceImage): Pixels {
    const d = image.descriptor;
    const body = image.body;
    switch (body.kind) {
      case 'from-cache':
      case 'from-cache-lossless': {
        const hit = this.cache.get(d.id);
        if (!hit) throw new SpiceError('protocol', `the server referred to image ${d.id} which is not in the image cache`);
        if (body.kind === 'from-cache-lossless' && hit.lossy) {
          throw new SpiceError('protocol', `the server asked for a lossless copy of image ${d.id}, but the cache holds a lossy one`);
        }
        return hit.pixels;
      }
      case 'bitmap': {
        const pixels = decodeBitmap(body.bitmap, this.palettes);
        return this.finish(image, pixels, false);
      }
      case 'quic':
        return this.finish(image, decodeQuic(body.data, { width: d.width, height: d.height }), false);
      case 'surface':
        // The canvas resolves surface sources itself; reaching here means a caller bug.
        throw new SpiceError('internal', 'surface images are resolved by the canvas');
      default:
        throw new SpiceError(
          'protocol',
          `${notYetSupported[body.kind] ?? body.kind} images are not supported yet (the codecs issue); ask the server for uncompressed images`,
        );
    }
  }

  mask(image: SpiceImage): Bitmask {
    const d = image.descriptor;
    if (image.body.kind === 'from-cache' || image.body.kind === 'from-cache-lossless') {
      const hit = this.cache.getMask(d.id);
      if (!hit) throw new SpiceError('protocol', `the server referred to mask ${d.id} which is not in the image cache`);
      return hit;
    }
    if (image.body.kind !== 'bitmap') throw new SpiceError('protocol', `a mask must be a 1-bit bitmap, got a ${image.body.kind} image`);
    const mask = decodeBitmapMask(image.body.bitmap);
    if (d.flags & ImageFlags.CACHE_ME) this.cache.putMask(d.id, mask);
    return mask;
  }

  private finish(image: SpiceImage, pixels: Pixels, lossy: boolean): Pixels {
    const d = image.descriptor;
    if (d.flags & ImageFlags.HIGH_BITS_SET) {
      const px = pixels.data;
      for (let i = 0; i < px.length; i++) px[i] = (px[i] | 0xff000000) >>> 0;
    }
    if (d.flags & (ImageFlags.CACHE_ME | ImageFlags.CACHE_REPLACE_ME)) this.cache.put(d.id, pixels, lossy);
    return pixels;
  }
}
