// The messages between the CLI's socket thread and its display worker (worker_threads). Bodies
// travel as transferred ArrayBuffers; decoded pixels only come back for a screenshot.
import type { DisplayStats, PipelineEvent } from '../../protocol/channels/display/display-pipeline.ts';

export type ToWorker =
  | { kind: 'submit'; channelId: number; type: number; body: Uint8Array; serial: bigint }
  | { kind: 'snapshot'; request: number; channelId: number }
  | { kind: 'stats'; request: number; channelId: number };

export type FromWorker =
  | { kind: 'event'; event: PipelineEvent }
  | { kind: 'snapshot'; request: number; snapshot: { width: number; height: number; data: Uint32Array } | null }
  | { kind: 'stats'; request: number; stats: DisplayStats }
  | { kind: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; obj: object | string; msg?: string };
