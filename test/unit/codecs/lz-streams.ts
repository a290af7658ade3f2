// Test-only writers for LZ, GLZ and LZ4 streams, written from the format descriptions (the
// server's encoders), independent of the decoders under test. They emit exactly the literals
// and matches a test asks for, plus small greedy compressors for round trips.

export const LzType = { PLT1_LE: 1, PLT1_BE: 2, PLT4_LE: 3, PLT4_BE: 4, PLT8: 5, RGB16: 6, RGB24: 7, RGB32: 8, RGBA: 9, XXXA: 10, A8: 11 };

function u32be(out: number[], v: number): void {
  out.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
}

/** An LZ stream: header, then literals and matches exactly as asked. */
export class LzWriter {
  readonly bytes: number[] = [];

  constructor(type: number, width: number, height: number, stride: number, topDown: boolean) {
    u32be(this.bytes, 0x20205a4c);
    u32be(this.bytes, 0x00010001);
    u32be(this.bytes, type);
    u32be(this.bytes, width);
    u32be(this.bytes, height);
    u32be(this.bytes, stride);
    u32be(this.bytes, topDown ? 1 : 0);
  }

  /** 1..32 literal units, each given as its raw bytes. */
  literals(units: number[][]): this {
    if (units.length < 1 || units.length > 32) throw new Error('a literal run holds 1..32 units');
    this.bytes.push(units.length - 1);
    for (const u of units) this.bytes.push(...u);
    return this;
  }

  /**
   * A match of `length` units, `distance` units back. `minLength` is the type's bias: 1 for
   * RGB24/32, 2 for RGB16, 3 for one-byte units.
   */
  match(length: number, distance: number, minLength: number): this {
    const stored = length - minLength;
    if (stored < 0) throw new Error(`a match is at least ${minLength} units`);
    const d = distance - 1;
    const far = d >= 8191;
    const high = Math.min(stored + 1, 7);
    const low = far ? 31 : d >> 8;
    this.bytes.push((high << 5) | low);
    if (high === 7) {
      let rest = stored - 6;
      while (rest >= 255) {
        this.bytes.push(255);
        rest -= 255;
      }
      this.bytes.push(rest);
    }
    if (far) {
      const f = d - 8191;
      this.bytes.push(255, (f >> 8) & 255, f & 255);
    } else {
      this.bytes.push(d & 255);
    }
    return this;
  }

  raw(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }

