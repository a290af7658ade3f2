// The LZ-family decoders on real images recorded from Xspice (test/fixtures/README.md): LZ_RGB,
// GLZ_RGB (one recording session, so later images copy from earlier ones), ZLIB_GLZ_RGB and LZ4.
// Where the recorder could take the expected pixels from the spice-gtk screenshot, the decoded
// image must equal them exactly.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Pixels } from '../../../src/protocol/pixels/pixels.ts';
import { decodeGlz, glzImageId } from '../../../src/protocol/codecs/glz.ts';
import { GlzWindow } from '../../../src/protocol/codecs/glz-window.ts';
import { decodeLz } from '../../../src/protocol/codecs/lz.ts';
import { decodeLz4 } from '../../../src/protocol/codecs/lz4.ts';
import { decodeZlibGlz, type Inflater } from '../../../src/protocol/codecs/zlib-glz.ts';
import { ProtocolError } from '../../../src/protocol/wire/errors.ts';
import { readRecordedImage, type RecordedImage } from '../../fixtures/images/recorded-image.ts';
import { readPng } from '../../peers/png.ts';

const DIR = join(import.meta.dirname, '../../fixtures/images');

const nodeInflater: Inflater = {
  inflate: (data, expectedSize) => new Uint8Array(inflateSync(data, { maxOutputLength: expectedSize })),
};

interface Fixture {
  name: string;
  image: RecordedImage;
}

/** The recorded images whose file names start with `prefix`, in arrival order. */
function fixtures(prefix: string): Fixture[] {
  const list = readdirSync(DIR)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.bin'))
    .map((name) => ({ name, image: readRecordedImage(join(DIR, name)) }));
  return list.sort((a, b) => a.image.header.index - b.image.header.index);
}

function size(f: Fixture): { width: number; height: number } {
  return { width: f.image.header.descriptor.width, height: f.image.header.descriptor.height };
}

/** Compares RGB with the expected PNG; returns how many pixels differ. */
function differing(p: Pixels, png: string): number {
  const expected = readPng(join(DIR, png));
  expect([expected.width, expected.height]).toEqual([p.width, p.height]);
  let diff = 0;
  for (let i = 0; i < p.width * p.height; i++) {
    const v = p.data[i];
    const e = i * 4;
    if (expected.rgba[e] !== ((v >> 16) & 255) || expected.rgba[e + 1] !== ((v >> 8) & 255) || expected.rgba[e + 2] !== (v & 255)) diff++;
  }
  return diff;
}

function checkDecoded(f: Fixture, p: Pixels): void {
  expect([p.width, p.height]).toEqual([size(f).width, size(f).height]);
  if (f.image.header.expected) expect(differing(p, f.image.header.expected), f.name).toBe(0);
}

function sync(result: Pixels | Promise<Pixels>): Pixels {
  if (result instanceof Promise) throw new Error('expected a synchronous decode');
  return result;
}

describe('recorded LZ_RGB images', () => {
  const list = fixtures('lz-rgb-');
  it('are there, several with expected pixels', () => {
    expect(list.length).toBeGreaterThanOrEqual(10);
    expect(list.filter((f) => f.image.header.expected).length).toBeGreaterThanOrEqual(5);
  });
  for (const f of list) {
    it(`${f.name} decodes to the spice-gtk pixels`, () => {
      expect(f.image.header.body.kind).toBe('lz-rgb');
      checkDecoded(f, decodeLz(f.image.data, size(f), null));
    });
  }
  it('every truncation of a recorded text line fails with a ProtocolError', () => {
    const f = list.find((x) => x.name === 'lz-rgb-text-10.bin')!;
    for (let n = 0; n < f.image.data.length; n++) {
      expect(() => decodeLz(f.image.data.subarray(0, n), size(f), null)).toThrow(ProtocolError);
    }
  });
});

describe('recorded GLZ_RGB images (one session)', () => {
  const list = fixtures('glz-rgb-');
  it('decode in arrival order through one window to the spice-gtk pixels', () => {
    expect(list.length).toBeGreaterThanOrEqual(10);
    const window = new GlzWindow();
    for (const f of list) checkDecoded(f, sync(decodeGlz(f.image.data, window, size(f))));
  });

  it('include images that copy from earlier images', () => {
    const crossing = list.filter((f) => {
      const alone = new GlzWindow();
      alone.reset(glzImageId(f.image.data));
      try {
        decodeGlz(f.image.data, alone, size(f));
        return false;
      } catch (e) {
        return /no longer in the GLZ window/.test((e as Error).message);
      }
    });
    expect(crossing.length).toBeGreaterThanOrEqual(1);
  });

  it('an image that arrives before the one it copies from waits for it', async () => {
    const window = new GlzWindow();
    const ids = list.map((f) => glzImageId(f.image.data));
    const later = list.findIndex((f, i) => {
      if (i === 0) return false;
      const alone = new GlzWindow();
      alone.reset(ids[i]);
      try {
        decodeGlz(f.image.data, alone, size(f));
        return false;
      } catch {
        return true;
      }
    });
    expect(later).toBeGreaterThan(0);
    // Everything before the image it needs, then the later image (as if from another channel).
    for (let i = 0; i < later - 1; i++) sync(decodeGlz(list[i].image.data, window, size(list[i])));
    const pending = decodeGlz(list[later].image.data, window, size(list[later]));
    expect(pending).toBeInstanceOf(Promise);
    checkDecoded(list[later - 1], sync(decodeGlz(list[later - 1].image.data, window, size(list[later - 1]))));
    checkDecoded(list[later], await pending);
  });
});

describe('recorded ZLIB_GLZ_RGB images', () => {
  const list = fixtures('zlibglz-');
  it('inflate and decode through one window to the spice-gtk pixels, one copying from another', () => {
    expect(list.length).toBeGreaterThanOrEqual(2);
    const window = new GlzWindow();
    for (const f of list) {
      expect(f.image.header.body.kind).toBe('zlib-glz-rgb');
      const body = { glzDataSize: f.image.header.body.glzDataSize!, data: f.image.data };
      checkDecoded(f, sync(decodeZlibGlz(body, nodeInflater, window, size(f))));
    }
    const last = list[list.length - 1];
    const alone = new GlzWindow();
    const glz = new Uint8Array(inflateSync(last.image.data));
    alone.reset(glzImageId(glz));
    expect(() => decodeGlz(glz, alone, size(last))).toThrow(/no longer in the GLZ window/);
  });
});

describe('recorded LZ4 images', () => {
  const list = fixtures('lz4-');
  it('are there, several with expected pixels', () => {
    expect(list.length).toBeGreaterThanOrEqual(10);
    expect(list.filter((f) => f.image.header.expected).length).toBeGreaterThanOrEqual(5);
  });
  for (const f of list) {
    it(`${f.name} decodes to the spice-gtk pixels`, () => {
      expect(f.image.header.body.kind).toBe('lz4');
      checkDecoded(f, decodeLz4(f.image.data, size(f)));
    });
  }
  it('every truncation of a recorded text line fails with a ProtocolError', () => {
    const f = list.find((x) => x.name === 'lz4-text-10.bin')!;
    for (let n = 0; n < f.image.data.length; n++) expect(() => decodeLz4(f.image.data.subarray(0, n), size(f))).toThrow(ProtocolError);
  });
});
