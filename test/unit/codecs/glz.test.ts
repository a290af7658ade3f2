import { describe, expect, it } from 'vitest';
import type { Pixels } from '../../../src/protocol/pixels/pixels.ts';
import { decodeGlz } from '../../../src/protocol/codecs/glz.ts';
import { GlzWindow } from '../../../src/protocol/codecs/glz-window.ts';
import { ProtocolError, SpiceError } from '../../../src/protocol/wire/errors.ts';
import { bgr, GlzWriter, LzType, rng } from './lz-streams.ts';
import { expectProtocolError } from '../../helpers/expect-protocol-error.ts';

const A = 0x112233;
const B = 0x445566;
const C = 0x778899;
const D = 0xaabbcc;

function words(p: Pixels): number[] {
  return Array.from(p.data);
}

function sync(result: Pixels | Promise<Pixels>): Pixels {
  if (result instanceof Promise) throw new Error('expected a synchronous decode');
  return result;
}


/** A window holding `count` images of `size` pixels whose pixel i is (id << 20) + i. */
function windowWith(ids: number[], size: number, options = {}): GlzWindow {
  const w = new GlzWindow(options);
  for (const id of ids) w.add(BigInt(id), Uint32Array.from({ length: size }, (_, i) => id * 0x100000 + i), 1 << 30);
  return w;
}

describe('GLZ inside one image', () => {
  it('decodes RGB32 literals, a run and a back reference, and keeps the image in the window', () => {
    const s = new GlzWriter(LzType.RGB32, 4, 2, true, 0n, 0)
      .literals([bgr(A), bgr(B)])
      .match(2, 1, 0, 0) // B B
      .match(2, 4, 0, 0) // A B
      .literals([bgr(C), bgr(D)])
      .build();
    const window = new GlzWindow();
    const p = sync(decodeGlz(s, window, { width: 4, height: 2 }));
    expect(p.hasAlpha).toBe(false);
    expect(words(p)).toEqual([A, B, B, B, A, B, C, D]);
    expect(Array.from(window.get(0n)!)).toEqual([A, B, B, B, A, B, C, D]);
  });

  it('flips bottom-up images for output but keeps stream order in the window', () => {
    const s = new GlzWriter(LzType.RGB24, 2, 2, false, 0n, 0).literals([bgr(A), bgr(B), bgr(C), bgr(D)]).build();
    const window = new GlzWindow();
    expect(words(sync(decodeGlz(s, window, { width: 2, height: 2 })))).toEqual([C, D, A, B]);
    expect(Array.from(window.get(0n)!)).toEqual([A, B, C, D]);
  });

  it('decodes long match lengths and in-image pixel offsets of 4096 and more', () => {
    const colour = (i: number): number => Math.imul(i + 1, 2654435761) & 0xffffff;
    const w = new GlzWriter(LzType.RGB32, 70, 80, true, 0n, 0);
    for (let i = 0; i < 5000; i += 25) w.literals(Array.from({ length: 25 }, (_, k) => bgr(colour(i + k))));
    w.match(600, 4500, 0, 0);
    const p = sync(decodeGlz(w.build(), new GlzWindow(), { width: 70, height: 80 }));
    for (let i = 0; i < 5600; i++) {
      if (p.data[i] !== colour(i < 5000 ? i : i - 4500)) throw new Error(`pixel ${i} is ${p.data[i]}`);
    }
  });

  it('widens RGB16 literals; RGB16 matches are at least 2 pixels', () => {
    const s = new GlzWriter(LzType.RGB16, 4, 1, true, 0n, 0)
      .literals([
        [0x7c, 0x00],
        [0x00, 0x1f],
      ])
      .match(2, 2, 0, 1)
      .build();
    expect(words(sync(decodeGlz(s, new GlzWindow(), { width: 4, height: 1 })))).toEqual([0xff0000, 0xff, 0xff0000, 0xff]);
  });
});

