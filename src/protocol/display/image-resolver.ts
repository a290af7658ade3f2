// Turns the images of draw commands into pixels: the session's image cache, the channel's palette
// cache, bitmaps here, and every compressed image through the session's ImageDecoder (in this
// thread or a pool of workers), decoded ahead of its draw.
import { checkGeometry, decodeBitmap, decodeBitmapMask, resolvePalette, type PaletteCache } from '../codecs/bitmap.ts';
import type { ImageCache } from './image-cache.ts';
import { decodeJobOf, isCompressed, isLossy, type ImageDecoder } from './image-decode-job.ts';
import { SpiceError } from '../wire/errors.ts';
import { ImageFlags, type DrawOp, type ImageResolver, type SpiceImage } from '../pixels/draw-ops.ts';
import type { Bitmask, Pixels } from '../pixels/pixels.ts';
import { BitmapFlags } from '../pixels/formats.ts';

/** What the display channels of a session share (owned by the pipeline). */
export interface SharedDecoding {
  cache: ImageCache;
  /** Compressed images; null in a pipeline that only ever gets bitmaps (some tests). */
  decoder: ImageDecoder | null;
  /** Gives the event loop a turn when drawing has held it long enough (the pipeline's). */
  breather?: () => Promise<void>;
}

/** Bitmaps this large are decoded in bands of about this many pixels (see decodeInBands). */
const LARGE_BITMAP_PIXELS = 1 << 18;

/**
 * Images up to this size that are drawn once and not cached are decoded into a buffer this
 * resolver keeps and lends again draw after draw (LZ, QUIC, GLZ: image-decode-job.ts, ImageDecoder). A
 * fresh buffer per image was, on the interactive bench's live scene (a scrolling terminal, about
 * 55 LZ images of 120 kpx a second), the decode worker's largest cost: zeroed, faulted in, then
 * collected (bench/README.md, interactive). Larger images get a buffer of their own, as before.
 */
export const LENT_MAX_PIXELS = 1 << 20;
/**
 * The image kinds a decoder in this thread writes into a lent buffer: LZ, QUIC, and GLZ's output
 * (the window keeps a copy of its own, in stream order, for later images to refer to). Each writes
 * every pixel (for QUIC: wasm-parity.test.ts decodes into outputs full of other pixels).
 */
const LENDABLE = new Set<string>(['lz-rgb', 'lz-plt', 'quic', 'glz-rgb', 'zlib-glz-rgb']);

export class DisplayImageResolver implements ImageResolver {
  private readonly shared: SharedDecoding;
  private readonly palettes: PaletteCache;
  /** This draw's compressed images, decoded ahead of it. */
  private readonly preloaded = new Map<SpiceImage, Pixels>();
  /**
   * Buffers lent to the decoder, by the image's place among the draw's compressed images: a draw's
   * pixels are dropped when the next draw is prepared (the channel's draws are prepared and drawn
   * one after another, and only the cache keeps pixels past their draw), so the next draw's images
   * may be decoded into them.
   */
  private readonly lent: Uint32Array[] = [];

  constructor(shared: SharedDecoding, palettes: PaletteCache) {
    this.shared = shared;
    this.palettes = palettes;
  }

  /**
   * Decodes the compressed images of a draw before it is drawn: a decoder may be asynchronous (a
   * worker, the browser's JPEG), and GLZ may wait for an image another display channel has not
   * decoded yet; neither may block inside the compositor. Null when there is nothing to wait for.
   */
  prepare(op: DrawOp): Promise<void> | null {
    this.preloaded.clear();
    const all = imagesOf(op);
    const large = all.filter((image) => image.body.kind === 'bitmap' && image.descriptor.width * image.descriptor.height >= LARGE_BITMAP_PIXELS);
    const bitmaps = large.length ? this.decodeInBands(large) : null;
    const compressed = this.prepareCompressed(all.filter(isCompressed));
    if (!bitmaps) return compressed;
    return compressed ? Promise.all([bitmaps, compressed]).then(() => {}) : bitmaps;
  }

