// The image decoders for the thread that owns the sockets (in-thread-decoder.ts), built as
// dist/image-decoders.cjs and loaded only by a command that decodes there (`capture`): the same
// codecs and context as a pool worker's (decode-worker-entry.ts), without the worker.
import { GlzWindow } from '../../protocol/codecs/glz-window.ts';
import { loadWasmDecoders } from '../../protocol/codecs/wasm/wasm-decoders.ts';
import type { DecodeContext, DecodeJob } from '../../protocol/display/image-decode-job.ts';
import type { Pixels } from '../../protocol/pixels/pixels.ts';
import { runDecodeJob } from '../../protocol/display/run-decode-job.ts';
import { nodeInflater } from '../node/inflater.ts';
import { nodeJpegDecoder } from '../node/jpeg-node.ts';

export interface ThreadDecoders {
  decode(job: DecodeJob): Promise<Pixels>;
  close(): void;
}

export function createThreadDecoders(): ThreadDecoders {
  // Node has no Content-Security-Policy to refuse WebAssembly: QUIC and LZ always use it where it compiles.
  const context: DecodeContext = { glzWindow: new GlzWindow(), inflater: nodeInflater, jpeg: nodeJpegDecoder, wasm: loadWasmDecoders() };
  return {
    decode: (job) => runDecodeJob(job, context),
    close: () => context.glzWindow.close(),
  };
}
