// The GLZ dictionary of a session: images decoded from GLZ streams, kept so that later GLZ images
// can copy pixels out of them. One window is shared by every display channel of the session,
// because the server has one GLZ dictionary per client and numbers its images across channels.
//
// Behaviour taken from spice-gtk (src/decode-glz.c):
// - Image ids count up from 0 after a reset. Images can arrive out of order when they come over
//   different display channels, so the window tracks the first id not yet decoded after an
//   unbroken run (the "tail").
// - After each image is added, every image older than (the last image of that unbroken run's id
//   minus its win_head_dist) is released: the server no longer refers to them. Using the run's
//   last image, not the newest one, keeps images that a not-yet-decoded image may still need.
// - A reference to an image that has not been decoded yet waits for it (it may be coming over
//   another display channel).
// Additions here: waits are bounded (a timeout, an abort signal, reset and close reject them, and
// a wait for an image below the released floor fails at once), and the window holds at most
// `maxPixels` pixels, dropping its oldest images beyond that.
import { SpiceError } from '../wire/errors.ts';

/** The largest window the GLZ format can address (25-bit pixel offsets, lz_common.h). */
export const GLZ_MAX_WINDOW_PIXELS = 1 << 25;
export const DEFAULT_GLZ_WAIT_TIMEOUT_MS = 20_000;
/**
 * Released images' buffers kept for the next images to decode into (at most this many): a fresh
 * zeroed buffer per image, faulted in as it was written and collected later, was most of what a
 * busy GLZ desktop cost the decode worker (bench/README.md, interactive).
 */
const SPARE_BUFFERS = 16;
/** And at most this many pixels in all (16 MiB); a buffer of more than a quarter of it is not kept. */
const SPARE_PIXELS = 1 << 22;

/** The part of AbortSignal this needs; src/protocol compiles without the DOM lib. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface GlzWindowOptions {
  /** Pixels kept at most; the oldest images go first beyond it. Default GLZ_MAX_WINDOW_PIXELS. */
  maxPixels?: number;
  /** How long a reference may wait for an image; 0 waits until reset, close or abort. */
  waitTimeoutMs?: number;
}

