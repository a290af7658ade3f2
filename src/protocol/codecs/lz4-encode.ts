// A raw LZ4 block encoder (no frame), for the spicevmc channels' COMPRESSED_DATA: spice-gtk sends
// usbredir writes over 1000 bytes as LZ4_compress_default blocks, and spice-server decodes them
// with LZ4_decompress_safe. lz4js (ISC, 0.2.0) has a raw-block compressBlock, but it is not a
// dependency of this project (nothing in node_modules encodes LZ4), and a greedy encoder is
// small; its output is checked against the project's decoder (codecs/lz4.ts) in the tests.
// Block format (lz4's doc/lz4_Block_format.md): sequences of a token (literal count in the high
// nibble, match length - 4 in the low one, 15 = more bytes follow, each added, until one is not
// 255), the literals, a little-endian u16 offset (1-65535) and the match length extension; the
// last sequence is literals only. The end-of-block rules every decoder relies on: the last 5
// bytes are literals, and the last match starts at least 12 bytes before the end.

const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MATCH_FIND_LIMIT = 12;
const MAX_OFFSET = 65535;
const HASH_BITS = 12;

/** The largest block `encodeLz4Block` can produce for `n` input bytes (LZ4_compressBound). */
export function lz4CompressBound(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

function writeLength(out: Uint8Array, op: number, extra: number): number {
  while (extra >= 255) {
    out[op++] = 255;
    extra -= 255;
  }
  out[op++] = extra;
  return op;
}

/**
 * Probes between step increases while no match is found: after this many misses in a row the
 * encoder advances two bytes per probe, after twice as many three, and so on (the reference
 * encoder's "acceleration"), so incompressible input (noise, media, encrypted data) costs a few
 * thousand probes per block instead of one per byte. A match resets the step to 1.
 */
const MISSES_PER_STEP_LOG2 = 6;

/** One raw LZ4 block of `src` (greedy matching on a 4-byte hash). */
export function encodeLz4Block(src: Uint8Array): Uint8Array {
  return encodeLz4BlockBelow(src, Infinity)!;
}

/**
 * One raw LZ4 block of `src` if it takes fewer than `limit` bytes, else null. The encoder stops as
 * soon as the block cannot stay under `limit`, without copying the literals it would have
 * written, so a caller that only wants blocks that save space (spicevmc's COMPRESSED_DATA) pays
 * almost nothing for data that does not shrink.
 */
export function encodeLz4BlockBelow(src: Uint8Array, limit: number): Uint8Array | null {
  const n = src.byteLength;
  let out: Uint8Array | null = null;
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  let op = 0;
  let anchor = 0;
  /** Bytes a literal run of `count` with its token takes. */
  const literalCost = (count: number): number => 1 + count + (count >= 15 ? Math.floor((count - 15) / 255) + 1 : 0);
  const emitLiterals = (from: number, to: number, matchCode: number): void => {
    out ??= new Uint8Array(Math.min(lz4CompressBound(n), limit));
    const count = to - from;
    out[op++] = (Math.min(count, 15) << 4) | matchCode;
    if (count >= 15) op = writeLength(out, op, count - 15);
    out.set(src.subarray(from, to), op);
    op += count;
  };
  if (n > MATCH_FIND_LIMIT) {
    const table = new Int32Array(1 << HASH_BITS).fill(-1);
    const lastMatchStart = n - MATCH_FIND_LIMIT;
    const matchEndLimit = n - LAST_LITERALS;
    let ip = 0;
    let misses = 1 << MISSES_PER_STEP_LOG2;
    while (ip < lastMatchStart) {
      const word = view.getUint32(ip, true);
      const h = Math.imul(word, 2654435761) >>> (32 - HASH_BITS);
      const ref = table[h];
      table[h] = ip;
      if (ref < 0 || ip - ref > MAX_OFFSET || view.getUint32(ref, true) !== word) {
        ip += misses++ >>> MISSES_PER_STEP_LOG2;
        continue;
      }
      misses = 1 << MISSES_PER_STEP_LOG2;
      let length = MIN_MATCH;
      while (ip + length < matchEndLimit && src[ref + length] === src[ip + length]) length++;
      const extra = length - MIN_MATCH >= 15 ? Math.floor((length - MIN_MATCH - 15) / 255) + 1 : 0;
      // This sequence and at least a last token must stay under the limit.
      if (op + literalCost(ip - anchor) + 2 + extra + 1 >= limit) return null;
      const matchCode = Math.min(length - MIN_MATCH, 15);
      emitLiterals(anchor, ip, matchCode);
      const offset = ip - ref;
      out![op++] = offset & 0xff;
      out![op++] = offset >>> 8;
      if (length - MIN_MATCH >= 15) op = writeLength(out!, op, length - MIN_MATCH - 15);
      ip += length;
      anchor = ip;
    }
  }
  if (op + literalCost(n - anchor) >= limit) return null;
  emitLiterals(anchor, n, 0);
  return out!.subarray(0, op);
}
