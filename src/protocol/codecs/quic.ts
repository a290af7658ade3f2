// QUIC images (SPICE image type QUIC) to 0xAARRGGBB pixels. QUIC is spice-common's lossless
// codec derived from SFALIC: each channel value is predicted from its left and upper neighbours,
// the residual is coded with a Golomb-Rice code whose parameter an adaptive per-context model
// picks, and runs of repeated pixels are coded with MELCODE. The algorithm and constants follow
// spice-common common/quic.c, quic_tmpl.c and quic_family_tmpl.c, so that every stream decodes to
// the pixels spice-gtk shows:
// - RGB32 and RGB24 give a zero top byte; RGBA keeps its alpha (hasAlpha).
// - RGB16 (5 bits per channel) is widened by bit replication, (v << 3) | (v >> 2), as spice-common
//   does when it decodes RGB16 into a 32-bit surface.
// - GRAY, which spice-common's canvas refuses and no server sends, gives grey pixels (v, v, v).
// A corrupt or truncated stream throws a ProtocolError; decoding stops at the first word past the
// data and every loop is bounded by the image size.
import { MAX_IMAGE_DIMENSION } from '../channels/display/display-images.ts';
import type { Pixels } from '../channels/display/draw-types.ts';
import { ProtocolError, SpiceError } from '../wire/errors.ts';
import {
  FAMILY_5BPC,
  FAMILY_8BPC,
  LAST_WAIT_MASK_INDEX,
  MELCODE_J,
  MELCODE_LAST_STATE,
  TABRAND_CHAOS,
  WAIT_MASK_STEP,
  waitMaskTrigger,
  type QuicFamily,
} from './quic-tables.ts';

export const QuicImageType = { GRAY: 1, RGB16: 2, RGB24: 3, RGB32: 4, RGBA: 5 } as const;

/** Largest image decoded (width × height): 256 MiB of pixels. */
export const QUIC_MAX_PIXELS = 1 << 26;

const QUIC_MAGIC = 0x43495551; // "QUIC" as a little-endian u32
const QUIC_VERSION = 0;
const HEADER_BYTES = 20;

/** The adaptation state one or more channels share (spice-common's CommonState). */
class AdaptState {
  /** Pixels left before the next model update. */
  waitCount = 0;
  randomIndex = 0xff;
  waitMaskIndex = 0;
  /** Pixels left to code with the current wait mask. */
  waitMaskLeft = WAIT_MASK_STEP;
  trigger = waitMaskTrigger(0);
  melState = 0;
  melLength = MELCODE_J[0];
  melOrder = 1 << MELCODE_J[0];

  nextRandom(): number {
    this.randomIndex = (this.randomIndex + 1) & 0xff;
    return TABRAND_CHAOS[this.randomIndex];
  }
}

/** One colour channel: its model and its rows. */
class ChannelState {
  /** Best Rice parameter per bucket. */
  readonly bestCode: Uint8Array;
  /** Code length sums, 8 per bucket. */
  readonly counters: Uint32Array;
  /**
   * Folded residuals of the row: residual[x + 1] is pixel x's; residual[0] stands for the pixel
   * left of the first one, which is the first pixel's of the row above (0 on the first row).
   * Pixels inside a run keep what an earlier row left there, as in spice-common.
   */
  readonly residual: Uint8Array;
  current: Uint8Array;
  previous: Uint8Array;

  constructor(family: QuicFamily, width: number) {
    this.bestCode = new Uint8Array(family.bucketCount).fill(family.bitsPerChannel - 1);
    this.counters = new Uint32Array(family.bucketCount * 8);
    this.residual = new Uint8Array(width + 1);
    this.current = new Uint8Array(width);
    this.previous = new Uint8Array(width);
  }

  nextRow(): void {
    const row = this.previous;
    this.previous = this.current;
    this.current = row;
    this.residual[0] = this.residual[1];
  }
}

