// The CLI's VP8/VP9 decoders as its sessions use them: libav.js in a worker thread (dist/video-worker.cjs).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Logger } from '../../protocol/logger.ts';
import { LIBAV_PACKAGE, LIBAV_VARIANT_CODECS } from './libav-codecs.ts';
import { LibavVideoDecoders } from './libav-video-decoders.ts';
import { VideoWorkerBackend } from './video-backend.ts';

/**
 * Whether node_modules beside `from` (default: the bundle's folder) has libav.js: a look at the
 * files, not a start of its WebAssembly, so that an install without it announces no VP8/VP9.
 */
export function libavInstalled(from: string = typeof __dirname === 'string' ? __dirname : process.cwd()): boolean {
  try {
    createRequire(join(from, 'resolve-from-here.cjs')).resolve(LIBAV_PACKAGE);
    return true;
  } catch {
    return false;
  }
}

/** One session's VP8/VP9 decoders; the worker and libav.js start with its first VP8/VP9 stream. */
export function cliVideoDecoders(logger: Logger, o: { resolveFrom?: string } = {}): LibavVideoDecoders {
  const installed = libavInstalled(o.resolveFrom);
  if (!installed) logger.debug({}, `${LIBAV_PACKAGE} is not installed: no VP8/VP9 video is decoded`);
  return new LibavVideoDecoders({ logger, expected: installed ? LIBAV_VARIANT_CODECS : [], backend: () => new VideoWorkerBackend({ logger }) });
}
