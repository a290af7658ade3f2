// Accumulates transport chunks and hands out exact-size reads, so the link stage and the message
// loop can be written as straight-line async code. Reads are served without copying when a
// chunk already holds all the requested bytes (the common case for small messages).
import { SpiceError } from './errors.ts';
import { formatBytes, type MemoryBudget } from './memory-budget.ts';
import type { Transport } from './transport.ts';

interface PendingRead {
  size: number;
  resolve(bytes: Uint8Array): void;
  reject(err: Error): void;
  /**
   * For a large read: the result, filled as chunks arrive, so that a 3 MB image is not copied
   * in one go after its last byte (on the critical path) but while the rest is still in flight.
   * The chunks stay queued until the read completes, so a connection that ends first leaves
   * every byte readable.
   */
  assembly?: { out: Uint8Array; filled: number };
  /** Bytes charged to the budget for the assembly buffer (released when the read completes). */
  charged: number;
}

/** Reads at least this large are assembled while they arrive (smaller ones are rarely split). */
const ASSEMBLE_AHEAD_BYTES = 64 * 1024;

export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0; // read offset into chunks[0]
  private buffered = 0;
  private pending: PendingRead | null = null;
  private ended: Error | null = null;
  private readonly what: string;
  private arrivalWaiters: (() => void)[] = [];
  /**
   * The session's memory budget: every byte held here (chunks received and not yet read, and the
   * buffer of a large read being assembled) is charged to it, so that a server cannot make the
   * client buffer without bound (one channel blocked while its peer keeps sending, or a header
   * announcing 128 MiB on each of many channels).
   */
  private readonly budget: MemoryBudget | null;
  /** Bytes of `chunks` charged to the budget (all of them, including the part before `head`). */
  private chargedChunks = 0;

  constructor(transport: Transport, what: string, budget?: MemoryBudget) {
    this.what = what;
    this.budget = budget ?? null;
    transport.start({
      data: (chunk) => this.push(chunk),
      end: (error) => this.end(error),
    });
  }

  get available(): number {
    return this.buffered;
  }

  /** Why the stream ended (the transport's error, or the server's close), once it has. */
  get endedWith(): Error | null {
    return this.ended;
  }

  /** True once the transport ended without an error: the peer closed the connection. */
  get closedByPeer(): boolean {
    return this.ended !== null && this.endedCleanly;
  }

  private endedCleanly = false;

  /** Resolves when more bytes arrive or the connection ends (at once if it has ended). */
  whenMoreArrives(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => this.arrivalWaiters.push(resolve));
  }

  private push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0 || this.ended) return;
    if (this.budget) {
      // A transport callback must not throw: an over-budget chunk ends this queue (and the budget's
      // listener ends the session), and the chunk is dropped.
      const error = this.budget.tryCharge('incoming messages', chunk.byteLength, () => `room for more data on the ${this.what}, where ${formatBytes(this.buffered)} waited to be read`);
      if (error) {
        this.end(error);
        return;
      }
      this.chargedChunks += chunk.byteLength;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    const a = this.pending?.assembly;
    if (a) {
      const n = Math.min(chunk.byteLength, a.out.byteLength - a.filled);
      a.out.set(n === chunk.byteLength ? chunk : chunk.subarray(0, n), a.filled);
      a.filled += n;
    }
    this.serve();
  }

  private end(error?: Error): void {
    if (this.ended) return;
    this.endedCleanly = error === undefined;
    this.ended = error ?? new SpiceError('protocol', `the server closed the ${this.what} connection`);
    this.serve();
  }

  private serve(): void {
    if (this.arrivalWaiters.length) {
      const waiters = this.arrivalWaiters;
      this.arrivalWaiters = [];
      for (const resolve of waiters) resolve();
    }
    const p = this.pending;
    if (!p) return;
    if (this.buffered >= p.size) {
      this.pending = null;
      this.budget?.release('incoming messages', p.charged);
      if (p.assembly) {
        this.discard(p.size);
        p.resolve(p.assembly.out);
      } else p.resolve(this.take(p.size));
    } else if (this.ended) {
      this.pending = null;
      this.budget?.release('incoming messages', p.charged);
      p.reject(this.ended);
    }
  }

  /** Exactly `size` bytes; rejects if the connection ends first. */
  read(size: number): Promise<Uint8Array> {
    if (this.pending) return Promise.reject(new Error('ByteQueue: concurrent reads'));
    if (this.buffered >= size) return Promise.resolve(this.take(size));
    if (this.ended) return Promise.reject(this.ended);
    // The assembly buffer is charged before it is allocated: a header may announce any size up to
    // the message limit, and must not cost that memory unless the budget allows it.
    const assemble = size >= ASSEMBLE_AHEAD_BYTES;
    const charged = assemble ? size : 0;
    if (assemble && this.budget) {
      const error = this.budget.tryCharge('incoming messages', size, () => `a message of ${formatBytes(size)} on the ${this.what}`);
      if (error) return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      const pending: PendingRead = { size, resolve, reject, charged: this.budget ? charged : 0 };
      if (assemble) {
        const out = new Uint8Array(size);
        let filled = 0;
        for (let i = 0; i < this.chunks.length; i++) {
          const c = i === 0 ? this.chunks[0].subarray(this.head) : this.chunks[i];
          out.set(c, filled);
          filled += c.byteLength;
        }
        pending.assembly = { out, filled };
      }
      this.pending = pending;
    });
  }

  /** A copy of the first bytes buffered (at most `max`), without taking them. */
  peek(max: number): Uint8Array {
    const out = new Uint8Array(Math.min(max, this.buffered));
    let filled = 0;
    for (let i = 0; i < this.chunks.length && filled < out.byteLength; i++) {
      const c = i === 0 ? this.chunks[0].subarray(this.head) : this.chunks[i];
      const n = Math.min(c.byteLength, out.byteLength - filled);
      out.set(c.subarray(0, n), filled);
      filled += n;
    }
    return out;
  }

  /** Synchronous variant for the hot path: the bytes if already buffered, else null. */
  tryRead(size: number): Uint8Array | null {
    return this.buffered >= size && !this.pending ? this.take(size) : null;
  }

  /**
   * Gives back to the budget everything this queue holds (its connection is closed and nothing
   * will read it). A pending read is rejected.
   */
  dispose(): void {
    this.end(new SpiceError('protocol', `the ${this.what} connection was closed`));
    this.chunks = [];
    this.head = 0;
    this.buffered = 0;
    this.budget?.release('incoming messages', this.chargedChunks);
    this.chargedChunks = 0;
  }

  /** A chunk left the queue: its bytes no longer count against the budget. */
  private dropChunk(): void {
    const c = this.chunks.shift()!;
    this.head = 0;
    if (this.budget) {
      this.budget.release('incoming messages', c.byteLength);
      this.chargedChunks -= c.byteLength;
    }
  }

  /** Drops `size` buffered bytes (already copied out by an assembly). */
  private discard(size: number): void {
    this.buffered -= size;
    let left = size;
    while (left > 0) {
      const c = this.chunks[0];
      const n = Math.min(c.byteLength - this.head, left);
      left -= n;
      this.head += n;
      if (this.head === c.byteLength) this.dropChunk();
    }
  }

  private take(size: number): Uint8Array {
    this.buffered -= size;
    const first = this.chunks[0];
    if (size === 0) return new Uint8Array(0);
    if (first.byteLength - this.head >= size) {
      const out = first.subarray(this.head, this.head + size);
      this.head += size;
      if (this.head === first.byteLength) this.dropChunk();
      return out;
    }
    const out = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const c = this.chunks[0];
      const n = Math.min(c.byteLength - this.head, size - filled);
      out.set(c.subarray(this.head, this.head + n), filled);
      filled += n;
      this.head += n;
      if (this.head === c.byteLength) this.dropChunk();
    }
    return out;
  }
}
