// QUIC decoder against streams spice-common itself produced: real images recorded from Xspice
// (test/fixtures/images, expected pixels from spice-gtk's screenshot) and reference streams of
// every image type from spice-common's encoder (test/fixtures/images/quic-reference), plus
// hand-made streams and corrupt ones.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeQuic, QuicImageType, readQuicHeader } from '../../../src/protocol/codecs/quic.ts';
import type { Pixels } from '../../../src/protocol/pixels/pixels.ts';
import { ProtocolError } from '../../../src/protocol/wire/errors.ts';
import { readRecordedImage } from '../../fixtures/images/recorded-image.ts';
import { photoLikeImage } from '../../peers/desktop.ts';
import { readPng } from '../../peers/png.ts';
import { firstDifference } from '../../helpers/pixels.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/images');
const REFERENCE = join(FIXTURES, 'quic-reference');

function words(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v >>> 0, true));
  return out;
}

const header = (type: number, width: number, height: number): number[] => [0x43495551, 0, type, width, height];

describe('hand-made streams', () => {
  it('decodes a 1x1 RGB32 image coded with the initial Rice parameter 7 and an escape code', () => {
    // r = 5: folded residual 10, Rice(7) "1 0001010"; g = 255: residual -1 -> 1, "1 0000001";
    // b = 128: residual -128 -> 255, over the 128 Rice code words of parameter 7, escape
    // "0" + 7-bit (255 - 128) "1111111".
    const data = words(...header(QuicImageType.RGB32, 1, 1), 0x8a817f00, 0, 0);
    const pixels = decodeQuic(data, { width: 1, height: 1 });
    expect(pixels.data[0]).toBe(0x0005ff80);
    expect(pixels.hasAlpha).toBe(false);
  });

  it('decodes a 4x2 grey image through model updates and a MELCODE run', () => {
    // The wait mask is 0 at first, so the model is updated after every pixel. All pixels are 7.
    // Row 0: (0,0) context 0, parameter 7: residual 7 folds to 14, "1 0001110"; bucket 0 then
    //   prefers parameter 4. (1,0) context 14 (bucket 3, still 7): "1 0000000"; bucket 3 -> 0.
    //   (2,0) context 0, parameter 4: "1 0000", bucket 0 -> 3. (3,0) parameter 3: "1 000".
    // Row 1: (0,1) context = first residual of row 0 = 14, parameter 0: "1". (1,1) and (2,1)
    //   context 0, parameter 2: "1 00" twice. (3,1): the row above repeats and (1,1) == (2,1),
    //   so a run: one MELCODE hit "1" for a run of 1, then "0" ends it (no remainder bits).
    // 1000 1110 1000 0000 1000 0100 0110 0100 | 10
    const data = words(...header(QuicImageType.GRAY, 4, 2), 0x8e808464, 0x80000000, 0);
    const pixels = decodeQuic(data, { width: 4, height: 2 });
    expect([...pixels.data]).toEqual(new Array(8).fill(0x070707));
  });

  it('reads the header', () => {
    expect(readQuicHeader(words(...header(QuicImageType.RGBA, 640, 480)))).toEqual({ type: 5, width: 640, height: 480 });
  });
});

