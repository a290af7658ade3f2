// Video streams in the display pipeline: each stream's place on its surface, its clip and row order,
// and its frames decoded and drawn there (MJPEG, through the pipeline's image decoder, which decodes
// JPEG wherever it runs). Which streams exist at all, and the reports, are the channel's
// (channels/display/display-streams.ts); this side refuses what cannot be drawn: a stream outside
// its surface, a codec it cannot decode.
import type { Canvas } from '../canvas/canvas.ts';
import { paintRects, type Surface } from '../canvas/surface.ts';
import { MjpegTables } from '../codecs/mjpeg.ts';
import { StreamFlags, VideoCodec, type DisplayMessage, type StreamCreate } from '../channels/display/display-messages.ts';
import type { Clip, Rect } from '../pixels/geometry.ts';
import type { Pixels } from '../pixels/pixels.ts';
import { SpiceError } from '../wire/errors.ts';
import type { ImageDecoder } from './image-decode-job.ts';

type StreamMessage = Extract<DisplayMessage, { type: `stream-${string}` }>;

interface VideoStream {
  create: StreamCreate;
  clip: Clip;
  tables: MjpegTables;
}

const describe = (r: Rect): string => `(${r.left},${r.top})-(${r.right},${r.bottom})`;

export class VideoStreams {
  private readonly streams = new Map<number, VideoStream>();

  /** Forgets every stream (the surfaces were reset). */
  clear(): void {
    this.streams.clear();
  }

  /**
   * Applies one stream message; returns the rectangle of `surfaceId` it changed, or null. Throws
   * SpiceError (the pipeline logs it and goes on) for a stream or frame it cannot draw; a stream it
   * refuses is forgotten, so its frames are refused too.
   */
  async apply(msg: StreamMessage, canvas: Canvas, decoder: ImageDecoder | null): Promise<{ surfaceId: number; rect: Rect } | null> {
    switch (msg.type) {
      case 'stream-create': {
        const c = msg.stream;
        this.streams.delete(c.id);
        const surface = canvas.surface(c.surfaceId);
        if (!surface) throw new SpiceError('protocol', `video stream ${c.id} is on surface ${c.surfaceId}, which does not exist; the stream is dropped`);
        const d = c.dest;
        if (d.left < 0 || d.top < 0 || d.right > surface.width || d.bottom > surface.height || d.right <= d.left || d.bottom <= d.top) {
          throw new SpiceError('protocol', `video stream ${c.id} at ${describe(d)} does not fit its ${surface.width}x${surface.height} surface ${c.surfaceId}; the stream is dropped`);
        }
        if (c.srcWidth * c.srcHeight > surface.width * surface.height) {
          throw new SpiceError('protocol', `video stream ${c.id}'s frames of ${c.srcWidth}x${c.srcHeight} are larger than its ${surface.width}x${surface.height} surface ${c.surfaceId}; the stream is dropped`);
        }
        if (c.codecType !== VideoCodec.MJPEG || !decoder) {
          throw new SpiceError('protocol', `video stream ${c.id}: codec ${c.codecType} is not decoded here (MJPEG only, with a JPEG decoder); the stream is dropped`);
        }
        this.streams.set(c.id, { create: c, clip: c.clip, tables: new MjpegTables() });
        return null;
      }
      case 'stream-clip': {
        const s = this.streams.get(msg.id);
        if (s) s.clip = msg.clip;
        return null;
      }
      case 'stream-destroy':
        this.streams.delete(msg.id);
        return null;
      case 'stream-destroy-all':
        this.streams.clear();
        return null;
      case 'stream-activate-report':
        return null;
      case 'stream-data':
      case 'stream-data-sized': {
        const s = this.streams.get(msg.id);
        if (!s) throw new SpiceError('protocol', `a frame for video stream ${msg.id}, which does not exist here; ignoring it`);
        const c = s.create;
        const sized = msg.type === 'stream-data-sized';
        const width = sized ? msg.width : c.srcWidth;
        const height = sized ? msg.height : c.srcHeight;
        const dest = sized ? msg.dest : c.dest;
        const surface = canvas.surface(c.surfaceId);
        if (!surface || !decoder) throw new SpiceError('protocol', `video stream ${msg.id}: its surface ${c.surfaceId} is gone; ignoring the frame`);
        if (dest.left < 0 || dest.top < 0 || dest.right > surface.width || dest.bottom > surface.height || dest.right <= dest.left || dest.bottom <= dest.top) {
          throw new SpiceError('protocol', `video stream ${msg.id}: a frame at ${describe(dest)} does not fit its ${surface.width}x${surface.height} surface; ignoring the frame`);
        }
        // Decoding allocates for the frame's size: never more pixels than the surface it is drawn on.
        if (width * height > surface.width * surface.height) {
          throw new SpiceError('protocol', `video stream ${msg.id}: a frame of ${width}x${height} is larger than its ${surface.width}x${surface.height} surface; ignoring the frame`);
        }
        const jpeg = s.tables.complete(msg.data);
        // A decoder in another thread takes the bytes' buffer: never the message's own (other
        // messages may share it), as decodeJobOf does for images.
        const data = decoder.transfersJobs && jpeg === msg.data ? jpeg.slice() : jpeg;
        const frame = await decoder.decode({ kind: 'jpeg', width, height, data });
        // The stream may have been destroyed while its frame decoded in another thread: nothing is drawn then.
        if (this.streams.get(msg.id) !== s) return null;
        drawFrame(surface, frame, dest, s.clip, (c.flags & StreamFlags.TOP_DOWN) === 0);
        return { surfaceId: c.surfaceId, rect: dest };
      }
    }
  }
}

/**
 * Draws a decoded frame scaled (nearest pixel) into `dest`, inside the clip; `bottomUp` frames
 * have their first row at the bottom.
 */
export function drawFrame(surface: Surface, frame: Pixels, dest: Rect, clip: Clip, bottomUp: boolean): void {
  const dw = dest.right - dest.left;
  const dh = dest.bottom - dest.top;
  const fw = frame.width;
  const fh = frame.height;
  for (const r of paintRects(surface, dest, clip)) {
    const columns = new Int32Array(r.right - r.left);
    for (let x = r.left; x < r.right; x++) columns[x - r.left] = Math.floor(((x - dest.left) * fw) / dw);
    for (let y = r.top; y < r.bottom; y++) {
      const row = Math.floor(((y - dest.top) * fh) / dh);
      const from = (bottomUp ? fh - 1 - row : row) * fw;
      let to = y * surface.width + r.left;
      for (let i = 0; i < columns.length; i++) surface.data[to++] = (frame.data[from + columns[i]] | 0xff000000) >>> 0;
    }
  }
}
