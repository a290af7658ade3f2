// The page's decode worker: runs the display pipeline of src/protocol (parsing, caches, GLZ
// window, decoders, software compositor) on the display bodies the page hands over, in order.
// Where the page could hand over its canvas (OffscreenCanvas), the worker presents the primary
// surface of the display channel the page shows (its head's; 0 until told otherwise) itself, once
// per animation frame, straight from the surface; otherwise it sends the damaged parts to the
// page, which presents them.
import type { PipelineEvent } from '../protocol/channels/display/display-sink.ts';
import { DisplayPipeline } from '../protocol/display/display-pipeline.ts';
import { localImageDecoder } from '../protocol/display/run-decode-job.ts';
import { loadWasmDecoders } from '../protocol/codecs/wasm/wasm-decoders.ts';
import type { Logger } from '../protocol/logger.ts';
import { MemoryBudget } from '../protocol/wire/memory-budget.ts';
import { DamageTracker } from './damage.ts';
import { FrameReports } from './present/frame-reports.ts';
import { forEachDisplayItem } from './display-batch.ts';
import { browserInflater } from './inflater-browser.ts';
import { browserJpegDecoder } from './jpeg-browser.ts';
import { copyPatch } from './present/patch-pixels.ts';
import { VideoElementWriters } from './present/video-element-writers.ts';
import { VideoOverlays } from './present/video-overlay.ts';
import { forwardStartMarks, startMark } from './start-marks.ts';
import { WorkerPresentation } from './present/worker-presentation.ts';
import { BrowserVideoDecoders } from './video/browser-video-decoders.ts';
import type { FromDecodeWorker, ToDecodeWorker } from './worker-messages.ts';
import { WorkerBridgeEnd } from './bridge-in-worker.ts';
import { endsSound, WorkerPlayback } from './audio/worker-playback.ts';
import { WorkerRecord } from './audio/worker-record.ts';
import type { HostMessage } from '../protocol/bridge/bridge-messages.ts';