interface WindowImage {
  /** Decoded pixels in stream order (rows as sent, before any bottom-up flip). */
  pixels: Uint32Array;
  winHeadDist: number;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class GlzWindow {
  readonly maxPixels: number;
  readonly waitTimeoutMs: number;
  private readonly images = new Map<bigint, WindowImage>();
  private readonly waiters = new Map<bigint, Set<Waiter>>();
  /** Ids whose decode failed: waits for them fail at once instead of timing out. */
  private readonly failed = new Map<bigint, string>();
  /** Ids below this were released (or lie before the reset) and never come back. */
  private floor = 0n;
  /** The first id missing from the unbroken run of decoded images that starts at the floor. */
  private tail = 0n;
  private pixelCount = 0;
  private closed = false;
  /** Buffers of released images, for spare(): only the window ever held them. */
  private spares: Uint32Array[] = [];
  private sparePixels = 0;

  constructor(options: GlzWindowOptions = {}) {
    this.maxPixels = options.maxPixels ?? GLZ_MAX_WINDOW_PIXELS;
    this.waitTimeoutMs = options.waitTimeoutMs ?? DEFAULT_GLZ_WAIT_TIMEOUT_MS;
  }

  /**
   * A buffer of `count` pixels for an image to decode into, from a released image where one fits
   * (at most twice the size: a small image must not hold a large buffer), else a fresh one. Its
   * old pixels are not cleared: a GLZ decode writes every pixel before the window keeps it.
   */
  spare(count: number): Uint32Array {
    let best = -1;
    for (let i = 0; i < this.spares.length; i++) {
      const n = this.spares[i].length;
      if (n >= count && n <= 2 * count && (best < 0 || n < this.spares[best].length)) best = i;
    }
    if (best < 0) return new Uint32Array(count);
    const buffer = this.spares[best];
    this.spares.splice(best, 1);
    this.sparePixels -= buffer.length;
    return buffer.length === count ? buffer : buffer.subarray(0, count);
  }

  /** The stream-order pixels of image `id`, if it is in the window. Read-only. */
  get(id: bigint): Uint32Array | undefined {
    return this.images.get(id)?.pixels;
  }

  has(id: bigint): boolean {
    return this.images.has(id);
  }

  /** True when image `id` can never be added: it was released, dropped, or predates the reset. */
  isReleased(id: bigint): boolean {
    return id < this.floor;
  }

  /** Why image `id` will never arrive (its decode failed), or undefined. */
  failure(id: bigint): string | undefined {
    return this.failed.get(id);
  }

  get imageCount(): number {
    return this.images.size;
  }

  get totalPixels(): number {
    return this.pixelCount;
  }

  /**
   * Adds a decoded image and releases what the server's window has moved past. `pixels` (stream
   * order) is kept, not copied: the caller must not change it afterwards, and once the image is
   * released its buffer (all of it, from the view's start) may take a later image (spare()).
   */
  add(id: bigint, pixels: Uint32Array, winHeadDist: number): void {
    if (this.closed) return;
    if (this.images.has(id)) throw new SpiceError('protocol', `GLZ image ${id} was sent twice`);
    // Too late: the window moved past it (or dropped it for space), so nothing may refer to it.
    if (id < this.floor) return;
    this.images.set(id, { pixels, winHeadDist });
    this.pixelCount += pixels.length;
    this.failed.delete(id);

    while (this.images.has(this.tail)) this.tail++;
    const last = this.images.get(this.tail - 1n);
    if (last) {
      const oldest = this.tail - 1n - BigInt(last.winHeadDist);
      this.releaseBelow(oldest, 'the server released it');
    }
    this.enforceLimit();

    const waiting = this.waiters.get(id);
    if (waiting && this.images.has(id)) {
      this.waiters.delete(id);
      for (const w of waiting) w.resolve();
    }
  }

  /** Marks image `id` as never coming (its decode failed), failing everyone waiting for it. */
  abandon(id: bigint, reason: string): void {
    if (this.images.has(id) || id < this.floor) return;
    this.failed.set(id, reason);
    this.rejectWaiters(id, new SpiceError('protocol', `GLZ image ${id} could not be decoded: ${reason}`));
  }

  /**
   * Resolves when image `id` is in the window. Rejects when it can never come (released, failed),
   * on timeout, on abort, and on reset or close.
   */
  whenAvailable(id: bigint, signal?: AbortSignalLike): Promise<void> {
    if (this.images.has(id)) return Promise.resolve();
    if (this.closed) return Promise.reject(new SpiceError('protocol', `GLZ image ${id} is needed but the session is closed`));
    if (id < this.floor) {
      return Promise.reject(new SpiceError('protocol', `a GLZ image refers to image ${id}, which was already released`));
    }
    const failure = this.failed.get(id);
    if (failure !== undefined) {
      return Promise.reject(new SpiceError('protocol', `GLZ image ${id} could not be decoded: ${failure}`));
    }
    if (signal?.aborted) return Promise.reject(signal.reason ?? new SpiceError('internal', 'GLZ decode aborted'));

    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => settle(false, signal?.reason ?? new SpiceError('internal', 'GLZ decode aborted'));
      const waiter: Waiter = {
        resolve: () => settle(true),
        reject: (error) => settle(false, error),
      };
      const settle = (ok: boolean, error?: unknown): void => {
        const set = this.waiters.get(id);
        if (set) {
          set.delete(waiter);
          if (set.size === 0) this.waiters.delete(id);
        }
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (ok) resolve();
        else reject(error);
      };
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      set.add(waiter);
      signal?.addEventListener('abort', onAbort);
      if (this.waitTimeoutMs > 0) {
        timer = setTimeout(
          () =>
            settle(
              false,
              new SpiceError('timeout', `a GLZ image waited ${this.waitTimeoutMs} ms for image ${id}, which never arrived`),
            ),
          this.waitTimeoutMs,
        );
      }
    });
  }

  /**
   * Empties the window (display channel reset, new GLZ dictionary, migration) and fails every
   * wait. `firstId` is the id the server's dictionary starts from (0 unless restored).
   */
  reset(firstId = 0n): void {
    this.clear(new SpiceError('protocol', 'the GLZ window was reset while an image waited for an earlier one'));
    this.floor = firstId;
    this.tail = firstId;
  }

  /** Empties the window for good; later waits fail at once. */
  close(): void {
    this.clear(new SpiceError('protocol', 'the session closed while a GLZ image waited for an earlier one'));
    this.closed = true;
  }

  private clear(error: SpiceError): void {
    this.images.clear();
    this.spares = [];
    this.sparePixels = 0;
    this.failed.clear();
    this.pixelCount = 0;
    for (const id of [...this.waiters.keys()]) this.rejectWaiters(id, error);
  }

  private rejectWaiters(id: bigint, error: unknown): void {
    const set = this.waiters.get(id);
    if (!set) return;
    this.waiters.delete(id);
    for (const w of set) w.reject(error);
  }

  private releaseBelow(oldest: bigint, why: string): void {
    if (oldest <= this.floor) return;
    // Ids come one after another, so the window usually moves by an image or two: the ids from the
    // floor up are walked while they are fewer than the images held (each id once in the session's
    // life), else what is held is walked (a corrupt win_head_dist or a gap must not cost a long
    // loop). Walking every image held for every image added was the decode worker's largest cost
    // on a busy GLZ desktop (bench/README.md, interactive).
    if (oldest - this.floor <= BigInt(this.images.size)) {
      for (let id = this.floor; id < oldest; id++) this.drop(id);
    } else {
      for (const id of this.images.keys()) if (id < oldest) this.drop(id);
    }
    if (this.failed.size) for (const id of this.failed.keys()) if (id < oldest) this.failed.delete(id);
    if (this.waiters.size) {
      for (const id of [...this.waiters.keys()]) {
        if (id < oldest) this.rejectWaiters(id, new SpiceError('protocol', `GLZ image ${id} was never decoded before ${why}`));
      }
    }
    this.floor = oldest;
    if (this.tail < oldest) {
      this.tail = oldest;
      while (this.images.has(this.tail)) this.tail++;
    }
  }

  private drop(id: bigint): void {
    const image = this.images.get(id);
    if (!image) return;
    this.images.delete(id);
    this.pixelCount -= image.pixels.length;
    // Nothing refers to a released image any more (the server moved past it), so its buffer may
    // take a later image; a view of a larger spare goes back whole.
    const whole = new Uint32Array(image.pixels.buffer, image.pixels.byteOffset, image.pixels.buffer.byteLength / 4 - image.pixels.byteOffset / 4);
    if (whole.length > SPARE_PIXELS / 4) return;
    this.spares.push(whole);
    this.sparePixels += whole.length;
    while (this.spares.length > SPARE_BUFFERS || this.sparePixels > SPARE_PIXELS) this.sparePixels -= this.spares.shift()!.length;
  }

  private enforceLimit(): void {
    while (this.pixelCount > this.maxPixels && this.images.size > 1) this.releaseBelow(this.oldestHeld() + 1n, `the GLZ window was over its ${this.maxPixels}-pixel limit`);
  }

  /** The smallest id held (there is one): found from the floor up while that is short, else by walking what is held. */
  private oldestHeld(): bigint {
    const limit = this.floor + BigInt(this.images.size);
    for (let id = this.floor; id <= limit; id++) if (this.images.has(id)) return id;
    let min: bigint | undefined;
    for (const id of this.images.keys()) if (min === undefined || id < min) min = id;
    return min!;
  }
}