/**
 * Reads the code word at bit `at` with Rice parameter `parameter`: a Rice code (zeros, a one,
 * `parameter` low bits) when one of the first bits is set, else an escape code of fixed length.
 * `codes` is the family's codeTable. Returns the value (cut to a byte, as spice-common stores it)
 * << 5 | the code word's length.
 */
function readCode(words: Uint32Array, at: number, codes: Uint32Array, parameter: number): number {
  const k = at >>> 5;
  const shift = at & 31;
  // (x >>> 1) >>> (31 - shift) is x >>> (32 - shift), and 0 for shift 0.
  const bits = ((words[k] << shift) | ((words[k + 1] >>> 1) >>> (31 - shift))) >>> 0;
  const entry = parameter << 2;
  if (bits > codes[entry]) {
    const zeros = Math.clz32(bits);
    const length = zeros + 1 + parameter;
    const value = (zeros << parameter) | ((bits >>> (32 - length)) & ((1 << parameter) - 1));
    return ((value & 0xff) << 5) | length;
  }
  const length = codes[entry + 1];
  const value = codes[entry + 2] + ((bits >>> (32 - length)) & codes[entry + 3]);
  return ((value & 0xff) << 5) | length;
}

/** Zero words after the data, so that reading a little past its end needs no check per read. */
const WORD_PADDING = 16;

/** True where a Uint32Array sees bytes in little-endian order (every platform spicedesk runs on). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The decoder of one image: the bit position in the data, the models, the rows.
 *
 * spice-common keeps a 32-bit window of the next bits and fails as soon as refilling it would
 * read past the last whole word. Here the window is computed from the bit position, the data is
 * followed by zero padding, and `bitLimit` (the last position whose window lies inside the data)
 * is checked after every pixel and at the end: the same streams fail, only a few bits later.
 */
class QuicDecoder {
  private readonly words: Uint32Array;
  private readonly bitLimit: number;
  private bitPosition = 0;
  private family: QuicFamily = FAMILY_8BPC;

