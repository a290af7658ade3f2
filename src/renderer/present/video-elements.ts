// The element path of stream pictures (the default where the worker presents and the browser has
// a track generator; #videopath=canvas turns it off; measured in bench/README.md, video): instead of drawing a stream's picture into the canvas, the decode worker
// transfers it here, and the page writes it into a MediaStreamTrackGenerator whose track plays in
// a `<video>` placed over the canvas at the stream's dest and cut to its clip (CSS). Chromium then
// composites the picture as video (its video layer) rather than as canvas contents. The worker
// keeps the picture for the materialisation rule: when a draw needs the area it writes the picture
// into the surface and says 'video-hide', and the element is hidden until the stream's next picture.
// Only VideoFrames take this path (VP8, VP9, H.264, and MJPEG, which the worker then decodes with
// ImageDecoder): an MJPEG ImageBitmap made into a VideoFrame cost more than drawing it (bench/README.md, video).
// Chromium offers MediaStreamTrackGenerator on the page only (not in a worker, and no
// VideoTrackGenerator), so the page makes the generator and transfers its writable stream to the
// worker, which writes the pictures itself (video-element-writers.ts): the page's thread only
// places, shows and hides the element. Where the transfer fails, the page keeps the writer and
// the worker sends it each picture ('video-picture').
import type { ElementPlacement } from './video-element-writers.ts';
import { MAX_QUEUED } from './video-element-writers.ts';
import type { ElementPicture, PresentedPicture } from './video-overlay.ts';

interface ElementStream {
  video: HTMLVideoElement;
  generator: MediaStreamTrack;
  /** The track's writer where the page writes the pictures; null once its writable went to the worker. */
  writer: WritableStreamDefaultWriter<VideoFrame> | null;
  /** The placement last applied (its CSS), to touch the style only when it changes. */
  placed: string;
  picture: ElementPlacement | null;
  /** The frame's timestamp (µs) → its mm time and when the worker handed it over (epoch ms), until the element shows it. */
  handed: Map<number, { mm: number; handed: number }>;
  /** Logs the pictures the element shows (requestVideoFrameCallback), once the log is asked for. */
  watch: () => void;
  watching: boolean;
}

/** Chromium's MediaStreamTrackGenerator (breakout box), which TypeScript's DOM types lack. */
type TrackGenerator = new (init: { kind: 'video' }) => MediaStreamTrack & { readonly writable: WritableStream<VideoFrame> };
const trackGenerator = (): TrackGenerator | undefined => (globalThis as { MediaStreamTrackGenerator?: TrackGenerator }).MediaStreamTrackGenerator;

/** Whether this browser can show pictures through a track generator. */
export function videoElementsSupported(): boolean {
  return typeof trackGenerator() === 'function' && typeof VideoFrame === 'function';
}

