// The QUIC row decoders of quic-rows.ts in C, compiled to WebAssembly (scripts/build-wasm.mjs).
// Same algorithm, same state and the same failure conditions as the TypeScript decoder, which
// stays the reference: quic.ts calls this first and, when it reports a failure, runs the
// TypeScript decoder on the same data to produce the error a person reads. What differs is how
// the bits are read: each pixel's r, g and b code words come from one 64-bit window of the
// stream, the next pixel's window is built from loads issued before this pixel's code lengths
// are known (so that only the lengths form the loop's serial dependency), and a table gives a
// short code word's value and context in one look-up. The constant tables
// (code families, the update schedule) are not repeated here: wasm-decoders.ts copies them from
// quic-tables.ts into `quic_tables` once, before the first image.
#include "common.h"

#include <wasm_simd128.h>

// Layout of one family's decoder table (quic-tables.ts decoderTable).
#define VALUE_INFO 0
#define PARAMETER_INFO 256
#define CODE_LENGTHS (PARAMETER_INFO + 32)
#define FAMILY_SIZE (CODE_LENGTHS + 256 * 8)

// Code words of at most LOOKUP_BITS bits decode with one look-up (decode_entry).
#define LOOKUP_BITS 10

#define WAIT_MASK_STEP 2048
#define LAST_WAIT_MASK_INDEX 6
#define MELCODE_LAST_STATE 31
#define CHANNEL_STRIDE 16

#define IMAGE_GRAY 1
#define IMAGE_RGB16 2
#define IMAGE_RGBA 5

// Filled by wasm-decoders.ts; the offsets are part of the interface (QUIC_TABLE_* there).
struct QuicTables {
  i32 family8[FAMILY_SIZE];
  i32 family5[FAMILY_SIZE];
  u32 chaos[256];
  i32 melcodeJ[32];
  i32 triggers[LAST_WAIT_MASK_INDEX + 1];
};
struct QuicTables quic_tables;

// The 8-bit family's code lengths shifted left by 3, for update_model8's keys; made from
// quic_tables by prepare_tables, as are the lookup tables below.
static i32 keyLengths8[256 * 8];
static u32 tablesReady;

// decode_entry's tables, one per family:
// [parameter << LOOKUP_BITS | the next LOOKUP_BITS bits] = the code word there packed as
// length | value << 5 | VALUE_INFO[value] << 13, or 0 when it is longer.
static u32 lookup8[8 << LOOKUP_BITS];
static u32 lookup5[8 << LOOKUP_BITS];

EXPORT("quic_tables") struct QuicTables *quic_tables_address(void) { return &quic_tables; }

// The adaptation state one or three channels share, and their models (spice-common's
// CommonState and the per-channel buckets).
typedef struct {
  // A context's best parameter, shifted left by LOOKUP_BITS.
  u32 best[3 * CHANNEL_STRIDE];
  i32 sums[3 * CHANNEL_STRIDE * 8];
  u32 waitCount;
  u32 randomIndex;
  u32 waitMaskIndex;
  u32 waitMaskLeft;
  u32 trigger;
  u32 melState;
  u32 melLength;
  u32 melOrder;
  // contexts[x + 1]: the packed contexts of pixel x of the last row decoded; contexts[0] the
  // left neighbour of the first pixel.
  i32 *contexts;
} Models;

typedef struct {
  // The stream's 32-bit words in reverse order, so that one little-endian 64-bit load at
  // top - (pos >> 3) holds the stream's bits from byte pos >> 3 on, first bit highest.
  const u8 *top;
  u32 bitLimit;
  u32 pos;
  // Pixels live in a band: the row above the band's first row, then the band's rows; `px` is
  // where image row `firstRow` is.
  u32 *px;
  u32 firstRow;
  u32 width;
  const i32 *family;
  const u32 *lookup;
  u32 last;
  u32 valueMask;
} Stream;

