import { describe, expect, it } from 'vitest';
import { decodeLz4Block } from '../../../src/protocol/codecs/lz4.ts';
import { encodeLz4Block, lz4CompressBound } from '../../../src/protocol/codecs/lz4-encode.ts';
import { rng } from '../../helpers/random.ts';

const roundTrip = (src: Uint8Array): Uint8Array => {
  const block = encodeLz4Block(src);
  expect(block.byteLength).toBeLessThanOrEqual(lz4CompressBound(src.byteLength));
  const out = new Uint8Array(src.byteLength);
  expect(decodeLz4Block(block, 0, block.byteLength, out, 0, out.byteLength)).toBe(src.byteLength);
  return out;
};

describe('LZ4 block encoder', () => {
  it('round-trips through the decoder: empty, tiny, random, repetitive, long runs, long literals', () => {
    const random = rng(7);
    const cases: Uint8Array[] = [
      new Uint8Array(0), Uint8Array.of(1), new Uint8Array(12).fill(3), new Uint8Array(13).fill(3),
      Uint8Array.from({ length: 5000 }, () => random() & 0xff),
      Uint8Array.from({ length: 70_000 }, (_, i) => (i % 97) & 0xff),
      new Uint8Array(200_000).fill(0xaa),
      Uint8Array.from({ length: 4096 }, (_, i) => (i < 3000 ? random() & 0xff : 0)),
    ];
    for (const src of cases) expect(roundTrip(src)).toEqual(src);
  });

  it('compresses what repeats and keeps the end-of-block rules (last 5 bytes literals)', () => {
    const src = new Uint8Array(64 * 1024).fill(0x55);
    const block = encodeLz4Block(src);
    expect(block.byteLength).toBeLessThan(src.byteLength / 100);
    // The last sequence is a token of 5 literals (no match) followed by them.
    expect(block[block.byteLength - 6]).toBe(5 << 4);
  });
});
