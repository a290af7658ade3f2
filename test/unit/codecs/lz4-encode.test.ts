import { describe, expect, it } from 'vitest';
import { decodeLz4Block } from '../../../src/protocol/codecs/lz4.ts';
import { encodeLz4Block, encodeLz4BlockBelow, lz4CompressBound } from '../../../src/protocol/codecs/lz4-encode.ts';
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

  it('with a limit: the same block when it fits, null when it cannot (noise), exactly at the edge', () => {
    const random = rng(11);
    const noise = Uint8Array.from({ length: 120 * 1024 }, () => random() & 0xff);
    expect(encodeLz4BlockBelow(noise, noise.byteLength)).toBeNull();
    const text = Uint8Array.from({ length: 50_000 }, (_, i) => 'the usbredir stream '.charCodeAt(i % 20) ^ (i % 333 === 0 ? 1 : 0));
    const full = encodeLz4Block(text);
    expect(encodeLz4BlockBelow(text, full.byteLength + 1)).toEqual(full);
    expect(encodeLz4BlockBelow(text, full.byteLength)).toBeNull();
    // Half noise, half zeros: it shrinks, and what it gives decodes back.
    const mixed = new Uint8Array(100_000);
    mixed.set(noise.subarray(0, 50_000));
    const block = encodeLz4BlockBelow(mixed, mixed.byteLength)!;
    expect(block.byteLength).toBeLessThan(60_000);
    const out = new Uint8Array(mixed.byteLength);
    expect(decodeLz4Block(block, 0, block.byteLength, out, 0, out.byteLength)).toBe(mixed.byteLength);
    expect(out).toEqual(mixed);
  });

  it('skips through data that does not match: noise costs far less than data that does', () => {
    // The encoder speeds up while it finds no match: on 1 MiB of noise it makes about 12,000
    // probes instead of a million, so it must beat a bare one-hash-per-byte loop by far (4x here;
    // the real gap is tens of times). Each side is its fastest of several runs: a run the machine's
    // load interrupted (another test file, a collection) is only ever slower, never faster.
    const random = rng(5);
    const noise = Uint8Array.from({ length: 1 << 20 }, () => random() & 0xff);
    const time = (f: () => void): number => {
      for (let i = 0; i < 3; i++) f();
      let fastest = Infinity;
      for (let i = 0; i < 9; i++) {
        const t = performance.now();
        f();
        fastest = Math.min(fastest, performance.now() - t);
      }
      return fastest;
    };
    const noiseMs = time(() => encodeLz4BlockBelow(noise, noise.byteLength));
    const everyByteMs = time(() => {
      // A lower bound of a per-byte scan: one hash per byte of the same data.
      let h = 0;
      const v = new DataView(noise.buffer);
      for (let i = 0; i + 4 <= noise.length; i++) h ^= Math.imul(v.getUint32(i, true), 2654435761) >>> 20;
      if (h === -1) throw new Error('unreachable');
    });
    expect(noiseMs).toBeLessThan(everyByteMs / 4);
  });
});
