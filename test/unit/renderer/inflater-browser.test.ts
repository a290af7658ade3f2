import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { browserInflater } from '../../../src/renderer/inflater-browser.ts';

/** Bytes that compress badly, so that the stream spans many of the inflater's input pieces. */
function noise(length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = 0x12345678;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('the decode worker inflater (fflate)', () => {
  it('inflates a zlib stream made by node:zlib to the declared size', () => {
    const data = noise(50_000);
    const out = browserInflater.inflate(deflateSync(data), data.length);
    expect(out.length).toBe(data.length);
    expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
  });

  it('inflates a highly compressed stream', () => {
    const data = new Uint8Array(300_000).fill(7);
    expect(Buffer.from(browserInflater.inflate(deflateSync(data), data.length)).equals(Buffer.from(data))).toBe(true);
  });

  it('stops at the declared size instead of inflating a bomb', () => {
    const bomb = deflateSync(new Uint8Array(64 << 20));
    expect(() => browserInflater.inflate(bomb, 1000)).toThrow(/more than 1000 bytes/);
  });

  it('refuses a truncated stream and a corrupt one', () => {
    const data = noise(20_000);
    const z = deflateSync(data);
    expect(() => browserInflater.inflate(z.subarray(0, z.length - 100), data.length)).toThrow();
    const corrupt = Uint8Array.from(z);
    corrupt[0] = 0x00; // not a zlib header
    expect(() => browserInflater.inflate(corrupt, data.length)).toThrow();
  });

  it('gives what the stream holds when it is shorter than declared (the caller checks the size)', () => {
    const data = noise(100);
    expect(browserInflater.inflate(deflateSync(data), 500).length).toBe(100);
  });
});
