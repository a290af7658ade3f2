// The messages between the CLI's socket thread and its video worker (video-worker-entry.ts):
// requests with an id, each answered once. Frames go out and pictures come back as transferred
// ArrayBuffers.
import type { Pixels } from '../../protocol/pixels/pixels.ts';
import type { SpiceErrorKind } from '../../protocol/wire/errors.ts';

export type VideoRequest =
  | { kind: 'probe'; codecs: number[] }
  | { kind: 'open'; codec: number }
  | { kind: 'decode'; handle: number; data: Uint8Array; width: number; height: number }
  | { kind: 'close'; handle: number };

export type ToVideoWorker = { id: number; request: VideoRequest };

export type FromVideoWorker =
  | { id: number; kind: 'probed'; codecs: number[] }
  | { id: number; kind: 'opened'; handle: number }
  | { id: number; kind: 'decoded'; pixels: Pixels | null; ms: number }
  | { id: number; kind: 'closed' }
  | { id: number; kind: 'failed'; errorKind: SpiceErrorKind; message: string };