  constructor(bytes: Uint8Array) {
    // A trailing partial word is ignored, as spice-common does.
    const wordCount = bytes.length >>> 2;
    this.words = new Uint32Array(wordCount + WORD_PADDING);
    if (LITTLE_ENDIAN) {
      new Uint8Array(this.words.buffer).set(bytes.subarray(0, wordCount * 4));
    } else {
      for (let i = 0, p = 0; i < wordCount; i++, p += 4) {
        this.words[i] = (bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24)) >>> 0;
      }
    }
    this.bitLimit = wordCount * 32 - 32;
  }

  setFamily(family: QuicFamily): void {
    this.family = family;
  }

  /** The next 32 bits, most significant first. */
  private peek(): number {
    const p = this.bitPosition;
    const k = p >>> 5;
    const shift = p & 31;
    const w = this.words;
    // (x >>> 1) >>> (31 - shift) is x >>> (32 - shift), and 0 for shift 0.
    return ((w[k] << shift) | ((w[k + 1] >>> 1) >>> (31 - shift))) >>> 0;
  }

  /** Throws once the decoder has gone past the data (spice-common: "no more words"). */
  checkInside(): void {
    if (this.bitPosition > this.bitLimit) this.pastTheEnd(this.bitPosition);
  }

  private pastTheEnd(at: number): never {
    const size = this.bitLimit / 8 + 4;
    throw new ProtocolError(`QUIC data (${size} bytes of whole words) ends before the image does`, Math.min(size, at >>> 3), {
      messageName: 'QUIC image',
    });
  }

  /** Skips the 20-byte header (already checked by readQuicHeader). */
  skipHeader(): void {
    this.bitPosition = HEADER_BYTES * 8;
    this.checkInside();
  }

  /** Adds the code lengths of `value` to the context's bucket and picks its best parameter again. */
  private updateModel(channel: ChannelState, context: number, value: number, trigger: number): void {
    const f = this.family;
    const bucket = f.bucketOfContext[context];
    const counters = channel.counters;
    const base = bucket * 8;
    const lengths = f.codeLength;
    const lengthBase = value * 8;
    const last = f.bitsPerChannel - 1;
    let best = last;
    counters[base + last] += lengths[lengthBase + last];
    let bestSum = counters[base + last];
    for (let code = last - 1; code >= 0; code--) {
      counters[base + code] += lengths[lengthBase + code];
      const sum = counters[base + code];
      if (sum < bestSum) {
        best = code;
        bestSum = sum;
      }
    }
    channel.bestCode[bucket] = best;
    if (bestSum > trigger) {
      for (let code = 0; code <= last; code++) counters[base + code] >>>= 1;
    }
  }

  /** A MELCODE run length; at most `limit` pixels, or the stream is corrupt. */
  private runLength(state: AdaptState, limit: number): number {
    let run = 0;
    for (;;) {
      const ones = Math.min(Math.clz32(~this.peek()), 8);
      for (let hit = 0; hit < ones; hit++) {
        run += state.melOrder;
        if (state.melState < MELCODE_LAST_STATE) {
          state.melLength = MELCODE_J[++state.melState];
          state.melOrder = 1 << state.melLength;
        }
      }
      if (run > limit) this.corrupt(`a run of ${run} pixels goes past the ${limit} left in the row`);
      if (ones !== 8) {
        this.bitPosition += ones + 1;
        break;
      }
      this.bitPosition += 8;
      this.checkInside();
    }
    if (state.melLength) {
      run += this.peek() >>> (32 - state.melLength);
      this.bitPosition += state.melLength;
    }
    if (state.melState) {
      state.melLength = MELCODE_J[--state.melState];
      state.melOrder = 1 << state.melLength;
    }
    if (run > limit) this.corrupt(`a run of ${run} pixels goes past the ${limit} left in the row`);
    return run;
  }

  corrupt(detail: string): never {
    throw new ProtocolError(`corrupt QUIC data: ${detail}`, Math.min(this.bitPosition, this.bitLimit + 32) >>> 3, { messageName: 'QUIC image' });
  }

  // ---- three channels (r, g, b) sharing one adaptation state ----

  private updateRgb(r: ChannelState, g: ChannelState, b: ChannelState, x: number, trigger: number): void {
    this.updateModel(r, r.residual[x], r.residual[x + 1], trigger);
    this.updateModel(g, g.residual[x], g.residual[x + 1], trigger);
    this.updateModel(b, b.residual[x], b.residual[x + 1], trigger);
  }

  /** Pixels [i, end) of the first row: each predicted from its left neighbour. */
  private rgbFirstRowSegment(r: ChannelState, g: ChannelState, b: ChannelState, state: AdaptState, i: number, end: number): void {
    const waitMask = (1 << state.waitMaskIndex) - 1;
    const f = this.family;
    const { unfold, valueMask: mask, bucketOfContext: bucketOf, codeTable: codes } = f;
    const words = this.words;
    const limit = this.bitLimit;
    const rr = r.residual, gr = g.residual, br = b.residual;
    const rc = r.current, gc = g.current, bc = b.current;
    const rb = r.bestCode, gb = g.bestCode, bb = b.bestCode;
    let at = this.bitPosition;
    let stop: number;
    if (i === 0) {
      let code = readCode(words, at, codes, rb[bucketOf[rr[0]]]);
      at += code & 31;
      rr[1] = code >>> 5;
      rc[0] = unfold[code >>> 5];
      code = readCode(words, at, codes, gb[bucketOf[gr[0]]]);
      at += code & 31;
      gr[1] = code >>> 5;
      gc[0] = unfold[code >>> 5];
      code = readCode(words, at, codes, bb[bucketOf[br[0]]]);
      at += code & 31;
      br[1] = code >>> 5;
      bc[0] = unfold[code >>> 5];
      if (state.waitCount) {
        state.waitCount--;
      } else {
        state.waitCount = state.nextRandom() & waitMask;
        this.updateRgb(r, g, b, 0, state.trigger);
      }
      stop = ++i + state.waitCount;
    } else {
      stop = i + state.waitCount;
    }
    for (;;) {
      const segmentStop = stop < end ? stop + 1 : end;
      for (; i < segmentStop; i++) {
        let code = readCode(words, at, codes, rb[bucketOf[rr[i]]]);
        at += code & 31;
        let v = code >>> 5;
        rr[i + 1] = v;
        rc[i] = (unfold[v] + rc[i - 1]) & mask;
        code = readCode(words, at, codes, gb[bucketOf[gr[i]]]);
        at += code & 31;
        v = code >>> 5;
        gr[i + 1] = v;
        gc[i] = (unfold[v] + gc[i - 1]) & mask;
        code = readCode(words, at, codes, bb[bucketOf[br[i]]]);
        at += code & 31;
        v = code >>> 5;
        br[i + 1] = v;
        bc[i] = (unfold[v] + bc[i - 1]) & mask;
        if (at > limit) this.pastTheEnd(at);
      }
      if (stop >= end) break;
      this.updateRgb(r, g, b, stop, state.trigger);
      stop = i + (state.nextRandom() & waitMask);
    }
    state.waitCount = stop - end;
    this.bitPosition = at;
  }

  /** Pixels [i, end) of a later row: predicted from the mean of left and above, with runs. */
  private rgbRowSegment(r: ChannelState, g: ChannelState, b: ChannelState, state: AdaptState, i: number, end: number): void {
    const waitMask = (1 << state.waitMaskIndex) - 1;
    const f = this.family;
    const { unfold, valueMask: mask, bucketOfContext: bucketOf, codeTable: codes } = f;
    const words = this.words;
    const limit = this.bitLimit;
    const rr = r.residual, gr = g.residual, br = b.residual;
    const rc = r.current, gc = g.current, bc = b.current;
    const rp = r.previous, gp = g.previous, bp = b.previous;
    const rb = r.bestCode, gb = g.bestCode, bb = b.bestCode;
    let at = this.bitPosition;
    let runIndex = 0;
    let stop: number;
    if (i === 0) {
      let code = readCode(words, at, codes, rb[bucketOf[rr[0]]]);
      at += code & 31;
      rr[1] = code >>> 5;
      rc[0] = (unfold[code >>> 5] + rp[0]) & mask;
      code = readCode(words, at, codes, gb[bucketOf[gr[0]]]);
      at += code & 31;
      gr[1] = code >>> 5;
      gc[0] = (unfold[code >>> 5] + gp[0]) & mask;
      code = readCode(words, at, codes, bb[bucketOf[br[0]]]);
      at += code & 31;
      br[1] = code >>> 5;
      bc[0] = (unfold[code >>> 5] + bp[0]) & mask;
      if (state.waitCount) {
        state.waitCount--;
      } else {
        state.waitCount = state.nextRandom() & waitMask;
        this.updateRgb(r, g, b, 0, state.trigger);
      }
      stop = ++i + state.waitCount;
    } else {
      stop = i + state.waitCount;
    }
    for (;;) {
      run: {
        for (;;) {
          const segmentStop = stop < end ? stop + 1 : end;
          for (; i < segmentStop; i++) {
            // A run may start where the row above repeats and this row repeated already.
            if (
              rp[i - 1] === rp[i] && gp[i - 1] === gp[i] && bp[i - 1] === bp[i] &&
              runIndex !== i && i > 2 &&
              rc[i - 1] === rc[i - 2] && gc[i - 1] === gc[i - 2] && bc[i - 1] === bc[i - 2]
            ) {
              break run;
            }
            let code = readCode(words, at, codes, rb[bucketOf[rr[i]]]);
            at += code & 31;
            let v = code >>> 5;
            rr[i + 1] = v;
            rc[i] = (unfold[v] + ((rc[i - 1] + rp[i]) >>> 1)) & mask;
            code = readCode(words, at, codes, gb[bucketOf[gr[i]]]);
            at += code & 31;
            v = code >>> 5;
            gr[i + 1] = v;
            gc[i] = (unfold[v] + ((gc[i - 1] + gp[i]) >>> 1)) & mask;
            code = readCode(words, at, codes, bb[bucketOf[br[i]]]);
            at += code & 31;
            v = code >>> 5;
            br[i + 1] = v;
            bc[i] = (unfold[v] + ((bc[i - 1] + bp[i]) >>> 1)) & mask;
            if (at > limit) this.pastTheEnd(at);
          }
          if (stop >= end) break;
          this.updateRgb(r, g, b, stop, state.trigger);
          stop = i + (state.nextRandom() & waitMask);
        }
        state.waitCount = stop - end;
        this.bitPosition = at;
        return;
      }
      state.waitCount = stop - i;
      runIndex = i;
      this.bitPosition = at;
      const runEnd = i + this.runLength(state, end - i);
      at = this.bitPosition;
      rc.fill(rc[i - 1], i, runEnd);
      gc.fill(gc[i - 1], i, runEnd);
      bc.fill(bc[i - 1], i, runEnd);
      i = runEnd;
      if (i === end) return;
      stop = i + state.waitCount;
    }
  }

  /** One row of r, g, b, in segments of constant wait mask. */
  rgbRow(r: ChannelState, g: ChannelState, b: ChannelState, state: AdaptState, first: boolean, width: number): void {
    let position = 0;
    let left = width;
    while (state.waitMaskIndex < LAST_WAIT_MASK_INDEX && state.waitMaskLeft <= left) {
      const count = state.waitMaskLeft;
      if (count) {
        if (first) this.rgbFirstRowSegment(r, g, b, state, position, position + count);
        else this.rgbRowSegment(r, g, b, state, position, position + count);
        position += count;
        left -= count;
      }
      state.waitMaskIndex++;
      state.trigger = waitMaskTrigger(state.waitMaskIndex);
      state.waitMaskLeft = WAIT_MASK_STEP;
    }
    if (left) {
      if (first) this.rgbFirstRowSegment(r, g, b, state, position, position + left);
      else this.rgbRowSegment(r, g, b, state, position, position + left);
      if (state.waitMaskIndex < LAST_WAIT_MASK_INDEX) state.waitMaskLeft -= left;
    }
    this.checkInside();
  }

  // ---- one channel with its own adaptation state (GRAY, and the alpha of RGBA) ----

  private oneFirstRowSegment(c: ChannelState, state: AdaptState, i: number, end: number): void {
    const waitMask = (1 << state.waitMaskIndex) - 1;
    const f = this.family;
    const { unfold, valueMask: mask, bucketOfContext: bucketOf, codeTable: codes } = f;
    const words = this.words;
    const limit = this.bitLimit;
    const res = c.residual;
    const cur = c.current;
    const best = c.bestCode;
    let at = this.bitPosition;
    let stop: number;
    if (i === 0) {
      const code = readCode(words, at, codes, best[bucketOf[res[0]]]);
      at += code & 31;
      res[1] = code >>> 5;
      cur[0] = unfold[code >>> 5];
      if (state.waitCount) {
        state.waitCount--;
      } else {
        state.waitCount = state.nextRandom() & waitMask;
        this.updateModel(c, res[0], res[1], state.trigger);
      }
      stop = ++i + state.waitCount;
    } else {
      stop = i + state.waitCount;
    }
    for (;;) {
      const segmentStop = stop < end ? stop + 1 : end;
      for (; i < segmentStop; i++) {
        const code = readCode(words, at, codes, best[bucketOf[res[i]]]);
        at += code & 31;
        const v = code >>> 5;
        res[i + 1] = v;
        cur[i] = (unfold[v] + cur[i - 1]) & mask;
        if (at > limit) this.pastTheEnd(at);
      }
      if (stop >= end) break;
      this.updateModel(c, res[stop], res[stop + 1], state.trigger);
      stop = i + (state.nextRandom() & waitMask);
    }
    state.waitCount = stop - end;
    this.bitPosition = at;
  }

  private oneRowSegment(c: ChannelState, state: AdaptState, i: number, end: number): void {
    const waitMask = (1 << state.waitMaskIndex) - 1;
    const f = this.family;
    const { unfold, valueMask: mask, bucketOfContext: bucketOf, codeTable: codes } = f;
    const words = this.words;
    const limit = this.bitLimit;
    const res = c.residual;
    const cur = c.current;
    const prev = c.previous;
    const best = c.bestCode;
    let at = this.bitPosition;
    let runIndex = 0;
    let stop: number;
    if (i === 0) {
      const code = readCode(words, at, codes, best[bucketOf[res[0]]]);
      at += code & 31;
      res[1] = code >>> 5;
      cur[0] = (unfold[code >>> 5] + prev[0]) & mask;
      if (state.waitCount) {
        state.waitCount--;
      } else {
        state.waitCount = state.nextRandom() & waitMask;
        this.updateModel(c, res[0], res[1], state.trigger);
      }
      stop = ++i + state.waitCount;
    } else {
      stop = i + state.waitCount;
    }
    for (;;) {
      run: {
        for (;;) {
          const segmentStop = stop < end ? stop + 1 : end;
          for (; i < segmentStop; i++) {
            if (prev[i - 1] === prev[i] && runIndex !== i && i > 2 && cur[i - 1] === cur[i - 2]) break run;
            const code = readCode(words, at, codes, best[bucketOf[res[i]]]);
            at += code & 31;
            const v = code >>> 5;
            res[i + 1] = v;
            cur[i] = (unfold[v] + ((cur[i - 1] + prev[i]) >>> 1)) & mask;
            if (at > limit) this.pastTheEnd(at);
          }
          if (stop >= end) break;
          this.updateModel(c, res[stop], res[stop + 1], state.trigger);
          stop = i + (state.nextRandom() & waitMask);
        }
        state.waitCount = stop - end;
        this.bitPosition = at;
        return;
      }
      state.waitCount = stop - i;
      runIndex = i;
      this.bitPosition = at;
      const runEnd = i + this.runLength(state, end - i);
      at = this.bitPosition;
      cur.fill(cur[i - 1], i, runEnd);
      i = runEnd;
      if (i === end) return;
      stop = i + state.waitCount;
    }
  }

  oneRow(c: ChannelState, state: AdaptState, first: boolean, width: number): void {
    let position = 0;
    let left = width;
    while (state.waitMaskIndex < LAST_WAIT_MASK_INDEX && state.waitMaskLeft <= left) {
      const count = state.waitMaskLeft;
      if (count) {
        if (first) this.oneFirstRowSegment(c, state, position, position + count);
        else this.oneRowSegment(c, state, position, position + count);
        position += count;
        left -= count;
      }
      state.waitMaskIndex++;
      state.trigger = waitMaskTrigger(state.waitMaskIndex);
      state.waitMaskLeft = WAIT_MASK_STEP;
    }
    if (left) {
      if (first) this.oneFirstRowSegment(c, state, position, position + left);
      else this.oneRowSegment(c, state, position, position + left);
      if (state.waitMaskIndex < LAST_WAIT_MASK_INDEX) state.waitMaskLeft -= left;
    }
    this.checkInside();
  }
}

