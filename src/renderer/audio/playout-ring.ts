// The playout's messages from the decode worker in shared memory: one writer (the worker's
// playout link, playout-link.ts), one reader (the worklet, which empties the ring at the start of
// every render quantum). A message through a MessagePort into the worklet cost the worker about
// half of its sound work (page-profile --audio opus: postMessage led its samples at 50 posts a
// second) and the worklet a task between its render calls; a record here costs a copy and two
// atomic stores. Only where the page is cross-origin isolated (the gateway and the window send
// COOP and COEP), which SharedArrayBuffer needs; elsewhere the port carries the messages.
//
// Layout: two Int32 counters (bytes written, bytes read, both wrapping at 2^32 through >>> 0),
// then the ring's bytes. A record is a u32 length (header and padding included, a multiple of 8)
// and a u32 type, then its fields; one that would cross the ring's end is preceded by a pad
// record to the end. The reader trusts the writer (the same page's code) as the worklet trusts
// the page's port; it still checks each length against what was written, so a bad record stops
// the reading instead of running past the ring.
import type { ToPlayout } from './worklet-messages.ts';

/** The ring's bytes: about 2.7 s of RAW stereo at 48 kHz (the most a link holds while waiting is 2 s). */
export const RING_BYTES = 1 << 20;
const COUNTERS_BYTES = 8;
const HEADER = 8;

const RecordType = { PAD: 0, START: 1, DATA: 2, OPUS_STREAM: 3, OPUS: 4, STOP: 5, MIN_LATENCY: 6, GAIN: 7 } as const;

/** The shared memory of a new ring (the page makes it with the worklet and hands it to both ends). */
export function newPlayoutRing(): SharedArrayBuffer {
  return new SharedArrayBuffer(COUNTERS_BYTES + RING_BYTES);
}

/** Whether this context can share memory with the worklet (cross-origin isolated). */
export function canSharePlayoutRing(g: { crossOriginIsolated?: boolean } = globalThis): boolean {
  return g.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
}

const align8 = (n: number): number => (n + 7) & ~7;

class RingView {
  protected readonly counters: Int32Array;
  protected readonly bytes: Uint8Array;
  protected readonly view: DataView;
  protected readonly size: number;

  constructor(shared: SharedArrayBuffer) {
    if (shared.byteLength <= COUNTERS_BYTES || ((shared.byteLength - COUNTERS_BYTES) & (shared.byteLength - COUNTERS_BYTES - 1)) !== 0) {
      throw new Error(`a playout ring of ${shared.byteLength} bytes (8 bytes of counters and a power of two)`);
    }
    this.counters = new Int32Array(shared, 0, 2);
    this.bytes = new Uint8Array(shared, COUNTERS_BYTES);
    this.view = new DataView(shared, COUNTERS_BYTES);
    this.size = this.bytes.byteLength;
  }

  protected get written(): number {
    return Atomics.load(this.counters, 0) >>> 0;
  }

  protected get read(): number {
    return Atomics.load(this.counters, 1) >>> 0;
  }
}

/** The worker's end: writes a message as one record, or says it has no room. */
export class PlayoutRingWriter extends RingView {
  /** Writes `m` (not 'tap' or 'port', which go by the port); false when the ring has no room for it now. */
  write(m: ToPlayout): boolean {
    const fields = fieldBytes(m);
    if (fields < 0) throw new Error(`the playout ring does not carry '${m.type}' messages`);
    const length = align8(HEADER + fields);
    if (length > this.size / 2) throw new Error(`a playout message of ${length} bytes (the ring holds ${this.size})`);
    const written = this.written;
    const free = this.size - ((written - this.read) >>> 0);
    let at = written % this.size;
    const pad = at + length > this.size ? this.size - at : 0;
    if (pad + length > free) return false;
    if (pad > 0) {
      this.view.setUint32(at, pad, true);
      this.view.setUint32(at + 4, RecordType.PAD, true);
      at = 0;
    }
    this.encode(m, at, length);
    Atomics.store(this.counters, 0, (written + pad + length) | 0);
    return true;
  }

