// MJPEG stream frames: each one a JPEG, except that spice-server's built-in encoder (spice:mjpeg)
// writes the Huffman tables (DHT segments) into the first frame of a stream only; later frames are
// "abbreviated" and rely on the decoder remembering them. Decoders that take one image at a time
// (jpeg-js) need them back: this keeps a stream's last tables and puts them into frames that lack them.

const SOI = 0xd8;
const DHT = 0xc4;
const SOS = 0xda;

interface FrameLayout {
  /** Where SOS starts: tables go before it. */
  sosAt: number;
  dhtSegments: Uint8Array[];
}

/** The marker segments before SOS; null when the bytes are not laid out as a JPEG (the decoder reports those). */
function layoutOf(frame: Uint8Array): FrameLayout | null {
  if (frame.length < 4 || frame[0] !== 0xff || frame[1] !== SOI) return null;
  const dhtSegments: Uint8Array[] = [];
  let at = 2;
  while (at + 4 <= frame.length) {
    if (frame[at] !== 0xff) return null;
    const marker = frame[at + 1];
    // Fill bytes before a marker.
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker === SOS) return { sosAt: at, dhtSegments };
    const length = (frame[at + 2] << 8) | frame[at + 3];
    if (length < 2 || at + 2 + length > frame.length) return null;
    if (marker === DHT) dhtSegments.push(frame.subarray(at, at + 2 + length));
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
