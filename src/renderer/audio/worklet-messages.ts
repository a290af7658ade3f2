// The messages between the page and its audio worklet processors (audio-worklet.ts), over the
// AudioWorkletNode's port, or from the decode worker over a port the page handed to both. The
// worklet trusts the page and its worker (the same document's code), not the server: they have
// decoded and checked what they forward.
import type { OutputStallStats } from './output-stalls.ts';
import type { PlayoutStats } from './playout.ts';

/** The processor names registered by the worklet module. */
export const PLAYOUT_PROCESSOR = 'spicedesk-playout';
export const CAPTURE_PROCESSOR = 'spicedesk-capture';
/** The worklet module's file, built beside main.js (scripts/build.mjs). */
export const WORKLET_MODULE = 'audio-worklet.js';

export type ToPlayout =
  /** PLAYBACK START: a stream at `rate` Hz. */
  | { type: 'start'; rate: number }
  /** Decoded interleaved stereo frames of one DATA, stamped with its time (ms). */
  | { type: 'data'; frames: Float32Array; time: number }
  /** The Opus stream that follows is decoded in the worklet (worklet-opus.ts): its channels and rate. */
  | { type: 'opus-stream'; channels: number; rate: number }
  /** Opus packets of DATA, as the server sent them, one after another in `bytes`, each stamped with its time (ms). */
  | { type: 'opus'; bytes: Uint8Array; lengths: number[]; times: number[] }
  | { type: 'stop' }
  /** The server's minimum latency (PLAYBACK LATENCY, ms): the buffer's target floor until the stream stops. */
  | { type: 'min-latency'; ms: number }
  /** Linear gain (local volume and mute, guest volume and mute), applied smoothly. */
  | { type: 'gain'; gain: number }
  /** Copy the output (after the gain) back to the page, for tests: on or off. */
  | { type: 'tap'; on: boolean }
  /**
   * A second port into the playout, for the decode worker (worker-playback.ts): where the bridge
   * runs in the worker, the playback messages come through it without the page's thread. What
   * comes through it is handled as what comes through the node's own port. `ring`: shared memory
   * the worker writes the same messages into instead (playout-ring.ts), read every quantum.
   */
  | { type: 'port'; port: MessagePort; ring: SharedArrayBuffer | null };

/** Messages that carry sound or start it: they open the output, or wake it from its idle sleep. */
export function bringsSound(m: ToPlayout): boolean {
  return m.type === 'start' || m.type === 'data' || m.type === 'opus';
}

/** Messages of sound itself: the ones a bounded queue drops, oldest first, when it must. */
export function isSoundData(m: ToPlayout): boolean {
  return m.type === 'data' || m.type === 'opus';
}

export type FromPlayout =
  /**
   * Every ~50 ms: the DATA.time (ms, unwrapped) of the frame rendered now, or null while nothing
   * plays, at the context's `contextTime` (s); the buffer's numbers; the time the output lost.
   */
  | { type: 'position'; position: number | null; contextTime: number; stats: PlayoutStats; output: OutputStallStats; opus: WorkletOpusCounts }
  /**
   * Output frames (interleaved stereo) while the tap is on, and the context time (s) at which
   * the first of them is rendered (for a bench to map it to wall time).
   */
  | { type: 'tap'; frames: Float32Array; contextTime: number }
  /**
   * The worklet cannot decode Opus (its WebAssembly decoder failed to load or to start): the page
   * decodes the packets itself from now on. Packets the worklet held meanwhile are lost.
   */
  | { type: 'opus-unavailable'; why: string }
  /** The first packet of a stream that libopus refused (later ones are only counted). */
  | { type: 'opus-error'; why: string }
  /** A record of the worker's ring that cannot be right (the ring was emptied): the first of them. */
  | { type: 'ring-error'; why: string };

/** The worklet's Opus decoding, counted since it loaded. */
export interface WorkletOpusCounts {
  decoded: number;
  /** Packets libopus refused. */
  errors: number;
  /** Packets dropped: more than the bound held while the decoder loaded. */
  dropped: number;
}

/** From the capture processor: about 10 ms of the microphone, one Float32Array per channel. */
export interface FromCapture {
  planes: Float32Array[];
}

/** To the capture processor: post the blocks into this port from now on (the decode worker's: worker-record.ts). */
export interface ToCapture {
  port: MessagePort;
}
