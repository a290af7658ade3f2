// The row decoders of QUIC (see quic.ts for the format). They decode straight into the output
// words: each channel is a byte lane of the 0xAARRGGBB word (r at 16, g at 8, b at 0, alpha at
// 24, grey at 0), so the row above, the left neighbours and the run checks all come from the
// output itself and a pixel is written once. Everything a pixel needs is kept in locals for the
// length of a segment: the bit position, the contexts, the wait counter; the models are flat
// typed arrays. The semantics are spice-common's (common/quic_tmpl.c, quic_family_tmpl.c):
// - a segment is a stretch of a row coded with one wait mask; a model update happens at the
//   pixel `stop`, and the next one 1 + (random & wait mask) pixels later; runs push `stop` back
//   by their length and never cross the end of a segment;
// - the context of a pixel is the bucket of the folded residual of its left neighbour in the
//   same row; pixels inside a run keep the residual an earlier row left there, and the first pixel
//   of a row takes the first residual of the row above.
import { ProtocolError } from '../wire/errors.ts';
import {
  CODE_LENGTHS,
  FAMILY_8BPC,
  LAST_WAIT_MASK_INDEX,
  MELCODE_J,
  MELCODE_LAST_STATE,
  TABRAND_CHAOS,
  PARAMETER_INFO,
  VALUE_INFO,
  WAIT_MASK_STEP,
  waitMaskTrigger,
  type QuicFamily,
} from './quic-tables.ts';

/** Zero words after the data, so that reading a little past its end needs no check per read. */
const WORD_PADDING = 16;

/** True where a Uint32Array sees bytes in little-endian order (every platform spicedesk runs on). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The lanes r, g, b of an output word. */
const RGB_LANES = 0xffffff;

// The adaptation state that the channels of a ChannelModels share (spice-common's CommonState),
// kept in its table: numbers in a typed array, unlike object fields, never make V8 throw away
// code compiled on the assumption that a field does not change.
/** Pixels left before the next model update. */
const WAIT_COUNT = 48;
const RANDOM_INDEX = 49;
const WAIT_MASK_INDEX = 50;
/** Pixels left to code with the current wait mask. */
const WAIT_MASK_LEFT = 51;
const TRIGGER = 52;
const MEL_STATE = 53;
const MEL_LENGTH = 54;
const MEL_ORDER = 55;

/** Where the counters start in a ChannelModels table. */
const COUNTERS = 64;
/** Table entries per channel: room for the largest bucket count (8). */
const CHANNEL_STRIDE = 16;

/**
 * The adaptive models of one, or of three channels that share an adaptation state, in one
 * array: table[context] is the best Rice parameter of a context (channel * 16 + bucket) and
 * table[COUNTERS + context * 8 + parameter] the sum of the code lengths that parameter would
 * have given. A context is also what the row keeps per pixel (packed for three channels).
 */
export class ChannelModels {
  readonly table: Int32Array;
  /** context << 16 | context << 8 | context of the left neighbour of each pixel; see rowContexts. */
  readonly rowContexts: Int32Array;

  constructor(family: QuicFamily, channels: 1 | 3, width: number) {
    this.table = new Int32Array(COUNTERS + channels * CHANNEL_STRIDE * 8);
    this.table.fill(family.bitsPerChannel - 1, 0, channels * CHANNEL_STRIDE);
    this.table[RANDOM_INDEX] = 0xff;
    this.table[WAIT_MASK_LEFT] = WAIT_MASK_STEP;
    this.table[TRIGGER] = waitMaskTrigger(0);
    this.table[MEL_LENGTH] = MELCODE_J[0];
    this.table[MEL_ORDER] = 1 << MELCODE_J[0];
    // rowContexts[x + 1] holds pixel x's; rowContexts[0] stands for the pixel left of the first
    // one, which is the first pixel's of the row above (bucket 0 on the first row).
    this.rowContexts = new Int32Array(width + 1);
    if (channels === 3) this.rowContexts.fill(RGB_CONTEXT_BASE);
  }
}

/** The packed contexts of r, g and b for bucket 0 of each. */
const RGB_CONTEXT_BASE = (0 << 16) | (CHANNEL_STRIDE << 8) | (2 * CHANNEL_STRIDE);

/**
 * The bit stream, the output and the family of one image.
 *
 * spice-common keeps a 32-bit window of the next bits and fails as soon as refilling it would
 * read past the last whole word. Here the window is computed from the bit position, the data is
 * followed by zero padding, and `bitLimit` (the last position whose window lies inside the data)
 * is checked after every pixel and at the end of a row: the same streams fail, a few bits later.
 */
