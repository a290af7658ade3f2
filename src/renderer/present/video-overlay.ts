// Video stream pictures shown over the surface on the GPU: the decode worker's FramePresenter when
// it presents into the page's canvas itself. A stream's newest picture (a VideoFrame or an
// ImageBitmap) stays where the browser decoded it and is drawn over the surface, scaled into its
// dest and cut to its clip, at each animation frame; its pixels are written into the software
// surface only when something needs them there (the materialisation rule):
// - a draw or COPY_BITS about to read or write the area (beforeDraw): the picture goes into the
//   surface first and is no longer drawn over it until the stream's next picture, so the draw wins
//   and COPY_BITS copies the video's pixels;
// - the stream's end (streamGone): its last picture stays visible as surface pixels.
// Pictures of a surface the worker does not present (another head's channel, an off-screen
// surface, or a page that presents itself) are written into the surface at once, as the
// pipeline's default presenter does.
// An overlaid picture reaches the screen at the next animation frame, not when it is handed over:
// that delay is measured for each picture (present to first draw, presentation-delay.ts) and the
// streams' schedules hand pictures over that much before their time (presentationDelay).
import { paintRects } from '../../protocol/canvas/surface.ts';
import type { VideoAcceleration } from '../../protocol/channels/display/display-sink.ts';
import { drawFrame } from '../../protocol/display/surface-frame-presenter.ts';
import type { DecodedFrame, FramePlacement, FramePresenter } from '../../protocol/display/video-decoder.ts';
import type { Rect } from '../../protocol/pixels/geometry.ts';
import { PresentationDelay } from './presentation-delay.ts';

/** One picture for a presenter to draw over the surface. */
export interface OverlayPicture {
  /** Which stream it belongs to: a GPU presenter keeps one texture per key. */
  key: string;
  /** A new value with every new picture of the stream: the texture is uploaded only then. */
  generation: number;
  source: VideoFrame | ImageBitmap;
  dest: Rect;
  /** Where it may be drawn (dest inside its clip and the surface), in surface pixels. */
  rects: readonly Rect[];
  bottomUp: boolean;
}

export interface OverlayHooks {
  /** Whether pictures of this surface are drawn over the canvas (it is the primary surface the worker presents). */
  overlaid(channelId: number, surfaceId: number): boolean;
  /** Pixels of a surface changed under the overlays: present them. */
  damaged(channelId: number, surfaceId: number, rect: Rect): void;
  /** The overlays changed: draw an animation frame. */
  requestFrame(): void;
  /** Milliseconds, for the frame rate; performance.now by default. */
  now?(): number;
}

/** Where the page's `<video>` elements show a stream's pictures. */
export interface ElementHooks {
  /** Shows `frame` (now the hook's to transfer or close) for stream `key`. */
  show(key: string, frame: VideoFrame, picture: ElementPicture): void;
  /** The stream's picture is no longer shown by its element (it went into the surface, or the stream ended). */
  hide(key: string): void;
}

/** Where an element shows its picture: the overlay's dest and clip rectangles in surface pixels. */
export interface ElementPicture {
  dest: Rect;
  rects: Rect[];
  bottomUp: boolean;
  /** The picture's mm time, and when present() got it (ms since the epoch), for the presentation log. */
  mm: number;
  handed: number;
}

/** What the page's status shows: the stream that showed a picture last. */
export interface VideoStatus {
  codec: number;
  acceleration: VideoAcceleration;
  /** Pictures presented in the last second. */
  fps: number;
}

interface Overlay {
  frame: DecodedFrame;
  at: FramePlacement;
  generation: number;
  rects: Rect[];
  /** Handed to a presenter's animation frame (and logged) already. */
  drawn: boolean;
  /** When present() was given it (this.now()): its presentation delay is measured from here. */
  handedAt: number;
  /** Shown by the page's `<video>` element (the element path), not drawn into the canvas. */
  onElement: boolean;
}

