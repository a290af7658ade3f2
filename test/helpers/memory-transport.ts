// An in-memory Transport whose other end is driven by the test: what the client writes is
// collected in `written`, and `feed()` delivers server bytes.
import type { Transport, TransportSink } from '../../src/protocol/wire/transport.ts';

export class MemoryTransport implements Transport {
  readonly description = 'memory';
  readonly written: Uint8Array[] = [];
  onWrite: ((data: Uint8Array) => void) | null = null;
  closed = false;
  /** Set: written bytes count as unsent (backlog()) until drainWrites(), like a socket whose peer reads slowly. */
  holdWrites = false;
  /**
   * Set: writev's pieces written while writes are held are kept as the caller's views until
   * drainWrites() copies them, as a socket whose kernel buffer is full holds the caller's memory:
   * a writer that uses that memory again too early shows up as wrong bytes in `written`.
   */
  viewsUntilDrained = false;
  private unsent = 0;
  /** Indices in `written` of views still held (viewsUntilDrained). */
  private heldViews: number[] = [];
  private drainListeners: (() => void)[] = [];
  private sink: TransportSink | null = null;
  private pending: Uint8Array[] = [];
  /** pauseReads() was called: fed bytes wait, as in a socket's OS buffer, until resumeReads(). */
  readsPaused = false;
  private heldReads: Uint8Array[] = [];

  start(sink: TransportSink): void {
    this.sink = sink;
    for (const p of this.pending) sink.data(p);
    this.pending = [];
  }

  write(data: Uint8Array): void {
    this.written.push(data.slice());
    if (this.holdWrites) this.unsent += data.byteLength;
    this.onWrite?.(data);
  }

  /** The pieces in order, each as write() takes it (or as a held view: viewsUntilDrained). */
  writev(chunks: Uint8Array[]): void {
    for (const c of chunks) {
      if (!(this.viewsUntilDrained && this.holdWrites)) {
        this.write(c);
        continue;
      }
      this.written.push(c);
      this.heldViews.push(this.written.length - 1);
      this.unsent += c.byteLength;
      this.onWrite?.(c);
    }
  }

  backlog(): number {
    return this.unsent;
  }

  onDrain(listener: () => void): void {
    this.drainListeners.push(listener);
  }

  /** Whether a writer asked to be told of the next drain (it holds its writes until then). */
  waitingForDrain(): boolean {
    return this.drainListeners.length > 0;
  }

  /** The peer took every unsent byte: the backlog is 0 and the drain listeners are called. */
  drainWrites(): void {
    for (const i of this.heldViews) this.written[i] = this.written[i].slice();
    this.heldViews = [];
    this.unsent = 0;
    const listeners = this.drainListeners;
    this.drainListeners = [];
    for (const l of listeners) l();
  }

  /** Bytes written so far. */
  writtenCount(): number {
    return this.written.reduce((n, c) => n + c.byteLength, 0);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sink?.end();
  }

  pauseReads(): void {
    this.readsPaused = true;
  }

  resumeReads(): void {
    this.readsPaused = false;
    const held = this.heldReads;
    this.heldReads = [];
    for (const b of held) this.feed(b);
  }

  feed(bytes: Uint8Array): void {
    if (this.readsPaused) this.heldReads.push(bytes);
    else if (this.sink) this.sink.data(bytes);
    else this.pending.push(bytes);
  }

  end(error?: Error): void {
    this.sink?.end(error);
  }

  writtenBytes(): Uint8Array {
    return concat(this.written);
  }
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}