export class QuicStream {
  readonly words: Uint32Array;
  readonly bitLimit: number;
  /** [0]: the bit position between segments (a typed array, like the adaptation state). */
  readonly cursor = new Int32Array(1);

  constructor(
    bytes: Uint8Array,
    startByte: number,
    readonly family: QuicFamily,
    readonly pixels: Uint32Array,
    readonly width: number,
  ) {
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
    this.cursor[0] = startByte * 8;
    this.checkInside();
  }

  /** Throws once the decoder has gone past the data (spice-common: "no more words"). */
  checkInside(): void {
    if (this.cursor[0] > this.bitLimit) pastTheEnd(this, this.cursor[0]);
  }
}

function pastTheEnd(s: QuicStream, at: number): never {
  const size = s.bitLimit / 8 + 4;
  throw new ProtocolError(`QUIC data (${size} bytes of whole words) ends before the image does`, Math.min(size, at >>> 3), {
    messageName: 'QUIC image',
  });
}

function corrupt(s: QuicStream, detail: string): never {
  throw new ProtocolError(`corrupt QUIC data: ${detail}`, Math.min(s.cursor[0], s.bitLimit + 32) >>> 3, { messageName: 'QUIC image' });
}

/**
 * The code word at the top of `window` coded with Rice parameter `parameter`: a Rice code word
 * (zeros, a one, `parameter` low bits) when it starts with fewer zeros than the parameter's
 * prefix limit, else an escape code word of fixed length. Returns the value (cut to a byte, as
 * spice-common stores it) << 5 | the code word's length.
 */
function codeWord(family: Int32Array, window: number, parameter: number): number {
  const zeros = Math.clz32(window);
  const info = PARAMETER_INFO + (parameter << 2);
  if (zeros < family[info]) {
    const length = zeros + 1 + parameter;
    return ((((zeros << parameter) | ((window >>> (32 - length)) & ((1 << parameter) - 1))) & 0xff) << 5) | length;
  }
  const length = family[info + 1];
  return (((family[info + 2] + ((window >>> (32 - length)) & family[info + 3])) & 0xff) << 5) | length;
}

// Both paths of codeWord run here, so that V8 has seen each before it optimises the row loops
// that inline it. Otherwise the first escape code word after that drops the optimised loop, and
// V8 may then replace it with an on-stack-replacement version, which runs about 30% slower and
// stays (measured with Node 20 on the decoder bench). V8 records what it sees only once a
// function has run a few times, hence the repetitions.
for (let i = 0; i < 64; i++) {
  codeWord(FAMILY_8BPC.decoderTable, 0, i & 7);
  codeWord(FAMILY_8BPC.decoderTable, -1, i & 7);
}

/**
 * Adds the code lengths of `value` to the sums of a context and picks its best parameter again:
 * the smallest sum, the highest parameter among equal ones (spice-common scans from the highest
 * down and keeps the first minimum). The search runs on keys sum * 8 + (7 - parameter) with a
 * branch-free minimum, since which sum is smallest is close to random; sums stay below 2^16
 * (they are halved once the smallest passes the trigger, at most 900, and a code word is at most
 * 26 bits), so the keys fit easily.
 */
function updateModel(model: Int32Array, context: number, value: number, family: Int32Array, last: number, trigger: number): void {
  const c = COUNTERS + (context << 3);
  const v = CODE_LENGTHS + (value << 3);
  let key = ((model[c + last] += family[v + last]) << 3) | (7 - last);
  for (let code = last - 1; code >= 0; code--) {
    const d = (((model[c + code] += family[v + code]) << 3) | (7 - code)) - key;
    key += d & (d >> 31);
  }
  model[context] = 7 - (key & 7);
  if (key >>> 3 > trigger) {
    for (let code = 0; code <= last; code++) model[c + code] >>>= 1;
  }
}

/** updateModel for 8 bits per channel, unrolled, with the minimum taken as a tree. */
function updateModel8(model: Int32Array, context: number, value: number, family: Int32Array, trigger: number): void {
  const c = COUNTERS + (context << 3);
  const v = CODE_LENGTHS + (value << 3);
  const k7 = (model[c + 7] += family[v + 7]) << 3;
  const k6 = ((model[c + 6] += family[v + 6]) << 3) | 1;
  const k5 = ((model[c + 5] += family[v + 5]) << 3) | 2;
  const k4 = ((model[c + 4] += family[v + 4]) << 3) | 3;
  const k3 = ((model[c + 3] += family[v + 3]) << 3) | 4;
  const k2 = ((model[c + 2] += family[v + 2]) << 3) | 5;
  const k1 = ((model[c + 1] += family[v + 1]) << 3) | 6;
  const k0 = ((model[c] += family[v]) << 3) | 7;
  const key = minimum(minimum(minimum(k7, k6), minimum(k5, k4)), minimum(minimum(k3, k2), minimum(k1, k0)));
  model[context] = 7 - (key & 7);
  if (key >>> 3 > trigger) {
    for (let code = 0; code < 8; code++) model[c + code] >>>= 1;
  }
}

