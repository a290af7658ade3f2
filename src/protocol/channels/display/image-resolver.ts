// Turns the images of draw commands into pixels: the session's image cache and GLZ window, the
// channel's palette cache, and one decoder per image type (src/protocol/codecs).
import { decodeBitmap, decodeBitmapMask, MapPaletteCache, resolvePalette } from '../../codecs/bitmap.ts';
import { decodeGlz } from '../../codecs/glz.ts';
import { decodeJpegImage, type JpegDecoder } from '../../codecs/jpeg.ts';
import { decodeJpegAlphaImage } from '../../codecs/jpeg-alpha.ts';
import type { GlzWindow } from '../../codecs/glz-window.ts';
import { decodeLz } from '../../codecs/lz.ts';
import { decodeLz4 } from '../../codecs/lz4.ts';
import { decodeQuic } from '../../codecs/quic.ts';
import { decodeZlibGlz, type Inflater } from '../../codecs/zlib-glz.ts';
import type { ImageCache } from '../../session/image-cache.ts';
import { decodeJobOf, isLossy, isOffloaded, type ImageOffload } from './image-decode-job.ts';
import { SpiceError } from '../../wire/errors.ts';
import { ImageFlags, type Bitmask, type DrawOp, type ImageResolver, type Pixels, type SpiceImage } from './draw-types.ts';

export { MapPaletteCache as PaletteStore };

/** What the decoders share across the channels of a session (owned by the session). */
export interface SharedDecoding {
  cache: ImageCache;
  glzWindow: GlzWindow;
  /** zlib for ZLIB_GLZ_RGB images; injected by the host (src/protocol has no zlib). */
  inflater?: Inflater;
  /** JPEG for JPEG and JPEG_ALPHA images; injected by the host (jpeg-js in Node, the browser's own). */
  jpeg?: JpegDecoder;
  /**
   * Where compressed images are decoded when not in this thread (the CLI's decode pool); every
   * compressed image is then decoded ahead of its draw, there, and GLZ's window lives there too.
   */
  offload?: ImageOffload;
}

/**
 * Images decoded before their draw: GLZ may wait for an image another display channel has not
 * decoded yet, and a JPEG decoder may be asynchronous (the browser's); neither may block inside
 * the compositor.
 */
const decodedAhead = new Set(['glz-rgb', 'zlib-glz-rgb', 'jpeg', 'jpeg-alpha']);
const isDecodedAhead = (image: SpiceImage): boolean => decodedAhead.has(image.body.kind);

export class DisplayImageResolver implements ImageResolver {
  private readonly shared: SharedDecoding;
  private readonly palettes: MapPaletteCache;
  /** Images decoded ahead of their draw (see decodedAhead). */
  private readonly preloaded = new Map<SpiceImage, Pixels>();

  constructor(shared: SharedDecoding, palettes: MapPaletteCache) {
    this.shared = shared;
    this.palettes = palettes;
  }

  /**
   * Decodes the GLZ and JPEG images of a draw before it is drawn (see decodedAhead); everything
   * else decodes synchronously when the compositor asks. Null when there is nothing to wait for.
   */
  prepare(op: DrawOp): Promise<void> | null {
    this.preloaded.clear();
    const offload = this.shared.offload;
    if (offload) {
      const images = imagesOf(op).filter(isOffloaded);
      if (!images.length) return null;
      // Every job is handed over at once (in order: GLZ's go to one worker), so that the images of
      // one draw decode side by side; palettes resolve now, in message order.
      const decoding = images.map((image) => {
        const palette = image.body.kind === 'lz-plt' ? resolvePalette(image.body.flags, image.body.paletteRef, this.palettes) : null;
        const job = decodeJobOf(image, palette);
        return offload.decode(job).then((pixels) => ({ image, pixels, lossy: isLossy(job) }));
      });
      return Promise.all(decoding).then((done) => {
        for (const d of done) this.preloaded.set(d.image, this.finish(d.image, d.pixels, d.lossy));
      });
    }
    const ahead = imagesOf(op).filter(isDecodedAhead);
    return ahead.length ? this.preloadAll(ahead) : null;
  }

  private async preloadAll(images: SpiceImage[]): Promise<void> {
    for (const image of images) this.preloaded.set(image, await this.decodeAhead(image));
  }

  image(image: SpiceImage): Pixels {
    const ready = this.preloaded.get(image);
    if (ready) return ready;
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
      case 'zlib-glz-rgb':
      case 'jpeg':
      case 'jpeg-alpha': {
        const pixels = this.preloaded.get(image);
        if (!pixels) throw new SpiceError('internal', `a ${body.kind} image was drawn without being prepared`);
        return pixels;
      }
      case 'surface':
        // The canvas resolves surface sources itself; reaching here means a caller bug.
        throw new SpiceError('internal', 'surface images are resolved by the canvas');
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

  private async decodeAhead(image: SpiceImage): Promise<Pixels> {
    const d = image.descriptor;
    const expected = { width: d.width, height: d.height };
    const body = image.body;
    switch (body.kind) {
      case 'glz-rgb':
        return this.finish(image, await decodeGlz(body.data, this.shared.glzWindow, expected), false);
      case 'zlib-glz-rgb':
        if (!this.shared.inflater) throw new SpiceError('internal', 'ZLIB_GLZ images need an inflater, and none was given to the session');
        return this.finish(image, await decodeZlibGlz(body, this.shared.inflater, this.shared.glzWindow, expected), false);
      case 'jpeg':
        return this.finish(image, await decodeJpegImage(body.data, this.jpegDecoder(), expected), true);
      case 'jpeg-alpha':
        return this.finish(image, await decodeJpegAlphaImage(body, this.jpegDecoder(), expected), true);
      default:
        throw new SpiceError('internal', `${body.kind} images are not decoded ahead`);
    }
  }

  private jpegDecoder(): JpegDecoder {
    if (!this.shared.jpeg) throw new SpiceError('internal', 'JPEG images need a JPEG decoder, and none was given to the session');
    return this.shared.jpeg;
  }

  private finish(image: SpiceImage, pixels: Pixels, lossy: boolean): Pixels {
    const d = image.descriptor;
    if (d.flags & ImageFlags.HIGH_BITS_SET) {
      const px = pixels.data;
      for (let i = 0; i < px.length; i++) px[i] |= 0xff000000;
    }
    // CACHE_REPLACE_ME is the lossless copy of an image the cache holds lossy: it replaces it.
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
