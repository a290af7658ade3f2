// Where display messages become pixels: parsing, the caches, the decoders and the software
// compositor, for every display channel of a session. It runs in a Web Worker in the renderer, in
// the socket's thread in the CLI (with the decoders in a pool of worker threads), or in-line in
// tests, fed with raw message bodies by the display channels; it reports back with events.
import { Canvas } from '../canvas/canvas.ts';
import type { Surface } from '../canvas/surface.ts';
import type { DisplayStats, PipelineEvent, SurfaceSnapshot } from '../channels/display/display-sink.ts';
import type { Logger } from '../logger.ts';
import { ImageCache } from './image-cache.ts';
import { isSpiceError } from '../wire/errors.ts';
import { displayMessageParsers, parseDisplayMessage, type DisplayMessage } from '../channels/display/display-messages.ts';
import { SurfaceFlags, type SpiceImage } from '../pixels/draw-ops.ts';
import type { ImageDecoder } from './image-decode-job.ts';
import { DisplayImageResolver, imagesOf, type SharedDecoding } from './image-resolver.ts';
import { BoundedPaletteCache } from './palette-cache.ts';
import { GLZ_MAX_WINDOW_PIXELS } from '../codecs/glz-window.ts';
import { MemoryBudget, MemoryLimitError } from '../wire/memory-budget.ts';
import { VideoStreams } from './video-streams.ts';
import type { FramePresenter, VideoDecoders } from './video-decoder.ts';
import { noVideoDecoders } from './video-decoder-sets.ts';
import { SurfaceFramePresenter } from './surface-frame-presenter.ts';
import { PresentationClock, type PresentationTimer } from './presentation-clock.ts';
import { boundingRect, type Rect } from '../pixels/geometry.ts';
import type { DrawOp } from '../pixels/draw-ops.ts';

/**
 * What the GLZ window of a decoder can hold at most (GlzWindow's default bound), reserved in the
 * budget at the first GLZ image: the window lives with the decoder, which may be in another thread (the CLI's
 * decode pool), where the budget cannot follow each image.
 */
export const GLZ_WINDOW_RESERVE_BYTES = GLZ_MAX_WINDOW_PIXELS * 4;

const usesGlzWindow = (image: SpiceImage): boolean => image.body.kind === 'glz-rgb' || image.body.kind === 'zlib-glz-rgb';

class ChannelPipeline {
  readonly canvas: Canvas;
  readonly palettes: BoundedPaletteCache;
  readonly resolver: DisplayImageResolver;
  readonly streams: VideoStreams;
  readonly ops: Map<string, number>;
  readonly images = new Map<string, number>();
  readonly unsupported = new Map<string, number>();
  /** Messages are applied one at a time, in the order they arrived. */
  tail: Promise<void> = Promise.resolve();
  appliedSerial = 0n;
  readonly serialWaiters: { serial: bigint; resolve: () => void }[] = [];

  constructor(shared: SharedDecoding, budget: MemoryBudget, makeStreams: (canvas: Canvas) => VideoStreams, ops: Map<string, number>) {
    this.ops = ops;
    this.canvas = new Canvas({ budget });
    this.palettes = new BoundedPaletteCache({ budget });
    this.resolver = new DisplayImageResolver(shared, this.palettes);
    this.streams = makeStreams(this.canvas);
  }
}

/**
 * The error's text with the display message it dropped, when it does not say it already (a parse
 * error does; a decoder's or the compositor's does not): the user sees which draw is missing.
 */
function namingTheMessage(text: string, channelId: number, type: number): string {
  const name = displayMessageParsers[type]?.name;
  if (!name || text.includes(`message ${name} `)) return text;
  const where = `display:${channelId} channel, message ${name} (${type})`;
  // A decoder's ProtocolError ends with its place in the image ("[offset 12]"): one bracket for both.
  const open = text.lastIndexOf('[');
  if (open < 0 || !text.endsWith(']')) return `${text} [${where}]`;
  return `${text.slice(0, open)}[${where}, image ${text.slice(open + 1, -1)}]`;
}

