// A PUT's body written into its file in large batches. The body arrives in pieces of up to a few
// tens of KiB (the port's messages), and one fs.write per piece costs a trip through libuv's thread
// pool each (about a thousand for 64 MiB): pieces are kept until BATCH_BYTES have come, then
// written with one writev while the next batch gathers. The request is read with its 'data' events
// and paused only while a full batch waits for the previous write; not through a Writable and
// pipeline(), whose write queue, callbacks and per-piece bookkeeping were a dozen more functions
// per piece for V8 to run and compile during a copy (bench/README.md, webdav).
import { close, open, writev } from 'node:fs';
import type { IncomingMessage } from 'node:http';

export const BATCH_BYTES = 1024 * 1024;

export class BatchedFileWriter {
  private pieces: Buffer[] = [];
  private held = 0;
  /** The writev in flight (at most one), resolved when it is done (failed or not). */
  private writing: Promise<void> | null = null;
  private failed: Error | null = null;
  private fd: number | null;
  /** Bytes written to the file so far, and in how many writev calls. */
  written = 0;
  writes = 0;

  private constructor(
    private readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Creates or opens the file (`flags` as fs.open: 'wx' refuses an existing one). */
  static open(path: string, flags: string, mode: number): Promise<BatchedFileWriter> {
    return new Promise((resolve, reject) => open(path, flags, mode, (err, fd) => (err ? reject(err) : resolve(new BatchedFileWriter(path, fd)))));
  }

  /**
   * Takes a piece (kept, not copied: nothing may write into it afterwards). Returns a promise when
   * the caller should stop giving pieces until it settles (a full batch waits for the write before
   * it), otherwise null.
   */
  add(piece: Buffer): Promise<void> | null {
    if (this.failed) return Promise.reject(this.failed);
    this.pieces.push(piece);
    this.held += piece.byteLength;
    if (this.held < BATCH_BYTES) return null;
    if (!this.writing) {
      this.startBatch();
      return null;
    }
    // The previous batch is still being written: this one goes when it is done.
    return this.writing.then(() => {
      if (this.failed) throw this.failed;
      this.startBatch();
    });
  }

  /** Writes what is left and closes the file (a rename may follow at once). */
  async finish(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.held) {
      this.startBatch();
      while (this.writing) await this.writing;
    }
    if (this.failed) throw this.failed;
    await this.closeFile();
  }

  /** Closes the file without writing what is left (the caller removes it). */
  async abandon(): Promise<void> {
    this.pieces = [];
    this.held = 0;
    await this.writing;
    await this.closeFile().catch(() => {});
  }

  private closeFile(): Promise<void> {
    const fd = this.fd;
    this.fd = null;
    if (fd === null) return Promise.resolve();
    return new Promise((resolve, reject) => close(fd, (err) => (err ? reject(err) : resolve())));
  }

  private startBatch(): void {
    if (this.writing || !this.held || this.failed) return;
    const pieces = this.pieces;
    const size = this.held;
    this.pieces = [];
    this.held = 0;
    // Never rejects (nobody might be waiting on it): a failure is kept for the next add or finish.
    this.writing = new Promise<void>((resolve) =>
      this.writeAll(pieces, size, (err) => {
        this.writing = null;
        if (err) this.failed ??= err;
        resolve();
      }),
    );
  }

  /** writev may write less than asked (a full disk, a signal): the rest goes in another call. */
  private writeAll(pieces: Buffer[], size: number, done: (error?: Error) => void): void {
    if (this.fd === null) return done(new Error(`${this.path} was closed before its last write`));
    this.writes++;
    writev(this.fd, pieces, (err, n) => {
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

/**
 * Reads a request's body into `file` and resolves once every byte is there and the file is closed;
 * rejects (the file closed, not removed) when the request fails or its connection closes first.
 */
export function receiveBody(req: IncomingMessage, file: BatchedFileWriter): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.resume(); // the rest of the body is read and dropped, so the connection can answer
      reject(err);
    };
    const onData = (piece: Buffer): void => {
      const wait = file.add(piece);
      if (!wait) return;
      req.pause();
      wait.then(
        () => {
          if (!settled) req.resume();
        },
        (err: Error) => fail(err),
      );
    };
    // Cut while the handler was still looking at the target: 'close' has come and gone.
    if (req.destroyed && !req.readableEnded) return fail(new Error('the connection closed before the request body was complete'));
    req.on('data', onData);
    req.once('end', () => {
      if (settled) return;
      file.finish().then(
        () => {
          settled = true;
          resolve();
        },
        (err: Error) => fail(err),
      );
    });
    req.once('error', (err) => fail(err));
    req.once('close', () => {
      if (!req.complete) fail(new Error('the connection closed before the request body was complete'));
    });
  });
}
