// The page's decode worker: runs the display pipeline of src/protocol (parsing, caches, GLZ
// window, decoders, software compositor) on the display bodies the page hands over, in order, and
// sends back the damaged parts of display 0's primary surface as RGBA. The page presents them.
import { DisplayPipeline, type PipelineEvent } from '../protocol/channels/display/display-pipeline.ts';
import type { Logger } from '../protocol/logger.ts';
import { DamageTracker, extractRgba } from './damage.ts';
import { browserJpegDecoder } from './jpeg-browser.ts';
import type { DamagedRect, FromDecodeWorker, ToDecodeWorker } from './worker-messages.ts';

interface WorkerScope {
  postMessage(message: FromDecodeWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToDecodeWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

/** Only display 0's primary surface is presented for now (multi-monitor comes later). */
const SHOWN_CHANNEL = 0;
/**
 * Damage goes to the page at most this often (about once per display frame): a busy server sends
 * thousands of small draws a second, and one message with copied pixels per draw costs the page
 * far more than the drawing (measured by the gateway bench: 5,000 damage messages a second gave
 * 10 frames a second).
 */
const FLUSH_EVERY_MS = 16;

const post = (m: FromDecodeWorker, transfer: Transferable[] = []): void => scope.postMessage(m, transfer);

const text = (obj: object | string, msg?: string): string => (msg ?? (typeof obj === 'string' ? obj : JSON.stringify(obj)));
const logAt = (level: 'debug' | 'info' | 'warn' | 'error') => (obj: object | string, msg?: string) => {
  if (level !== 'debug') post({ kind: 'log', level, text: text(obj, msg) });
};
const logger: Logger = { debug: logAt('debug'), info: logAt('info'), warn: logAt('warn'), error: logAt('error'), child: () => logger };

let primarySurfaceId = -1;
const damage = new DamageTracker(0, 0);
let lastFlush = 0;
let flushTimer: ReturnType<typeof setTimeout> | undefined;

// No inflater: the browser's zlib (DecompressionStream) is asynchronous, and ZLIB_GLZ images,
// which servers send only on slow links, fail to draw with a message until one is added.
let pipeline = createPipeline();

/** Events of a pipeline replaced by a display reset (its GLZ waits failing, say) are dropped. */
function createPipeline(): DisplayPipeline {
  const created: DisplayPipeline = new DisplayPipeline({ logger, jpeg: browserJpegDecoder, onEvent: (e) => created === pipeline && onEvent(e) });
  return created;
}

function onEvent(e: PipelineEvent): void {
  if (e.type === 'applied') {
    scheduleFlush();
    return;
  }
  if (e.channelId !== SHOWN_CHANNEL) return;
  switch (e.type) {
    case 'surface-create':
      if (!e.primary) return;
      primarySurfaceId = e.surfaceId;
      damage.resize(e.width, e.height);
      damage.all();
      post({ kind: 'surface', width: e.width, height: e.height });
      return;
    case 'surface-destroy':
      if (e.surfaceId === primarySurfaceId) primarySurfaceId = -1;
      return;
    case 'invalidate':
      if (e.surfaceId === primarySurfaceId) damage.add(e.rect);
      return;
    case 'mark':
      flush();
      post({ kind: 'mark' });
      return;
    case 'message-error':
      post({ kind: 'message-error', message: e.message });
      return;
  }
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

function flush(): void {
  if (flushTimer !== undefined) {
    clearTimeout(flushTimer);
    flushTimer = undefined;
  }
  lastFlush = performance.now();
  if (damage.empty) return;
  const surface = pipeline.primarySurface(SHOWN_CHANNEL);
  if (!surface || surface.id !== primarySurfaceId) {
    damage.take();
    return;
  }
  const rects: DamagedRect[] = damage.take().map((r) => ({
    x: r.left,
    y: r.top,
    width: r.right - r.left,
    height: r.bottom - r.top,
    pixels: extractRgba(surface.data, surface.width, r),
  }));
  post({ kind: 'damage', rects }, rects.map((r) => r.pixels.buffer as ArrayBuffer));
}

scope.onmessage = (e) => {
  const m = e.data;
  switch (m.kind) {
    case 'display-batch':
      for (const i of m.items) pipeline.submit(i.channelId, i.type, i.body, i.serial);
      return;
    case 'reset':
      // A new session (a reconnect): its surfaces, image cache and GLZ window start empty.
      pipeline.close();
      pipeline = createPipeline();
      primarySurfaceId = -1;
      damage.take();
      return;
    case 'resend':
      // After everything already queued, so the full copy is not older than what follows it.
      void pipeline.drain(SHOWN_CHANNEL).then(() => {
        damage.all();
        flush();
      });
      return;
  }
};