describe('GLZ references to earlier images', () => {
  it('copies from an earlier image by image distance and pixel offset (short form)', () => {
    const window = windowWith([5], 100);
    const s = new GlzWriter(LzType.RGB32, 4, 1, true, 7n, 10).literals([bgr(A)]).match(3, 40, 2, 0).build();
    expect(words(sync(decodeGlz(s, window, { width: 4, height: 1 })))).toEqual([A, 0x500000 + 40, 0x500000 + 41, 0x500000 + 42]);
  });

  it('reads every image-distance width of the short and long forms', () => {
    const current = 5_000_100;
    const refs = [100, 4_980_100, 5_000_000, 5_000_099, 5_000_000 - 300, current - 70_000];
    const window = windowWith(refs, 140_000);
    const expected: number[] = [];
    const w = new GlzWriter(LzType.RGB32, 18, 1, true, BigInt(current), 1 << 30);
    const cases: [number, number][] = [
      [5_000_000, 7], // short, 2 bytes of distance (100)
      [4_980_100, 8], // short, 3 bytes (20000)
      [100, 9], // short, 4 bytes (5,000,000)
      [5_000_099, 5000], // long, 1 byte of distance
      [5_000_000 - 300, 6000], // long, 2 bytes
      [current - 70_000, 7000], // long, 3 bytes
      [5_000_099, 135_000], // very long pixel offset
      [100, 139_000],
      [5_000_000, 20],
    ];
    for (const [id, pixel] of cases) {
      w.match(2, pixel, current - id, 0);
      expected.push(id * 0x100000 + pixel, id * 0x100000 + pixel + 1);
    }
    expect(words(sync(decodeGlz(w.build(), window, { width: 18, height: 1 })))).toEqual(expected.map((v) => v >>> 0));
  });

  it('decodes RGBA: alpha from literals, from this image and from an earlier image', () => {
    const window = new GlzWindow();
    window.add(0n, Uint32Array.from([0x11000000, 0x22000000, 0x33000000, 0x44000000]), 10);
    const s = new GlzWriter(LzType.RGBA, 8, 1, true, 1n, 10)
      .literals([bgr(A), bgr(B), bgr(C), bgr(D), bgr(A), bgr(B), bgr(C), bgr(D)])
      .literals([[0xa0], [0xb0]])
      .match(3, 2, 0, 2) // a0 b0 a0
      .match(3, 1, 1, 2) // 22 33 44 from image 0
      .build();
    const p = sync(decodeGlz(s, window, { width: 8, height: 1 }));
    expect(p.hasAlpha).toBe(true);
    const alpha = [0xa0, 0xb0, 0xa0, 0xb0, 0xa0, 0x22, 0x33, 0x44];
    const rgb = [A, B, C, D, A, B, C, D];
    expect(words(p)).toEqual(rgb.map((c, i) => (alpha[i] * 0x1000000 + c) >>> 0));
  });

  it('refuses references before image 0, past the end of the referenced image, and before this image starts', () => {
    const window = windowWith([0], 10);
    const early = new GlzWriter(LzType.RGB32, 2, 1, true, 1n, 10).match(2, 0, 2, 0).build();
    expect(expectProtocolError(() => decodeGlz(early, window, { width: 2, height: 1 })).message).toMatch(/before the first image/);
    const past = new GlzWriter(LzType.RGB32, 2, 1, true, 1n, 10).match(2, 9, 1, 0).build();
    expect(expectProtocolError(() => decodeGlz(past, windowWith([0], 10), { width: 2, height: 1 })).message).toMatch(/has 10/);
    const before = new GlzWriter(LzType.RGB32, 3, 1, true, 1n, 10).literals([bgr(A)]).match(2, 2, 0, 0).build();
    expect(expectProtocolError(() => decodeGlz(before, windowWith([0], 10), { width: 3, height: 1 })).offset).toBe(37);
  });
});

