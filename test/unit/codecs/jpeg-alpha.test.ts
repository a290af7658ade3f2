// JPEG_ALPHA images on hand-made bodies: the JPEG part goes to a fake decoder (the real one is in
// jpeg.test.ts and jpeg-fixtures.test.ts), the alpha part is an LZ XXXA stream written by the
// test-only LzWriter.
import { describe, expect, it } from 'vitest';
import type { Pixels } from '../../../src/protocol/pixels/pixels.ts';
import type { JpegDecoder } from '../../../src/protocol/codecs/jpeg.ts';
import { decodeJpegAlphaImage, JpegAlphaFlags } from '../../../src/protocol/codecs/jpeg-alpha.ts';
import { LzType, LzWriter } from './lz-streams.ts';
import { expectProtocolError } from '../../helpers/expect-protocol-error.ts';

/** Just enough JPEG structure for the header checks: a 2×2, 3-component baseline frame. */
const JPEG_2X2 = Uint8Array.from([
  0xff, 0xd8,
  0xff, 0xc0, 0, 17, 8, 0, 2, 0, 2, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0,
  0xff, 0xda, 0, 12, 3, 1, 0, 2, 0, 3, 0, 0, 63, 0,
  0x12, 0x34,
  0xff, 0xd9,
]);

const COLOURS = [0x102030, 0x405060, 0x708090, 0xa0b0c0];

/** A decoder that returns the four COLOURS for any 2×2 JPEG, counting its calls. */
function colourDecoder(async = false): JpegDecoder & { calls: number } {
  const d = {
    calls: 0,
    decode(): Pixels | Promise<Pixels> {
      d.calls++;
      const p: Pixels = { width: 2, height: 2, data: Uint32Array.from(COLOURS), hasAlpha: false };
      return async ? Promise.resolve(p) : p;
    },
  };
  return d;
}

function body(alpha: Uint8Array, flags: number, jpeg = JPEG_2X2): { flags: number; jpegSize: number; data: Uint8Array } {
  return { flags, jpegSize: jpeg.length, data: Uint8Array.from([...jpeg, ...alpha]) };
}

function xxxa(topDown: boolean, alphas: number[], width = 2, height = 2): Uint8Array {
  return new LzWriter(LzType.XXXA, width, height, width * 4, topDown).literals(alphas.map((a) => [a])).build();
}

function withAlpha(alphas: number[]): number[] {
  return COLOURS.map((c, i) => ((alphas[i] << 24) | c) >>> 0);
}


const SIZE = { width: 2, height: 2 };

describe('JPEG_ALPHA', () => {
  it('fills the alpha bytes top-down when the flag says so', () => {
    const p = decodeJpegAlphaImage(body(xxxa(true, [1, 2, 3, 4]), JpegAlphaFlags.TOP_DOWN), colourDecoder(), SIZE) as Pixels;
    expect(p.hasAlpha).toBe(true);
    expect(Array.from(p.data)).toEqual(withAlpha([1, 2, 3, 4]));
  });

  it('without TOP_DOWN the first alpha row sent is the bottom row of the JPEG', () => {
    const p = decodeJpegAlphaImage(body(xxxa(false, [1, 2, 3, 4]), 0), colourDecoder(), SIZE) as Pixels;
    expect(Array.from(p.data)).toEqual(withAlpha([3, 4, 1, 2]));
  });

  it('works with an asynchronous decoder', async () => {
    const result = decodeJpegAlphaImage(body(xxxa(true, [9, 8, 7, 6]), JpegAlphaFlags.TOP_DOWN), colourDecoder(true), SIZE);
    expect(result).toBeInstanceOf(Promise);
    expect(Array.from((await result).data)).toEqual(withAlpha([9, 8, 7, 6]));
  });

  it('refuses a row order that disagrees with the alpha stream, before decoding the JPEG', () => {
    for (const [topDown, flags] of [
      [true, 0],
      [false, JpegAlphaFlags.TOP_DOWN],
    ] as const) {
      const d = colourDecoder();
      expectProtocolError(() => decodeJpegAlphaImage(body(xxxa(topDown, [1, 2, 3, 4]), flags), d, SIZE), /top-down|bottom-up/);
      expect(d.calls).toBe(0);
    }
  });

  it('refuses an alpha stream of another LZ type or size', () => {
    const a8 = new LzWriter(LzType.A8, 2, 2, 2, true).literals([[1], [2], [3], [4]]).build();
    expectProtocolError(() => decodeJpegAlphaImage(body(a8, 1), colourDecoder(), SIZE), /not XXXA/);
    expectProtocolError(() => decodeJpegAlphaImage(body(xxxa(true, [1, 2, 3, 4, 5, 6], 3, 2), 1), colourDecoder(), SIZE), /3×2/);
  });

  it('refuses a jpeg_size that leaves no alpha stream, or is not a size at all', () => {
    const good = body(xxxa(true, [1, 2, 3, 4]), 1);
    for (const jpegSize of [0, -1, 1.5, NaN, good.data.length, good.data.length + 1]) {
      expectProtocolError(() => decodeJpegAlphaImage({ ...good, jpegSize }, colourDecoder(), SIZE), /JPEG_ALPHA/);
    }
  });

  it('refuses a JPEG cut short by a wrong jpeg_size', () => {
    const good = body(xxxa(true, [1, 2, 3, 4]), 1);
    expectProtocolError(() => decodeJpegAlphaImage({ ...good, jpegSize: good.jpegSize - 1 }, colourDecoder(), SIZE));
  });

  it('refuses every truncation of the alpha stream and bytes left over after it', () => {
    const full = body(xxxa(true, [1, 2, 3, 4]), 1);
    for (let n = full.jpegSize + 1; n < full.data.length; n++) {
      expectProtocolError(() => decodeJpegAlphaImage({ ...full, data: full.data.subarray(0, n) }, colourDecoder(), SIZE));
    }
    expectProtocolError(() => decodeJpegAlphaImage({ ...full, data: Uint8Array.from([...full.data, 0]) }, colourDecoder(), SIZE), /left over/);
  });
});
