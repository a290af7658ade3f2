// A regular file's bytes as a GET's response body. A read through libuv's thread pool costs a
// round trip to a worker thread and back (a futex wake-up one way, an eventfd and an epoll wake-up
// the other), which for a 64 MiB GET was more CPU than the read itself (bench/README.md, webdav);
// a 1 MiB read from the page cache takes a few hundred microseconds on the main thread. But a read
// the page cache cannot serve (a cold file, a slow disk, a network file system) would hold the
// event loop, and with it every channel's display and input, as long as the disk takes. So the
// reads go by the file's last read (ReadPace): the first through the thread pool; while reads come
// back fast (from the page cache) the next ones are synchronous, with a turn of the event loop
// between them; a slow one sends the rest of the file back to the thread pool. Flow control is the
// connection's: a write that returns false waits for 'drain', which the in-memory socket holds back
// while the port's connection is backed up (PORT_SEND_HIGH_WATER), so the file is read as the port
// drains, not into memory.
import { readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { open } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { READ_BUFFER_BYTES, readBuffers, type ReadBufferPool } from './read-buffers.ts';

/**
 * How much of a file one read takes for a GET: a reply of 16 full 64 KiB port messages in one
 * writev. With the reads on the main thread, 1 MiB measured 0.8 ms of CPU per MiB against 1.3 for
 * 256 KiB in the same rounds (bench/README.md, webdav); a read from the page cache holds the event
 * loop for about 0.3 ms.
 */
export const GET_READ_BYTES = READ_BUFFER_BYTES;

/** A read that took longer than this did not come from the page cache (a cached 1 MiB read: about 0.3 ms, at most a few on a loaded machine). */
export const FAST_READ_MS = 4;

/** Whether a file's next read may block the event loop: only after a read that came back fast, and never again after a slow one. */
export class ReadPace {
  private where: 'pool' | 'main' | 'pool-for-good' = 'pool';

  /** The next read goes on the main thread. */
  get sync(): boolean {
    return this.where === 'main';
  }

  /** A read took `ms`. */
  took(ms: number): void {
    if (this.where !== 'pool-for-good') this.where = ms <= FAST_READ_MS ? 'main' : 'pool-for-good';
  }
}

/** A stretch of the file to send, after `before` (a multipart reply's part headers), if any. */
export interface FilePart {
  start: number;
  length: number;
  before?: Buffer;
}

/**
 * Sends the `parts` of the file at `path` in order (the whole file, the range the headers
 * announced, or a multipart reply's parts with their headers), then `after` (the multipart's
 * closing boundary), and ends the response; returns early, without an error, when the connection
 * closes meanwhile. A file that shrank under the GET throws (the response is then cut: its
 * Content-Length cannot be met).
 */
export async function sendFile(res: ServerResponse, path: string, parts: readonly FilePart[], after?: Buffer, pool: ReadBufferPool = readBuffers): Promise<void> {
  const file = await open(path, 'r');
  let closed = false;
  const onClose = (): void => {
    closed = true;
  };
  res.once('close', onClose);
  try {
    // The body goes straight into the connection after the headers (flushHeaders queues them there
    // first, and the connection's writes keep their order): the response's own write path per
    // read (its cork, a tick, its callbacks) cost a GET about a tenth of its CPU (bench/README.md,
    // webdav). The response still ends the exchange, so keep-alive and pipelining are its business.
    res.flushHeaders();
    const socket = res.socket;
    if (!socket) return;
    const pace = new ReadPace();
    for (const part of parts) {
      if (part.before && !socket.write(part.before)) await writable(socket);
      let position = part.start;
      const end = part.start + part.length;
      while (position < end && !closed && !socket.destroyed) {
        // The port writes views of the buffer after this function has moved on: it is lent, and comes
        // back to the pool only once they are out of the process (read-buffers.ts).
        const buffer = pool.take();
        const want = Math.min(buffer.byteLength, end - position);
        const started = performance.now();
        const n = pace.sync ? readSync(file.fd, buffer, 0, want, position) : (await file.read(buffer, 0, want, position)).bytesRead;
        pace.took(performance.now() - started);
        if (n === 0) throw new Error(`the file shrank to ${position} bytes while it was sent (${end} needed)`);
        position += n;
        pool.lend(buffer);
        if (!socket.write(n === buffer.byteLength ? buffer : buffer.subarray(0, n))) await writable(socket);
        // Other connections and channels get their turn between reads ('drain' may have come at once).
        else await nextTurn();
      }
      if (closed || socket.destroyed) return;
    }
    if (after) socket.write(after);
    if (!closed && !socket.destroyed) res.end();
  } finally {
    res.off('close', onClose);
    await file.close();
  }
}

/** Resolves on the connection's 'drain', or on its 'close' (the loop then sees the response's `closed`). */
function writable(socket: Writable): Promise<void> {
  return new Promise((resolve) => {
    // A connection destroyed meanwhile has emitted its 'close' already (or will not drain again).
    if (socket.destroyed) return resolve();
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}