/** One picture on the screen: the mm time it was meant for, and when it was first drawn (ms since the epoch: performance.timeOrigin + now, comparable across the page and its worker). */
export interface PresentedPicture {
  mm: number;
  at: number;
  /** When it was handed to present() (the same clock as `at`): its presentation delay is at - handed. */
  handed: number;
}

/**
 * From present() to Chromium taking an element path picture for composition (the `<video>`'s
 * requestVideoFrameCallback presentationTime), measured by the A/V sync test at a load average of
 * 5-8: median 0.7 ms, p5..p95 0.2..3.9. Not measured as the stream plays: watching each frame costs
 * the page's main thread a rendering step per picture.
 */
const ELEMENT_DELAY_MS = 1;

/** Pictures kept in the presentation log (about 2.5 minutes at 25 fps); the oldest go first. */
export const PRESENTATION_LOG_SIZE = 4096;

const keyOf = (channelId: number, streamId: number): string => `${channelId}:${streamId}`;
const overlaps = (a: Rect, b: Rect): boolean => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
const sameRects = (a: readonly Rect[], b: readonly Rect[]): boolean =>
  a.length === b.length && a.every((r, i) => r.left === b[i].left && r.top === b[i].top && r.right === b[i].right && r.bottom === b[i].bottom);

/** The codec and acceleration a picture of this page's decoders carries (video/pictures.ts StreamPicture). */
function pictureInfo(frame: DecodedFrame): { codec: number; acceleration: VideoAcceleration } | null {
  const p = frame as DecodedFrame & { codec?: unknown; acceleration?: unknown };
  return typeof p.codec === 'number' && (p.acceleration === 'hardware' || p.acceleration === 'software') ? { codec: p.codec, acceleration: p.acceleration } : null;
}

/** A picture a presenter can draw: this page's decoders give a VideoFrame or an ImageBitmap; a picture without one (in CPU memory) is not overlaid. */
function drawable(frame: DecodedFrame): VideoFrame | ImageBitmap | null {
  const n = frame.native;
  return typeof n === 'object' && n !== null ? (n as VideoFrame | ImageBitmap) : null;
}

/**
 * The element path's own VideoFrame of a picture: a clone shares its buffer (and keeps its
 * timestamp, by which the page's log finds its mm time). Null for an ImageBitmap (MJPEG): made into
 * a VideoFrame and shown by an element it cost more than drawn into the canvas (bench/README.md,
 * video).
 */
function elementFrame(source: VideoFrame | ImageBitmap): VideoFrame | null {
  if (typeof VideoFrame !== 'function' || !(source instanceof VideoFrame)) return null;
  try {
    return source.clone();
  } catch {
    return null;
  }
}

export class VideoOverlays implements FramePresenter {
  private readonly overlays = new Map<string, Overlay>();
  private generation = 0;
  /** Streams gone, their last pictures still being written into their surfaces: draws wait for them. */
  private pending: Promise<void> = Promise.resolve();
  /** Bumped by clear(): writes of an earlier session are not done. */
  private epoch = 0;
  private readonly now: () => number;
  private readonly presented: number[] = [];
  private last: { codec: number; acceleration: VideoAcceleration } | null = null;
  private readonly live = new Set<string>();
  /**
   * The element path (#videopath=element): a picture of an overlaid surface is handed to the page,
   * which shows it in a `<video>` over the canvas (video-elements.ts), instead of being drawn into
   * the canvas. The hook gets its own VideoFrame (a new one sharing the picture) to transfer; the
   * overlay keeps the original for the materialisation rule. Null: the canvas path.
   */
  element: ElementHooks | null = null;
  /** Pictures presented in all (tests). */
  framesPresented = 0;
  /** Pictures written into the surface because a draw needed the area, or the stream ended. */
  materialised = 0;
  /** When each picture reached the screen, with its mm time: what an A/V sync test compares with the sound. */
  private log: PresentedPicture[] = [];
  /** From present() to the animation frame that first draws an overlaid picture. */
  private readonly delay = new PresentationDelay();

