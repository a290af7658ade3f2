// The WebAssembly QUIC decoder's code word reading (a look-up table for short code words, the
// leading-zero count for the length) against code words built here from spice-common's
// definition of the Golomb-Rice families; and the WebAssembly paths decoding every fixture
// themselves (a silent fallback to TypeScript would pass the parity tests).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeLz } from '../../../src/protocol/codecs/lz.ts';
import { decodeQuic, readQuicHeader } from '../../../src/protocol/codecs/quic.ts';
import { FAMILY_5BPC, FAMILY_8BPC } from '../../../src/protocol/codecs/quic-tables.ts';
import { loadWasmDecoders, type WasmDecoders } from '../../../src/protocol/codecs/wasm/wasm-decoders.ts';
import { readRecordedImage } from '../../fixtures/images/recorded-image.ts';
import { rng } from './lz-streams.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/images');
const REFERENCE = join(FIXTURES, 'quic-reference');

function decoders(): WasmDecoders {
  const wasm = loadWasmDecoders();
  if (!wasm) throw new Error('no WebAssembly decoders');
  return wasm;
}

/**
 * spice-common's family_init: with parameter l, values below (prefix << l) are Rice code words
 * ((n >> l) zeros, a one, the l low bits of n); the others an escape code word of `prefix` zeros
 * and the bits of n - (prefix << l), where prefix = min(26 - bpc, 2^(bpc - l) - 1).
 */
function encode(bpc: number, l: number, n: number): { bits: bigint; length: number } {
  const prefix = Math.min(26 - bpc, 2 ** (bpc - l) - 1);
  const riceCount = prefix << l;
  if (n < riceCount) {
    const length = (n >> l) + l + 1;
    return { bits: BigInt((1 << l) | (n & ((1 << l) - 1))), length };
  }
  const suffixLength = Math.ceil(Math.log2(2 ** bpc - riceCount));
  return { bits: BigInt(n - riceCount), length: prefix + suffixLength };
}

describe('WebAssembly QUIC code words', () => {
  for (const [bpc, family] of [
    [8, FAMILY_8BPC],
    [5, FAMILY_5BPC],
  ] as const) {
    it(`${bpc} bits per channel: every value with every parameter, whatever bits follow`, () => {
      const wasm = decoders();
      const next = rng(bpc);
      const lengths = new Set<number>();
      for (let l = 0; l < bpc; l++) {
        for (let n = 0; n < 2 ** bpc; n++) {
          const { bits, length } = encode(bpc, l, n);
          lengths.add(length);
          const expected = (length | (n << 5) | ((family.unfold[n] | (family.bucketOfContext[n] << 8)) << 13)) >>> 0;
          const tails = [0n, (1n << 64n) - 1n, (BigInt(next()) << 32n) | BigInt(next())];
          for (const tail of tails) {
            const window = ((bits << BigInt(64 - length)) | (tail >> BigInt(length))) & ((1n << 64n) - 1n);
            const got = wasm.quicCodeWord(bpc, l, Number(window >> 32n), Number(window & 0xffffffffn));
            if (got !== expected) {
              throw new Error(`bpc ${bpc}, parameter ${l}, value ${n} (${length} bits), window 0x${window.toString(16)}: got 0x${got.toString(16)}, expected 0x${expected.toString(16)}`);
            }
          }
        }
      }
      // Both sides of the table's 10-bit limit, and the longest code words, were covered.
      expect(Math.min(...lengths)).toBe(1);
      expect(Math.max(...lengths)).toBeGreaterThan(bpc === 8 ? 20 : 15);
      expect(lengths.has(10) && lengths.has(11)).toBe(true);
    });
  }
});

describe('WebAssembly decoders decode the fixtures themselves', () => {
  const recorded = readdirSync(FIXTURES).filter((f) => f.endsWith('.bin'));
  const quic: [string, Uint8Array][] = [
    ...recorded.filter((f) => f.startsWith('quic-')).map((f): [string, Uint8Array] => [f, readRecordedImage(join(FIXTURES, f)).data]),
    ...readdirSync(REFERENCE)
      .filter((f) => f.endsWith('.quic'))
      .map((f): [string, Uint8Array] => [f, new Uint8Array(readFileSync(join(REFERENCE, f)))]),
  ];

  it.each(quic)('QUIC %s', (name, data) => {
    const { type, width, height } = readQuicHeader(data);
    const out = new Uint32Array(width * height);
    expect(decoders().quic(data, 20, type, width, height, out), name).toBe(true);
    // Without WebAssembly passed in, decodeQuic is the TypeScript decoder.
    expect(Array.from(out)).toEqual(Array.from(decodeQuic(data, { width, height }).data));
  });

  it('QUIC damaged streams: the WebAssembly decoder fails exactly where the TypeScript one throws', () => {
    const next = rng(5);
    let failures = 0;
    for (const [name, data] of quic.filter(([n]) => /photo|noise/.test(n))) {
      const { type, width, height } = readQuicHeader(data);
      for (let k = 0; k < 10; k++) {
        const damaged = k % 2 ? data.slice(0, 20 + (next() % (data.length - 20))) : data.slice();
        if (k % 2 === 0) damaged[20 + (next() % (data.length - 20))] ^= 1 << next() % 8;
        const out = new Uint32Array(width * height);
        const wasmOk = decoders().quic(damaged, 20, type, width, height, out);
        let tsOk = true;
        try {
          decodeQuic(damaged, { width, height });
        } catch {
          tsOk = false;
        }
        expect(wasmOk, `${name} damaged #${k}`).toBe(tsOk);
        if (!wasmOk) failures++;
      }
    }
    expect(failures).toBeGreaterThan(5);
  });

  it.each(recorded.filter((f) => f.startsWith('lz-rgb-')))('LZ %s', (name) => {
    const image = readRecordedImage(join(FIXTURES, name));
    const data = image.data;
    const word = (at: number): number => ((data[at] << 24) | (data[at + 1] << 16) | (data[at + 2] << 8) | data[at + 3]) >>> 0;
    const [type, width, height, topDown] = [word(8), word(12), word(16), word(24)];
    const out = new Uint32Array(width * height);
    expect(decoders().lzRgb(data, 28, type === 9, width, height, topDown === 1, out), name).toBe(true);
    expect(Array.from(out)).toEqual(Array.from(decodeLz(data, { width, height }, null).data));
  });
});
