// Where the CLI's VP8/VP9 decoders run: in a worker thread of their own (the CLI), or in the
// calling thread (tests, and hosts that have no worker bundle). Both drive libav-codecs.ts.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../../protocol/logger.ts';
import type { Pixels } from '../../protocol/pixels/pixels.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { LibavCodecs, loadLibav, type LibavInstance } from './libav-codecs.ts';
import type { FromVideoWorker, ToVideoWorker, VideoRequest } from './video-worker-protocol.ts';

export interface VideoBackend {
  /** Starts libav.js if it has not started, and says which of `codecs` have a decoder that initialises. */
  probe(codecs: readonly number[]): Promise<number[]>;
  open(codec: number): Promise<number>;
  /** Takes `data` (its buffer may be transferred away). */
  decode(handle: number, data: Uint8Array, width: number, height: number): Promise<Pixels | null>;
  close(handle: number): Promise<void>;
  shutdown(): void;
}

/** libav.js in the calling thread; `load` starts it (default: the package), on the first call. */
export function inThreadBackend(load: () => Promise<LibavInstance> = loadLibav): VideoBackend {
  let codecs: Promise<LibavCodecs> | null = null;
  // One call at a time, in order, as in the worker: a stream's frames depend on the ones before.
  let queue: Promise<unknown> = Promise.resolve();
  const run = <T>(f: (c: LibavCodecs) => Promise<T>): Promise<T> => {
    codecs ??= load().then((libav) => new LibavCodecs(libav));
    const started = codecs;
    const next = queue.then(async () => f(await started));
    queue = next.catch(() => {});
    return next;
  };
  return {
    probe: (list) => run((c) => c.probe(list)),
    open: (codec) => run((c) => c.open(codec)),
    decode: (handle, data, width, height) => run((c) => c.decode(handle, data, width, height)),
    close: (handle) => run((c) => c.close(handle)),
    shutdown: () => {
      void codecs?.then((c) => c.shutdown()).catch(() => {});
      codecs = null;
    },
  };
}

/** dist/video-worker.cjs, beside the bundled CLI (scripts/build.mjs builds both). */
export function videoWorkerFile(): string {
  return join(__dirname, 'video-worker.cjs');
}

interface Pending {
  resolve(m: FromVideoWorker): void;
  reject(error: Error): void;
}

/** libav.js in a worker thread (video-worker-entry.ts), started with the first request. */
export class VideoWorkerBackend implements VideoBackend {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly file: string;
  private readonly log: Logger;
  private nextId = 1;
  private failure: Error | null = null;
  private closed = false;

  constructor(o: { logger: Logger; workerFile?: string }) {
    this.file = o.workerFile ?? videoWorkerFile();
    this.log = o.logger;
  }

  /** Whether the worker has been started. */
  get started(): boolean {
    return this.worker !== null;
  }

  async probe(codecs: readonly number[]): Promise<number[]> {
    const m = await this.call({ kind: 'probe', codecs: [...codecs] });
    return m.kind === 'probed' ? m.codecs : [];
  }

  async open(codec: number): Promise<number> {
    const m = await this.call({ kind: 'open', codec });
    if (m.kind !== 'opened') throw new SpiceError('internal', `the video worker answered ${m.kind} to open`);
    return m.handle;
  }

  async decode(handle: number, data: Uint8Array, width: number, height: number): Promise<Pixels | null> {
    // The worker takes a copy's buffer: the caller's bytes stay its own (a message body may share them).
    const own = data.slice();
    const m = await this.call({ kind: 'decode', handle, data: own, width, height }, [own.buffer as ArrayBuffer]);
    if (m.kind !== 'decoded') throw new SpiceError('internal', `the video worker answered ${m.kind} to decode`);
    return m.pixels;
  }

  async close(handle: number): Promise<void> {
    if (!this.worker || this.closed || this.failure) return;
    await this.call({ kind: 'close', handle });
  }

  private call(request: VideoRequest, transfer: ArrayBuffer[] = []): Promise<FromVideoWorker> {
    if (this.closed) return Promise.reject(new SpiceError('internal', 'the video decoders are closed'));
    if (this.failure) return Promise.reject(this.failure);
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise<FromVideoWorker>((resolve, reject) => {
      this.pending.set(id, {
        resolve: (m) => (m.kind === 'failed' ? reject(new SpiceError(m.errorKind, m.message)) : resolve(m)),
        reject,
      });
      const message: ToVideoWorker = { id, request };
      worker.postMessage(message, transfer);
    });
  }

  private spawn(): Worker {
    // Loaded with the first stream: a session without VP8/VP9 video never starts it.
    const { Worker } = process.getBuiltinModule('node:worker_threads');
    // Through the same code cache as the CLI (bin/load-cached.cjs) when it is there.
    const loader = join(dirname(this.file), '..', 'bin', 'load-cached.cjs');
    const worker = existsSync(loader)
      ? new Worker(`require(${JSON.stringify(loader)}).runCached(${JSON.stringify(this.file)}, ${JSON.stringify(`${this.file}.cache`)})`, { eval: true })
      : new Worker(this.file);
    worker.unref();
    worker.on('message', (m: FromVideoWorker) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      p?.resolve(m);
    });
    worker.on('error', (error) => this.fail(new SpiceError('internal', `the video worker failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => {
      if (code !== 0) this.fail(new SpiceError('internal', `the video worker exited with code ${code}`));
    });
    this.worker = worker;
    this.log.debug({}, 'video worker started');
    return worker;
  }

  /** A worker that dies takes its streams' decoder state with it: every stream fails from then on. */
  private fail(error: Error): void {
    if (!this.failure && !this.closed) this.failure = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    const error = new SpiceError('internal', 'the video decoders closed');
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    void this.worker?.terminate();
  }
}
