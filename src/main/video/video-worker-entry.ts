// The CLI's video worker: starts libav.js (libav-codecs.ts) on its first request and decodes the
// VP8/VP9 stream frames it is sent, one request at a time in the order they come (a stream's frames
// depend on the ones before). A thread of its own, because a frame takes 4-15 ms of WebAssembly
// that must not hold up the socket thread. Built as dist/video-worker.cjs.
import { parentPort } from 'node:worker_threads';
import { isSpiceError } from '../../protocol/wire/errors.ts';
import { LibavCodecs, loadLibav } from './libav-codecs.ts';
import type { FromVideoWorker, ToVideoWorker, VideoRequest } from './video-worker-protocol.ts';

const port = parentPort;
if (!port) throw new Error('video-worker.cjs must run in a worker thread');

const post = (m: FromVideoWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

/** Set by bin/load-cached.cjs when this bundle's code cache should be written. */
const saveCodeCache = (): void => (globalThis as { spicedeskSaveCodeCache?: () => void }).spicedeskSaveCodeCache?.();

let codecs: Promise<LibavCodecs> | null = null;
let queue: Promise<void> = Promise.resolve();
let decoded = 0;

async function handle(id: number, r: VideoRequest): Promise<void> {
  codecs ??= loadLibav().then((libav) => new LibavCodecs(libav));
  const c = await codecs;
  switch (r.kind) {
    case 'probe':
      post({ id, kind: 'probed', codecs: await c.probe(r.codecs) });
      return;
    case 'open':
      post({ id, kind: 'opened', handle: await c.open(r.codec) });
      return;
    case 'decode': {
      const started = performance.now();
      const pixels = await c.decode(r.handle, r.data, r.width, r.height);
      const ms = performance.now() - started;
      if (pixels) post({ id, kind: 'decoded', pixels, ms }, [pixels.data.buffer as ArrayBuffer]);
      else post({ id, kind: 'decoded', pixels: null, ms });
      if (++decoded === 8) saveCodeCache();
      return;
    }
    case 'close':
      await c.close(r.handle);
      post({ id, kind: 'closed' });
      return;
  }
}

port.on('message', (m: ToVideoWorker) => {
  queue = queue.then(() =>
    handle(m.id, m.request).catch((error: unknown) => {
      if (isSpiceError(error)) post({ id: m.id, kind: 'failed', errorKind: error.kind, message: error.message });
      else post({ id: m.id, kind: 'failed', errorKind: 'internal', message: `the video worker failed: ${error instanceof Error ? error.message : String(error)}` });
    }),
  );
});
