// The WebAssembly QUIC and LZ decoders (src/protocol/codecs/wasm) against the TypeScript ones,
// which are the reference: the same pixels on every recorded and reference fixture, on generated
// LZ streams, and the same outcome (same pixels, or an error) on truncated and bit-flipped
// streams. Each decode runs twice, with the WebAssembly decoders passed in and without.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Pixels } from '../../../src/protocol/pixels/pixels.ts';
import { decodeLz } from '../../../src/protocol/codecs/lz.ts';
import { decodeQuic, readQuicHeader } from '../../../src/protocol/codecs/quic.ts';
import { loadWasmDecoders, type WasmDecoders } from '../../../src/protocol/codecs/wasm/wasm-decoders.ts';
import { ProtocolError } from '../../../src/protocol/wire/errors.ts';
import { readRecordedImage } from '../../fixtures/images/recorded-image.ts';
import { photoLikeImage } from '../../peers/desktop.ts';
import { LzType, LzWriter, lzCompressUnits, rng } from './lz-streams.ts';
import { firstDifference } from '../../helpers/pixels.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/images');
const REFERENCE = join(FIXTURES, 'quic-reference');

type Outcome = { pixels: Uint32Array; hasAlpha: boolean } | { error: string };

/** Decodes with one path; an error is an outcome too (it must be a ProtocolError). */
function outcome(wasm: WasmDecoders | null, decode: (wasm: WasmDecoders | null) => Pixels): Outcome {
  try {
    const p = decode(wasm);
    return { pixels: Uint32Array.from(p.data), hasAlpha: p.hasAlpha };
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    return { error: (e as Error).message };
  }
}

/** Both paths give the same outcome; returns it. */
function expectSame(decode: (wasm: WasmDecoders | null) => Pixels, label: string): Outcome {
  const wasm = loadWasmDecoders();
  expect(wasm, 'WebAssembly decoders').not.toBeNull();
  const fromWasm = outcome(wasm, decode);
  const fromTs = outcome(null, decode);
  if ('error' in fromTs) {
    expect(fromWasm, label).toEqual(fromTs);
  } else {
    expect('pixels' in fromWasm ? firstDifference(fromWasm.pixels, fromTs.pixels) : fromWasm.error, label).toBeUndefined();
    expect((fromWasm as { hasAlpha: boolean }).hasAlpha, label).toBe(fromTs.hasAlpha);
  }
  return fromTs;
}

function quicSize(data: Uint8Array): { width: number; height: number } {
  const { width, height } = readQuicHeader(data);
  return { width, height };
}

const recorded = readdirSync(FIXTURES).filter((f) => f.endsWith('.bin'));
const quicFixtures: [string, Uint8Array][] = [
  ...recorded.filter((f) => f.startsWith('quic-')).map((f): [string, Uint8Array] => [f, readRecordedImage(join(FIXTURES, f)).data]),
  ...readdirSync(REFERENCE)
    .filter((f) => f.endsWith('.quic'))
    .map((f): [string, Uint8Array] => [f, new Uint8Array(readFileSync(join(REFERENCE, f)))]),
];
const lzFixtures = recorded.filter((f) => f.startsWith('lz-rgb-')).map((f) => [f, readRecordedImage(join(FIXTURES, f))] as const);

