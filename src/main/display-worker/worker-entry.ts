// The display worker: runs the display pipeline (parsing, caches, decoders, compositor) off the
// thread that owns the sockets. Built as dist/display-worker.cjs.
import { parentPort } from 'node:worker_threads';
import { DisplayPipeline } from '../../protocol/channels/display/display-pipeline.ts';
import type { Logger } from '../../protocol/logger.ts';
import { nodeInflater } from '../inflater.ts';
import { nodeJpegDecoder } from '../jpeg-node.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('display-worker.cjs must run in a worker thread');

const post = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

const forwardingLogger = (): Logger => {
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (obj: object | string, msg?: string) => post({ kind: 'log', level, obj, msg });
  const l: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => l };
  return l;
};

/** Set by bin/load-cached.cjs when this bundle's code cache should be written. */
const saveCodeCache = (): void => (globalThis as { spicedeskSaveCodeCache?: () => void }).spicedeskSaveCodeCache?.();

const pipeline = new DisplayPipeline({ logger: forwardingLogger(), inflater: nodeInflater, jpeg: nodeJpegDecoder, onEvent: (event) => post({ kind: 'event', event }) });

port.on('message', (m: ToWorker) => {
  switch (m.kind) {
    case 'submit':
      pipeline.submit(m.channelId, m.type, m.body, m.serial);
      return;
    case 'snapshot':
      void pipeline.drain(m.channelId).then(() => {
        const snapshot = pipeline.snapshot(m.channelId);
        post({ kind: 'snapshot', request: m.request, snapshot }, snapshot ? [snapshot.data.buffer as ArrayBuffer] : []);
        // By the first screenshot the frame's decoders and draw paths have all been compiled.
        saveCodeCache();
      });
      return;
    case 'stats':
      void pipeline.drain(m.channelId).then(() => post({ kind: 'stats', request: m.request, stats: pipeline.stats(m.channelId) }));
      return;
  }
});
