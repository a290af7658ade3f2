// A worker of the CLI's decode pool: decodes the compressed images it is sent with the codecs of
// src/protocol, in the order they come. The pool sends every GLZ image of a session to its first
// worker, whose window is then the session's GLZ dictionary. Built as dist/decode-worker.cjs.
import { parentPort } from 'node:worker_threads';
import { runDecodeJob } from '../../protocol/display/run-decode-job.ts';
import { isSpiceError } from '../../protocol/wire/errors.ts';
import { nodeDecodeContext } from './node-decode-context.ts';
import type { FromDecodeWorker, ToDecodeWorker } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('decode-worker.cjs must run in a worker thread');

const post = (m: FromDecodeWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

/** Set by bin/load-cached.cjs when this bundle's code cache should be written. */
const saveCodeCache = (): void => (globalThis as { spicedeskSaveCodeCache?: () => void }).spicedeskSaveCodeCache?.();

const context = nodeDecodeContext();
let decoded = 0;

port.on('message', (m: ToDecodeWorker) => {
  if (m.kind === 'close') {
    context.glzWindow.close();
    return;
  }
  // Not awaited one by one: a GLZ image that waits for an earlier one (of another display
  // channel, still on its way here) must not hold up the messages that bring it.
  runDecodeJob(m.job, context).then(
    (pixels) => {
      const { data } = pixels;
      // Transferred whole: a result that is a view into a larger buffer is copied out first.
      const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
      post({ kind: 'decoded', id: m.id, pixels: { ...pixels, data: own } }, [own.buffer as ArrayBuffer]);
      // After a few images the decoders this session uses have been compiled.
      if (++decoded === 8) saveCodeCache();
    },
    (error: unknown) => {
      if (isSpiceError(error)) post({ kind: 'failed', id: m.id, errorKind: error.kind, message: error.message });
      else post({ kind: 'failed', id: m.id, errorKind: 'internal', message: `the decoder failed: ${error instanceof Error ? error.message : String(error)}` });
    },
  );
});