static void init_models(Models *m, i32 *contexts, u32 width, u32 channels, u32 bpc, i32 contextBase) {
  for (u32 i = 0; i < 3 * CHANNEL_STRIDE; i++) m->best[i] = (bpc - 1) << LOOKUP_BITS;
  // Sums of 0; for 8 bits per channel kept as keys (update_model8).
  for (u32 i = 0; i < 3 * CHANNEL_STRIDE * 8; i++) m->sums[i] = bpc == 8 ? 7 - (i32)(i & 7) : 0;
  m->waitCount = 0;
  m->randomIndex = 0xff;
  m->waitMaskIndex = 0;
  m->waitMaskLeft = WAIT_MASK_STEP;
  m->trigger = (u32)quic_tables.triggers[0];
  m->melState = 0;
  m->melLength = (u32)quic_tables.melcodeJ[0];
  m->melOrder = 1u << m->melLength;
  m->contexts = contexts;
  for (u32 i = 0; i <= width; i++) contexts[i] = contextBase;
  (void)channels;
}

// The stream from bit `at` on, first bit highest: at least 57 valid bits.
static inline u64 window64(const u8 *top, u32 at) {
  u64 v;
  __builtin_memcpy(&v, top - (at >> 3), 8);
  return v << (at & 7);
}

static inline u32 window_at(const u8 *top, u32 at) { return (u32)(window64(top, at) >> 32); }

static inline u32 clz32(u32 x) { return x ? (u32)__builtin_clz(x) : 32; }

// The code word at the top of `window` (at least 26 valid bits) for Rice parameter `parameter`:
// value << 5 | length.
static inline u32 code_word(const i32 *family, u64 window, u32 parameter) {
  u32 zeros = (u32)__builtin_clzll(window | 1);
  const i32 *info = family + PARAMETER_INFO + (parameter << 2);
  if (zeros < (u32)info[0]) {
    u32 length = zeros + 1 + parameter;
    u32 value = (zeros << parameter) | ((u32)(window >> (64 - length)) & ((1u << parameter) - 1));
    return ((value & 0xff) << 5) | length;
  }
  u32 length = (u32)info[1];
  return ((((u32)info[2] + ((u32)(window >> (64 - length)) & (u32)info[3])) & 0xff) << 5) | length;
}

// The code word at the top of `window` for the context whose best[] is `selector`, packed as in
// the lookup tables.
static inline u32 decode_entry(const i32 *family, const u32 *lookup, u64 window, u32 selector) {
  u32 entry = lookup[selector | (u32)(window >> (64 - LOOKUP_BITS))];
  if (__builtin_expect(entry != 0, 1)) return entry;
  u32 code = code_word(family, window, selector >> LOOKUP_BITS);
  return code | ((u32)family[VALUE_INFO + (code >> 5)] << 13);
}

// The length alone of the same code word, from the leading zeros: the pixel loops' serial
// dependency, kept off the table look-up's latency.
static inline u32 code_length(const i32 *family, u64 window, u32 selector) {
  u32 parameter = selector >> LOOKUP_BITS;
  u32 zeros = (u32)__builtin_clzll(window | 1);
  const i32 *info = family + PARAMETER_INFO + (parameter << 2);
  return zeros < (u32)info[0] ? zeros + 1 + parameter : (u32)info[1];
}

static void build_lookup(const i32 *family, u32 *lookup, u32 bpc) {
  for (u32 parameter = 0; parameter < bpc; parameter++) {
    for (u32 bits = 0; bits < 1u << LOOKUP_BITS; bits++) {
      u32 code = code_word(family, (u64)bits << (64 - LOOKUP_BITS), parameter);
      u32 fits = (code & 31) <= LOOKUP_BITS;
      lookup[parameter << LOOKUP_BITS | bits] = fits ? code | ((u32)family[VALUE_INFO + (code >> 5)] << 13) : 0;
    }
  }
}

static inline i32 min_key(i32 a, i32 b) { return a < b ? a : b; }