/** 5-bit channel value to 8 bits by bit replication. */
const WIDEN_5_TO_8 = Uint8Array.from({ length: 32 }, (_, v) => (v << 3) | (v >>> 2));

export interface QuicHeader {
  type: number;
  width: number;
  height: number;
}

function headerError(detail: string, offset: number): never {
  throw new ProtocolError(detail, offset, { messageName: 'QUIC image' });
}

/** Reads and checks the 20-byte QUIC header without decoding anything else. */
export function readQuicHeader(data: Uint8Array): QuicHeader {
  if (data.length < HEADER_BYTES) headerError(`QUIC data of ${data.length} bytes is shorter than its ${HEADER_BYTES}-byte header`, 0);
  const word = (i: number): number => (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) >>> 0;
  if (word(0) !== QUIC_MAGIC) headerError(`QUIC data does not start with the "QUIC" magic (got 0x${word(0).toString(16)})`, 0);
  if (word(4) !== QUIC_VERSION) headerError(`QUIC version 0x${word(4).toString(16)} is not the supported 0`, 4);
  const type = word(8);
  if (type < QuicImageType.GRAY || type > QuicImageType.RGBA) headerError(`unknown QUIC image type ${type}`, 8);
  return { type, width: word(12), height: word(16) };
}

/**
 * Decodes a QUIC image into pixels. `expected` is the size the image descriptor announced; the
 * stream must say the same. `out`, if given, must be that size and receives the pixels.
 */
