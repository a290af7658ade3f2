// A GET's read buffers, used again once their bytes are out of the process. Each 1 MiB read into
// a new buffer touched fresh pages: the first 64 MiB GET of a process took 7,000 minor page faults
// (and about 30 ms of CPU) more than the later ones (bench/README.md, webdav-wire). A buffer may
// only be read into again when nothing holds a view of it any more: its bytes go from the
// in-memory socket through the mux into the port channel's writev, which holds views of it until
// the connection has handed them to the OS. So a buffer comes back only through the `sent` hook
// the port channel calls then (PortIo.writePieces); a reply that never gets that far (a closed
// connection, a transport that cannot tell) keeps its buffer out of the pool, to be collected.

/** Bytes of one read (see file-sender.ts). */
export const READ_BUFFER_BYTES = 1024 * 1024;
/** Buffers kept for the next reads (4 MiB at most). */
const MAX_POOLED = 4;
/** Dropped when no GET has used them for this long: an idle session keeps no read buffers. */
const IDLE_MS = 30_000;

/** The hook that gives a lent buffer back, by its memory (taken once, in MemorySocket._write). */
const sentHooks = new WeakMap<ArrayBufferLike, () => void>();

/** The `sent` hook of the buffer whose memory `bytes` are in, once (undefined: not a lent buffer). */
export function takeSentHook(bytes: ArrayBufferView): (() => void) | undefined {
  const hook = sentHooks.get(bytes.buffer);
  if (hook) sentHooks.delete(bytes.buffer);
  return hook;
}

export class ReadBufferPool {
  private free: Buffer[] = [];
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  /** For tests: buffers made, and buffers read into again. */
  readonly counts = { made: 0, reused: 0 };

  /** A buffer to read into: one given back, or a new one (its own memory, never Node's shared pool). */
  take(): Buffer {
    const b = this.free.pop();
    if (b) {
      this.counts.reused++;
      return b;
    }
    this.counts.made++;
    return Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  }

  /** `b` is about to be written: it comes back when its `sent` hook is called, not before. */
  lend(b: Buffer): void {
    sentHooks.set(b.buffer, () => this.giveBack(b));
  }

  private giveBack(b: Buffer): void {
    if (this.free.length < MAX_POOLED) this.free.push(b);
    // One timer, pushed back by every buffer that comes back (64 a 64 MiB GET).
    if (this.idleTimer) return void this.idleTimer.refresh();
    this.idleTimer = setTimeout(() => {
      this.free = [];
      this.idleTimer = null;
    }, IDLE_MS);
    this.idleTimer.unref?.();
  }
}

/** The process's pool: GETs one after another share it. */
export const readBuffers = new ReadBufferPool();
