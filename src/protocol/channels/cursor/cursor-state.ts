// What the cursor channel's messages mean, apart from any socket: the current shape, position and
// visibility, and the cursor cache. Fed parsed messages; reports changes through callbacks. The
// CursorChannel drives it in the session; a renderer given raw bodies can drive its own.
import type { Logger } from '../../logger.ts';
import type { MemoryBudget } from '../../wire/memory-budget.ts';
import { decodeCursor, type CursorDecodeOptions, type CursorImage } from './cursor-decode.ts';
import { CursorFlags, type CursorMessage, type WireCursor } from './cursor-messages.ts';

export interface CursorStateListener {
  /** The shape changed; null = no cursor at all (the server said NONE, or RESET). */
  shape(image: CursorImage | null): void;
  move(x: number, y: number): void;
  visible(visible: boolean): void;
}

/**
 * Entries kept at most. The server caches 256 cursors per client and says which to drop; this
 * bound only stops a misbehaving server from growing the cache without end.
 */
export const CURSOR_CACHE_LIMIT = 1024;

export class CursorState {
  /** Decoded cursors by header.unique; decoding once per shape, not once per use. */
  readonly cache = new Map<bigint, CursorImage>();
  image: CursorImage | null = null;
  visible = false;
  x = 0;
  y = 0;
  trailLength = 0;
  trailFrequency = 0;
  private readonly listener: CursorStateListener;
  private readonly log: Logger;
  private readonly decodeOptions: CursorDecodeOptions;
  /** The session's memory budget: cached cursors (up to 1024x1024 each) are charged to it. */
  private readonly budget: MemoryBudget | null;

  constructor(listener: CursorStateListener, log: Logger, decodeOptions: CursorDecodeOptions = {}, budget?: MemoryBudget) {
    this.listener = listener;
    this.log = log;
    this.decodeOptions = decodeOptions;
    this.budget = budget ?? null;
  }

  /** Applies one message. Throws ProtocolError only for a shape that cannot be decoded. */
  apply(msg: CursorMessage): void {
    switch (msg.kind) {
      case 'init':
        // The server resets its record of our cache before INIT.
        this.clearCache();
        this.trailLength = msg.trailLength;
        this.trailFrequency = msg.trailFrequency;
        this.setCursor(msg.cursor, msg.x, msg.y, msg.visible);
        return;
      case 'set':
        this.setCursor(msg.cursor, msg.x, msg.y, msg.visible);
        return;
      case 'reset':
        this.clearCache();
        this.image = null;
        this.listener.shape(null);
        this.setVisible(false);
        return;
      case 'move':
        this.x = msg.x;
        this.y = msg.y;
        this.listener.move(msg.x, msg.y);
        // There is no SHOW message: drivers show a hidden cursor by moving it (the X QXL driver
        // does exactly that), and spice-gtk shows it again on MOVE.
        if (this.image) this.setVisible(true);
        return;
      case 'hide':
        this.setVisible(false);
        return;
      case 'trail':
        // Trails are a Windows accessibility effect that no client draws.
        this.trailLength = msg.length;
        this.trailFrequency = msg.frequency;
        return;
      case 'inval-one':
        if (!this.drop(msg.id)) this.log.debug({ id: msg.id.toString(16) }, 'INVAL_ONE for a cursor not in the cache');
        return;
      case 'inval-all':
        this.clearCache();
        return;
    }
  }

  private setCursor(cursor: WireCursor, x: number, y: number, visible: boolean): void {
    const image = this.resolve(cursor);
    if (image === undefined) {
      // A cache miss leaves the cursor as it was; the position still applies.
      this.moveTo(x, y);
      return;
    }
    this.image = image;
    this.listener.shape(image);
    this.moveTo(x, y);
    this.setVisible(visible && image !== null);
  }

  /** The image a Cursor stands for; null for NONE, undefined for a cache miss. */
  private resolve(cursor: WireCursor): CursorImage | null | undefined {
    const header = cursor.header;
    if (!header || cursor.flags & CursorFlags.NONE) return null;
    if (cursor.flags & CursorFlags.FROM_CACHE) {
      const cached = this.cache.get(header.unique);
      if (!cached) this.log.error({ id: header.unique.toString(16) }, `the server named cursor ${header.unique.toString(16)} from the cache, which does not hold it; cursor unchanged`);
      return cached;
    }
    const image = decodeCursor(cursor, this.decodeOptions);
    if (cursor.flags & CursorFlags.CACHE_ME) this.store(header.unique, image);
    return image;
  }

  private store(id: bigint, image: CursorImage): void {
    this.drop(id);
    this.budget?.charge('cursor cache', cursorBytes(image), () => `cursor ${id.toString(16)} of ${image.width}x${image.height} in the cursor cache`);
    this.cache.set(id, image);
    if (this.cache.size > CURSOR_CACHE_LIMIT) {
      const oldest = this.cache.keys().next().value as bigint;
      this.drop(oldest);
      this.log.warn({ limit: CURSOR_CACHE_LIMIT }, 'cursor cache over its limit; dropped the oldest entry');
    }
  }

  /** Removes a cached cursor, giving its bytes back; false when it was not cached. */
  private drop(id: bigint): boolean {
    const image = this.cache.get(id);
    if (!image) return false;
    this.cache.delete(id);
    this.budget?.release('cursor cache', cursorBytes(image));
    return true;
  }

  /** Empties the cache (RESET, INVAL_ALL, INIT, the channel closing). */
  clearCache(): void {
    for (const id of [...this.cache.keys()]) this.drop(id);
  }

  private moveTo(x: number, y: number): void {
    if (x === this.x && y === this.y) return;
    this.x = x;
    this.y = y;
    this.listener.move(x, y);
  }

  private setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    this.listener.visible(visible);
  }
}

const cursorBytes = (image: CursorImage): number => image.rgba.byteLength + (image.invertMask?.byteLength ?? 0);
