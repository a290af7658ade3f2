// A DisplaySink whose pipeline runs in a worker thread, so decoding never holds up the sockets
// (pings, acks, other channels). Messages keep their order; the worker is started before the
// session connects, so its start-up overlaps the link.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DisplayStats, PipelineEvent, SurfaceSnapshot } from '../../protocol/channels/display/display-pipeline.ts';
import type { DisplaySink } from '../../protocol/channels/display/display-sink.ts';
import { EventRouter } from '../../protocol/channels/display/event-router.ts';
import type { Logger } from '../../protocol/logger.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

/** dist/display-worker.cjs, beside the bundled CLI (scripts/build.mjs builds both). */
export function displayWorkerFile(): string {
  const file = join(__dirname, 'display-worker.cjs');
  if (!existsSync(file)) throw new SpiceError('internal', `${file} is missing; run \`npm run build\` in the checkout`);
  return file;
}

/** The worker bin/spicedesk.cjs started before the CLI loaded, if it did (used once). */
function takeEarlyWorker(): Worker | undefined {
  const g = globalThis as { spicedeskDisplayWorker?: Worker };
  const worker = g.spicedeskDisplayWorker;
  delete g.spicedeskDisplayWorker;
  return worker;
}

function startWorker(workerFile: string): Worker {
  // Through the same code cache as the CLI (bin/load-cached.cjs) when it is there.
  const loader = join(dirname(workerFile), '..', 'bin', 'load-cached.cjs');
  return existsSync(loader)
    ? new Worker(`require(${JSON.stringify(loader)}).runCached(${JSON.stringify(workerFile)}, ${JSON.stringify(`${workerFile}.cache`)})`, { eval: true })
    : new Worker(workerFile);
}

export class WorkerDisplaySink implements DisplaySink {
  private readonly worker: Worker;
  private readonly router = new EventRouter();
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly channels = new Set<number>();
  private nextRequest = 1;
  private failure: Error | null = null;
  private readonly log: Logger;

  constructor(workerFile: string, logger: Logger) {
    this.log = logger;
    this.worker = takeEarlyWorker() ?? startWorker(workerFile);
    this.worker.unref();
    this.worker.on('message', (m: FromWorker) => this.onMessage(m));
    this.worker.on('error', (error) => this.fail(new SpiceError('internal', `the display worker failed: ${error.message}`, { cause: error })));
    this.worker.on('exit', (code) => {
      if (code !== 0) this.fail(new SpiceError('internal', `the display worker exited with code ${code}`));
    });
  }

  private post(m: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  private onMessage(m: FromWorker): void {
    switch (m.kind) {
      case 'event':
        this.router.dispatch(m.event as PipelineEvent);
        return;
      case 'snapshot':
        this.settle(m.request, m.snapshot);
        return;
      case 'stats':
        this.settle(m.request, m.stats);
        return;
      case 'log':
        this.log[m.level](m.obj, m.msg);
        return;
    }
  }

  private settle(request: number, value: unknown): void {
    this.pending.get(request)?.resolve(value);
    this.pending.delete(request);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    for (const channelId of this.channels) this.router.dispatch({ type: 'message-error', channelId, message: error.message });
  }

  private request<T>(make: (request: number) => ToWorker): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const request = this.nextRequest++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(request, { resolve: resolve as (v: unknown) => void, reject });
      this.post(make(request));
    });
  }

  submit(channelId: number, type: number, body: Uint8Array, serial: bigint): void {
    if (this.failure) return;
    this.channels.add(channelId);
    // A body that is a view into a socket buffer is copied into a buffer of its own to be
    // transferred; one that already owns its whole buffer (a large message the byte queue
    // assembled) is handed over as it is: the channel does not touch a body after dispatching it.
    const ownsBuffer = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer;
    const own = ownsBuffer ? body : body.slice();
    this.post({ kind: 'submit', channelId, type, body: own, serial }, [own.buffer as ArrayBuffer]);
  }

  listen(channelId: number, listener: (event: PipelineEvent) => void): () => void {
    this.channels.add(channelId);
    return this.router.listen(channelId, listener);
  }

  snapshot(channelId: number): Promise<SurfaceSnapshot | null> {
    return this.request((request) => ({ kind: 'snapshot', request, channelId }));
  }

  stats(channelId: number): Promise<DisplayStats> {
    return this.request((request) => ({ kind: 'stats', request, channelId }));
  }

  close(): void {
    void this.worker.terminate();
  }
}