  /**
   * Large bitmaps, decoded here (they are in the message) a band of rows at a time, with the
   * pipeline's turns for the event loop between bands: a 8192x8192 one is most of a second.
   */
  private async decodeInBands(images: SpiceImage[]): Promise<void> {
    for (const image of images) {
      if (image.body.kind !== 'bitmap') continue;
      const bitmap = image.body.bitmap;
      checkGeometry(bitmap);
      const { width, height, stride } = bitmap;
      const out = new Uint32Array(width * height);
      const rows = Math.max(1, Math.floor(LARGE_BITMAP_PIXELS / width));
      const topDown = (bitmap.flags & BitmapFlags.TOP_DOWN) !== 0;
      let hasAlpha = false;
      for (let first = 0; first < height; first += rows) {
        const last = Math.min(height, first + rows);
        // Source rows first..last; bottom-up ones land, reversed, at the other end of the picture.
        const band = { ...bitmap, height: last - first, data: bitmap.data.subarray(first * stride, Math.min(bitmap.data.byteLength, last * stride)) };
        const at = topDown ? first : height - last;
        hasAlpha = decodeBitmap(band, this.palettes, out.subarray(at * width, (at + last - first) * width)).hasAlpha;
        await this.shared.breather?.();
      }
      this.preloaded.set(image, this.finish(image, { width, height, data: out, hasAlpha }, false));
    }
  }

  private prepareCompressed(images: SpiceImage[]): Promise<void> | null {
    if (!images.length) return null;
    const decoder = this.shared.decoder;
    if (!decoder) return Promise.reject(new SpiceError('internal', `a ${images[0].body.kind} image came, and this display has no image decoder`));
    // Every job is handed over at once (in order: GLZ's go to one worker), so that the images of
    // one draw decode side by side; palettes resolve now, in message order.
    const decoding = images.map((image, i) => {
      const palette = image.body.kind === 'lz-plt' ? resolvePalette(image.body.flags, image.body.paletteRef, this.palettes) : null;
      const job = decodeJobOf(image, palette, decoder.transfersJobs);
      const into = decoder.transfersJobs ? undefined : this.lend(image, i);
      return decoder.decode(job, into).then((pixels) => ({ image, pixels, lossy: isLossy(job) }));
    });
    return Promise.all(decoding).then((done) => {
      for (const d of done) this.preloaded.set(d.image, this.finish(d.image, d.pixels, d.lossy));
    });
  }

  /** The buffer lent for the draw's `place`-th compressed image, where it is drawn once and small enough. */
  private lend(image: SpiceImage, place: number): Uint32Array | undefined {
    const d = image.descriptor;
    const count = d.width * d.height;
    if (!LENDABLE.has(image.body.kind) || count > LENT_MAX_PIXELS || d.flags & (ImageFlags.CACHE_ME | ImageFlags.CACHE_REPLACE_ME)) return undefined;
    const have = this.lent[place];
    if (have && have.length >= count) return have;
    // Grown in steps, so that images a little larger each time do not each bring a new buffer.
    const grown = new Uint32Array(Math.min(LENT_MAX_PIXELS, Math.max(count, 2 * (have?.length ?? 0), 1 << 14)));
    this.lent[place] = grown;
    return grown;
  }

  image(image: SpiceImage): Pixels {
    const ready = this.preloaded.get(image);
    if (ready) return ready;
    const d = image.descriptor;
    const body = image.body;
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
      case 'lz-rgb':
      case 'lz-plt':
      case 'lz4':
      case 'glz-rgb':
      case 'zlib-glz-rgb':
      case 'jpeg':
      case 'jpeg-alpha':
        throw new SpiceError('internal', `a ${body.kind} image was drawn without being prepared`);
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
