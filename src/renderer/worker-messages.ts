// Messages between the page and its decode worker (decode-worker.ts). Bodies go in still
// compressed. Where the browser can hand a canvas to a worker, the page gives the worker its
// canvas once ('present-here') and the worker draws into it, so no pixels come back at all; only
// the frame count does. Otherwise the worker sends the damaged rectangles' pixels ('damage',
// transferred, not copied) and the page draws them.
import type { DisplayStats, VideoCodecSupport } from '../protocol/channels/display/display-sink.ts';
import type { ElementMessage } from './present/video-element-writers.ts';
import type { PresentedPicture, VideoStatus } from './present/video-overlay.ts';
import type { PixelPatch, RendererChoice } from './present/presenter.ts';
import type { PresentationMessage } from './present/worker-presentation.ts';
import type { HostMessage, UiMessage } from '../protocol/bridge/bridge-messages.ts';
import type { AudioCapabilities } from '../protocol/audio/audio-format.ts';
import type { PlaybackFromWorker, PlaybackToWorker } from './audio/worker-playback.ts';
import type { RecordFromWorker, RecordToWorker } from './audio/worker-record.ts';

export type { RendererChoice };

export interface DisplayItem {
  channelId: number;
  type: number;
  serial: bigint;
  body: Uint8Array;
}

export type ToDecodeWorker =
  /** The display messages of one host packet, in order, as a table into the packet's buffer (display-batch.ts). */
  | { kind: 'display-batch'; buffers: ArrayBuffer[]; table: Uint32Array }
  /** A new session (a reconnect): surfaces, image cache and GLZ window start empty. */
  | { kind: 'reset' }
  /** The page presents: send the whole primary surface again (a new presenter, a restored WebGL context). */
  | { kind: 'resend' }
  /** Present display channel `channelId`'s primary surface from now on (the page's head lives there). */
  | { kind: 'show-channel'; channelId: number }
  /**
   * The worker presents, into this canvas (transferred from the page's canvas element); lowLatency: a desynchronized context;
   * videoElements: stream pictures go to the page's `<video>` elements ('video-picture'), not into the canvas.
   */
  | { kind: 'present-here'; canvas: OffscreenCanvas; renderer: RendererChoice; lowLatency: boolean; videoElements?: boolean }
  /** The canvas as the worker drew it; answered with 'pixels'. */
  | { kind: 'read-pixels'; id: number }
  /** What display 0 has drawn so far, by operation and image type; answered with 'display-stats'. */
  | { kind: 'display-stats'; id: number }
  /** For tests: lose the worker's WebGL context and restore it after `ms`; answered with 'context-lost' once restored. */
  | { kind: 'lose-context'; id: number; ms: number }
  /** For tests: the video pictures that reached the screen since the last ask; answered with 'presentation-log'. */
  | { kind: 'presentation-log'; id: number }
  /** The session's multimedia time (the host's MEDIA_TIME): stream pictures are shown at theirs. */
  | { kind: 'media-time'; mmNow: number }
  /** The video codecs the page found WebCodecs decodes, best first (once, at its start): its HELLO lists them. */
  | { kind: 'video-codecs'; codecs: VideoCodecSupport[] }
  /**
   * The bridge runs here (worker-bridge.ts): bridge `id` over the gateway's WebSocket at `url`, or
   * over the Electron window's `port` (transferred); `first` is a head window's HEAD_JOIN, else
   * HELLO to `target`, which waits for 'bridge-hello-extras' when `helloExtras`.
   */
  | { kind: 'bridge-open'; id: number; url: string | null; port: MessagePort | null; peer: string; target: number; first?: UiMessage; helloExtras: boolean }
  /** What the HELLO carries besides the target: the codecs the page decodes, what it does with sound. */
  | { kind: 'bridge-hello-extras'; id: number; videoCodecs: VideoCodecSupport[]; audio: AudioCapabilities }
  | { kind: 'bridge-send'; id: number; message: UiMessage }
  /** Answered with 'bridge-fenced' once every 'bridge-send' posted before it has been handed to the socket (input-socket.ts). */
  | { kind: 'bridge-fence'; id: number; fence: number }
  /** The page ends bridge `id` (a reconnect, the memory budget): no 'bridge-closed' follows. */
  | { kind: 'bridge-close'; id: number }
  /** The element path: stream `key`'s track writable (transferred), which the worker writes its pictures into; null: the page writes them ('video-picture'). */
  | { kind: 'video-writable'; key: string; writable: WritableStream<VideoFrame> | null }
  /** The element path: the page logs what its elements show (a test asked): send each picture's mm time ('video-handed'). */
  | { kind: 'video-watch' }
  /** The guest's playback, handled here while the bridge runs here (audio/worker-playback.ts), and the microphone's sending (audio/worker-record.ts). */
  | PlaybackToWorker
  | RecordToWorker;

export type FromDecodeWorker =
  /** The shown channel's primary surface was created or replaced, or another channel is shown (0x0: it has none yet). */
  | { kind: 'surface'; width: number; height: number; channelId: number }
  /** When the page presents: what changed since the last 'damage'. */
  | { kind: 'damage'; patches: PixelPatch[] }
  /** When the worker presents: its presenter, its frames, the canvas's pixels (present/worker-presentation.ts). */
  | PresentationMessage
  | { kind: 'context-lost'; id: number; ok: boolean }
  /** `wasm`: whether QUIC and LZ decode in WebAssembly in this worker. */
  | { kind: 'display-stats'; id: number; stats: DisplayStats & { wasm: boolean } }
  | { kind: 'presentation-log'; id: number; pictures: PresentedPicture[] }
  /** The server's MARK: the first complete frame has been drawn. */
  | { kind: 'mark' }
  | { kind: 'message-error'; message: string }
  /** The server asked for more than the worker's memory budget: nothing more is drawn; the page ends the session. */
  | { kind: 'memory-exceeded'; message: string }
  | { kind: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; text: string }
  /** A step to the first frame (start-marks.ts), at its wall-clock time in ms. */
  | { kind: 'start-mark'; name: string; epochMs: number }
  /** A stream could not be decoded: the page tells the host (STREAM_ERROR). */
  | { kind: 'stream-error'; channelId: number; streamId: number; serial?: bigint; message: string }
  /**
   * The element path (video-element-writers.ts): where stream `key`'s `<video>` goes ('video-place',
   * the first one asks for its track's writable), its newest picture where the page writes them
   * ('video-picture'), its element showing nothing any more ('video-hide': its picture went into the
   * surface, or the stream ended), a picture's mm time for the page's log ('video-handed').
   */
  | ElementMessage
  /** The playing stream (null: none), and how many pictures were presented and written into the surface in all. */
  | { kind: 'video-status'; status: VideoStatus | null; framesPresented: number; materialised: number; presentationDelayMs: number }
  /** Bridge `id`'s host messages that are not display bodies (those went into the pipeline here), checked, in order, one packet's at a time. */
  | { kind: 'bridge-messages'; id: number; messages: HostMessage[] }
  /** Bridge `id` closed (the host closed it, or broke the protocol: `reason` says how). */
  | { kind: 'bridge-closed'; id: number; reason: string }
  /** The answer to 'bridge-fence' `fence`. */
  | { kind: 'bridge-fenced'; id: number; fence: number }
  | PlaybackFromWorker
  | RecordFromWorker;
