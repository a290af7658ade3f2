// The CLI's VP8/VP9 decoders as its sessions use them: libav.js in a worker thread (dist/video-worker.cjs).
import type { Logger } from '../../protocol/logger.ts';
import { LibavVideoDecoders } from './libav-video-decoders.ts';
import { VideoWorkerBackend } from './video-backend.ts';

/** One session's VP8/VP9 decoders; the worker and libav.js start with its first VP8/VP9 stream. */
export function cliVideoDecoders(logger: Logger): LibavVideoDecoders {
  return new LibavVideoDecoders({ logger, backend: () => new VideoWorkerBackend({ logger }) });
}