describe('reference streams from spice-common encoder', () => {
  const cases = readdirSync(REFERENCE).filter((f) => f.endsWith('.quic'));

  it('has the reference streams', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  /** What spice-common's decoder gives for the encoder's input, as 0xAARRGGBB. */
  function expectedPixels(kind: string, raw: Buffer, count: number): Uint32Array {
    const out = new Uint32Array(count);
    const widen = (v: number): number => (v << 3) | (v >> 2);
    for (let i = 0; i < count; i++) {
      switch (kind) {
        case 'gray':
          out[i] = raw[i] * 0x010101;
          break;
        case 'rgb16': {
          const v = raw.readUInt16LE(i * 2);
          out[i] = (widen((v >> 10) & 31) << 16) | (widen((v >> 5) & 31) << 8) | widen(v & 31);
          break;
        }
        case 'rgb24':
          out[i] = (raw[i * 3 + 2] << 16) | (raw[i * 3 + 1] << 8) | raw[i * 3];
          break;
        case 'rgb32': // the pad byte the encoder was given is not coded; the decoder writes 0
          out[i] = (raw[i * 4 + 2] << 16) | (raw[i * 4 + 1] << 8) | raw[i * 4];
          break;
        default:
          out[i] = ((raw[i * 4 + 3] << 24) | (raw[i * 4 + 2] << 16) | (raw[i * 4 + 1] << 8) | raw[i * 4]) >>> 0;
      }
    }
    return out;
  }

  for (const file of cases) {
    it(`decodes ${file}`, () => {
      const match = /^(gray|rgb16|rgb24|rgb32|rgba)-\w+-(\d+)x(\d+)\.quic$/.exec(file);
      expect(match, file).not.toBeNull();
      const [, kind, w, h] = match as RegExpExecArray;
      const width = Number(w);
      const height = Number(h);
      const data = readFileSync(join(REFERENCE, file));
      const raw = readFileSync(join(REFERENCE, file.replace(/\.quic$/, '.raw')));
      const pixels = decodeQuic(data, { width, height });
      expect(pixels.width).toBe(width);
      expect(pixels.height).toBe(height);
      expect(pixels.hasAlpha).toBe(kind === 'rgba');
      expect(firstDifference(pixels.data, expectedPixels(kind, raw, width * height), width)).toBeUndefined();
    });
  }
});

describe('images recorded from Xspice', () => {
  const recorded = readdirSync(FIXTURES)
    .filter((f) => f.startsWith('quic-') && f.endsWith('.bin'))
    .map((f) => ({ file: f, ...readRecordedImage(join(FIXTURES, f)) }));

  it('has photo and text recordings, most with expected pixels', () => {
    expect(recorded.filter((r) => r.header.content === 'photo').length).toBeGreaterThanOrEqual(3);
    expect(recorded.filter((r) => r.header.content === 'text').length).toBeGreaterThanOrEqual(3);
    expect(recorded.filter((r) => r.header.expected).length).toBeGreaterThanOrEqual(5);
  });

  function decodeRecorded(r: (typeof recorded)[number]): Pixels {
    expect(r.header.body.kind).toBe('quic');
    const { width, height } = r.header.descriptor;
    const pixels = decodeQuic(r.data, { width, height });
    expect(pixels.width).toBe(width);
    expect(pixels.height).toBe(height);
    return pixels;
  }

  for (const r of recorded) {
    it(`decodes ${r.file}${r.header.expected ? ` to ${r.header.expected}` : ''}`, () => {
      const pixels = decodeRecorded(r);
      if (!r.header.expected) return;
      const png = readPng(join(FIXTURES, r.header.expected));
      const expected = new Uint32Array(png.width * png.height);
      for (let i = 0; i < expected.length; i++) {
        expected[i] = (png.rgba[i * 4] << 16) | (png.rgba[i * 4 + 1] << 8) | png.rgba[i * 4 + 2];
      }
      expect(png.width).toBe(pixels.width);
      // RGB32 decodes with a zero top byte and Xspice's RGBA images carry alpha 0, so all 32 bits compare.
      expect(firstDifference(pixels.data, expected, pixels.width)).toBeUndefined();
    });
  }

  it('decodes the photo to the very image the X client showed', () => {
    const photo = recorded.find((r) => r.header.content === 'photo' && r.header.descriptor.width === 200 && r.header.expected);
    expect(photo).toBeDefined();
    const pixels = decodeRecorded(photo as (typeof recorded)[number]);
    const source = photoLikeImage(200, 150, 7);
    const expected = new Uint32Array(200 * 150);
    for (let i = 0; i < expected.length; i++) {
      expected[i] = (source.rgba[i * 4] << 16) | (source.rgba[i * 4 + 1] << 8) | source.rgba[i * 4 + 2];
    }
    expect(firstDifference(pixels.data, expected, 200)).toBeUndefined();
  });

  it('decodes the first screen, drawn over later, to the plain background', () => {
    const first = recorded.find((r) => r.header.index === 0 && r.header.descriptor.width === 1024);
    expect(first).toBeDefined();
    const pixels = decodeRecorded(first as (typeof recorded)[number]);
    expect(pixels.data.every((p) => p === 0x336699)).toBe(true);
  });

  it('decodes into a caller-provided output', () => {
    const screen = recorded.find((r) => r.header.descriptor.width === 1024 && r.header.expected) as (typeof recorded)[number];
    const fresh = decodeRecorded(screen);
    expect(fresh.hasAlpha).toBe(false);
    const out: Pixels = { width: 1024, height: 768, data: new Uint32Array(1024 * 768).fill(0xdeadbeef), hasAlpha: true };
    const result = decodeQuic(screen.data, { width: 1024, height: 768 }, out);
    expect(result).toBe(out);
    expect(out.hasAlpha).toBe(false);
    expect(firstDifference(out.data, fresh.data, 1024)).toBeUndefined();
  });

  it('sees what Xspice sends: RGB32 for whole screens, RGBA with alpha 0 for window contents', () => {
    const photo = recorded.find((r) => r.header.content === 'photo' && r.header.descriptor.width === 200 && r.header.expected);
    const pixels = decodeRecorded(photo as (typeof recorded)[number]);
    expect(pixels.hasAlpha).toBe(true);
    expect(pixels.data.every((p) => p >>> 24 === 0)).toBe(true);
  });
});

describe('bad headers', () => {
  const good = header(QuicImageType.RGB32, 1, 1);
  const body = [0x8a817f00, 0, 0];
  const expectProtocolError = (data: Uint8Array, size = { width: 1, height: 1 }, message?: RegExp): void => {
    let error: unknown;
    try {
      decodeQuic(data, size);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProtocolError);
    if (message) expect((error as Error).message).toMatch(message);
  };

  it('rejects a wrong magic, version or type', () => {
    expectProtocolError(words(0x43495552, ...good.slice(1), ...body), undefined, /magic/);
    expectProtocolError(words(good[0], 1, ...good.slice(2), ...body), undefined, /version/);
    expectProtocolError(words(good[0], 0, 0, 1, 1, ...body), undefined, /type 0/);
    expectProtocolError(words(good[0], 0, 6, 1, 1, ...body), undefined, /type 6/);
  });

  it('rejects a size that differs from the descriptor, is empty or is too large', () => {
    expectProtocolError(words(...good, ...body), { width: 2, height: 1 }, /descriptor says 2x1/);
    expectProtocolError(words(...header(QuicImageType.RGB32, 0, 1), ...body), { width: 0, height: 1 }, /empty/);
    expectProtocolError(words(...header(QuicImageType.RGB32, 100000, 1), ...body), { width: 100000, height: 1 }, /limit/);
    expectProtocolError(words(...header(QuicImageType.RGB32, 16384, 16384), ...body), { width: 16384, height: 16384 }, /limit/);
  });

  it('rejects data too short for the header or for the image, before allocating', () => {
    expectProtocolError(new Uint8Array(12), undefined, /header/);
    expectProtocolError(words(...header(QuicImageType.RGB32, 4000, 4000), 0), { width: 4000, height: 4000 }, /too short/);
  });
});

describe('corrupt streams', () => {
  /** A fast deterministic PRNG for the mutations. */
  function random(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 4294967296;
    };
  }

  const samples: { name: string; data: Uint8Array; width: number; height: number }[] = [];
  for (const f of ['rgba-blocks-144x96', 'rgb16-photo-144x96', 'gray-flat-700x20', 'rgb32-blocks-2600x4']) {
    const [w, h] = /(\d+)x(\d+)$/.exec(f)!.slice(1).map(Number);
    samples.push({ name: f, data: readFileSync(join(REFERENCE, `${f}.quic`)), width: w, height: h });
  }
  const text = readRecordedImage(join(FIXTURES, readdirSync(FIXTURES).find((f) => /^quic-text-.*\.bin$/.test(f) && readRecordedImage(join(FIXTURES, f)).header.descriptor.width > 100)!));
  samples.push({ name: 'recorded text', data: text.data, width: text.header.descriptor.width, height: text.header.descriptor.height });

  /** Decoding either succeeds or throws a ProtocolError; anything else fails the test. */
  function decodeOrProtocolError(data: Uint8Array, width: number, height: number): 'ok' | 'error' {
    try {
      decodeQuic(data, { width, height });
      return 'ok';
    } catch (e) {
      if (e instanceof ProtocolError) return 'error';
      throw e;
    }
  }

  for (const s of samples) {
    it(`${s.name}: every truncation fails with a ProtocolError`, () => {
      const step = Math.max(1, Math.floor(s.data.length / 300));
      let errors = 0;
      let tried = 0;
      // The encoder pads with 33 zero bits, so only the last two words may go without notice.
      for (let length = 0; length < s.data.length - 8; length += step) {
        tried++;
        if (decodeOrProtocolError(s.data.subarray(0, length), s.width, s.height) === 'error') errors++;
      }
      expect(errors).toBe(tried);
    });

    it(`${s.name}: flipped bits decode to something or fail with a ProtocolError`, () => {
      const next = random(s.data.length);
      const outcomes = { ok: 0, error: 0 };
      for (let trial = 0; trial < 150; trial++) {
        const copy = s.data.slice();
        const flips = 1 + Math.floor(next() * 4);
        for (let f = 0; f < flips; f++) {
          // Past the header, so that the body is what gets exercised.
          const bit = 160 + Math.floor(next() * (copy.length * 8 - 160));
          copy[bit >> 3] ^= 1 << (bit & 7);
        }
        outcomes[decodeOrProtocolError(copy, s.width, s.height)]++;
      }
      expect(outcomes.ok + outcomes.error).toBe(150);
    });
  }

  it('overwritten with all-ones or all-zeros bodies, ends in a ProtocolError', () => {
    for (const fill of [0xff, 0x00, 0xaa]) {
      const data = new Uint8Array(4096).fill(fill);
      data.set(words(...header(QuicImageType.RGBA, 300, 200)));
      expect(decodeOrProtocolError(data, 300, 200)).toBe('error');
    }
  });
});
