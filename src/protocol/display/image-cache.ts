// The session's image cache, shared by every display channel (the server sizes and evicts it by
// the size announced in DISPLAY_INIT and tells us what to drop with INVAL_LIST/INVAL_ALL_PIXMAPS).
import type { Bitmask, Pixels } from '../pixels/pixels.ts';

export interface CachedImage {
  pixels: Pixels;
  lossy: boolean;
}

export class ImageCache {
  private readonly images = new Map<bigint, CachedImage>();
  private readonly masks = new Map<bigint, Bitmask>();

  get(id: bigint): CachedImage | undefined {
    return this.images.get(id);
  }

  put(id: bigint, pixels: Pixels, lossy: boolean): void {
    this.images.set(id, { pixels, lossy });
  }

  getMask(id: bigint): Bitmask | undefined {
    return this.masks.get(id);
  }

  putMask(id: bigint, mask: Bitmask): void {
    this.masks.set(id, mask);
  }

  remove(id: bigint): void {
    this.images.delete(id);
    this.masks.delete(id);
  }

  clear(): void {
    this.images.clear();
    this.masks.clear();
  }

  get size(): number {
    return this.images.size;
  }
}