export function decodeQuic(data: Uint8Array, expected: { width: number; height: number }, out?: Pixels): Pixels {
  const { type, width, height } = readQuicHeader(data);
  if (width === 0 || height === 0 || width > MAX_IMAGE_DIMENSION || height > MAX_IMAGE_DIMENSION) {
    headerError(`QUIC image size ${width}x${height} is empty or over the ${MAX_IMAGE_DIMENSION}-pixel limit`, 12);
  }
  if (width !== expected.width || height !== expected.height) {
    headerError(`QUIC image is ${width}x${height} but its descriptor says ${expected.width}x${expected.height}`, 12);
  }
  if (width * height > QUIC_MAX_PIXELS) headerError(`QUIC image ${width}x${height} is over the ${QUIC_MAX_PIXELS}-pixel limit`, 12);
  // Every pixel of the first row and the first pixel of every other row take at least one bit.
  if ((data.length - HEADER_BYTES) * 8 < width + height - 1) {
    headerError(`QUIC data of ${data.length} bytes is too short for a ${width}x${height} image`, HEADER_BYTES);
  }
  let pixels: Pixels;
  if (out) {
    if (out.width !== width || out.height !== height || out.data.length < width * height) {
      throw new SpiceError('internal', `decodeQuic: the output is ${out.width}x${out.height}, the image ${width}x${height}`);
    }
    pixels = out;
    pixels.hasAlpha = type === QuicImageType.RGBA;
  } else {
    pixels = { width, height, data: new Uint32Array(width * height), hasAlpha: type === QuicImageType.RGBA };
  }

  const decoder = new QuicDecoder(data);
  decoder.skipHeader();
  const family = type === QuicImageType.RGB16 ? FAMILY_5BPC : FAMILY_8BPC;
  decoder.setFamily(family);
  const px = pixels.data;

  if (type === QuicImageType.GRAY) {
    const grey = new ChannelState(family, width);
    const state = new AdaptState();
    for (let y = 0; y < height; y++) {
      if (y) grey.nextRow();
      decoder.oneRow(grey, state, y === 0, width);
      const v = grey.current;
      for (let x = 0, o = y * width; x < width; x++, o++) px[o] = v[x] * 0x010101;
    }
    return pixels;
  }

  const r = new ChannelState(family, width);
  const g = new ChannelState(family, width);
  const b = new ChannelState(family, width);
  const rgbState = new AdaptState();
  const alpha = type === QuicImageType.RGBA ? new ChannelState(family, width) : null;
  const alphaState = new AdaptState();
  for (let y = 0; y < height; y++) {
    if (y) {
      r.nextRow();
      g.nextRow();
      b.nextRow();
      alpha?.nextRow();
    }
    decoder.rgbRow(r, g, b, rgbState, y === 0, width);
    if (alpha) decoder.oneRow(alpha, alphaState, y === 0, width);
    const rv = r.current, gv = g.current, bv = b.current;
    const o = y * width;
    if (alpha) {
      const av = alpha.current;
      for (let x = 0; x < width; x++) px[o + x] = (av[x] << 24) | (rv[x] << 16) | (gv[x] << 8) | bv[x];
    } else if (type === QuicImageType.RGB16) {
      for (let x = 0; x < width; x++) px[o + x] = (WIDEN_5_TO_8[rv[x]] << 16) | (WIDEN_5_TO_8[gv[x]] << 8) | WIDEN_5_TO_8[bv[x]];
    } else {
      for (let x = 0; x < width; x++) px[o + x] = (rv[x] << 16) | (gv[x] << 8) | bv[x];
    }
  }
  return pixels;
}
