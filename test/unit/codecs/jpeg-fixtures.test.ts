// JPEG_ALPHA images recorded from Xspice (test/fixtures/images/jpeg-alpha-photo-*.bin; the server
// sends JPEG only when it may be lossy, so they were recorded with --jpeg-wan-compression always:
//   node dist/record-images.js --compression quic --content photo --jpeg-wan-compression always \
//     --keep jpeg,jpeg-alpha --out /tmp/jpeg && cp /tmp/jpeg/jpeg-* test/fixtures/images/
// Xspice never sent a plain JPEG image here: window contents are RGBA, hence JPEG_ALPHA, and the
// whole screen a new client gets must be lossless. The JPEG part of these bodies is a complete
// JPEG stream, so it also serves as the plain JPEG case.)
//
// Two oracles, since JPEG is lossy and decoders differ in rounding and chroma upsampling:
// - jpeg-alpha-photo-2-libjpeg.png: the same JPEG stream decoded by libjpeg-turbo 2.1.5 (the
//   library spice-gtk decodes with, default settings: islow DCT, fancy upsampling), written once
//   with ImageMagick's `convert photo.jpg PNG24:...`. jpeg-js upsamples 4:2:0 chroma by
//   replication, libjpeg by interpolation; measured: max channel difference 12, mean 0.80 per
//   channel, 92.7% of pixels differ in at least one channel (by 1 or 2 levels, mostly).
// - jpeg-alpha-photo-2.png: the spice-gtk screenshot crop. The screenshot client is sent the
//   whole screen losslessly, so this is the photo before JPEG: measured max 23, mean 3.94 per
//   channel, 99.5% of pixels differ (libjpeg-turbo itself: max 23, mean 3.87).
// A decoder with swapped channels, shifted rows or wrong colour conversion is far outside both
// tolerances (see the self-check below).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeJpegDecoder } from '../../../src/main/node/jpeg-node.ts';
import type { Pixels } from '../../../src/protocol/pixels/pixels.ts';
import { decodeJpegImage, readJpegFrameHeader } from '../../../src/protocol/codecs/jpeg.ts';
import { decodeJpegAlphaImage, type JpegAlphaBody } from '../../../src/protocol/codecs/jpeg-alpha.ts';
import { ProtocolError } from '../../../src/protocol/wire/errors.ts';
import { readRecordedImage, type RecordedImage } from '../../fixtures/images/recorded-image.ts';
import { readPng } from '../../peers/png.ts';
import { rngFraction } from '../../helpers/random.ts';

const DIR = join(import.meta.dirname, '../../fixtures/images');

/**
 * Tolerances per comparison: the measured values above with some headroom. The share of differing
 * pixels is reported but not limited: nearly every pixel is off by a level or two.
 */
const AGAINST_LIBJPEG = { maxChannelDiff: 16, meanChannelDiff: 1.2, differingShare: 1 };
const AGAINST_ORIGINAL = { maxChannelDiff: 32, meanChannelDiff: 5, differingShare: 1 };

function load(name: string): { image: RecordedImage; body: JpegAlphaBody; size: { width: number; height: number } } {
  const image = readRecordedImage(join(DIR, name));
  const h = image.header;
  expect(h.body.kind).toBe('jpeg-alpha');
  return {
    image,
    body: { flags: h.body.flags ?? -1, jpegSize: h.body.jpegSize ?? -1, data: image.data },
    size: { width: h.descriptor.width, height: h.descriptor.height },
  };
}

function sync(result: Pixels | Promise<Pixels>): Pixels {
  if (result instanceof Promise) throw new Error('the Node decoder is synchronous');
  return result;
}

interface Difference {
  maxChannelDiff: number;
  meanChannelDiff: number;
  differingShare: number;
}