/** The smaller of two numbers whose difference fits in 31 bits, without a branch. */
function minimum(a: number, b: number): number {
  const d = b - a;
  return a + (d & (d >> 31));
}

/** A MELCODE run length starting at s.cursor[0]; at most `limit` pixels, or the stream is corrupt. */
function readRun(s: QuicStream, state: Int32Array, limit: number): number {
  const words = s.words;
  let at = s.cursor[0];
  let run = 0;
  for (;;) {
    const k = at >>> 5;
    const shift = at & 31;
    const bits = ((words[k] << shift) | ((words[k + 1] >>> 1) >>> (31 - shift))) >>> 0;
    const ones = Math.min(Math.clz32(~bits), 8);
    for (let hit = 0; hit < ones; hit++) {
      run += state[MEL_ORDER];
      if (state[MEL_STATE] < MELCODE_LAST_STATE) {
        state[MEL_LENGTH] = MELCODE_J[++state[MEL_STATE]];
        state[MEL_ORDER] = 1 << state[MEL_LENGTH];
      }
    }
    if (run > limit) {
      s.cursor[0] = at;
      corrupt(s, `a run of ${run} pixels goes past the ${limit} left in the row`);
    }
    if (ones !== 8) {
      at += ones + 1;
      break;
    }
    at += 8;
    if (at > s.bitLimit) pastTheEnd(s, at);
  }
  const length = state[MEL_LENGTH];
  if (length) {
    const k = at >>> 5;
    const shift = at & 31;
    const bits = ((words[k] << shift) | ((words[k + 1] >>> 1) >>> (31 - shift))) >>> 0;
    run += bits >>> (32 - length);
    at += length;
  }
  if (state[MEL_STATE]) {
    state[MEL_LENGTH] = MELCODE_J[--state[MEL_STATE]];
    state[MEL_ORDER] = 1 << state[MEL_LENGTH];
  }
  s.cursor[0] = at;
  if (run > limit) corrupt(s, `a run of ${run} pixels goes past the ${limit} left in the row`);
  return run;
}

/** Per-lane (a + b) mod 256 of the three low byte lanes of two words. */
function addLanes(a: number, b: number): number {
  return ((a & 0x7f7f7f) + (b & 0x7f7f7f)) ^ ((a ^ b) & 0x808080);
}

/** Per-lane floor((a + b) / 2) of the three low byte lanes of two words (lanes above masked off). */
function averageLanes(a: number, b: number): number {
  return (a & b & RGB_LANES) + (((a ^ b) & 0xfefefe) >>> 1);
}

/**
 * Pixels [i, end) of row `y` for r, g and b, written as whole words with a zero top byte, up to
 * the end or to where a run starts (not at `noRunAt`); returns where it stopped. Runs are left to
 * the caller so that this loop holds only what every pixel needs (V8 optimises a function
 * again, and sometimes worse, when it first reaches code that had never run before).
 *
 * The bit reader is spice-common's: a 32-bit window, the word its low bits come from and how
 * many bits of that word are not in the window yet; the window starts at bit
 * wordIndex * 32 - available - 32. Kept in locals, it is the loop's critical path.
 */