describe('GLZ window', () => {
  it('releases images the server has moved past (win_head_dist of the newest contiguous image)', () => {
    const window = windowWith([0, 1, 2], 4);
    const s3 = new GlzWriter(LzType.RGB32, 1, 1, true, 3n, 1).literals([bgr(A)]).build();
    sync(decodeGlz(s3, window, { width: 1, height: 1 }));
    expect([0n, 1n, 2n, 3n].map((id) => window.has(id))).toEqual([false, false, true, true]);
    expect(window.isReleased(1n)).toBe(true);
    const s4 = new GlzWriter(LzType.RGB32, 2, 1, true, 4n, 2).match(2, 0, 3, 0).build();
    expect(expectProtocolError(() => decodeGlz(s4, window, { width: 2, height: 1 })).message).toMatch(/image 1, which is no longer/);
  });

  it('does not release past a gap: an image from another channel may still need them', () => {
    const window = new GlzWindow();
    window.add(1n, new Uint32Array(4), 0);
    window.add(2n, new Uint32Array(4), 0);
    expect(window.has(1n)).toBe(true);
    window.add(0n, new Uint32Array(4), 0);
    // Now 0..2 are contiguous and image 2 says the window starts at 2.
    expect([0n, 1n, 2n].map((id) => window.has(id))).toEqual([false, false, true]);
  });

  it('keeps exactly the server\'s window over a long session, and releases what a corrupt or far distance leaves behind', () => {
    const window = new GlzWindow();
    for (let id = 0n; id < 5000n; id++) window.add(id, new Uint32Array(2), 100);
    // Image 4999 says the window starts at 4899: ids 4899..4999 are held, nothing below.
    expect(window.imageCount).toBe(101);
    expect(window.totalPixels).toBe(202);
    expect([4898n, 4899n, 4999n].map((id) => window.has(id))).toEqual([false, true, true]);
    expect(window.isReleased(4898n)).toBe(true);
    // An image far past a gap (a corrupt id) waits there; the next one with distance 0 releases
    // everything older than itself.
    window.add(1n << 60n, new Uint32Array(3), 0);
    window.add(5000n, new Uint32Array(2), 0);
    expect(window.imageCount).toBe(2);
    expect(window.totalPixels).toBe(5);
    expect(window.has(4999n)).toBe(false);
  });

  it('decodes into released images\' buffers: every image right, whatever they held (RGBA, copies from the image before)', () => {
    const window = new GlzWindow();
    const next = rng(21);
    const width = 8;
    const height = 4;
    const count = width * height;
    let previous: number[] = [];
    const buffers = new Set<ArrayBufferLike>();
    let reused = 0;
    for (let i = 0; i < 60; i++) {
      const rgb = Array.from({ length: count }, () => next() & 0xffffff);
      const alpha = Array.from({ length: count }, () => next() & 0xff);
      const w = new GlzWriter(LzType.RGBA, width, height, true, BigInt(i), 1);
      // The first half literals; the second half the image before's first half (RGB and alpha).
      w.literals(rgb.slice(0, 16).map(bgr));
      if (i === 0) w.literals(rgb.slice(16).map(bgr));
      else w.match(16, 0, 1, 0);
      w.literals(alpha.slice(0, 16).map((a) => [a]));
      if (i === 0) w.literals(alpha.slice(16).map((a) => [a]));
      else w.match(16, 0, 1, 2);
      const expected = rgb.map((c, k) => (k < 16 || i === 0 ? (alpha[k] * 0x1000000 + c) >>> 0 : previous[k - 16]));
      expect(words(sync(decodeGlz(w.build(), window, { width, height }))), `image ${i}`).toEqual(expected);
      const kept = window.get(BigInt(i))!;
      if (buffers.has(kept.buffer)) reused++;
      buffers.add(kept.buffer);
      previous = expected;
    }
    // win_head_dist 1: two images held, the rest released and their buffers taken again.
    expect(window.imageCount).toBe(2);
    expect(reused).toBeGreaterThan(50);
  });

  it('over maxPixels drops the oldest held even when it lies far above the floor (no walk over the ids between)', () => {
    const window = new GlzWindow({ maxPixels: 10 });
    window.add(1n << 60n, new Uint32Array(6), 100);
    window.add(5n, new Uint32Array(6), 100);
    expect([5n, 1n << 60n].map((id) => window.has(id))).toEqual([false, true]);
    expect(window.isReleased(5n)).toBe(true);
    expect(window.totalPixels).toBe(6);
  });

  it('drops its oldest images beyond maxPixels, oldest first, across gaps', () => {
    const window = new GlzWindow({ maxPixels: 10 });
    window.add(1n, new Uint32Array(4), 100);
    window.add(3n, new Uint32Array(4), 100);
    window.add(7n, new Uint32Array(4), 100);
    expect([1n, 3n, 7n].map((id) => window.has(id))).toEqual([false, true, true]);
    expect(window.totalPixels).toBe(8);
  });

  it('waits for an image that another channel has not decoded yet, then decodes', async () => {
    const window = windowWith([0], 4);
    const s2 = new GlzWriter(LzType.RGB32, 3, 1, true, 2n, 2).literals([bgr(A)]).match(2, 1, 1, 0).build();
    const pending = decodeGlz(s2, window, { width: 3, height: 1 });
    expect(pending).toBeInstanceOf(Promise);
    expect(window.has(2n)).toBe(false);
    const s1 = new GlzWriter(LzType.RGB32, 3, 1, true, 1n, 1).literals([bgr(B), bgr(C), bgr(D)]).build();
    expect(words(sync(decodeGlz(s1, window, { width: 3, height: 1 })))).toEqual([B, C, D]);
    expect(words(await pending)).toEqual([A, C, D]);
    expect(window.has(2n)).toBe(true);
  });

  it('stops waiting on abort, timeout, reset, and when the awaited image fails to decode', async () => {
    const ref1 = new GlzWriter(LzType.RGB32, 2, 1, true, 2n, 2).match(2, 0, 1, 0).build();
    const size = { width: 2, height: 1 };

    const controller = new AbortController();
    const aborted = decodeGlz(ref1, new GlzWindow(), size, { signal: controller.signal });
    controller.abort(new Error('display channel closed'));
    await expect(aborted).rejects.toThrow('display channel closed');

    const timed = decodeGlz(ref1, new GlzWindow({ waitTimeoutMs: 10 }), size);
    await expect(timed).rejects.toMatchObject({ kind: 'timeout' });

    const resetWindow = new GlzWindow();
    const reset = decodeGlz(ref1, resetWindow, size);
    resetWindow.reset();
    await expect(reset).rejects.toThrow(/reset/);

    const failing = new GlzWindow();
    const waiting = decodeGlz(ref1, failing, size);
    const corrupt = new GlzWriter(LzType.RGB32, 2, 1, true, 1n, 1).literals([bgr(A)]).build(); // one pixel short
    expect(() => decodeGlz(corrupt, failing, size)).toThrow(ProtocolError);
    await expect(waiting).rejects.toThrow(/image 1 could not be decoded/);
    // And a later decode that needs image 1 fails at once instead of waiting.
    expect(() => decodeGlz(ref1, failing, size)).toThrow(/could not be decoded/);
  });

  it('fails a wait when the window moves past the awaited image', async () => {
    const window = new GlzWindow();
    const s5 = new GlzWriter(LzType.RGB32, 2, 1, true, 5n, 5).match(2, 0, 2, 0).build();
    const waiting = decodeGlz(s5, window, { width: 2, height: 1 });
    for (let id = 0; id < 5; id++) if (id !== 3) window.add(BigInt(id), new Uint32Array(2), 10);
    window.add(3n, new Uint32Array(2), 0); // 0..4 contiguous, image 4 says the window starts at 4 - 10: nothing released
    expect(window.has(3n)).toBe(true);
    const w2 = new GlzWindow();
    const waiting2 = decodeGlz(s5, w2, { width: 2, height: 1 });
    w2.add(0n, new Uint32Array(2), 0);
    w2.add(1n, new Uint32Array(2), 0);
    w2.add(2n, new Uint32Array(2), 0);
    w2.add(4n, new Uint32Array(2), 0);
    w2.add(3n, new Uint32Array(2), 0); // image 4 with win_head_dist 0 releases 0..3
    await expect(waiting2).rejects.toThrow(/never decoded|no longer|released/);
    expect(words(await waiting)).toHaveLength(2);
  });

  it('drops its oldest images beyond maxPixels', () => {
    const window = new GlzWindow({ maxPixels: 10 });
    window.add(0n, new Uint32Array(6), 100);
    window.add(1n, new Uint32Array(6), 100);
    expect(window.has(0n)).toBe(false);
    expect(window.has(1n)).toBe(true);
    expect(window.totalPixels).toBe(6);
    const s = new GlzWriter(LzType.RGB32, 2, 1, true, 2n, 100).match(2, 0, 2, 0).build();
    expectProtocolError(() => decodeGlz(s, window, { width: 2, height: 1 }));
  });

  it('refuses an image id sent twice, and waits after close', async () => {
    const window = windowWith([0], 2);
    expect(() => window.add(0n, new Uint32Array(2), 0)).toThrow(SpiceError);
    window.close();
    await expect(window.whenAvailable(1n)).rejects.toThrow(/closed/);
  });
});

