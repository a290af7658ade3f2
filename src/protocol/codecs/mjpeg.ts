// MJPEG stream frames: each one a JPEG, except that spice-server's built-in encoder (spice:mjpeg)
// writes the Huffman tables (DHT segments) into the first frame of a stream only; later frames are
// "abbreviated" and rely on the decoder remembering them. Decoders that take one image at a time
// (jpeg-js) need them back: this keeps a stream's last tables and puts them into frames that lack them.

import type { Pixels } from '../pixels/pixels.ts';

const SOI = 0xd8;
const DHT = 0xc4;
const SOS = 0xda;
const COM = 0xfe;

interface FrameLayout {
  /** Where SOS starts: tables go before it. */
  sosAt: number;
  dhtSegments: Uint8Array[];
  /** A COM segment says "CS=ITU601" (below). */
  studioRange: boolean;
}

/** "CS=ITU601": FFmpeg's MJPEG encoder writes this comment when its YCbCr is in studio range. */
const STUDIO_RANGE_COMMENT = [0x43, 0x53, 0x3d, 0x49, 0x54, 0x55, 0x36, 0x30, 0x31];

const startsWith = (segment: Uint8Array, prefix: readonly number[]): boolean => segment.length >= prefix.length && prefix.every((b, i) => segment[i] === b);

/** The marker segments before SOS; null when the bytes are not laid out as a JPEG (the decoder reports those). */
function layoutOf(frame: Uint8Array): FrameLayout | null {
  if (frame.length < 4 || frame[0] !== 0xff || frame[1] !== SOI) return null;
  const dhtSegments: Uint8Array[] = [];
  let studioRange = false;
  let at = 2;
  while (at + 4 <= frame.length) {
    if (frame[at] !== 0xff) return null;
    const marker = frame[at + 1];
    // Fill bytes before a marker.
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker === SOS) return { sosAt: at, dhtSegments, studioRange };
    const length = (frame[at + 2] << 8) | frame[at + 3];
    if (length < 2 || at + 2 + length > frame.length) return null;
    if (marker === DHT) dhtSegments.push(frame.subarray(at, at + 2 + length));
    if (marker === COM && startsWith(frame.subarray(at + 4, at + 2 + length), STUDIO_RANGE_COMMENT)) studioRange = true;
    at += 2 + length;
  }
  return null;
}

/** One stream's Huffman tables, carried from the frames that have them to the frames that do not. */
export class MjpegTables {
  private tables: Uint8Array | null = null;

  /** The frame as a complete JPEG: itself when it has its tables (kept for later), else with the kept ones. */
  complete(frame: Uint8Array): Uint8Array {
    const layout = layoutOf(frame);
    if (!layout) return frame;
    if (layout.dhtSegments.length > 0) {
      const size = layout.dhtSegments.reduce((n, s) => n + s.length, 0);
      const tables = new Uint8Array(size);
      let at = 0;
      for (const s of layout.dhtSegments) {
        tables.set(s, at);
        at += s.length;
      }
      this.tables = tables;
      return frame;
    }
    if (!this.tables) return frame;
    const whole = new Uint8Array(frame.length + this.tables.length);
    whole.set(frame.subarray(0, layout.sosAt), 0);
    whole.set(this.tables, layout.sosAt);
    whole.set(frame.subarray(layout.sosAt), layout.sosAt + this.tables.length);
    return whole;
  }
}

/**
 * Whether a JPEG's YCbCr is in studio range (Y 16-235) instead of JFIF's full range. GStreamer's
 * avenc_mjpeg (spice-server's gstreamer:mjpeg) encodes videoconvert's limited-range I420 as it is
 * and marks it only with a "CS=ITU601" comment, which JPEG decoders ignore: decoded as JFIF, black
 * comes out as 16 and white as 235.
 */
export function isStudioRangeJpeg(frame: Uint8Array): boolean {
  return layoutOf(frame)?.studioRange ?? false;
}

/** 16-235 stretched to 0-255, per channel. */
const STRETCH = Uint8Array.from({ length: 256 }, (_, v) => Math.max(0, Math.min(255, Math.round(((v - 16) * 255) / 219))));

/**
 * Stretches a studio-range JPEG's decoded RGB to full range, in place. Done on RGB rather than on
 * YCbCr, so chroma comes out 2% stronger than an exact conversion (1.632 instead of 1.596 for V in R).
 */
export function stretchStudioRange(pixels: Pixels): void {
  const d = pixels.data;
  for (let i = 0; i < d.length; i++) {
    const p = d[i];
    d[i] = (p & 0xff000000) | (STRETCH[(p >>> 16) & 255] << 16) | (STRETCH[(p >>> 8) & 255] << 8) | STRETCH[p & 255];
  }
}
