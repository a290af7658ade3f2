// Comparing decoded pixel words, with a message that says where the first difference is.

/**
 * The first pixel where `actual` and `expected` differ (only in the bits of `mask`), with how many
 * differ, as a readable string; undefined when they are the same. With a width the pixel is given
 * as (x, y), without it as a word index.
 */
export function firstDifference(actual: Uint32Array, expected: Uint32Array, width = 0, mask = 0xffffffff): string | undefined {
  if (actual.length !== expected.length) return `${actual.length} pixels against ${expected.length}`;
  let count = 0;
  let first = -1;
  for (let i = 0; i < actual.length; i++) {
    if (((actual[i] ^ expected[i]) & mask) !== 0) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (count === 0) return undefined;
  const at = width > 0 ? `(${first % width}, ${Math.floor(first / width)})` : `word ${first}`;
  const hex = (word: number): string => `0x${(word >>> 0).toString(16)}`;
  return `${count} pixels differ, first at ${at}: got ${hex(actual[first])}, expected ${hex(expected[first])}`;
}