function compareRgb(p: Pixels, png: string): Difference {
  const expected = readPng(join(DIR, png));
  expect([expected.width, expected.height]).toEqual([p.width, p.height]);
  let max = 0;
  let sum = 0;
  let differing = 0;
  const count = p.width * p.height;
  for (let i = 0; i < count; i++) {
    const v = p.data[i];
    let pixelMax = 0;
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(expected.rgba[i * 4 + c] - ((v >> (16 - 8 * c)) & 255));
      sum += d;
      if (d > pixelMax) pixelMax = d;
    }
    if (pixelMax > max) max = pixelMax;
    if (pixelMax > 0) differing++;
  }
  return { maxChannelDiff: max, meanChannelDiff: sum / (count * 3), differingShare: differing / count };
}

function within(d: Difference, limit: Difference): boolean {
  return d.maxChannelDiff <= limit.maxChannelDiff && d.meanChannelDiff <= limit.meanChannelDiff && d.differingShare <= limit.differingShare;
}

describe('recorded JPEG_ALPHA images', () => {
  it('the fixtures are there', () => {
    expect(readdirSync(DIR).filter((f) => /^jpeg-alpha-.*\.bin$/.test(f)).sort()).toEqual(['jpeg-alpha-photo-1.bin', 'jpeg-alpha-photo-2.bin']);
  });

  it('the photo decodes within the tolerance of libjpeg and of the original', () => {
    const f = load('jpeg-alpha-photo-2.bin');
    const p = sync(decodeJpegAlphaImage(f.body, nodeJpegDecoder, f.size));
    expect([p.width, p.height, p.hasAlpha]).toEqual([200, 150, true]);
    const libjpeg = compareRgb(p, 'jpeg-alpha-photo-2-libjpeg.png');
    const original = compareRgb(p, f.image.header.expected ?? 'missing');
    expect(libjpeg, 'against libjpeg-turbo').toSatisfy((d: Difference) => within(d, AGAINST_LIBJPEG));
    expect(original, 'against the screenshot').toSatisfy((d: Difference) => within(d, AGAINST_ORIGINAL));
    // The X window's pixmap has alpha 0 everywhere; the XXXA stream carries exactly that.
    expect(p.data.every((v) => v >>> 24 === 0)).toBe(true);
  });

  it('self-check: the tolerances catch a decoder with swapped channels or rows off by one', () => {
    const f = load('jpeg-alpha-photo-2.bin');
    const p = sync(decodeJpegAlphaImage(f.body, nodeJpegDecoder, f.size));
    const swapped = p.data.map((v) => ((v & 0xff) << 16) | (v & 0xff00) | ((v >> 16) & 0xff));
    const shifted = new Uint32Array(p.data.length);
    shifted.set(p.data.subarray(p.width));
    for (const data of [swapped, shifted]) {
      expect(within(compareRgb({ ...p, data }, 'jpeg-alpha-photo-2-libjpeg.png'), AGAINST_LIBJPEG)).toBe(false);
    }
  });

  it('the JPEG part alone decodes as a plain JPEG image, top byte 0', () => {
    const f = load('jpeg-alpha-photo-2.bin');
    const jpeg = f.body.data.subarray(0, f.body.jpegSize);
    expect(readJpegFrameHeader(jpeg, f.size)).toMatchObject({ width: 200, height: 150, components: 3, process: 0xc0 });
    const p = sync(decodeJpegImage(jpeg, nodeJpegDecoder, f.size));
    expect(p.hasAlpha).toBe(false);
    expect(p.data.every((v) => v >>> 24 === 0)).toBe(true);
    expect(compareRgb(p, 'jpeg-alpha-photo-2-libjpeg.png')).toSatisfy((d: Difference) => within(d, AGAINST_LIBJPEG));
  });

  it('the blank window decodes to the one grey libjpeg gives for it (0xd6d6d6)', () => {
    const f = load('jpeg-alpha-photo-1.bin');
    const p = sync(decodeJpegAlphaImage(f.body, nodeJpegDecoder, f.size));
    expect(p.data.every((v) => v === 0x00d6d6d6)).toBe(true);
  });
});