function rgbPixels(s: QuicStream, m: ChannelModels, y: number, i: number, end: number, noRunAt: number): number {
  const f = s.family;
  const family = f.decoderTable;
  const laneMask = f.valueMask * 0x010101;
  const last = f.bitsPerChannel - 1;
  const words = s.words;
  const px = s.pixels;
  const width = s.width;
  const contexts = m.rowContexts;
  const model = m.table;
  const firstRow = y === 0;
  let stop = i + model[WAIT_COUNT];
  let o = y * width + i;
  const context = contexts[i];
  let cr = context >>> 16, cg = (context >>> 8) & 0xff, cb = context & 0xff;
  const at = s.cursor[0];
  let wordIndex = (at >>> 5) + 2;
  let nextWord = words[wordIndex - 1];
  let available = 32 - (at & 31);
  let window = (words[wordIndex - 2] << (at & 31)) | ((nextWord >>> 1) >>> (31 - (at & 31)));
  const wordLimit = s.bitLimit + 32;
  while (i < end) {
    let prediction: number;
    if (firstRow) {
      prediction = i ? px[o - 1] & RGB_LANES : 0;
    } else {
      const above = px[o - width];
      if (i === 0) {
        prediction = above & RGB_LANES;
      } else {
        const left = px[o - 1];
        // A run may start where the row above repeats and this row repeated already.
        if (i > 2 && i !== noRunAt && ((px[o - width - 1] ^ above) & RGB_LANES) === 0 && ((px[o - 2] ^ left) & RGB_LANES) === 0) break;
        prediction = averageLanes(left, above);
      }
    }
    let code = codeWord(family, window, model[cr]);
    let length = code & 31;
    const vr = code >>> 5;
    window <<= length;
    available -= length;
    if (available >= 0) {
      window |= nextWord >>> available;
    } else {
      window |= nextWord << -available;
      nextWord = words[wordIndex++];
      available += 32;
      window |= nextWord >>> available;
    }
    code = codeWord(family, window, model[cg]);
    length = code & 31;
    const vg = code >>> 5;
    window <<= length;
    available -= length;
    if (available >= 0) {
      window |= nextWord >>> available;
    } else {
      window |= nextWord << -available;
      nextWord = words[wordIndex++];
      available += 32;
      window |= nextWord >>> available;
    }
    code = codeWord(family, window, model[cb]);
    length = code & 31;
    const vb = code >>> 5;
    window <<= length;
    available -= length;
    if (available >= 0) {
      window |= nextWord >>> available;
    } else {
      window |= nextWord << -available;
      nextWord = words[wordIndex++];
      available += 32;
      window |= nextWord >>> available;
    }
    if (wordIndex * 32 - available > wordLimit) pastTheEnd(s, wordIndex * 32 - available - 32);
    const ir = family[VALUE_INFO + vr], ig = family[VALUE_INFO + vg], ib = family[VALUE_INFO + vb];
    px[o] = addLanes(prediction, ((ir & 0xff) << 16) | ((ig & 0xff) << 8) | (ib & 0xff)) & laneMask;
    if (i === stop) {
      const trigger = model[TRIGGER];
      if (last === 7) {
        updateModel8(model, cr, vr, family, trigger);
        updateModel8(model, cg, vg, family, trigger);
        updateModel8(model, cb, vb, family, trigger);
      } else {
        updateModel(model, cr, vr, family, last, trigger);
        updateModel(model, cg, vg, family, last, trigger);
        updateModel(model, cb, vb, family, last, trigger);
      }
      const random = (model[RANDOM_INDEX] + 1) & 0xff;
      model[RANDOM_INDEX] = random;
      stop = i + 1 + (TABRAND_CHAOS[random] & ((1 << model[WAIT_MASK_INDEX]) - 1));
    }
    cr = ir >>> 8;
    cg = CHANNEL_STRIDE + (ig >>> 8);
    cb = 2 * CHANNEL_STRIDE + (ib >>> 8);
    contexts[i + 1] = (cr << 16) | (cg << 8) | cb;
    i++;
    o++;
  }
  // A run does not count towards the wait: `stop` moves with it.
  model[WAIT_COUNT] = stop - i;
  s.cursor[0] = wordIndex * 32 - available - 32;
  return i;
}

/** Pixels [i, end) of row `y` for r, g and b, runs included. */
function rgbSegment(s: QuicStream, m: ChannelModels, y: number, i: number, end: number): void {
  let noRunAt = -1;
  for (;;) {
    i = rgbPixels(s, m, y, i, end, noRunAt);
    if (i === end) return;
    const run = readRun(s, m.table, end - i);
    if (run) {
      const o = y * s.width + i;
      s.pixels.fill(s.pixels[o - 1], o, o + run);
      i += run;
      if (i === end) return;
    } else {
      noRunAt = i;
    }
  }
}

/**
 * Pixels [i, end) of row `y` for one channel in the byte lane at `shift` (the other lanes are
 * kept), up to the end or to where a run starts, as rgbPixels.
 */
