// Bytes kept until their consumer exists (the serial console's output before xterm.js has
// loaded), bounded: past `limit` the oldest go, as a terminal's scrollback would drop them.
export class PendingBytes {
  private chunks: Uint8Array[] = [];
  private bytes = 0;

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.bytes;
  }

  /** Keeps a copy of `data` (the caller's buffer may be reused), dropping the oldest bytes over the limit. */
  push(data: Uint8Array): void {
    if (data.byteLength === 0) return;
    const kept = data.byteLength > this.limit ? data.subarray(data.byteLength - this.limit) : data;
    this.chunks.push(kept.slice());
    this.bytes += kept.byteLength;
    while (this.bytes > this.limit) {
      const first = this.chunks[0]!;
      const over = this.bytes - this.limit;
      if (first.byteLength <= over) {
        this.chunks.shift();
        this.bytes -= first.byteLength;
      } else {
        this.chunks[0] = first.subarray(over);
        this.bytes -= over;
      }
    }
  }

  /** Everything kept, oldest first; the store is empty afterwards. */
  take(): Uint8Array[] {
    const out = this.chunks;
    this.chunks = [];
    this.bytes = 0;
    return out;
  }
}