describe('WebAssembly decoders', () => {
  it('are available in Node', () => {
    expect(loadWasmDecoders()).not.toBeNull();
  });

  it('have fixtures of every QUIC image type to compare on', () => {
    const types = new Set(quicFixtures.map(([, data]) => readQuicHeader(data).type));
    expect([...types].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(lzFixtures.length).toBeGreaterThanOrEqual(5);
  });

  it.each(quicFixtures)('QUIC %s: the same pixels as the TypeScript decoder', (name, data) => {
    const result = expectSame((wasm) => decodeQuic(data, quicSize(data), undefined, wasm), name);
    expect('pixels' in result, name).toBe(true);
  });

  it.each(quicFixtures)('QUIC %s: the same pixels into a reused output holding other pixels', (name, data) => {
    const size = quicSize(data);
    const decode = (wasm: WasmDecoders | null): Pixels => {
      const out: Pixels = { ...size, data: new Uint32Array(size.width * size.height).fill(0x5a5a5a5a), hasAlpha: false };
      return decodeQuic(data, size, out, wasm);
    };
    expectSame(decode, name);
  });

  it.each(lzFixtures)('LZ %s: the same pixels as the TypeScript decoder', (name, image) => {
    const size = { width: image.header.descriptor.width, height: image.header.descriptor.height };
    const result = expectSame((wasm) => decodeLz(image.data, size, null, undefined, { wasm }), name);
    expect('pixels' in result, name).toBe(true);
  });

  it('QUIC: truncated and bit-flipped streams end the same way in both', () => {
    const next = rng(7);
    const random = (): number => next() / 2 ** 32;
    let errors = 0;
    for (const [name, data] of quicFixtures.filter(([n]) => /photo|noise|text-1[0-4]/.test(n))) {
      const size = quicSize(data);
      for (let k = 0; k < 12; k++) {
        const cut = data.slice(0, 20 + Math.floor(random() * (data.length - 20)));
        if ('error' in expectSame((wasm) => decodeQuic(cut, size, undefined, wasm), `${name} cut to ${cut.length}`)) errors++;
        const flipped = data.slice();
        const at = 20 + Math.floor(random() * (data.length - 20));
        flipped[at] ^= 1 << Math.floor(random() * 8);
        if ('error' in expectSame((wasm) => decodeQuic(flipped, size, undefined, wasm), `${name} bit flipped at ${at}`)) errors++;
      }
    }
    // Most of the damaged streams must have been errors, or this compared nothing interesting.
    expect(errors).toBeGreaterThan(20);
  });

  it('LZ: generated RGB32, RGB24 and RGBA streams, top-down and bottom-up, decode the same', () => {
    const next = rng(11);
    const random = (): number => next() / 2 ** 32;
    for (const type of [LzType.RGB32, LzType.RGB24, LzType.RGBA]) {
      for (const topDown of [true, false]) {
        const width = 37 + Math.floor(random() * 90);
        const height = 5 + Math.floor(random() * 30);
        const photo = photoLikeImage(width, height, 3 + type).rgba;
        const pixels: number[][] = [];
        for (let i = 0; i < width * height; i++) {
          // Flat stretches give matches (short, long, overlapping), the photo literals.
          const flat = Math.floor(i / 97) % 3 === 0;
          const o = i * 4;
          pixels.push(flat ? [0x11, 0x22, 0x33] : [photo[o + 2], photo[o + 1], photo[o]]);
        }
        const w = new LzWriter(type, width, height, width * (type === LzType.RGB24 ? 3 : 4), topDown);
        lzCompressUnits(w, pixels, 1, 1000);
        if (type === LzType.RGBA) lzCompressUnits(w, pixels.map((_, i) => [(i * 7) & 0xff]), 3, 500);
        const data = w.build();
        const label = `type ${type} ${topDown ? 'top-down' : 'bottom-up'} ${width}x${height}`;
        const result = expectSame((wasm) => decodeLz(data, { width, height }, null, undefined, { wasm }), label);
        expect('pixels' in result, label).toBe(true);
        for (let k = 0; k < 8; k++) {
          const cut = data.slice(0, 28 + Math.floor(random() * (data.length - 28)));
          expect('error' in expectSame((wasm) => decodeLz(cut, { width, height }, null, undefined, { wasm }), `${label} cut`)).toBe(true);
          const flipped = data.slice();
          flipped[28 + Math.floor(random() * (data.length - 28))] ^= 1 << Math.floor(random() * 8);
          expectSame((wasm) => decodeLz(flipped, { width, height }, null, undefined, { wasm }), `${label} flipped`);
        }
      }
    }
  });
});