function planePixels(s: QuicStream, m: ChannelModels, y: number, i: number, end: number, shift: number, noRunAt: number): number {
  const f = s.family;
  const family = f.decoderTable;
  const mask = f.valueMask;
  const last = f.bitsPerChannel - 1;
  const words = s.words;
  const limit = s.bitLimit;
  const px = s.pixels;
  const width = s.width;
  const contexts = m.rowContexts;
  const model = m.table;
  const keep = ~(0xff << shift);
  const firstRow = y === 0;
  let stop = i + model[WAIT_COUNT];
  let o = y * width + i;
  let context = contexts[i];
  let at = s.cursor[0];
  while (i < end) {
    let prediction: number;
    if (firstRow) {
      prediction = i ? (px[o - 1] >>> shift) & 0xff : 0;
    } else {
      const above = (px[o - width] >>> shift) & 0xff;
      if (i === 0) {
        prediction = above;
      } else {
        const left = (px[o - 1] >>> shift) & 0xff;
        if (i > 2 && i !== noRunAt && ((px[o - width - 1] >>> shift) & 0xff) === above && ((px[o - 2] >>> shift) & 0xff) === left) break;
        prediction = (left + above) >>> 1;
      }
    }
    const k = at >>> 5;
    const bitShift = at & 31;
    // (x >>> 1) >>> (31 - bitShift) is x >>> (32 - bitShift), and 0 for a shift of 0.
    const code = codeWord(family, (words[k] << bitShift) | ((words[k + 1] >>> 1) >>> (31 - bitShift)), model[context]);
    at += code & 31;
    const v = code >>> 5;
    if (at > limit) pastTheEnd(s, at);
    const info = family[VALUE_INFO + v];
    px[o] = (px[o] & keep) | ((((info & 0xff) + prediction) & mask) << shift);
    if (i === stop) {
      if (last === 7) updateModel8(model, context, v, family, model[TRIGGER]);
      else updateModel(model, context, v, family, last, model[TRIGGER]);
      const random = (model[RANDOM_INDEX] + 1) & 0xff;
      model[RANDOM_INDEX] = random;
      stop = i + 1 + (TABRAND_CHAOS[random] & ((1 << model[WAIT_MASK_INDEX]) - 1));
    }
    context = info >>> 8;
    contexts[i + 1] = context;
    i++;
    o++;
  }
  model[WAIT_COUNT] = stop - i;
  s.cursor[0] = at;
  return i;
}

/** Pixels [i, end) of row `y` for one channel, runs included. */
function planeSegment(s: QuicStream, m: ChannelModels, y: number, i: number, end: number, shift: number): void {
  const px = s.pixels;
  const keep = ~(0xff << shift);
  let noRunAt = -1;
  for (;;) {
    i = planePixels(s, m, y, i, end, shift, noRunAt);
    if (i === end) return;
    const run = readRun(s, m.table, end - i);
    if (run) {
      let o = y * s.width + i;
      const lane = px[o - 1] & ~keep;
      for (const runEnd = o + run; o < runEnd; o++) px[o] = (px[o] & keep) | lane;
      i += run;
      if (i === end) return;
    } else {
      noRunAt = i;
    }
  }
}

/**
 * Splits a row into segments of constant wait mask: each mask codes WAIT_MASK_STEP pixels of the
 * image before the next, coarser one, until the last. Calls `segment(start, end)` for each.
 */
function forEachSegment(state: Int32Array, width: number, segment: (start: number, end: number) => void): void {
  let position = 0;
  let left = width;
  while (state[WAIT_MASK_INDEX] < LAST_WAIT_MASK_INDEX && state[WAIT_MASK_LEFT] <= left) {
    const count = state[WAIT_MASK_LEFT];
    if (count) {
      segment(position, position + count);
      position += count;
      left -= count;
    }
    state[TRIGGER] = waitMaskTrigger(++state[WAIT_MASK_INDEX]);
    state[WAIT_MASK_LEFT] = WAIT_MASK_STEP;
  }
  if (left) {
    segment(position, position + left);
    if (state[WAIT_MASK_INDEX] < LAST_WAIT_MASK_INDEX) state[WAIT_MASK_LEFT] -= left;
  }
}

/** Row `y` of r, g, b into whole output words (top byte 0). */
export function decodeRgbRow(s: QuicStream, m: ChannelModels, y: number): void {
  if (y) m.rowContexts[0] = m.rowContexts[1];
  forEachSegment(m.table, s.width, (start, end) => rgbSegment(s, m, y, start, end));
  s.checkInside();
}

/** Row `y` of one channel into the byte lane at `shift` of the output words. */
export function decodePlaneRow(s: QuicStream, m: ChannelModels, y: number, shift: number): void {
  if (y) m.rowContexts[0] = m.rowContexts[1];
  forEachSegment(m.table, s.width, (start, end) => planeSegment(s, m, y, start, end, shift));
  s.checkInside();
}
