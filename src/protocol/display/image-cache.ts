// The session's image cache, shared by every display channel. The server keeps the books: it
// counts each image it tells us to cache (CACHE_ME) as width x height pixels against the size the
// client announced in DISPLAY_INIT, evicts its least recently used entries to stay inside it, and
// names each eviction in INVAL_LIST (or empties everything with INVAL_ALL_PIXMAPS); the client
// never evicts on its own, since the server may name any entry it still counts (spice-server's
// dcc_pixmap_cache_unlocked_add; spice-gtk keeps a plain table). So this cache counts pixels the
// same way, and a server that fills it past the announced size (plus a tolerance for releases
// still in flight on another channel) is breaking the protocol: the image is drawn but not kept,
// with a warning, and a later reference to it is a clear "not in the image cache" error. Every
// byte held is also charged to the session's memory budget.
import type { Logger } from '../logger.ts';
import type { Bitmask, Pixels } from '../pixels/pixels.ts';
import { formatBytes, type MemoryBudget } from '../wire/memory-budget.ts';

export interface CachedImage {
  pixels: Pixels;
  lossy: boolean;
}

export interface ImageCacheOptions {
  /** The pixmap cache size announced in DISPLAY_INIT, in pixels. */
  announcedPixels: number;
  budget?: MemoryBudget;
  logger?: Logger;
}

export class ImageCache {
  private readonly images = new Map<bigint, CachedImage>();
  private readonly masks = new Map<bigint, Bitmask>();
  readonly announcedPixels: number;
  /**
   * How far past the announced size the cache may go: the server may release an entry on one
   * display channel after it added its replacement on another (the release then waits for that
   * channel's serial), so the two ends' totals can differ by a few images for a moment.
   */
  readonly tolerancePixels: number;
  private heldPixels = 0;
  private readonly budget: MemoryBudget | null;
  private readonly log: Logger | null;
  private warnedOverflow = false;

  constructor(o: ImageCacheOptions) {
    this.announcedPixels = o.announcedPixels;
    this.tolerancePixels = Math.ceil(o.announcedPixels / 8);
    this.budget = o.budget ?? null;
    this.log = o.logger ?? null;
  }

  get(id: bigint): CachedImage | undefined {
    return this.images.get(id);
  }

  /** Keeps an image the server said to cache; false (with a warning) when it would overflow the announced size. */
  put(id: bigint, pixels: Pixels, lossy: boolean): boolean {
    // CACHE_REPLACE_ME (the lossless copy of a lossy entry) takes the place of the old entry.
    this.removeImage(id);
    const size = pixels.width * pixels.height;
    if (!this.fits(id, size, pixels.width, pixels.height)) return false;
    this.budget?.charge('image cache', pixels.data.byteLength, () => `image ${id} of ${pixels.width}x${pixels.height} in the image cache`);
    this.images.set(id, { pixels, lossy });
    this.heldPixels += size;
    return true;
  }

  getMask(id: bigint): Bitmask | undefined {
    return this.masks.get(id);
  }

  putMask(id: bigint, mask: Bitmask): boolean {
    this.removeMask(id);
    const size = mask.width * mask.height;
    if (!this.fits(id, size, mask.width, mask.height)) return false;
    this.budget?.charge('image cache', mask.bits.byteLength, () => `mask ${id} of ${mask.width}x${mask.height} in the image cache`);
    this.masks.set(id, mask);
    this.heldPixels += size;
    return true;
  }

  remove(id: bigint): void {
    this.removeImage(id);
    this.removeMask(id);
  }

  clear(): void {
    for (const id of [...this.images.keys()]) this.removeImage(id);
    for (const id of [...this.masks.keys()]) this.removeMask(id);
  }

  get size(): number {
    return this.images.size;
  }

  /** Pixels held, counted as the server counts them (width x height per entry). */
  get pixels(): number {
    return this.heldPixels;
  }

  private fits(id: bigint, size: number, width: number, height: number): boolean {
    if (this.heldPixels + size <= this.announcedPixels + this.tolerancePixels) return true;
    if (!this.warnedOverflow) {
      this.warnedOverflow = true;
      this.log?.warn(
        { id: String(id), held: this.heldPixels, announced: this.announcedPixels },
        `the server asked to cache image ${id} of ${width}x${height} although the image cache already holds ${this.heldPixels} pixels ` +
          `of the ${this.announcedPixels} (${formatBytes(this.announcedPixels * 4)}) the client announced; it is drawn but not kept (the server should have released older images)`,
      );
    }
    return false;
  }

  private removeImage(id: bigint): void {
    const old = this.images.get(id);
    if (!old) return;
    this.images.delete(id);
    this.heldPixels -= old.pixels.width * old.pixels.height;
    this.budget?.release('image cache', old.pixels.data.byteLength);
  }

  private removeMask(id: bigint): void {
    const old = this.masks.get(id);
    if (!old) return;
    this.masks.delete(id);
    this.heldPixels -= old.width * old.height;
    this.budget?.release('image cache', old.bits.byteLength);
  }
}