// Adds the code lengths of `value` to a context's sums and picks its best parameter again: the
// smallest sum, the highest parameter among equal ones; halves the sums past the trigger.
// The same for 8 bits per channel with 128-bit vectors. Here the sums are kept as keys,
// sum << 3 | (7 - parameter), and the code lengths come shifted by 3 (keyLengths8), so that an
// update is two additions and a minimum over the lanes.
static inline void update_model8(u32 *best, i32 *keys, const i32 *lengths, u32 trigger) {
  v128_t low = wasm_i32x4_add(wasm_v128_load(keys), wasm_v128_load(lengths));
  v128_t high = wasm_i32x4_add(wasm_v128_load(keys + 4), wasm_v128_load(lengths + 4));
  v128_t least = wasm_i32x4_min(low, high);
  least = wasm_i32x4_min(least, wasm_i32x4_shuffle(least, least, 2, 3, 0, 1));
  least = wasm_i32x4_min(least, wasm_i32x4_shuffle(least, least, 1, 0, 3, 2));
  i32 key = wasm_i32x4_extract_lane(least, 0);
  *best = (u32)(7 - (key & 7)) << LOOKUP_BITS;
  if ((u32)key >> 3 > trigger) {
    // Halve the sums, keep the parameter bits.
    v128_t parameters = wasm_i32x4_splat(7);
    low = wasm_v128_or(wasm_v128_andnot(wasm_u32x4_shr(low, 1), parameters), wasm_v128_and(low, parameters));
    high = wasm_v128_or(wasm_v128_andnot(wasm_u32x4_shr(high, 1), parameters), wasm_v128_and(high, parameters));
  }
  wasm_v128_store(keys, low);
  wasm_v128_store(keys + 4, high);
}

static inline void update_model(u32 *best, i32 *sums, const i32 *lengths, u32 last, u32 trigger) {
  i32 key = ((sums[last] += lengths[last]) << 3) | (i32)(7 - last);
  for (i32 p = (i32)last - 1; p >= 0; p--) key = min_key(key, ((sums[p] += lengths[p]) << 3) | (7 - p));
  *best = (u32)(7 - (key & 7)) << LOOKUP_BITS;
  if ((u32)key >> 3 > trigger) {
    for (u32 p = 0; p <= last; p++) sums[p] = (i32)((u32)sums[p] >> 1);
  }
}

static inline void update(Stream *s, Models *m, u32 context, u32 value) {
  if (s->last == 7) update_model8(&m->best[context], &m->sums[context << 3], keyLengths8 + (value << 3), m->trigger);
  else update_model(&m->best[context], &m->sums[context << 3], s->family + CODE_LENGTHS + (value << 3), s->last, m->trigger);
}

static inline u32 next_stop(Models *m, u32 i) {
  u32 random = (m->randomIndex + 1) & 0xff;
  m->randomIndex = random;
  return i + 1 + (quic_tables.chaos[random] & ((1u << m->waitMaskIndex) - 1));
}

// A MELCODE run length from s->pos; -1 when it passes `limit` or the data.
static i32 read_run(Stream *s, Models *m, u32 limit) {
  u32 at = s->pos;
  u32 run = 0;
  for (;;) {
    u32 ones = clz32(~window_at(s->top, at));
    if (ones > 8) ones = 8;
    for (u32 hit = 0; hit < ones; hit++) {
      run += m->melOrder;
      if (m->melState < MELCODE_LAST_STATE) {
        m->melLength = (u32)quic_tables.melcodeJ[++m->melState];
        m->melOrder = 1u << m->melLength;
      }
    }
    if (run > limit) return -1;
    if (ones != 8) {
      at += ones + 1;
      break;
    }
    at += 8;
    if (at > s->bitLimit) return -1;
  }
  if (m->melLength) {
    run += window_at(s->top, at) >> (32 - m->melLength);
    at += m->melLength;
  }
  if (m->melState) {
    m->melLength = (u32)quic_tables.melcodeJ[--m->melState];
    m->melOrder = 1u << m->melLength;
  }
  s->pos = at;
  if (run > limit) return -1;
  return (i32)run;
}

#define RGB_LANES 0xffffffu

static inline u32 add_lanes(u32 a, u32 b) { return ((a & 0x7f7f7f) + (b & 0x7f7f7f)) ^ ((a ^ b) & 0x808080); }
static inline u32 average_lanes(u32 a, u32 b) { return (a & b & RGB_LANES) + (((a ^ b) & 0xfefefe) >> 1); }