  private encode(m: ToPlayout, at: number, length: number): void {
    const v = this.view;
    v.setUint32(at, length, true);
    const f = at + HEADER;
    switch (m.type) {
      case 'start':
      case 'min-latency':
      case 'gain': {
        // One number each: START's rate, LATENCY's ms, the gain.
        const [type, value] = m.type === 'start' ? [RecordType.START, m.rate] : m.type === 'min-latency' ? [RecordType.MIN_LATENCY, m.ms] : [RecordType.GAIN, m.gain];
        v.setUint32(at + 4, type, true);
        v.setFloat64(f, value, true);
        return;
      }
      case 'data':
        v.setUint32(at + 4, RecordType.DATA, true);
        v.setFloat64(f, m.time, true);
        v.setUint32(f + 8, m.frames.length, true);
        // f + 16 is a multiple of 8 in the ring: the samples are aligned for a Float32Array.
        new Float32Array(this.bytes.buffer, this.bytes.byteOffset + f + 16, m.frames.length).set(m.frames);
        return;
      case 'opus-stream':
        v.setUint32(at + 4, RecordType.OPUS_STREAM, true);
        v.setUint32(f, m.channels, true);
        v.setUint32(f + 4, m.rate, true);
        return;
      case 'opus': {
        v.setUint32(at + 4, RecordType.OPUS, true);
        const n = m.lengths.length;
        v.setUint32(f, n, true);
        for (let i = 0; i < n; i++) {
          v.setFloat64(f + 8 + 16 * i, m.times[i], true);
          v.setUint32(f + 16 + 16 * i, m.lengths[i], true);
        }
        this.bytes.set(m.bytes, f + 8 + 16 * n);
        return;
      }
      case 'stop':
        v.setUint32(at + 4, RecordType.STOP, true);
        return;
      default:
        throw new Error(`the playout ring does not carry '${m.type}' messages`);
    }
  }
}

/** The bytes of a message's fields in the ring, or -1 for a message it does not carry. */
function fieldBytes(m: ToPlayout): number {
  switch (m.type) {
    case 'start':
    case 'min-latency':
    case 'gain':
    case 'opus-stream':
      return 8;
    case 'stop':
      return 0;
    case 'data':
      return 16 + 4 * m.frames.length;
    case 'opus':
      return 8 + 16 * m.lengths.length + m.bytes.byteLength;
    default:
      return -1;
  }
}

/** The worklet's end: hands every record written since the last call on as the message it was. */
export class PlayoutRingReader extends RingView {
  /** Records read (tests). */
  records = 0;

  /**
   * Reads everything written so far. A record that cannot be right (a length past what was
   * written, an unknown type) empties the ring, since nothing after it can be trusted, and throws.
   */
  drain(handle: (m: ToPlayout) => void): void {
    const written = this.written;
    let read = this.read;
    while (read !== written) {
      const at = read % this.size;
      const length = this.view.getUint32(at, true);
      const available = (written - read) >>> 0;
      let m: ToPlayout | null;
      try {
        if (length < HEADER || length % 8 !== 0 || length > available || at + length > this.size) throw new Error(`a playout ring record of ${length} bytes at ${at} (${available} written)`);
        m = this.decode(at, length);
      } catch (e) {
        Atomics.store(this.counters, 1, written | 0);
        throw e;
      }
      read = (read + length) >>> 0;
      Atomics.store(this.counters, 1, read | 0);
      if (m) {
        this.records++;
        handle(m);
      }
    }
  }

  private decode(at: number, length: number): ToPlayout | null {
    const v = this.view;
    const f = at + HEADER;
    const end = at + length;
    const within = (to: number): void => {
      if (to > end) throw new Error(`a playout ring record of ${length} bytes with fields to ${to - at}`);
    };
    switch (v.getUint32(at + 4, true)) {
      case RecordType.PAD:
        return null;
      case RecordType.START:
        return { type: 'start', rate: v.getFloat64(f, true) };
      case RecordType.DATA: {
        const count = v.getUint32(f + 8, true);
        within(f + 16 + 4 * count);
        // A copy: the playout keeps the frames past this quantum, and the writer reuses the bytes.
        const frames = new Float32Array(count);
        frames.set(new Float32Array(this.bytes.buffer, this.bytes.byteOffset + f + 16, count));
        return { type: 'data', frames, time: v.getFloat64(f, true) };
      }
      case RecordType.OPUS_STREAM:
        return { type: 'opus-stream', channels: v.getUint32(f, true), rate: v.getUint32(f + 4, true) };
      case RecordType.OPUS: {
        const n = v.getUint32(f, true);
        within(f + 8 + 16 * n);
        const times: number[] = [];
        const lengths: number[] = [];
        let total = 0;
        for (let i = 0; i < n; i++) {
          times.push(v.getFloat64(f + 8 + 16 * i, true));
          lengths.push(v.getUint32(f + 16 + 16 * i, true));
          total += lengths[i];
        }
        const start = f + 8 + 16 * n;
        within(start + total);
        return { type: 'opus', bytes: this.bytes.slice(start, start + total), lengths, times };
      }
      case RecordType.STOP:
        return { type: 'stop' };
      case RecordType.MIN_LATENCY:
        return { type: 'min-latency', ms: v.getFloat64(f, true) };
      case RecordType.GAIN:
        return { type: 'gain', gain: v.getFloat64(f, true) };
      default:
        throw new Error(`a playout ring record of type ${v.getUint32(at + 4, true)}`);
    }
  }
}
