// The CLI's decode pool: worker threads that decode compressed images, so that decoding never holds
// up the thread that owns the sockets (pings, acks, the other channels). The display pipeline
// stays in that thread and waits for each draw's images in order (image-resolver.ts).
//
// Workers start on the first compressed image, not before: a Node worker costs 20-30 ms of CPU to
// boot, and a capture of a screen that comes uncompressed (what spice-server sends a new client
// first) needs none. Commands that will decode for a while call prestart().
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { Pixels } from '../../protocol/pixels/pixels.ts';
import { needsGlzWindow, type DecodeJob, type ImageDecoder } from '../../protocol/display/image-decode-job.ts';
import type { Logger } from '../../protocol/logger.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import type { FromDecodeWorker, ToDecodeWorker } from './protocol.ts';

/** dist/decode-worker.cjs, beside the bundled CLI (scripts/build.mjs builds both). */
export function decodeWorkerFile(): string {
  return join(__dirname, 'decode-worker.cjs');
}

/** One worker per spare core, at most 4: the socket thread keeps a core of its own. */
export const defaultPoolSize = (): number => Math.max(1, Math.min(4, availableParallelism() - 1));

interface Pending {
  resolve(pixels: Pixels): void;
  reject(error: Error): void;
}

class PoolWorker {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();

  constructor(file: string, onMessage: (w: PoolWorker, m: FromDecodeWorker) => void, onFailure: (w: PoolWorker, error: Error) => void) {
    // Through the same code cache as the CLI (bin/load-cached.cjs) when it is there.
    const loader = join(dirname(file), '..', 'bin', 'load-cached.cjs');
    // Loaded with the first worker: a capture that decodes nothing does not load it at all.
    const { Worker } = process.getBuiltinModule('node:worker_threads');
    this.worker = existsSync(loader)
      ? new Worker(`require(${JSON.stringify(loader)}).runCached(${JSON.stringify(file)}, ${JSON.stringify(`${file}.cache`)})`, { eval: true })
      : new Worker(file);
    this.worker.unref();
    this.worker.on('message', (m: FromDecodeWorker) => onMessage(this, m));
    this.worker.on('error', (error) => onFailure(this, new SpiceError('internal', `a decode worker failed: ${error.message}`, { cause: error })));
    this.worker.on('exit', (code) => {
      if (code !== 0) onFailure(this, new SpiceError('internal', `a decode worker exited with code ${code}`));
    });
  }

  post(m: ToDecodeWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(m, transfer);
  }
}

export class DecodePool implements ImageDecoder {
  /** Jobs go to other threads: their bytes are copied out of the message so they can be transferred. */
  readonly transfersJobs = true;
  private readonly workers: PoolWorker[] = [];
  private readonly file: string;
  private readonly size: number;
  private readonly log: Logger;
  private nextId = 1;
  private failure: Error | null = null;
  private closed = false;

  constructor(o: { logger: Logger; workerFile?: string; size?: number }) {
    this.file = o.workerFile ?? decodeWorkerFile();
    this.size = Math.max(1, o.size ?? defaultPoolSize());
    this.log = o.logger;
  }

  /** How many workers have been started (they start on demand). */
  get started(): number {
    return this.workers.length;
  }

  /** Starts the first worker now, for a session that will decode images soon. */
  prestart(): void {
    if (!this.closed && !this.failure && this.workers.length === 0) this.spawn();
  }

  decode(job: DecodeJob): Promise<Pixels> {
    if (this.closed) return Promise.reject(new SpiceError('internal', 'the decode pool is closed'));
    if (this.failure) return Promise.reject(this.failure);
    const worker = needsGlzWindow(job) ? this.workers[0] ?? this.spawn() : this.pick();
    const id = this.nextId++;
    return new Promise<Pixels>((resolve, reject) => {
      worker.pending.set(id, { resolve, reject });
      worker.post({ kind: 'decode', id, job }, [job.data.buffer as ArrayBuffer]);
    });
  }

  /** An idle worker, a new one while the pool may grow, else the least busy. */
  private pick(): PoolWorker {
    const idle = this.workers.find((w) => w.pending.size === 0);
    if (idle) return idle;
    if (this.workers.length < this.size) return this.spawn();
    return this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }

  private spawn(): PoolWorker {
    const worker = new PoolWorker(this.file, (w, m) => this.onMessage(w, m), (w, e) => this.fail(w, e));
    this.workers.push(worker);
    this.log.debug({ workers: this.workers.length }, 'decode worker started');
    return worker;
  }

  private onMessage(w: PoolWorker, m: FromDecodeWorker): void {
    switch (m.kind) {
      case 'decoded':
      case 'failed': {
        const p = w.pending.get(m.id);
        w.pending.delete(m.id);
        if (m.kind === 'decoded') p?.resolve(m.pixels);
        else p?.reject(new SpiceError(m.errorKind, m.message));
        return;
      }
      case 'log':
        this.log[m.level](m.obj, m.msg);
        return;
    }
  }

  /**
   * A worker that fails takes the pool with it: its GLZ window or its queue cannot be rebuilt, and
   * a worker that cannot start (a missing bundle) would fail again.
   */
  private fail(w: PoolWorker, error: Error): void {
    if (!this.failure && !this.closed) this.failure = error;
    for (const p of w.pending.values()) p.reject(error);
    w.pending.clear();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const error = new SpiceError('internal', 'the decode pool closed');
    for (const w of this.workers) {
      for (const p of w.pending.values()) p.reject(error);
      w.pending.clear();
      void w.worker.terminate();
    }
  }
}
