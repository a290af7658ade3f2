// The display resolver lends a buffer of its own to the decoder for an LZ, QUIC or GLZ image drawn once (not
// cached), draw after draw, instead of a fresh zeroed buffer per image; a cached image keeps a
// buffer of its own, two images of one draw get two buffers, and a decoder in another thread
// is lent nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MapPaletteCache } from '../../../src/protocol/codecs/bitmap.ts';
import { decodeQuic } from '../../../src/protocol/codecs/quic.ts';
import { loadWasmDecoders } from '../../../src/protocol/codecs/wasm/wasm-decoders.ts';
import { ImageCache } from '../../../src/protocol/display/image-cache.ts';
import type { DecodeJob, ImageDecoder } from '../../../src/protocol/display/image-decode-job.ts';
import { DisplayImageResolver, LENT_MAX_PIXELS } from '../../../src/protocol/display/image-resolver.ts';
import { localImageDecoder } from '../../../src/protocol/display/run-decode-job.ts';
import { ImageFlags, ImageType, Ropd, type DrawOp, type SpiceImage } from '../../../src/protocol/pixels/draw-ops.ts';
import type { Pixels } from '../../../src/protocol/pixels/pixels.ts';
import { bgr, GlzWriter, LzType, LzWriter, lzCompressUnits, rng } from '../codecs/lz-streams.ts';
import { base, noMask, rect } from '../canvas/fake-images.ts';

let nextId = 1n;

/** An LZ RGB32 image of random pixels (and what it decodes to). */
function lzImage(width: number, height: number, seed: number, flags = 0): { image: SpiceImage; pixels: number[] } {
  const next = rng(seed);
  const pixels = Array.from({ length: width * height }, () => next() & 0xffffff);
  const w = new LzWriter(LzType.RGB32, width, height, width * 4, true);
  lzCompressUnits(w, pixels.map(bgr), 1);
  const image: SpiceImage = { descriptor: { id: nextId++, type: ImageType.LZ_RGB, flags, width, height }, body: { kind: 'lz-rgb', data: w.build() } };
  return { image, pixels };
}

const copyOf = (src: SpiceImage): DrawOp => ({ op: 'copy', base: base(rect(0, 0, 8, 8)), src, srcArea: rect(0, 0, 8, 8), ropDescriptor: Ropd.OP_PUT, scaleMode: 1, mask: noMask });

/** A decoder in this thread that records what it was lent. */
function recordingDecoder(transfersJobs = false): ImageDecoder & { lent: (Uint32Array | undefined)[] } {
  const inner = localImageDecoder({ wasm: loadWasmDecoders() });
  const lent: (Uint32Array | undefined)[] = [];
  return {
    lent,
    transfersJobs,
    decode(job: DecodeJob, into?: Uint32Array): Promise<Pixels> {
      lent.push(into);
      return inner.decode(job, into);
    },
    close: () => inner.close(),
  };
}

async function drawn(resolver: DisplayImageResolver, op: DrawOp, image: SpiceImage): Promise<Pixels> {
  await resolver.prepare(op);
  return resolver.image(image);
}