  constructor(private readonly hooks: OverlayHooks) {
    this.now = hooks.now ?? (() => performance.now());
  }

  async present(frame: DecodedFrame, at: FramePlacement): Promise<Rect | null> {
    const key = keyOf(at.channelId, at.streamId);
    this.count(key, frame);
    const old = this.overlays.get(key);
    const source = drawable(frame);
    if (!source || !this.hooks.overlaid(at.channelId, at.surfaceId)) {
      if (old) this.drop(key, old);
      try {
        drawFrame(at.surface, await frame.pixels(), at.dest, at.clip, at.bottomUp);
      } finally {
        frame.close();
      }
      const now = this.now();
      this.logPresented(at.mm, now, now);
      return at.dest;
    }
    const rects = paintRects(at.surface, at.dest, at.clip);
    if (old) {
      old.frame.close();
      // Where the old picture was drawn and the new one is not, the surface shows again.
      if (!sameRects(old.rects, rects)) this.hooks.damaged(old.at.channelId, old.at.surfaceId, old.at.dest);
    }
    const handedAt = this.now();
    const element = this.element;
    const copy = element ? elementFrame(source) : null;
    this.overlays.set(key, { frame, at, generation: ++this.generation, rects, drawn: copy !== null, handedAt, onElement: copy !== null });
    if (element && copy) {
      // The canvas drew the old picture: the surface shows there again, under the element.
      if (old && !old.onElement) this.hooks.damaged(old.at.channelId, old.at.surfaceId, old.at.dest);
      element.show(key, copy, { dest: at.dest, rects, bottomUp: at.bottomUp, mm: at.mm, handed: performance.timeOrigin + handedAt });
    } else {
      if (old?.onElement) element?.hide(key);
      this.hooks.requestFrame();
    }
    return null;
  }

  streamGone(channelId: number, streamId: number): void {
    const key = keyOf(channelId, streamId);
    this.live.delete(key);
    const o = this.overlays.get(key);
    if (!o) return;
    const epoch = this.epoch;
    this.pending = this.pending.then(() => (epoch === this.epoch ? this.materialise(key, o) : undefined));
  }

  async beforeDraw(channelId: number, surfaceId: number, area: Rect): Promise<void> {
    await this.pending;
    for (const [key, o] of [...this.overlays]) {
      if (o.at.channelId !== channelId || o.at.surfaceId !== surfaceId) continue;
      if (o.rects.some((r) => overlaps(r, area))) await this.materialise(key, o);
    }
  }

  /**
   * The pictures to draw over channel `channelId`'s surface `surfaceId`, oldest stream first;
   * those the page's `<video>` elements show only when `withElements` (reading the screen back).
   */
  pictures(channelId: number, surfaceId: number, withElements = false): OverlayPicture[] {
    const out: OverlayPicture[] = [];
    for (const [key, o] of this.overlays) {
      if (o.at.channelId !== channelId || o.at.surfaceId !== surfaceId || o.rects.length === 0) continue;
      if (o.onElement && !withElements) continue;
      const source = drawable(o.frame);
      if (!source) continue;
      out.push({ key, generation: o.generation, source, dest: o.at.dest, rects: o.rects, bottomUp: o.at.bottomUp });
      if (!o.drawn) {
        o.drawn = true;
        const now = this.now();
        this.delay.add(o.handedAt, now);
        this.logPresented(o.at.mm, now, o.handedAt);
      }
    }
    return out;
  }