// Pixels [i, end) of row y for r, g and b, up to where a run starts (not at noRunAt). Returns
// where it stopped, or -1 past the data.
static i32 rgb_pixels(Stream *s, Models *m, u32 y, u32 i, u32 end, u32 noRunAt) {
  const i32 *family = s->family;
  const u32 *lookup = s->lookup;
  const u8 *top = s->top;
  const u32 laneMask = s->valueMask * 0x010101u;
  const u32 width = s->width;
  const u32 bitLimit = s->bitLimit;
  i32 *contexts = m->contexts;
  u32 *px = s->px + (y - s->firstRow) * width;
  u32 stop = i + m->waitCount;
  u32 context = (u32)contexts[i];
  u32 cr = context >> 16, cg = (context >> 8) & 0xff, cb = context & 0xff;
  u32 pos = s->pos;
  u64 window = window64(top, pos);
  while (i < end) {
    u32 prediction;
    if (y == 0) {
      prediction = i ? px[i - 1] & RGB_LANES : 0;
    } else {
      u32 above = px[i - width];
      if (i == 0) {
        prediction = above & RGB_LANES;
      } else {
        u32 left = px[i - 1];
        if (i > 2 && i != noRunAt && ((px[i - width - 1] ^ above) & RGB_LANES) == 0 && ((px[i - 2] ^ left) & RGB_LANES) == 0) break;
        prediction = average_lanes(left, above);
      }
    }
    // `window` holds at least 57 bits from pos; r and g take 26 at most each, b gets a new
    // window only after long ones. The next pixel's window comes from the two words loaded here,
    // whose address does not wait for this pixel's code lengths.
    const u8 *at = top - (pos >> 3);
    u64 ahead, after;
    __builtin_memcpy(&ahead, at, 8);
    __builtin_memcpy(&after, at - 8, 8);
    u32 sr = m->best[cr], sg = m->best[cg], sb = m->best[cb];
    u32 er = decode_entry(family, lookup, window, sr);
    u32 used = code_length(family, window, sr);
    u64 green = window << used;
    u32 eg = decode_entry(family, lookup, green, sg);
    u32 lg = code_length(family, green, sg);
    u64 blue = used + lg > 31 ? window64(top, pos + used + lg) : green << lg;
    used += lg;
    u32 eb = decode_entry(family, lookup, blue, sb);
    used += code_length(family, blue, sb);
    u32 shift = (pos & 7) + used;
    pos += used;
    if (pos > bitLimit) return -1;
    window = shift < 64 ? (ahead << shift) | ((after >> 1) >> (63 - shift)) : window64(top, pos);
    u32 vr = (er >> 5) & 0xff, vg = (eg >> 5) & 0xff, vb = (eb >> 5) & 0xff;
    u32 ir = er >> 13, ig = eg >> 13, ib = eb >> 13;
    px[i] = add_lanes(prediction, ((ir & 0xff) << 16) | ((ig & 0xff) << 8) | (ib & 0xff)) & laneMask;
    if (i == stop) {
      update(s, m, cr, vr);
      update(s, m, cg, vg);
      update(s, m, cb, vb);
      stop = next_stop(m, i);
    }
    cr = ir >> 8;
    cg = CHANNEL_STRIDE + (ig >> 8);
    cb = 2 * CHANNEL_STRIDE + (ib >> 8);
    contexts[i + 1] = (i32)((cr << 16) | (cg << 8) | cb);
    i++;
  }
  m->waitCount = stop - i;
  s->pos = pos;
  return (i32)i;
}

static int rgb_segment(Stream *s, Models *m, u32 y, u32 i, u32 end) {
  u32 noRunAt = 0xffffffffu;
  for (;;) {
    i32 stopped = rgb_pixels(s, m, y, i, end, noRunAt);
    if (stopped < 0) return -1;
    i = (u32)stopped;
    if (i == end) return 0;
    i32 run = read_run(s, m, end - i);
    if (run < 0) return -1;
    if (run) {
      u32 *row = s->px + (y - s->firstRow) * s->width;
      u32 v = row[i - 1];
      for (u32 e = i + (u32)run; i < e; i++) row[i] = v;
      if (i == end) return 0;
    } else {
      noRunAt = i;
    }
  }
}