  build(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/**
 * Greedy LZ body for a sequence of units (each unit's bytes), as the server would: longest match
 * among the last `window` units, literals otherwise.
 */
export function lzCompressUnits(w: LzWriter, units: number[][], minLength: number, searchBack = 300): void {
  const key = units.map((u) => u.join(','));
  let pending: number[][] = [];
  const flush = (): void => {
    for (let i = 0; i < pending.length; i += 32) w.literals(pending.slice(i, i + 32));
    pending = [];
  };
  let i = 0;
  while (i < units.length) {
    let bestLen = 0;
    let bestDist = 0;
    for (let j = Math.max(0, i - searchBack); j < i; j++) {
      let n = 0;
      while (i + n < units.length && key[j + n] === key[i + n] && n < 600) n++;
      if (n > bestLen) {
        bestLen = n;
        bestDist = i - j;
      }
    }
    if (bestLen >= minLength) {
      flush();
      w.match(bestLen, bestDist, minLength);
      i += bestLen;
    } else {
      pending.push(units[i]);
      i++;
    }
  }
  flush();
}

/** A GLZ stream: header, then literals and matches exactly as asked. */
export class GlzWriter {
  readonly bytes: number[] = [];

  constructor(type: number, width: number, height: number, topDown: boolean, id: bigint, winHeadDist: number, stride?: number) {
    const bpp = type === 6 ? 2 : type === 7 ? 3 : 4;
    u32be(this.bytes, 0x20205a4c);
    u32be(this.bytes, 0x00010001);
    this.bytes.push((type & 15) | (topDown ? 16 : 0));
    u32be(this.bytes, width);
    u32be(this.bytes, height);
    u32be(this.bytes, stride ?? width * bpp);
    u32be(this.bytes, Number(id >> 32n));
    u32be(this.bytes, Number(id & 0xffffffffn));
    u32be(this.bytes, winHeadDist);
  }

  literals(units: number[][]): this {
    if (units.length < 1 || units.length > 32) throw new Error('a literal run holds 1..32 units');
    this.bytes.push(units.length - 1);
    for (const u of units) this.bytes.push(...u);
    return this;
  }

  /**
   * A match of `length` units. With imageDistance 0, `pixel` is how far back in this image the
   * copy starts (≥ 1); otherwise it is the pixel index in the referenced image. `minLength` is
   * the bias: 0 for RGB24/32, 1 for RGB16, 2 for the alpha stream.
   */
  match(length: number, pixel: number, imageDistance: number, minLength: number): this {
    const stored = length - minLength;
    if (stored < 1) throw new Error('stored match length must be at least 1');
    const ofs = imageDistance === 0 ? pixel - 1 : pixel;
    const long = ofs >= 4096;
    const high = Math.min(stored, 7);
    this.bytes.push((high << 5) | (long ? 16 : 0) | (ofs & 15));
    if (high === 7) {
      let rest = stored - 7;
      while (rest >= 255) {
        this.bytes.push(255);
        rest -= 255;
      }
      this.bytes.push(rest);
    }
    this.bytes.push((ofs >> 4) & 255);
    if (!long) {
      if (imageDistance < 1 << 6) this.bytes.push(imageDistance & 63);
      else if (imageDistance < 1 << 14) this.bytes.push(64 | (imageDistance & 63), (imageDistance >> 6) & 255);
      else if (imageDistance < 1 << 22) {
        this.bytes.push(128 | (imageDistance & 63), (imageDistance >> 6) & 255, (imageDistance >> 14) & 255);
      } else {
        this.bytes.push(192 | (imageDistance & 63), (imageDistance >> 6) & 255, (imageDistance >> 14) & 255, (imageDistance >> 22) & 255);
      }
    } else {
      const veryLong = ofs >= 1 << 17 ? 32 : 0;
      const extra = imageDistance === 0 ? 0 : imageDistance < 256 ? 1 : imageDistance < 65536 ? 2 : 3;
      this.bytes.push(veryLong | (extra << 6) | ((ofs >> 12) & 31));
      for (let i = 0; i < extra; i++) this.bytes.push((imageDistance >> (8 * i)) & 255);
      if (veryLong) this.bytes.push((ofs >> 17) & 255);
    }
    return this;
  }

  raw(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }

  build(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** b,g,r bytes of a 0x00RRGGBB colour: an RGB24/RGB32 literal. */
export function bgr(c: number): number[] {
  return [c & 255, (c >> 8) & 255, (c >> 16) & 255];
}

// ---- LZ4 ----

function lz4Length(out: number[], rest: number): void {
  while (rest >= 255) {
    out.push(255);
    rest -= 255;
  }
  out.push(rest);
}

/** One LZ4 sequence: literals, then (unless `match` is null) a match. */
export function lz4Sequence(out: number[], literals: ArrayLike<number>, match: { offset: number; length: number } | null): void {
  const lit = literals.length;
  const mlen = match ? match.length - 4 : 0;
  if (match && mlen < 0) throw new Error('LZ4 matches are at least 4 bytes');
  out.push((Math.min(lit, 15) << 4) | (match ? Math.min(mlen, 15) : 0));
  if (lit >= 15) lz4Length(out, lit - 15);
  for (let i = 0; i < lit; i++) out.push(literals[i]);
  if (!match) return;
  out.push(match.offset & 255, match.offset >> 8);
  if (mlen >= 15) lz4Length(out, mlen - 15);
}

/**
 * Greedy LZ4 block for data[start..end), with data[0..start) as history (streaming mode).
 * Follows the format's end rules: the last 5 bytes are literals and no match starts in the
 * last 12.
 */
export function lz4CompressBlock(data: Uint8Array, start: number, end: number): Uint8Array {
  const out: number[] = [];
  let anchor = start;
  let pos = start;
  while (pos + 12 <= end) {
    let bestLen = 0;
    let bestOfs = 0;
    for (let j = Math.max(0, pos - 2048); j < pos; j++) {
      let n = 0;
      while (pos + n < end - 5 && data[j + n] === data[pos + n]) n++;
      if (n > bestLen) {
        bestLen = n;
        bestOfs = pos - j;
      }
    }
    if (bestLen >= 4) {
      lz4Sequence(out, data.subarray(anchor, pos), { offset: bestOfs, length: bestLen });
      pos += bestLen;
      anchor = pos;
    } else {
      pos++;
    }
  }
  lz4Sequence(out, data.subarray(anchor, end), null);
  return Uint8Array.from(out);
}

/** A SPICE LZ4 image: top_down, format, then each block with its big-endian size. */
export function lz4Image(topDown: boolean, format: number, blocks: Uint8Array[]): Uint8Array {
  const out: number[] = [topDown ? 1 : 0, format];
  for (const b of blocks) {
    u32be(out, b.length);
    out.push(...b);
  }
  return Uint8Array.from(out);
}

/** Compresses raw rows as the server does: blocks of `rowsPerBlock` rows, one stream. */
export function lz4CompressImage(raw: Uint8Array, rowBytes: number, rowsPerBlock: number, topDown: boolean, format: number): Uint8Array {
  const blocks: Uint8Array[] = [];
  const step = rowBytes * rowsPerBlock;
  for (let s = 0; s < raw.length; s += step) blocks.push(lz4CompressBlock(raw, s, Math.min(raw.length, s + step)));
  return lz4Image(topDown, format, blocks);
}

// The generator the codec tests draw their data from, here with the streams they build.
export { rng } from '../../helpers/random.ts';
