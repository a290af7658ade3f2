// The messages between the CLI's socket thread and the workers of its decode pool
// (worker_threads). Compressed bytes go out and pixels come back as transferred ArrayBuffers.
import type { DecodeJob } from '../../protocol/display/image-decode-job.ts';
import type { Pixels } from '../../protocol/pixels/pixels.ts';
import type { SpiceErrorKind } from '../../protocol/wire/errors.ts';

export type ToDecodeWorker = { kind: 'decode'; id: number; job: DecodeJob } | { kind: 'close' };

export type FromDecodeWorker =
  | { kind: 'decoded'; id: number; pixels: Pixels }
  | { kind: 'failed'; id: number; errorKind: SpiceErrorKind; message: string }
  | { kind: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; obj: object | string; msg?: string };
