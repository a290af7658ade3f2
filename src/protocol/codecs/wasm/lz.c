// The RGB24/RGB32/RGBA passes of lz.ts in C, compiled to WebAssembly (scripts/build-wasm.mjs).
// Same stream format and the same failure conditions as the TypeScript decoder, which stays the
// reference: lz.ts reads and checks the header, calls this for the body and, when it reports a
// failure, runs the TypeScript decoder on the same data to produce the error a person reads.
#include "common.h"

#include <wasm_simd128.h>

#define MAX_COPY 32
#define MAX_NEAR_DISTANCE 8191

// Reads the length (before its bias) and distance of the back reference whose control byte is
// `ctrl`; returns the next input position, or 0 when the stream ends inside the reference. A
// length past `count` is reported as that (the caller fails on it) without reading further.
static inline u32 read_match(const u8 *src, u32 end, u32 ip, u32 ctrl, u32 count, u32 *length, u32 *distance) {
  u32 n = (ctrl >> 5) - 1;
  if (n == 6) {
    u32 code;
    do {
      if (ip >= end) return 0;
      code = src[ip++];
      n += code;
      if (n > count) {
        *length = n;
        *distance = 1;
        return ip;
      }
    } while (code == 255);
  }
  if (ip >= end) return 0;
  u32 low = src[ip++];
  u32 d = ((ctrl & 31) << 8) + low;
  if (low == 255 && (ctrl & 31) == 31) {
    if (ip + 2 > end) return 0;
    d = (((u32)src[ip] << 8) | src[ip + 1]) + MAX_NEAR_DISTANCE;
    ip += 2;
  }
  *length = n;
  *distance = d + 1;
  return ip;
}

// Forward copy of `length` words from `distance` back: overlapping copies repeat the last
// `distance` words. Copies 4 words a step, so it may write up to 3 words past the match: the
// caller's output has room for them, and the next matches and literals overwrite them.
static inline void copy_match(u32 *dst, u32 op, u32 length, u32 distance) {
  u32 *to = dst + op;
  const u32 *from = to - distance;
  if (distance >= 4) {
    // Each step reads words at least 4 behind the ones it writes: written by an earlier step.
    for (u32 i = 0; i < length; i += 4) wasm_v128_store(to + i, wasm_v128_load(from + i));
  } else if (distance == 1) {
    v128_t v = wasm_i32x4_splat((i32)from[0]);
    for (u32 i = 0; i < length; i += 4) wasm_v128_store(to + i, v);
  } else {
    for (u32 i = 0; i < length; i++) to[i] = from[i];
  }
}

// Three-byte literals (b, g, r), match length biased by 1. Returns the end position, 0 on failure.
static u32 rgb_pass(const u8 *src, u32 end, u32 ip, u32 *dst, u32 count) {
  u32 op = 0;
  while (op < count) {
    if (ip >= end) return 0;
    u32 ctrl = src[ip++];
    if (ctrl < MAX_COPY) {
      u32 n = ctrl + 1;
      if (n > count - op || ip + n * 3 > end) return 0;
      // The bytes after the data are padding (wasm-decoders.ts), so a 4-byte load never leaves
      // the memory the caller prepared.
      for (u32 e = op + n; op < e; op++, ip += 3) {
        u32 v;
        __builtin_memcpy(&v, src + ip, 4);
        dst[op] = v & 0xffffff;
      }
      continue;
    }
    u32 length, distance;
    ip = read_match(src, end, ip, ctrl, count, &length, &distance);
    if (!ip) return 0;
    length += 1;
    if (distance > op || length > count - op) return 0;
    copy_match(dst, op, length, distance);
    op += length;
  }
  return ip;
}

// The alpha stream of RGBA: one-byte literals into the top byte, match length biased by 3. While
// every alpha so far is 0 a match copies zeros onto zeros and is skipped.
static u32 alpha_pass(const u8 *src, u32 end, u32 ip, u32 *dst, u32 count) {
  u32 op = 0;
  u32 alphaSeen = 0;
  while (op < count) {
    if (ip >= end) return 0;
    u32 ctrl = src[ip++];
    if (ctrl < MAX_COPY) {
      u32 n = ctrl + 1;
      if (n > count - op || ip + n > end) return 0;
      for (u32 e = op + n; op < e; op++) {
        u32 a = src[ip++];
        alphaSeen |= a;
        dst[op] = (dst[op] & 0xffffff) | (a << 24);
      }
      continue;
    }
    u32 length, distance;
    ip = read_match(src, end, ip, ctrl, count, &length, &distance);
    if (!ip) return 0;
    length += 3;
    if (distance > op || length > count - op) return 0;
    if (alphaSeen == 0) {
      op += length;
      continue;
    }
    for (u32 e = op + length; op < e; op++) dst[op] = (dst[op] & 0xffffff) | (dst[op - distance] & 0xff000000u);
  }
  return ip;
}

// Decodes the body of an RGB24, RGB32 (withAlpha 0) or RGBA (withAlpha 1) LZ image: `src` holds
// the whole image data (`size` bytes, followed by at least 4 bytes of padding), the body starting
// at `start`; `count` pixels go to `dst` in stream row order. Returns 0, or -1 when the stream is
// corrupt, truncated or has bytes left over.
EXPORT("lz_decode_rgb")
int lz_decode_rgb(const u8 *src, u32 size, u32 start, u32 *dst, u32 count, u32 withAlpha) {
  u32 ip = rgb_pass(src, size, start, dst, count);
  if (!ip) return -1;
  if (withAlpha) {
    ip = alpha_pass(src, size, ip, dst, count);
    if (!ip) return -1;
  }
  return ip == size ? 0 : -1;
}
