// Where a plain socket's reads land (net.connect's `onread`): consecutive parts of a large slab
// instead of a buffer of their own. By default Node reads into a fresh 64 KiB buffer, then copies
// what came into another zero-filled one of the read's size and hands it through the stream
// machinery ('data'): per read, two allocations, a memset and a memcpy. A bulk channel gets about
// 2000 reads per 64 MiB (spice-server's 32 KiB port messages), so that showed in the profile of
// folder sharing (bench/README.md, webdav). Here the kernel writes straight into the slab and each
// read is handed on as a view of it, never copied or reused: a slab is freed once nothing holds a
// view of it. When the bytes are already waiting, a read takes up to what is left of the slab
// (more than 64 KiB at once).

/** One slab's size: a few reads each (a read gets at least MIN_READ_ROOM of it). */
export const READ_SLAB_BYTES = 256 * 1024;
/** A slab with less room than this left is replaced by a fresh one before the next read. */
export const MIN_READ_ROOM = 64 * 1024;

export class ReadSlabs {
  private slab = Buffer.allocUnsafeSlow(READ_SLAB_BYTES);
  private at = 0;

  /** The room for the next read (net.connect's `onread.buffer`, called before each read). */
  next(): Buffer {
    if (READ_SLAB_BYTES - this.at < MIN_READ_ROOM) {
      this.slab = Buffer.allocUnsafeSlow(READ_SLAB_BYTES);
      this.at = 0;
    }
    return this.slab.subarray(this.at);
  }

  /** The `n` bytes the last read put into the room `next` gave, as a view the slab never reuses. */
  take(n: number): Uint8Array {
    const view = new Uint8Array(this.slab.buffer, this.slab.byteOffset + this.at, n);
    this.at += n;
    return view;
  }
}
