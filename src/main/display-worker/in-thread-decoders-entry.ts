// The image decoders for the thread that owns the sockets (in-thread-decoder.ts), built as
// dist/image-decoders.cjs and loaded only by a command that decodes there (`capture`): the same
// codecs and context as a pool worker's (node-decode-context.ts), without the worker.
import type { DecodeJob } from '../../protocol/display/image-decode-job.ts';
import type { Pixels } from '../../protocol/pixels/pixels.ts';
import { runDecodeJob } from '../../protocol/display/run-decode-job.ts';
import { nodeDecodeContext } from './node-decode-context.ts';

export interface ThreadDecoders {
  decode(job: DecodeJob, into?: Uint32Array): Promise<Pixels>;
  close(): void;
}

export function createThreadDecoders(): ThreadDecoders {
  const context = nodeDecodeContext();
  return {
    decode: (job, into) => runDecodeJob(job, context, into),
    close: () => context.glzWindow.close(),
  };
}
