// The display channel's early look at a large draw: the source image's type from the first bytes
// of the body, so that decoders can start before the rest of a compressed image has arrived.
import { describe, expect, it } from 'vitest';
import { sourceImageType } from '../../../../src/protocol/channels/display/display-channel.ts';
import { binaryImage, bitmapImage, body, box, type Block } from './body-builder.ts';

/** A DRAW_COPY body: base with `clips` clip rectangles, the source pointer, area, rop, scale, mask. */
function copyBody(image: Block, clips = 0): Uint8Array {
  return body((x) => {
    x.base(0, box(0, 0, 8, 8), clips ? Array.from({ length: clips }, () => box(0, 0, 1, 1)) : null);
    x.ptr(image);
    x.rect(box(0, 0, 8, 8));
    x.w.u16(8).u8(0);
    x.noMask();
  });
}

describe('sourceImageType', () => {
  it('reads the source image type of a copy, with or without clip rectangles', () => {
    expect(sourceImageType(copyBody(binaryImage(1, new Uint8Array(64))))).toBe(1); // QUIC
    expect(sourceImageType(copyBody(binaryImage(101, new Uint8Array(64)), 3))).toBe(101); // LZ_RGB
    expect(sourceImageType(copyBody(bitmapImage({ format: 8, width: 2, height: 2, stride: 8, pixels: new Uint8Array(16) })))).toBe(0);
  });

  it('says nothing when the bytes so far do not reach the descriptor, or make no sense', () => {
    const whole = copyBody(binaryImage(1, new Uint8Array(64)));
    expect(sourceImageType(whole.subarray(0, 20))).toBeNull();
    const pointerPast = whole.slice();
    new DataView(pointerPast.buffer).setUint32(21, 0x7fffffff, true);
    expect(sourceImageType(pointerPast)).toBeNull();
    expect(sourceImageType(new Uint8Array([0, 0, 0, 0, 9]))).toBeNull();
  });
});