/** Destination pixels drawn between two looks at the clock (a few ms of the costliest operation). */
const PIECE_PIXELS = 1 << 16;
/** The longest stretch the pipeline draws before the event loop gets a turn. */
const SLICE_MS = 40;

const bump = (m: Map<string, number>, key: string): void => void m.set(key, (m.get(key) ?? 0) + 1);

export interface DisplayPipelineOptions {
  logger: Logger;
  decoder?: ImageDecoder;
  onEvent: (event: PipelineEvent) => void;
  /**
   * The session's memory budget (surfaces, image and palette caches, the GLZ window, messages
   * waiting to be applied); default one of its own with the default limit.
   */
  budget?: MemoryBudget;
  /** The pixmap cache size the display channels announce in DISPLAY_INIT, in pixels. */
  announcedCachePixels?: number;
  /** The video stream codecs decoded here (video-decoder.ts); default none: video comes as draws. */
  video?: VideoDecoders;
  /** Where decoded stream pictures go; default drawn into the software surface at once. */
  framePresenter?: FramePresenter;
  /** The clock stream pictures are shown by (setMediaTime sets its mm time); injectable for tests. */
  presentationTimer?: PresentationTimer;
}

/** spice-gtk's and this client's DISPLAY_INIT pixmap cache: 80 MiB of 4-byte pixels. */
export const DEFAULT_ANNOUNCED_CACHE_PIXELS = (80 * 1024 * 1024) / 4;

export class DisplayPipeline {
  readonly imageCache: ImageCache;
  readonly budget: MemoryBudget;
  private readonly shared: SharedDecoding;
  private glzReserved = 0;
  private closed = false;
  private readonly channels = new Map<number, ChannelPipeline>();
  private readonly log: Logger;
  private readonly emit: (event: PipelineEvent) => void;
  readonly video: VideoDecoders;
  private readonly clock: PresentationClock;
  private readonly presenter: FramePresenter;
  /** When drawing last gave the event loop a turn, or started after the pipeline was idle. */
  private sliceStarted = Date.now();
  /** Messages submitted and not yet applied, on every channel. */
  private inFlight = 0;

  /**
   * `decoder` decodes the compressed images (and holds the session's GLZ window): in this thread
   * (run-decode-job.ts's localImageDecoder) or in worker threads (the CLI's decode pool). Without
   * one, only bitmaps can be drawn.
   */
  constructor(o: DisplayPipelineOptions) {
    this.log = o.logger;
    this.emit = o.onEvent;
    this.budget = o.budget ?? new MemoryBudget();
    this.imageCache = new ImageCache({ announcedPixels: o.announcedCachePixels ?? DEFAULT_ANNOUNCED_CACHE_PIXELS, budget: this.budget, logger: o.logger });
    this.shared = { cache: this.imageCache, decoder: o.decoder ?? null, breather: () => this.breather() };
    this.video = o.video ?? noVideoDecoders;
    this.presenter = o.framePresenter ?? new SurfaceFramePresenter();
    this.clock = new PresentationClock(o.presentationTimer);
  }

  /**
   * The session's multimedia time is `mmNow` (ms, the server's wrapping clock): stream pictures are
   * decoded just before and shown when it reaches their time. Before the first call they are decoded
   * and shown at once. A jump (back, or over 500 ms ahead) decodes what is queued now, shows the
   * newest and starts the schedules over.
   */
  setMediaTime(mmNow: number): void {
    if (!this.clock.set(mmNow)) return;
    for (const ch of this.channels.values()) ch.streams.clockJumped();
  }

  /**
   * Resolves once every message submitted so far on the channel has been applied and every stream
   * frame received so far is decoded, the newest picture of each stream shown at once (not at its
   * time): what a snapshot shows.
   */
  async settle(channelId: number): Promise<void> {
    await this.drain(channelId);
    await this.channel(channelId).streams.settle();
  }