export class VideoElements {
  private readonly streams = new Map<string, ElementStream>();
  private log: PresentedPicture[] = [];
  /** Pictures the page dropped because its track had not taken the previous ones yet. */
  dropped = 0;
  /** The canvas's place in its offset parent and its CSS width, read again only after a resize, a new surface or a new crop (reading them lays the page out). */
  private box: { left: number; top: number; width: number } | null = null;
  private logging = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    /** The presented surface's size: the canvas's CSS box shows it scaled. */
    private readonly surface: () => { width: number; height: number },
    /**
     * Hands a new stream's track writable to the worker (transferred: throws where it cannot be),
     * or says the page keeps it (null).
     */
    private readonly handOver: (key: string, writable: WritableStream<VideoFrame> | null) => void = (_key, writable) => {
      if (writable) throw new Error('no worker to write the pictures');
    },
  ) {
    window.addEventListener('resize', () => this.placeAll());
  }

  /** The worker writes the stream's pictures: the element goes (or stays) over the canvas at this placement. */
  placeStream(key: string, placement: ElementPlacement): void {
    const s = this.streams.get(key) ?? this.create(key, true);
    s.picture = placement;
    this.place(s);
    if (s.video.style.visibility !== '') s.video.style.visibility = '';
  }

  /** The worker's picture with its mm time and hand-over time, for the presentation log (only sent once the log is asked for). */
  handed(key: string, timestamp: number, mm: number, handed: number): void {
    const s = this.streams.get(key);
    if (s?.watching) s.handed.set(timestamp, { mm, handed });
  }

  /** A picture the page writes itself (where the writable could not go to the worker). */
  show(key: string, frame: VideoFrame, picture: ElementPicture): void {
    const s = this.streams.get(key) ?? this.create(key, false);
    s.picture = picture;
    this.place(s);
    if (s.video.style.visibility !== '') s.video.style.visibility = '';
    if (!s.writer || (s.writer.desiredSize !== null && s.writer.desiredSize <= -MAX_QUEUED)) {
      this.dropped++;
      frame.close();
      return;
    }
    if (s.watching) s.handed.set(frame.timestamp, { mm: picture.mm, handed: picture.handed });
    // The track's sink closes the frame once it has it.
    s.writer.write(frame).catch(() => frame.close());
  }

  hide(key: string): void {
    const s = this.streams.get(key);
    if (s) s.video.style.visibility = 'hidden';
  }

  /** A new surface or session: every element goes. */
  clear(): void {
    for (const s of this.streams.values()) {
      if (s.writer) void s.writer.close().catch(() => undefined);
      // A writable in the worker: its writes fail from now on (and close their frames).
      else s.generator.stop();
      s.video.srcObject = null;
      s.video.remove();
    }
    this.streams.clear();
  }

  /**
   * The pictures the elements showed since the last call (mm time, when Chromium took them for
   * composition). The first call starts the log: watching each picture (requestVideoFrameCallback)
   * makes the page's main thread run a rendering step per picture, which a page that only shows
   * the video does not need.
   */
  takePresentationLog(): PresentedPicture[] {
    this.logging = true;
    for (const s of this.streams.values()) s.watch();
    const log = this.log;
    this.log = [];
    return log;
  }

  placeAll(): void {
    this.box = null;
    for (const s of this.streams.values()) this.place(s);
  }

  private create(key: string, transfer: boolean): ElementStream {
    const Generator = trackGenerator();
    if (!Generator) throw new Error('this browser has no MediaStreamTrackGenerator');
    const generator = new Generator({ kind: 'video' });
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    video.disablePictureInPicture = true;
    video.dataset.stream = key;
    // Absolute in the canvas's offset parent: where a head's crop clips the canvas (heads.ts), it clips the element too.
    Object.assign(video.style, { position: 'absolute', pointerEvents: 'none', objectFit: 'fill', margin: '0', padding: '0', border: '0' });
    video.srcObject = new MediaStream([generator]);
    // Before the cursor image in the document, so the cursor stays on top.
    this.canvas.after(video);
    let writer: WritableStreamDefaultWriter<VideoFrame> | null = null;
    if (transfer) {
      try {
        this.handOver(key, generator.writable);
      } catch {
        writer = generator.writable.getWriter();
        this.handOver(key, null);
      }
    } else {
      writer = generator.writable.getWriter();
    }
    const s: ElementStream = { video, generator, writer, placed: '', picture: null, handed: new Map(), watching: false, watch: () => undefined };
    const onFrame = (_now: number, meta: VideoFrameCallbackMetadata): void => {
      // The track keeps the decoder's timestamp (µs), which is the element's mediaTime (s).
      let timestamp = Math.round(meta.mediaTime * 1e6);
      let shown = s.handed.get(timestamp);
      if (shown === undefined) {
        // A frame whose track timestamp is not the worker's (ImageDecoder's MJPEG frames: re-stamped
        // VideoFrames keep their media timestamp, 0, in the track): the newest handed over before
        // Chromium presented it (pictures come 40 ms apart; the hand-over takes about 1 ms).
        const at = performance.timeOrigin + meta.presentationTime;
        for (const [k, h] of s.handed) {
          if (h.handed > at) break;
          timestamp = k;
          shown = h;
        }
      }
      for (const k of s.handed.keys()) {
        if (k === timestamp) break;
        s.handed.delete(k);
      }
      s.handed.delete(timestamp);
      if (shown !== undefined) {
        this.log.push({ mm: shown.mm, at: performance.timeOrigin + meta.presentationTime, handed: shown.handed });
        if (this.log.length > 4096) this.log.shift();
      }
      if (this.streams.get(key) === s) video.requestVideoFrameCallback(onFrame);
    };
    s.watch = () => {
      if (s.watching) return;
      s.watching = true;
      video.requestVideoFrameCallback(onFrame);
    };
    if (this.logging) s.watch();
    this.streams.set(key, s);
    return s;
  }

  /** Puts the element over the canvas at the picture's dest (scaled as the canvas is), cut to its rects, flipped when bottom-up. */
  private place(s: ElementStream): void {
    const p = s.picture;
    const { width } = this.surface();
    if (!p || width === 0) return;
    const box = (this.box ??= { left: this.canvas.offsetLeft, top: this.canvas.offsetTop, width: this.canvas.getBoundingClientRect().width });
    const style = elementStyle(p, box, box.width / width);
    const placed = Object.values(style).join(',');
    if (placed === s.placed) return;
    s.placed = placed;
    Object.assign(s.video.style, style);
  }
}

/** What an element's CSS says of its place, all strings. */
export interface ElementStyle {
  left: string;
  top: string;
  width: string;
  height: string;
  clipPath: string;
  transform: string;
}

/**
 * The CSS that puts a stream's element over the canvas: at its dest scaled as the canvas shows
 * the surface (`scale` CSS pixels a surface pixel; `box` the canvas's place in the parent both
 * share), cut to its rects (a clip-path in the element's own box, which the flip of a bottom-up
 * stream turns with it), nothing shown when no rect is left.
 */
export function elementStyle(p: ElementPlacement, box: { left: number; top: number }, scale: number): ElementStyle {
  const { dest } = p;
  const whole = p.rects.length === 1 && p.rects[0].left === dest.left && p.rects[0].top === dest.top && p.rects[0].right === dest.right && p.rects[0].bottom === dest.bottom;
  const clipPath = whole
    ? 'none'
    : p.rects.length === 0
      ? 'polygon(0 0, 0 0, 0 0)'
      : `path('${p.rects
          .map((r) => {
            const x = (r.left - dest.left) * scale;
            // Before the flip: a rect near the dest's bottom is near the element's top.
            const y = p.bottomUp ? (dest.bottom - r.bottom) * scale : (r.top - dest.top) * scale;
            const w = (r.right - r.left) * scale;
            return `M${x} ${y}h${w}v${(r.bottom - r.top) * scale}h${-w}Z`;
          })
          .join('')}')`;
  return {
    left: `${box.left + dest.left * scale}px`,
    top: `${box.top + dest.top * scale}px`,
    width: `${(dest.right - dest.left) * scale}px`,
    height: `${(dest.bottom - dest.top) * scale}px`,
    clipPath,
    transform: p.bottomUp ? 'scaleY(-1)' : 'none',
  };
}