interface WorkerScope {
  postMessage(message: FromDecodeWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToDecodeWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
forwardStartMarks((name, epochMs) => scope.postMessage({ kind: 'start-mark', name, epochMs }));
startMark('worker-start');

/**
 * QUIC and LZ in WebAssembly: the page's Content-Security-Policy allows compiling it
 * ('wasm-unsafe-eval'); where a browser refuses anyway, the TypeScript decoders do the work.
 */
const wasmDecoders = loadWasmDecoders();
const wasmDecoding = wasmDecoders !== null;
startMark('wasm-ready');

/** The display channel whose primary surface is presented: the page's head's ('show-channel'). */
let shownChannel = 0;
/**
 * When the page presents, damage goes to it at most this often (about once per display frame): a
 * busy server sends thousands of small draws a second, and one message with copied pixels per draw
 * costs the page far more than the drawing (measured by the gateway bench: 5,000 damage messages a
 * second gave 10 frames a second).
 */
const FLUSH_EVERY_MS = 16;

/** Frames drawn here, reported to the page at most every 100 ms (frame-reports.ts). */
const frameReports = new FrameReports((count, pixels) => scope.postMessage({ kind: 'frames', count, pixels } satisfies FromDecodeWorker));
const post = (m: FromDecodeWorker, transfer: Transferable[] = []): void => {
  // The frames drawn before this message reach the page before it.
  frameReports.flush();
  scope.postMessage(m, transfer);
};

const text = (obj: object | string, msg?: string): string => (msg ?? (typeof obj === 'string' ? obj : JSON.stringify(obj)));
const logAt = (level: 'debug' | 'info' | 'warn' | 'error') => (obj: object | string, msg?: string) => {
  if (level !== 'debug') post({ kind: 'log', level, text: text(obj, msg) });
};
const logger: Logger = { debug: logAt('debug'), info: logAt('info'), warn: logAt('warn'), error: logAt('error'), child: () => logger };

let primarySurfaceId = -1;
const damage = new DamageTracker(0, 0);
let lastFlush = 0;
let flushTimer: ReturnType<typeof setTimeout> | undefined;
/** Set once the page hands over its canvas; from then on the worker presents. */
let presentation: WorkerPresentation | null = null;
/** The element path's writers of the streams' tracks (the page's `<video>` elements), when the page has them. */
let elementWriters: VideoElementWriters | null = null;

/**
 * The video codecs WebCodecs (and the JPEG decoder) decode here: the page asks them at its start,
 * alongside this worker's own start, and hands the list over ('video-codecs') before its HELLO
 * announces them, so no stream can arrive before they are known. None until then.
 */
const videoDecoders = new BrowserVideoDecoders([]);

/**
 * Stream pictures: drawn over the presented surface on the GPU when this worker presents, written
 * into the surface when the page presents or the surface is not the one shown (video-overlay.ts).
 */
const overlays = new VideoOverlays({
  overlaid: (channelId, surfaceId) => presentation !== null && channelId === shownChannel && surfaceId === primarySurfaceId,
  damaged: (channelId, surfaceId, rect) => {
    if (channelId !== shownChannel || surfaceId !== primarySurfaceId) return;
    damage.add(rect);
    changed();
  },
  requestFrame: () => presentation?.requestFrame(),
});

/** What the page's status shows of the playing stream, sent when it changes (the frame rate each second). */
let lastVideoStatus = '';
setInterval(() => {
  const m: FromDecodeWorker = { kind: 'video-status', status: overlays.status(), framesPresented: overlays.framesPresented, materialised: overlays.materialised, presentationDelayMs: Math.round(overlays.presentationDelayMs * 10) / 10 };
  const text = JSON.stringify(m);
  if (text === lastVideoStatus) return;
  lastVideoStatus = text;
  post(m);
}, 500);

let pipeline = createPipeline();

/**
 * Events of a pipeline replaced by a display reset (its GLZ waits failing, say) are dropped. Each
 * session's pipeline has its own memory budget (the default limit: the page is not told the
 * gateway's --memory-limit, which bounds the host's side): the surfaces, caches and GLZ window
 * composed here. Over it, the pipeline stops drawing and the page ends the session.
 */
function createPipeline(): DisplayPipeline {
  const budget = new MemoryBudget();
  const created: DisplayPipeline = new DisplayPipeline({
    logger,
    budget,
    decoder: localImageDecoder({ inflater: browserInflater, jpeg: browserJpegDecoder, wasm: wasmDecoders }),
    video: videoDecoders,
    framePresenter: overlays,
    onEvent: (e) => created === pipeline && onEvent(e),
  });
  budget.onExceeded((error) => {
    if (created !== pipeline) return;
    post({ kind: 'memory-exceeded', message: error.message });
    // Everything it holds goes back at once; later messages are not drawn.
    created.close();
  });
  return created;
}

/**
 * Another head's view (one display channel per guest head, as QEMU gives a guest with several
 * display devices): from now on that channel's primary surface is presented, whole, at once.
 */
function showChannel(channelId: number): void {
  if (channelId === shownChannel) return;
  shownChannel = channelId;
  const surface = pipeline.primarySurface(channelId);
  primarySurfaceId = surface ? surface.id : -1;
  overlays.showOnly(channelId, primarySurfaceId);
  damage.resize(surface?.width ?? 0, surface?.height ?? 0);
  damage.take();
  if (surface) {
    damage.all();
    presentation?.resize(surface.width, surface.height);
  }
  post({ kind: 'surface', width: surface?.width ?? 0, height: surface?.height ?? 0, channelId });
  if (surface) changed();
}

/** The shown channel's primary surface, if it is the one the page was told about. */
function shownSurface(): { data: Uint32Array; width: number; height: number } | null {
  const surface = pipeline.primarySurface(shownChannel);
  return surface && surface.id === primarySurfaceId ? surface : null;
}

function onEvent(e: PipelineEvent): void {
  if (e.type === 'applied') {
    startMark('first-draw');
    // A message that damaged nothing shown (a stream's frame: the overlay asks for its own frames)
    // asks for no animation frame: on VP8 that was a worker frame request, and a wake-up, per picture.
    if (!damage.empty) changed();
    return;
  }
  if (e.type === 'stream-error') {
    // Any channel's: the host tells the server, which sends that area as draws from then on.
    post({ kind: 'stream-error', channelId: e.channelId, streamId: e.streamId, serial: e.serial, message: e.message });
    return;
  }
  if (e.channelId !== shownChannel) return;
  switch (e.type) {
    case 'surface-create':
      if (!e.primary) return;
      primarySurfaceId = e.surfaceId;
      damage.resize(e.width, e.height);
      damage.all();
      presentation?.resize(e.width, e.height);
      post({ kind: 'surface', width: e.width, height: e.height, channelId: shownChannel });
      return;
    case 'surface-destroy':
      if (e.surfaceId === primarySurfaceId) primarySurfaceId = -1;
      return;
    case 'invalidate':
      if (e.surfaceId === primarySurfaceId) damage.add(e.rect);
      return;
    case 'mark':
      if (!presentation) flush();
      post({ kind: 'mark' });
      return;
    case 'message-error':
      post({ kind: 'message-error', message: e.message });
      return;
  }
}

function changed(): void {
  if (presentation) presentation.requestFrame();
  else scheduleFlush();
}

/** A flush no sooner than FLUSH_EVERY_MS after the last one; at once when that is past. */
function scheduleFlush(): void {
  if (flushTimer !== undefined || damage.empty) return;
  const wait = Math.max(0, FLUSH_EVERY_MS - (performance.now() - lastFlush));
  flushTimer = setTimeout(() => {
    flushTimer = undefined;
    flush();
  }, wait);
}

/** The page presents: the damaged rectangles' pixels go to it, transferred. */
function flush(): void {
  if (flushTimer !== undefined) {
    clearTimeout(flushTimer);
    flushTimer = undefined;
  }
  lastFlush = performance.now();
  if (damage.empty) return;
  const surface = shownSurface();
  if (!surface) {
    damage.take();
    return;
  }
  const patches = damage.take().map((r) => copyPatch(surface.data, surface.width, r));
  post({ kind: 'damage', patches }, patches.map((p) => p.data.buffer as ArrayBuffer));
}

/** A new session (a reconnect, or the host's DISPLAY_RESET): its surfaces, image cache and GLZ window start empty. */
function resetDisplay(): void {
  pipeline.close();
  overlays.clear();
  // The page removed its video elements.
  elementWriters?.clear();
  pipeline = createPipeline();
  primarySurfaceId = -1;
  damage.take();
  presentation?.clear();
}

/** The bridge, when it runs here (bridge-in-worker.ts): display bodies go from its socket into the pipeline. */
let bridge: WorkerBridgeEnd | null = null;
/** The guest's playback, once the page said it plays sound (audio/worker-playback.ts): its bodies stay here. */
let playback: WorkerPlayback | null = null;
/** The microphone's sending, while the page has it open (audio/worker-record.ts). */
const record = new WorkerRecord(
  (m) => {
    if (!bridge) return false;
    bridge.send(m);
    return true;
  },
  (m) => post(m),
);
/** The bridge closed or is replaced: the next session's sound starts from nothing (its record channel has not started). */
function endSound(): void {
  playback?.reset();
  record.close();
}
const bridgeSinks = {
  display: (channelId: number, type: number, body: Uint8Array, serial: bigint) => {
    startMark('first-display-message');
    pipeline.submit(channelId, type, body, serial);
  },
  resetDisplay,
  host: (m: HostMessage): boolean => {
    if (!playback) return false;
    if (m.kind === 'playback') {
      playback.receive(m.type, m.body);
      return true;
    }
    if (endsSound(m)) playback.reset();
    return false;
  },
  ended: endSound,
  post: (m: FromDecodeWorker) => post(m),
};

scope.onmessage = (e) => {
  const m = e.data;
  switch (m.kind) {
    case 'display-batch':
      startMark('first-display-batch');
      forEachDisplayItem(m, (channelId, type, body, serial) => pipeline.submit(channelId, type, body, serial));
      return;
    case 'reset':
      resetDisplay();
      return;
    case 'bridge-open':
      bridge?.close();
      endSound();
      bridge = new WorkerBridgeEnd(m, bridgeSinks);
      return;
    case 'bridge-hello-extras':
      if (bridge?.id === m.id) bridge.helloExtras(m);
      return;
    case 'bridge-send':
      if (bridge?.id === m.id) bridge.send(m.message);
      return;
    case 'bridge-fence':
      // Messages are handled in the order posted: every earlier 'bridge-send' is in the socket now.
      if (bridge?.id === m.id) post({ kind: 'bridge-fenced', id: m.id, fence: m.fence });
      return;
    case 'bridge-close':
      if (bridge?.id === m.id) {
        bridge.close();
        bridge = null;
        endSound();
      }
      return;
    case 'record-open':
    case 'record-guest':
    case 'record-close':
      record.command(m);
      return;
    case 'playback-here':
      playback ??= new WorkerPlayback(post, m.opusDecoding);
      return;
    case 'playout-port':
    case 'playout-state':
    case 'playback-local':
    case 'playback-worklet':
      if (playback) playback.command(m);
      else if (m.kind === 'playout-port') m.port.close();
      return;
    case 'resend':
      // After everything already queued, so the full copy is not older than what follows it.
      void pipeline.drain(shownChannel).then(() => {
        damage.all();
        flush();
      });
      return;
    case 'show-channel':
      showChannel(m.channelId);
      return;
    case 'video-codecs':
      startMark('codecs-known');
      videoDecoders.supported = m.codecs;
      return;
    case 'present-here':
      presentation = new WorkerPresentation(m.canvas, m.renderer, m.lowLatency === true, {
        takeDamage: () => {
          const surface = shownSurface();
          const rects = damage.take();
          return surface ? { surface, rects } : null;
        },
        damageAll: () => damage.all(),
        overlays: (withElements) => (primarySurfaceId >= 0 ? overlays.pictures(shownChannel, primarySurfaceId, withElements) : []),
        post: (m, transfer) => {
          // A frame drawn into the canvas: the first one is a step to the first frame.
          if (m.kind === 'frames') {
            startMark('first-present');
            frameReports.add(m.count, m.pixels);
            return;
          }
          post(m, transfer);
        },
      });
      if (m.videoElements === true) {
        elementWriters = new VideoElementWriters(post);
        overlays.element = elementWriters;
        videoDecoders.mjpegFrames = true;
      }
      if (primarySurfaceId >= 0) {
        presentation.resize(damage.width, damage.height);
        damage.all();
        presentation.requestFrame();
      }
      return;
    case 'read-pixels':
      if (presentation) presentation.readPixels(m.id);
      else post({ kind: 'pixels', id: m.id, error: 'the page presents, not the worker' });
      return;
    case 'display-stats':
      post({ kind: 'display-stats', id: m.id, stats: { ...pipeline.stats(shownChannel), wasm: wasmDecoding } });
      return;
    case 'video-writable':
      if (elementWriters) elementWriters.adopt(m.key, m.writable);
      else void m.writable?.abort().catch(() => undefined);
      return;
    case 'video-watch':
      if (elementWriters) elementWriters.watching = true;
      return;
    case 'media-time':
      pipeline.setMediaTime(m.mmNow);
      return;
    case 'presentation-log':
      post({ kind: 'presentation-log', id: m.id, pictures: overlays.takePresentationLog() });
      return;
    case 'lose-context':
      void (presentation?.loseContextFor(m.ms) ?? Promise.resolve(false)).then((ok) => post({ kind: 'context-lost', id: m.id, ok }));
      return;
  }
};