  /**
   * How long a picture of this surface takes from present() to the screen (ms): the measured
   * estimate where it is overlaid (drawn at the next animation frame); ELEMENT_DELAY_MS for a stream
   * whose pictures the page's `<video>` element shows (a hop to the page and a write into its track,
   * which Chromium composites as it comes); 0 where it is written into the surface at once (what
   * shows it then is the surface's own presentation, not this one's).
   */
  presentationDelay(channelId: number, surfaceId: number, streamId?: number): number {
    if (!this.hooks.overlaid(channelId, surfaceId)) return 0;
    return streamId !== undefined && this.overlays.get(keyOf(channelId, streamId))?.onElement === true ? ELEMENT_DELAY_MS : this.delay.estimate;
  }

  /** The measured presentation delay of overlaid pictures (ms), for the page's status and tests. */
  get presentationDelayMs(): number {
    return this.delay.estimate;
  }

  /** The stream that presented last, with its frame rate; null when no stream plays (none live, or none presented for a second). */
  status(): VideoStatus | null {
    const now = this.now();
    while (this.presented.length > 0 && this.presented[0] <= now - 1000) this.presented.shift();
    if (!this.last || this.live.size === 0 || this.presented.length === 0) return null;
    return { ...this.last, fps: this.presented.length };
  }

  /**
   * Forgets every picture without writing it anywhere: a new session (its surfaces are new), or
   * the page presenting instead. Every VideoFrame is closed (a frame kept open holds one of its
   * decoder's few buffers, and the decoder stalls).
   */
  clear(): void {
    this.epoch++;
    this.delay.reset();
    for (const [key, o] of this.overlays) {
      if (o.onElement) this.element?.hide(key);
      o.frame.close();
    }
    this.overlays.clear();
    this.live.clear();
    this.pending = Promise.resolve();
  }

  /**
   * The page now shows another channel's (or surface's) screen: the elements of streams elsewhere
   * are hidden (their pictures stay, for the surface). A canvas overlay needs nothing: pictures()
   * gives only the shown surface's.
   */
  showOnly(channelId: number, surfaceId: number): void {
    for (const [key, o] of this.overlays) {
      if (o.onElement && (o.at.channelId !== channelId || o.at.surfaceId !== surfaceId)) this.element?.hide(key);
    }
  }

  /** Writes each overlaid picture into its surface (the worker stops presenting overlays). */
  async materialiseAll(): Promise<void> {
    await this.pending;
    for (const [key, o] of [...this.overlays]) await this.materialise(key, o);
  }

  /** The pictures that reached the screen since the last call, oldest first (and forgets them). */
  takePresentationLog(): PresentedPicture[] {
    const log = this.log;
    this.log = [];
    return log;
  }

  private logPresented(mm: number, now: number, handed: number): void {
    this.log.push({ mm, at: performance.timeOrigin + now, handed: performance.timeOrigin + handed });
    if (this.log.length > PRESENTATION_LOG_SIZE) this.log.shift();
  }

  private count(key: string, frame: DecodedFrame): void {
    this.framesPresented++;
    this.live.add(key);
    this.presented.push(this.now());
    this.last = pictureInfo(frame) ?? this.last;
  }

  /** The picture goes into the surface's pixels; the stream is not overlaid until its next picture. */
  private async materialise(key: string, o: Overlay): Promise<void> {
    if (this.overlays.get(key) === o) this.overlays.delete(key);
    if (o.onElement) this.element?.hide(key);
    const epoch = this.epoch;
    try {
      const pixels = await o.frame.pixels();
      if (epoch === this.epoch) {
        drawFrame(o.at.surface, pixels, o.at.dest, o.at.clip, o.at.bottomUp);
        this.materialised++;
      }
    } catch {
      // A picture that cannot be read back leaves the surface as it was; the server redraws the area.
    } finally {
      o.frame.close();
      if (epoch === this.epoch) this.hooks.damaged(o.at.channelId, o.at.surfaceId, o.at.dest);
    }
  }

  private drop(key: string, o: Overlay): void {
    this.overlays.delete(key);
    if (o.onElement) this.element?.hide(key);
    o.frame.close();
    this.hooks.damaged(o.at.channelId, o.at.surfaceId, o.at.dest);
  }
}