  /** The GLZ window's most, charged once, at the first GLZ image (only those fill the window). */
  private reserveGlzWindow(): void {
    if (this.glzReserved || !this.shared.decoder) return;
    this.budget.charge('GLZ window', GLZ_WINDOW_RESERVE_BYTES, () => `the GLZ window of ${GLZ_MAX_WINDOW_PIXELS} pixels at most`);
    this.glzReserved = GLZ_WINDOW_RESERVE_BYTES;
  }

  private channel(id: number): ChannelPipeline {
    let ch = this.channels.get(id);
    if (!ch) {
      const ops = new Map<string, number>();
      const makeStreams = (canvas: Canvas): VideoStreams =>
        new VideoStreams({
          channelId: id,
          video: this.video,
          presenter: this.presenter,
          logger: this.log,
          emit: this.emit,
          closed: () => this.closed,
          clock: this.clock,
          canvas,
          budget: this.budget,
          count: (op) => bump(ops, op),
        });
      ch = new ChannelPipeline(this.shared, this.budget, makeStreams, ops);
      this.channels.set(id, ch);
    }
    return ch;
  }

  /** Queues one display message body (numbers 101 and up) of channel `channelId`. */
  submit(channelId: number, type: number, body: Uint8Array, serial: bigint): void {
    const ch = this.channel(channelId);
    // A body waits here until the messages before it are applied (a GLZ image waiting for another
    // channel can hold a queue for seconds while the server keeps sending): it counts meanwhile.
    const queued = body.byteLength;
    const error = this.budget.tryCharge('queued display messages', queued, () => `display message ${type} of ${queued} bytes, queued behind the ones not yet drawn`);
    if (error) {
      this.emit({ type: 'message-error', channelId, message: error.message });
      return;
    }
    // The first message after the pipeline was idle starts a slice: the event loop had its turns
    // meanwhile. Counted from the last turn instead, a message every 40 ms (a 25 fps stream's
    // frames) gave the loop a timer's turn (a wake-up) each, having drawn nothing before it.
    if (this.inFlight++ === 0) this.sliceStarted = Date.now();
    ch.tail = ch.tail.then(async () => {
      try {
        // Closed, or over budget (the session is ending): what is still queued is not drawn.
        if (!this.budget.exceeded && !this.closed) await this.breather();
        if (!this.budget.exceeded && !this.closed) await this.apply(channelId, ch, type, body, serial);
      } catch (error) {
        if (!isSpiceError(error)) throw error;
        // Closed while this message was being decoded (a capture ending with video frames in
        // flight: the decoders reject what they still had): nothing is missing from the picture taken.
        if (!this.closed) {
          // Over the memory budget: the session that owns the budget logs it and ends on it.
          const overBudget = error instanceof MemoryLimitError;
          const message = overBudget ? error.message : namingTheMessage(error.message, channelId, type);
          if (!overBudget) this.log.error({ channel: `display:${channelId}`, type, err: message }, message);
          this.emit({ type: 'message-error', channelId, message });
        }
      } finally {
        this.budget.release('queued display messages', queued);
        this.inFlight--;
      }
      ch.appliedSerial = serial;
      for (let i = ch.serialWaiters.length - 1; i >= 0; i--) {
        if (ch.serialWaiters[i].serial <= serial) ch.serialWaiters.splice(i, 1)[0].resolve();
      }
      this.emit({ type: 'applied', channelId, serial });
    });
  }

