// A file written in large batches: a PUT's body arrives in pieces of up to a few tens of KiB (the
// port's messages), and one fs.write per piece costs a trip through libuv's thread pool each
// (about a thousand for 64 MiB). Pieces are kept until BATCH_BYTES have come, then written with one
// writev; the stream's callback waits for that write, so the request is paused meanwhile and no
// more than a batch (plus a piece) waits in memory.
import { close, open, writev } from 'node:fs';
import { Writable } from 'node:stream';

export const BATCH_BYTES = 1024 * 1024;

export class BatchedFileWriter extends Writable {
  private fd: number | null = null;
  private pieces: Buffer[] = [];
  private held = 0;
  /** Bytes written to the file so far, and in how many writev calls. */
  written = 0;
  writes = 0;

  constructor(
    private readonly path: string,
    private readonly flags: string,
    private readonly mode: number,
  ) {
    super({ highWaterMark: BATCH_BYTES });
  }

  override _construct(done: (error?: Error | null) => void): void {
    open(this.path, this.flags, this.mode, (err, fd) => {
      if (err) return done(err);
      this.fd = fd;
      done();
    });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    this.pieces.push(chunk);
    this.held += chunk.byteLength;
    if (this.held >= BATCH_BYTES) this.flush(done);
    else done();
  }

  /** The last batch, then the file is closed before 'finish' (a rename may follow at once). */
  override _final(done: (error?: Error | null) => void): void {
    this.flush((error) => {
      const fd = this.fd;
      this.fd = null;
      if (error || fd === null) return done(error);
      close(fd, (closeError) => done(closeError));
    });
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.pieces = [];
    const fd = this.fd;
    this.fd = null;
    if (fd === null) return done(error);
    close(fd, (closeError) => done(error ?? closeError));
  }

  private flush(done: (error?: Error | null) => void): void {
    const pieces = this.pieces;
    const size = this.held;
    this.pieces = [];
    this.held = 0;
    if (size === 0 || this.fd === null) return done();
    this.writeAll(pieces, size, done);
  }

  /** writev may write less than asked (a full disk, a signal): the rest goes in another call. */
  private writeAll(pieces: Buffer[], size: number, done: (error?: Error | null) => void): void {
    this.writes++;
    writev(this.fd as number, pieces, (err, n) => {
      if (err) return done(err);
      this.written += n;
      if (n === size) return done();
      if (n === 0) return done(new Error(`writing ${this.path} made no progress`));
      let skip = n;
      const rest: Buffer[] = [];
      for (const p of pieces) {
        if (skip >= p.byteLength) {
          skip -= p.byteLength;
          continue;
        }
        rest.push(skip ? p.subarray(skip) : p);
        skip = 0;
      }
      this.writeAll(rest, size - n, done);
    });
  }
}