describe('GLZ malformed streams', () => {
  it('checks magic, version, type, size and stride', () => {
    const s = new GlzWriter(LzType.RGB32, 1, 1, true, 0n, 0).literals([bgr(A)]).build();
    const bad = (offset: number, value: number): Uint8Array => {
      const c = s.slice();
      c[offset] = value;
      return c;
    };
    const size = { width: 1, height: 1 };
    expect(expectProtocolError(() => decodeGlz(bad(3, 0), new GlzWindow(), size)).message).toMatch(/magic/);
    expect(expectProtocolError(() => decodeGlz(bad(5, 9), new GlzWindow(), size)).message).toMatch(/version/);
    expect(expectProtocolError(() => decodeGlz(bad(8, LzType.PLT8), new GlzWindow(), size)).message).toMatch(/no palette/);
    expect(expectProtocolError(() => decodeGlz(bad(20, 3), new GlzWindow(), size)).offset).toBe(17);
    expect(expectProtocolError(() => decodeGlz(s, new GlzWindow(), { width: 2, height: 1 })).message).toMatch(/descriptor/);
    const leftover = Uint8Array.from([...s, 0]);
    expect(expectProtocolError(() => decodeGlz(leftover, new GlzWindow(), size)).message).toMatch(/left over/);
  });

  function sample(): { stream: Uint8Array; seed: () => GlzWindow } {
    const next = rng(5);
    const w = new GlzWriter(LzType.RGBA, 10, 6, false, 3n, 3);
    for (let i = 0; i < 60; ) {
      if (i > 4 && next() % 3 === 0) {
        const n = 3 + (next() % 4);
        if (i + n > 60) break;
        if (next() % 2) w.match(n, 1 + (next() % i), 0, 0);
        else w.match(n, next() % 30, 1 + (next() % 3), 0);
        i += n;
      } else {
        w.literals([bgr(next() & 0xffffff)]);
        i++;
      }
    }
    // Fill the rest, then the alpha stream.
    const filled = decodeCount(w);
    for (let i = filled; i < 60; i++) w.literals([bgr(i)]);
    for (let i = 0; i < 60; i += 20) w.literals(Array.from({ length: 20 }, () => [next() & 255]));
    return { stream: w.build(), seed: () => windowWith([0, 1, 2], 40, { waitTimeoutMs: 5 }) };
  }

  /** Pixels the writer's RGB stream covers so far (it only holds our own literals and matches). */
  function decodeCount(w: GlzWriter): number {
    let count = 0;
    let ip = 33;
    const b = w.bytes;
    while (ip < b.length) {
      const ctrl = b[ip++];
      if (ctrl < 32) {
        count += ctrl + 1;
        ip += 3 * (ctrl + 1);
        continue;
      }
      let len = ctrl >> 5;
      if (len === 7) {
        let c;
        do {
          c = b[ip++];
          len += c;
        } while (c === 255);
      }
      ip++;
      const code = b[ip++];
      ip += code >> 6;
      if (ctrl & 16 && code & 32) ip++;
      count += len;
    }
    return count;
  }

  it('throws a ProtocolError for every truncation', () => {
    const { stream, seed } = sample();
    expect(sync(decodeGlz(stream, seed(), { width: 10, height: 6 })).data.length).toBe(60);
    for (let n = 0; n < stream.length; n++) expectProtocolError(() => decodeGlz(stream.subarray(0, n), seed(), { width: 10, height: 6 }));
  });

  it('never fails other than with a SpiceError when any single bit is flipped', async () => {
    const { stream, seed } = sample();
    for (let bit = 0; bit < stream.length * 8; bit++) {
      const c = stream.slice();
      c[bit >> 3] ^= 1 << (bit & 7);
      try {
        const p = await decodeGlz(c, seed(), { width: 10, height: 6 });
        expect(p.data.length).toBe(60);
      } catch (e) {
        if (!(e instanceof SpiceError)) throw e;
      }
    }
  });
});
