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
  private unsent = 0;
  private drainListeners: (() => void)[] = [];
  private sink: TransportSink | null = null;
  private pending: Uint8Array[] = [];

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

  feed(bytes: Uint8Array): void {
    if (this.sink) this.sink.data(bytes);
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