describe('buffers lent for images drawn once', () => {
  it('decodes draw after draw into the same buffer, with the right pixels each time', async () => {
    const decoder = recordingDecoder();
    const resolver = new DisplayImageResolver({ cache: new ImageCache({ announcedPixels: 1_000_000 }), decoder }, new MapPaletteCache());
    const a = lzImage(40, 30, 1);
    const b = lzImage(37, 31, 2);
    const first = await drawn(resolver, copyOf(a.image), a.image);
    expect(Array.from(first.data)).toEqual(a.pixels);
    const buffer = first.data.buffer;
    const second = await drawn(resolver, copyOf(b.image), b.image);
    expect(second.data.buffer).toBe(buffer);
    expect(Array.from(second.data)).toEqual(b.pixels);
    expect(decoder.lent.every((l) => l !== undefined && l.buffer === buffer)).toBe(true);
  });

  it('never lends for a cached image: its pixels stay as they were after later draws', async () => {
    const decoder = recordingDecoder();
    const cache = new ImageCache({ announcedPixels: 1_000_000 });
    const resolver = new DisplayImageResolver({ cache, decoder }, new MapPaletteCache());
    const once = lzImage(20, 20, 3);
    const kept = lzImage(20, 20, 4, ImageFlags.CACHE_ME);
    const replaced = lzImage(20, 20, 5, ImageFlags.CACHE_REPLACE_ME);
    await drawn(resolver, copyOf(once.image), once.image);
    await drawn(resolver, copyOf(kept.image), kept.image);
    await drawn(resolver, copyOf(replaced.image), replaced.image);
    expect(decoder.lent.map((l) => l !== undefined)).toEqual([true, false, false]);
    // Later draws decode into the lent buffer; the cached pixels are not in it.
    for (let i = 0; i < 3; i++) {
      const later = lzImage(20, 20, 10 + i);
      await drawn(resolver, copyOf(later.image), later.image);
    }
    expect(Array.from(cache.get(kept.image.descriptor.id)!.pixels.data)).toEqual(kept.pixels);
    expect(Array.from(cache.get(replaced.image.descriptor.id)!.pixels.data)).toEqual(replaced.pixels);
  });

  it('lends two buffers to a draw of two images, none to a decoder elsewhere or past the size limit', async () => {
    const decoder = recordingDecoder();
    const resolver = new DisplayImageResolver({ cache: new ImageCache({ announcedPixels: 10_000_000 }), decoder }, new MapPaletteCache());
    const src = lzImage(16, 16, 6);
    const pattern = lzImage(8, 8, 7);
    const rop3: DrawOp = { op: 'rop3', base: base(rect(0, 0, 8, 8)), src: src.image, srcArea: rect(0, 0, 8, 8), brush: { type: 'pattern', image: pattern.image, pos: { x: 0, y: 0 } }, rop3: 0xcc, scaleMode: 1, mask: noMask };
    await resolver.prepare(rop3);
    expect(Array.from(resolver.image(src.image).data)).toEqual(src.pixels);
    expect(Array.from(resolver.image(pattern.image).data)).toEqual(pattern.pixels);
    expect(decoder.lent).toHaveLength(2);
    expect(decoder.lent[0]!.buffer).not.toBe(decoder.lent[1]!.buffer);

    // One colour: a literal and one long match.
    const count = 1025 * 1024;
    expect(count).toBeGreaterThan(LENT_MAX_PIXELS);
    const solid = new LzWriter(LzType.RGB32, 1025, 1024, 1025 * 4, true).literals([bgr(0x123456)]).match(count - 1, 1, 1).build();
    const large: SpiceImage = { descriptor: { id: nextId++, type: ImageType.LZ_RGB, flags: 0, width: 1025, height: 1024 }, body: { kind: 'lz-rgb', data: solid } };
    expect((await drawn(resolver, copyOf(large), large)).data[count - 1]).toBe(0x123456);
    expect(decoder.lent[2]).toBeUndefined();

    const elsewhere = recordingDecoder(true);
    const other = new DisplayImageResolver({ cache: new ImageCache({ announcedPixels: 1_000_000 }), decoder: elsewhere }, new MapPaletteCache());
    const c = lzImage(10, 10, 9);
    expect(Array.from((await drawn(other, copyOf(c.image), c.image)).data)).toEqual(c.pixels);
    expect(elsewhere.lent).toEqual([undefined]);
  });

  it('lends GLZ its output: the window keeps its own copy, so a later image copies the right pixels', async () => {
    const decoder = recordingDecoder();
    const resolver = new DisplayImageResolver({ cache: new ImageCache({ announcedPixels: 1_000_000 }), decoder }, new MapPaletteCache());
    const glz = (id: bigint, w: GlzWriter): SpiceImage => ({ descriptor: { id: nextId++, type: ImageType.GLZ_RGB, flags: 0, width: 4, height: 1 }, body: { kind: 'glz-rgb', data: w.build() } });
    const first = glz(0n, new GlzWriter(LzType.RGB32, 4, 1, true, 0n, 10).literals([bgr(0x111111), bgr(0x222222), bgr(0x333333), bgr(0x444444)]));
    // Image 1: a literal, then three pixels of image 0 from its second on.
    const second = glz(1n, new GlzWriter(LzType.RGB32, 4, 1, true, 1n, 10).literals([bgr(0x555555)]).match(3, 1, 1, 0));
    const a = await drawn(resolver, copyOf(first), first);
    expect(Array.from(a.data)).toEqual([0x111111, 0x222222, 0x333333, 0x444444]);
    const b = await drawn(resolver, copyOf(second), second);
    expect(b.data.buffer).toBe(a.data.buffer);
    expect(Array.from(b.data)).toEqual([0x555555, 0x222222, 0x333333, 0x444444]);
    // Image 2: all of image 0, after image 1's output overwrote the lent buffer.
    const third = glz(2n, new GlzWriter(LzType.RGB32, 4, 1, true, 2n, 10).match(4, 0, 2, 0));
    expect(Array.from((await drawn(resolver, copyOf(third), third)).data)).toEqual([0x111111, 0x222222, 0x333333, 0x444444]);
    expect(decoder.lent.every((l) => l !== undefined)).toBe(true);
  });

  it('lends QUIC its output: a photograph decodes into the buffer the text before it used', async () => {
    const decoder = recordingDecoder();
    const resolver = new DisplayImageResolver({ cache: new ImageCache({ announcedPixels: 1_000_000 }), decoder }, new MapPaletteCache());
    const text = lzImage(150, 100, 12);
    const before = await drawn(resolver, copyOf(text.image), text.image);
    const data = new Uint8Array(readFileSync(join(import.meta.dirname, '../../fixtures/images/quic-reference/rgb24-photo-144x96.quic')));
    const photo: SpiceImage = { descriptor: { id: nextId++, type: ImageType.QUIC, flags: 0, width: 144, height: 96 }, body: { kind: 'quic', data } };
    const got = await drawn(resolver, copyOf(photo), photo);
    expect(got.data.buffer).toBe(before.data.buffer);
    expect(got.data.length).toBe(144 * 96);
    expect(Array.from(got.data)).toEqual(Array.from(decodeQuic(data, { width: 144, height: 96 }).data));
  });
});
