// The element path's side in the decode worker: each stream's `<video>` on the page plays the track
// of a MediaStreamTrackGenerator, whose writable stream the page transfers here ('video-writable'),
// so the worker writes its pictures into the track itself. Chromium then takes them from this
// thread (its transfer moves the generator's sink to the worker): no message a picture through
// the page's thread, no write there. The page is told only what it has to do with its element:
// where to place it ('video-place', sent when the dest, clip or flip change or the element was
// hidden), when to hide it ('video-hide'), and, once a test asked for the presentation log, each
// picture's mm time by its timestamp ('video-handed'). Until a stream's writable has come, its
// newest picture waits here (one round trip, at its first picture); where the page could not
// transfer it (writable null), the stream's pictures go to the page as before ('video-picture').
import type { ElementHooks, ElementPicture } from './video-overlay.ts';
import type { Rect } from '../../protocol/pixels/geometry.ts';

/** Where a stream's element is placed: its dest, clip rectangles and flip, in surface pixels. */
export interface ElementPlacement {
  dest: Rect;
  rects: Rect[];
  bottomUp: boolean;
}

/** What the worker tells the page of its elements. */
export type ElementMessage =
  | ({ kind: 'video-place'; key: string } & ElementPlacement)
  | ({ kind: 'video-picture'; key: string; frame: VideoFrame } & ElementPicture)
  | { kind: 'video-hide'; key: string }
  | { kind: 'video-handed'; key: string; timestamp: number; mm: number; handed: number };

/** Frames written but not yet taken by the track, above which a new picture is dropped: the track shows the newest anyway. */
export const MAX_QUEUED = 2;

interface StreamWriter {
  /** The track's writer here; 'page' where the page keeps it (its pictures go there); null until the writable comes. */
  writer: WritableStreamDefaultWriter<VideoFrame> | 'page' | null;
  /** The newest picture waiting for the writable. */
  pending: VideoFrame | null;
  /** The placement last sent, as text. */
  placed: string;
  hidden: boolean;
}

const placementText = (p: ElementPlacement): string =>
  `${p.bottomUp ? 1 : 0} ${[p.dest, ...p.rects].map((r) => `${r.left},${r.top},${r.right},${r.bottom}`).join(' ')}`;

/** Ends the stream's track writer where the worker holds one (an ended track's close may reject: nothing to do then). */
function closeWriter(s: StreamWriter): void {
  if (s.writer !== null && s.writer !== 'page') void s.writer.close().catch(() => undefined);
}

export class VideoElementWriters implements ElementHooks {
  private readonly streams = new Map<string, StreamWriter>();
  /** Whether the page logs the pictures its elements show (a test asked): each picture's mm time goes to it. */
  watching = false;
  /** Pictures dropped because the track had not taken the ones before. */
  dropped = 0;

  constructor(private readonly post: (m: ElementMessage, transfer?: Transferable[]) => void) {}

  show(key: string, frame: VideoFrame, picture: ElementPicture): void {
    const s = this.stream(key);
    if (s.writer === 'page') {
      this.post({ kind: 'video-picture', key, frame, ...picture }, [frame]);
      return;
    }
    const placed = placementText(picture);
    if (placed !== s.placed || s.hidden) {
      s.placed = placed;
      s.hidden = false;
      this.post({ kind: 'video-place', key, dest: picture.dest, rects: picture.rects, bottomUp: picture.bottomUp });
    }
    if (this.watching) this.post({ kind: 'video-handed', key, timestamp: frame.timestamp, mm: picture.mm, handed: picture.handed });
    if (s.writer === null) {
      s.pending?.close();
      s.pending = frame;
      return;
    }
    this.write(s.writer, frame);
  }

  hide(key: string): void {
    const s = this.streams.get(key);
    if (s) s.hidden = true;
    this.post({ kind: 'video-hide', key });
  }

  /** The page's answer to a stream's first 'video-place': its track's writable, or null where it keeps it. */
  adopt(key: string, writable: WritableStream<VideoFrame> | null): void {
    const s = this.stream(key);
    closeWriter(s);
    s.writer = writable ? writable.getWriter() : 'page';
    const frame = s.pending;
    s.pending = null;
    if (!frame) return;
    if (s.writer === 'page') frame.close();
    else this.write(s.writer, frame);
  }

  /** A new session: the page removes its elements; the writers and waiting pictures go. */
  clear(): void {
    for (const s of this.streams.values()) {
      s.pending?.close();
      closeWriter(s);
    }
    this.streams.clear();
  }

  private stream(key: string): StreamWriter {
    let s = this.streams.get(key);
    if (!s) this.streams.set(key, (s = { writer: null, pending: null, placed: '', hidden: false }));
    return s;
  }

  private write(writer: WritableStreamDefaultWriter<VideoFrame>, frame: VideoFrame): void {
    if (writer.desiredSize !== null && writer.desiredSize <= -MAX_QUEUED) {
      this.dropped++;
      frame.close();
      return;
    }
    // The track's sink closes the frame once it has it; a write into an ended track closes it here.
    writer.write(frame).catch(() => frame.close());
  }
}