  /**
   * Resolves once display channel `channelId` has applied the message with this serial, or after
   * `timeoutMs` (with a warning): a channel that died must not stall the others for ever.
   */
  private waitApplied(channelId: number, serial: bigint, timeoutMs = 5000): Promise<void> {
    const ch = this.channel(channelId);
    if (ch.appliedSerial >= serial) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.log.warn({ channel: `display:${channelId}`, serial: String(serial) }, 'gave up waiting for another display channel');
        resolve();
      }, timeoutMs);
      ch.serialWaiters.push({
        serial,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Resolves once every message submitted so far on the channel has been applied. */
  drain(channelId: number): Promise<void> {
    return this.channel(channelId).tail;
  }

  primarySurface(channelId: number): Surface | undefined {
    return this.channels.get(channelId)?.canvas.primary();
  }

  snapshot(channelId: number): SurfaceSnapshot | null {
    const s = this.primarySurface(channelId);
    return s ? { width: s.width, height: s.height, data: s.data.slice() } : null;
  }

  stats(channelId: number): DisplayStats {
    const ch = this.channels.get(channelId);
    return {
      ops: Object.fromEntries(ch?.ops ?? []),
      images: Object.fromEntries(ch?.images ?? []),
      unsupported: Object.fromEntries(ch?.unsupported ?? []),
    };
  }

  /** Starts a decoder that starts on demand (the CLI's pool), ahead of the image. */
  expectCompressedImage(): void {
    this.shared.decoder?.prestart?.();
  }

  /** Ends decoding and gives everything back to the budget (surfaces, caches, the GLZ reserve). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const ch of this.channels.values()) ch.streams.clear();
    this.video.close?.();
    this.shared.decoder?.close();
    for (const ch of this.channels.values()) {
      ch.canvas.dispose();
      ch.palettes.clear();
    }
    this.imageCache.clear();
    this.budget.release('GLZ window', this.glzReserved);
    this.glzReserved = 0;
  }

  /**
   * Gives the event loop a turn once drawing has held it for SLICE_MS: a stream of costly draws
   * (or one that is drawn in pieces) must not keep a deadline's timer, the socket or the page
   * waiting. Messages are applied one at a time, so nothing else draws meanwhile.
   */
  private async breather(): Promise<void> {
    if (Date.now() - this.sliceStarted < SLICE_MS) return;
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    this.sliceStarted = Date.now();
  }

  private async apply(channelId: number, ch: ChannelPipeline, type: number, body: Uint8Array, serial: bigint): Promise<void> {
    const msg = parseDisplayMessage(type, body, `display:${channelId}`);
    if (!msg) {
      this.log.warn({ channel: `display:${channelId}`, type, size: body.byteLength }, `ignoring unknown display message ${type}`);
      return;
    }
    await this.applyMessage(channelId, ch, msg, serial);
  }

  /**
   * Tells the presenter what a draw is about to read and write, surface by surface: a picture it
   * keeps over those areas (on a GPU) must be in the surface's pixels first.
   */
  private async beforeDraw(channelId: number, ch: ChannelPipeline, areas: Map<number, Rect>): Promise<void> {
    const before = this.presenter.beforeDraw;
    if (!before) return;
    for (const [surfaceId, area] of areas) {
      if (!ch.canvas.surface(surfaceId)) continue;
      const waiting = before.call(this.presenter, channelId, surfaceId, area);
      if (waiting) await waiting;
    }
  }

  private async applyMessage(channelId: number, ch: ChannelPipeline, msg: DisplayMessage, serial: bigint): Promise<void> {
    switch (msg.type) {
      case 'surface-create': {
        const s = msg.surface;
        ch.canvas.createSurface(s);
        const primary = (s.flags & SurfaceFlags.PRIMARY) !== 0 || s.surfaceId === 0;
        this.emit({ type: 'surface-create', channelId, surfaceId: s.surfaceId, width: s.width, height: s.height, primary });
        return;
      }
      case 'surface-destroy':
        ch.canvas.destroySurface(msg.surfaceId);
        this.emit({ type: 'surface-destroy', channelId, surfaceId: msg.surfaceId });
        return;
      case 'mode':
        // Legacy servers announce the primary surface with MODE instead of SURFACE_CREATE.
        ch.canvas.createSurface({ surfaceId: 0, width: msg.xRes, height: msg.yRes, format: 32, flags: SurfaceFlags.PRIMARY });
        this.emit({ type: 'surface-create', channelId, surfaceId: 0, width: msg.xRes, height: msg.yRes, primary: true });
        return;
      case 'draw': {
        bump(ch.ops, msg.draw.op);
        for (const image of imagesOf(msg.draw)) bump(ch.images, image.body.kind);
        // GLZ images may wait for another channel; this channel's later messages wait with them.
        if (imagesOf(msg.draw).some(usesGlzWindow)) this.reserveGlzWindow();
        const preparing = ch.resolver.prepare(msg.draw);
        if (preparing) await preparing;
        if (this.presenter.beforeDraw) await this.beforeDraw(channelId, ch, drawAreas(msg.draw, ch.canvas));
        for (const piece of ch.canvas.drawInPieces(msg.draw, ch.resolver, PIECE_PIXELS)) {
          void piece;
          await this.breather();
          // Closed while this draw was in pieces: the rest is not wanted.
          if (this.closed) return;
        }
        this.emit({ type: 'invalidate', channelId, surfaceId: msg.draw.base.surfaceId, rect: msg.draw.base.box });
        return;
      }
      case 'copy-bits': {
        if (this.presenter.beforeDraw) {
          const box = msg.base.box;
          const source = { left: msg.srcPos.x, top: msg.srcPos.y, right: msg.srcPos.x + box.right - box.left, bottom: msg.srcPos.y + box.bottom - box.top };
          await this.beforeDraw(channelId, ch, new Map([[msg.base.surfaceId, boundingRect([box, source])]]));
        }
        ch.canvas.copyBits(msg.base, msg.srcPos);
        this.emit({ type: 'invalidate', channelId, surfaceId: msg.base.surfaceId, rect: msg.base.box });
        return;
      }
      case 'mark':
        this.emit({ type: 'mark', channelId });
        return;
      case 'reset':
        ch.streams.clear();
        ch.canvas.reset();
        ch.palettes.clear();
        return;
      case 'inval-list':
        for (const r of msg.resources) this.imageCache.remove(r.id);
        return;
      case 'inval-all-pixmaps':
        // The server orders this after the other display channels' uses of the cache (the wait
        // list names their serials); they are applied in their own order here, so wait for them.
        await Promise.all(
          msg.waits.filter((w) => w.channelType === 2 && w.channelId !== channelId).map((w) => this.waitApplied(w.channelId, w.messageSerial)),
        );
        this.imageCache.clear();
        return;
      case 'inval-palette':
        ch.palettes.remove(msg.id);
        return;
      case 'inval-all-palettes':
        ch.palettes.clear();
        return;
      case 'stream-create':
      case 'stream-data':
      case 'stream-data-sized':
      case 'stream-clip':
      case 'stream-destroy':
      case 'stream-destroy-all':
      case 'stream-activate-report': {
        if (msg.type === 'stream-data' || msg.type === 'stream-data-sized') bump(ch.ops, 'stream-frame');
        await ch.streams.apply(msg, serial);
        return;
      }
      case 'monitors-config':
        this.log.debug({ channel: `display:${channelId}`, heads: msg.heads }, 'monitors config');
        return;
      default: {
        bump(ch.unsupported, msg.type);
        if (ch.unsupported.get(msg.type) === 1) this.log.warn({ channel: `display:${channelId}` }, `${msg.type} is not supported yet; ignoring it`);
      }
    }
  }
}

/**
 * What a draw writes (its box) and reads, by surface: a source image that is a surface is read
 * over its srcArea (the whole surface where a transform or a brush decides what is read).
 */
function drawAreas(draw: DrawOp, canvas: Canvas): Map<number, Rect> {
  const areas = new Map<number, Rect>();
  const add = (surfaceId: number, r: Rect): void => {
    const had = areas.get(surfaceId);
    areas.set(surfaceId, had ? boundingRect([had, r]) : r);
  };
  add(draw.base.surfaceId, draw.base.box);
  for (const image of imagesOf(draw)) {
    if (image.body.kind !== 'surface') continue;
    const id = image.body.surfaceId;
    if ('srcArea' in draw && image === draw.src) {
      add(id, draw.srcArea);
    } else {
      const s = canvas.surface(id);
      if (s) add(id, { left: 0, top: 0, right: s.width, bottom: s.height });
    }
  }
  return areas;
}