// The same for one channel in the byte lane at `shift`, the other lanes kept.
static i32 plane_pixels(Stream *s, Models *m, u32 y, u32 i, u32 end, u32 shift, u32 noRunAt) {
  const i32 *family = s->family;
  const u32 *lookup = s->lookup;
  const u8 *top = s->top;
  const u32 mask = s->valueMask;
  const u32 width = s->width;
  const u32 bitLimit = s->bitLimit;
  const u32 keep = ~(0xffu << shift);
  i32 *contexts = m->contexts;
  u32 *px = s->px + (y - s->firstRow) * width;
  u32 stop = i + m->waitCount;
  u32 context = (u32)contexts[i];
  u32 pos = s->pos;
  while (i < end) {
    u32 prediction;
    if (y == 0) {
      prediction = i ? (px[i - 1] >> shift) & 0xff : 0;
    } else {
      u32 above = (px[i - width] >> shift) & 0xff;
      if (i == 0) {
        prediction = above;
      } else {
        u32 left = (px[i - 1] >> shift) & 0xff;
        if (i > 2 && i != noRunAt && ((px[i - width - 1] >> shift) & 0xff) == above && ((px[i - 2] >> shift) & 0xff) == left) break;
        prediction = (left + above) >> 1;
      }
    }
    u32 entry = decode_entry(family, lookup, window64(top, pos), m->best[context]);
    pos += entry & 31;
    u32 v = (entry >> 5) & 0xff;
    if (pos > bitLimit) return -1;
    u32 info = entry >> 13;
    px[i] = (px[i] & keep) | ((((info & 0xff) + prediction) & mask) << shift);
    if (i == stop) {
      update(s, m, context, v);
      stop = next_stop(m, i);
    }
    context = info >> 8;
    contexts[i + 1] = (i32)context;
    i++;
  }
  m->waitCount = stop - i;
  s->pos = pos;
  return (i32)i;
}

static int plane_segment(Stream *s, Models *m, u32 y, u32 i, u32 end, u32 shift) {
  const u32 keep = ~(0xffu << shift);
  u32 noRunAt = 0xffffffffu;
  for (;;) {
    i32 stopped = plane_pixels(s, m, y, i, end, shift, noRunAt);
    if (stopped < 0) return -1;
    i = (u32)stopped;
    if (i == end) return 0;
    i32 run = read_run(s, m, end - i);
    if (run < 0) return -1;
    if (run) {
      u32 *row = s->px + (y - s->firstRow) * s->width;
      u32 lane = row[i - 1] & ~keep;
      for (u32 e = i + (u32)run; i < e; i++) row[i] = (row[i] & keep) | lane;
      if (i == end) return 0;
    } else {
      noRunAt = i;
    }
  }
}

// One row in segments of constant wait mask (quic-rows.ts forEachSegment); shift 32 means r, g, b.
static int decode_row(Stream *s, Models *m, u32 y, u32 shift) {
  if (y) m->contexts[0] = m->contexts[1];
  u32 position = 0;
  u32 left = s->width;
  while (m->waitMaskIndex < LAST_WAIT_MASK_INDEX && m->waitMaskLeft <= left) {
    u32 count = m->waitMaskLeft;
    if (count) {
      int failed = shift == 32 ? rgb_segment(s, m, y, position, position + count) : plane_segment(s, m, y, position, position + count, shift);
      if (failed) return -1;
      position += count;
      left -= count;
    }
    m->trigger = (u32)quic_tables.triggers[++m->waitMaskIndex];
    m->waitMaskLeft = WAIT_MASK_STEP;
  }
  if (left) {
    int failed = shift == 32 ? rgb_segment(s, m, y, position, position + left) : plane_segment(s, m, y, position, position + left, shift);
    if (failed) return -1;
    if (m->waitMaskIndex < LAST_WAIT_MASK_INDEX) m->waitMaskLeft -= left;
  }
  return s->pos > s->bitLimit ? -1 : 0;
}

// One image being decoded in bands of rows: QUIC looks back one row only, so the rows live in a
// small band that the caller copies out while it is still in the cache (copying a whole decoded
// screen out of the WebAssembly memory afterwards costs as much as decoding it).
static struct {
  Stream s;
  Models rgb;
  Models plane;
  u32 *band;
  u32 type;
  u32 height;
  u32 y;
} image;

static void prepare_tables(void) {
  if (tablesReady) return;
  for (u32 i = 0; i < 256 * 8; i++) keyLengths8[i] = quic_tables.family8[CODE_LENGTHS + i] << 3;
  build_lookup(quic_tables.family8, lookup8, 8);
  build_lookup(quic_tables.family5, lookup5, 5);
  tablesReady = 1;
}