/** Runs a decode of a corrupt body: it must either succeed at the declared size or throw ProtocolError. */
function decodeCorrupt(run: () => Pixels | Promise<Pixels>, size: { width: number; height: number }): 'ok' | 'refused' {
  try {
    const p = sync(run());
    expect([p.width, p.height, p.data.length]).toEqual([size.width, size.height, size.width * size.height]);
    return 'ok';
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw new Error(`a corrupt image ended in ${String(e)}, not a ProtocolError`);
    return 'refused';
  }
}

describe('corrupt recorded images', () => {
  const f = load('jpeg-alpha-photo-2.bin');
  const jpeg = f.body.data.subarray(0, f.body.jpegSize);

  it('every truncation of the JPEG is a ProtocolError, for JPEG and for JPEG_ALPHA', () => {
    for (let n = 0; n < jpeg.length; n += n < 700 ? 1 : 37) {
      expect(decodeCorrupt(() => decodeJpegImage(jpeg.subarray(0, n), nodeJpegDecoder, f.size), f.size), `JPEG cut at ${n}`).toBe('refused');
      const cut: JpegAlphaBody = { ...f.body, jpegSize: n, data: Uint8Array.from([...jpeg.subarray(0, n), ...f.body.data.subarray(f.body.jpegSize)]) };
      expect(decodeCorrupt(() => decodeJpegAlphaImage(cut, nodeJpegDecoder, f.size), f.size), `JPEG_ALPHA cut at ${n}`).toBe('refused');
    }
    for (let n = 0; n < f.body.data.length; n += 53) {
      expect(decodeCorrupt(() => decodeJpegAlphaImage({ ...f.body, data: f.body.data.subarray(0, n) }, nodeJpegDecoder, f.size), f.size)).toBe('refused');
    }
  });

  it('bit flips end in pixels of the declared size or a ProtocolError; flips in marker bytes are refused', () => {
    const random = rngFraction(0x5eed);
    const header = readJpegFrameHeader(jpeg, f.size);
    const positions = new Set<number>();
    for (let i = 0; i < header.scanOffset + 14; i++) positions.add(i);
    for (let i = 0; i < 400; i++) positions.add(Math.floor(random() * jpeg.length));
    let refused = 0;
    for (const at of positions) {
      const bit = 1 << Math.floor(random() * 8);
      const data = Uint8Array.from(f.body.data);
      data[at] ^= bit;
      const outcome = decodeCorrupt(() => decodeJpegAlphaImage({ ...f.body, data }, nodeJpegDecoder, f.size), f.size);
      if (outcome === 'refused') refused++;
      // Every 0xff that starts a marker segment before the scan: without it the structure breaks.
      if (jpeg[at] === 0xff && at < header.scanOffset + 2 && jpeg[at + 1] !== 0xff && jpeg[at + 1] !== 0) {
        expect(outcome, `flip at ${at}`).toBe('refused');
      }
    }
    expect(refused).toBeGreaterThan(0);
  });

  it('bit flips in the alpha stream end in pixels or a ProtocolError', () => {
    const random = rngFraction(42);
    for (let at = f.body.jpegSize; at < f.body.data.length; at++) {
      const data = Uint8Array.from(f.body.data);
      data[at] ^= 1 << Math.floor(random() * 8);
      decodeCorrupt(() => decodeJpegAlphaImage({ ...f.body, data }, nodeJpegDecoder, f.size), f.size);
    }
  });

  it('a frame header patched to a larger size is refused before anything is decoded', () => {
    const header = readJpegFrameHeader(jpeg, f.size);
    const data = Uint8Array.from(f.body.data);
    // Find the SOF0 segment and make it claim 4000×3000.
    const sof = jpeg.findIndex((b, i) => b === 0xff && jpeg[i + 1] === 0xc0 && i < header.scanOffset);
    data.set([3000 >> 8, 3000 & 255, 4000 >> 8, 4000 & 255], sof + 5);
    let calls = 0;
    const counting = { decode: (j: Uint8Array, s: { width: number; height: number }) => (calls++, nodeJpegDecoder.decode(j, s)) };
    expect(decodeCorrupt(() => decodeJpegAlphaImage({ ...f.body, data }, counting, f.size), f.size)).toBe('refused');
    expect(calls).toBe(0);
  });
});