// For the tests: the code word at the top of the window high << 32 | low for a parameter of the
// 8- or 5-bit family, packed as in the lookup tables, or 0xffffffff when decode_entry and
// code_length disagree on its length.
EXPORT("quic_code_word")
u32 quic_code_word(u32 bpc, u32 parameter, u32 high, u32 low) {
  prepare_tables();
  const i32 *family = bpc == 5 ? quic_tables.family5 : quic_tables.family8;
  const u32 *lookup = bpc == 5 ? lookup5 : lookup8;
  u64 window = (u64)high << 32 | low;
  u32 entry = decode_entry(family, lookup, window, parameter << LOOKUP_BITS);
  return code_length(family, window, parameter << LOOKUP_BITS) == (entry & 31) ? entry : 0xffffffffu;
}

// Bytes before the reversed stream that quic_begin sets to zero: reads past the end of the data
// (at most 26 bits beyond the limit of the checks, and 8 bytes a load) find zeros there.
#define STREAM_LEAD 64

// Starts decoding the QUIC stream whose whole words are at `words` (wordCount of them, preceded by
// STREAM_LEAD bytes this overwrites) from bit `startBit`; reverses the words in place. `band` has
// room for 1 + the largest band of rows of `width` pixels; `contexts` for 2 * (width + 1) words.
// Returns 0, or -1 when the data ends before the image starts.
EXPORT("quic_begin")
int quic_begin(u32 *words, u32 wordCount, u32 startBit, u32 *band, u32 width, u32 height, u32 type, i32 *contexts) {
  if (wordCount == 0) return -1;
  prepare_tables();
  __builtin_memset((u8 *)words - STREAM_LEAD, 0, STREAM_LEAD);
  for (u32 i = 0, j = wordCount - 1; i < j; i++, j--) {
    u32 t = words[i];
    words[i] = words[j];
    words[j] = t;
  }
  u32 bpc = type == IMAGE_RGB16 ? 5 : 8;
  Stream s = {
    .top = (const u8 *)(words + wordCount) - 8,
    .bitLimit = wordCount * 32 - 32,
    .pos = startBit,
    .px = band + width,
    .firstRow = 0,
    .width = width,
    .family = bpc == 5 ? quic_tables.family5 : quic_tables.family8,
    .lookup = bpc == 5 ? lookup5 : lookup8,
    .last = bpc - 1,
    .valueMask = (1u << bpc) - 1,
  };
  image.s = s;
  image.band = band;
  image.type = type;
  image.height = height;
  image.y = 0;
  if (type == IMAGE_GRAY) {
    init_models(&image.plane, contexts, width, 1, bpc, 0);
  } else {
    init_models(&image.rgb, contexts, width, 3, bpc, (0 << 16) | (CHANNEL_STRIDE << 8) | (2 * CHANNEL_STRIDE));
    if (type == IMAGE_RGBA) init_models(&image.plane, contexts + width + 1, width, 1, bpc, 0);
  }
  return s.pos > s.bitLimit ? -1 : 0;
}

// Decodes the next `count` rows into band rows 1..count (row 0 holds the row above them), then
// keeps the last one as the next band's row above. The rows come out as 0xAARRGGBB words (RGB16
// widened by bit replication, GRAY as v, v, v). Returns 0, or -1 when the stream is corrupt or
// ends too early.
EXPORT("quic_rows")
int quic_rows(u32 count) {
  Stream *s = &image.s;
  const u32 width = s->width;
  u32 *band = image.band;
  u32 first = image.y;
  if (count > image.height - first) return -1;
  s->px = band + width;
  s->firstRow = first;
  for (u32 y = first; y < first + count; y++) {
    if (image.type == IMAGE_GRAY) {
      if (decode_row(s, &image.plane, y, 0)) return -1;
    } else {
      if (decode_row(s, &image.rgb, y, 32)) return -1;
      if (image.type == IMAGE_RGBA && decode_row(s, &image.plane, y, 24)) return -1;
    }
  }
  image.y = first + count;
  __builtin_memcpy(band, band + count * width, width * 4);
  u32 *rows = band + width;
  u32 n = count * width;
  if (image.type == IMAGE_GRAY) {
    for (u32 o = 0; o < n; o++) rows[o] = (rows[o] & 0xff) * 0x010101u;
  } else if (image.type == IMAGE_RGB16) {
    // Widened only now: the row above must keep its 5-bit values while the next row is decoded.
    for (u32 o = 0; o < n; o++) {
      u32 v = rows[o];
      rows[o] = ((v & 0x1f1f1f) << 3) | ((v >> 2) & 0x070707);
    }
  }
  return 0;
}
