// The pieces under the CLI's VP8/VP9 decoders: the picture sizes read from frame headers (against
// the recorded Xspice frames and hostile ones) and the BT.601 limited-range YUV to ARGB conversion.
import { describe, expect, it } from 'vitest';
import { checkFrameSize, vp8FrameSize, vp9FrameSize, vp9Frames } from '../../../../src/main/video/vpx-frame-size.ts';
import { planarYuvToArgb } from '../../../../src/main/video/yuv-to-argb.ts';
import { recording } from './video-fixtures.ts';

describe('VP8/VP9 frame sizes', () => {
  it('reads the key frames of the recordings and leaves their inter frames to the stream', () => {
    for (const [name, codec, width, height] of [
      ['vp8-320x240', 'VP8', 320, 240],
      ['vp8-640x480', 'VP8', 640, 480],
      ['vp9-320x240', 'VP9', 320, 240],
      ['vp9-640x480', 'VP9', 640, 480],
    ] as const) {
      const frames = recording(name).frames;
      const read = codec === 'VP8' ? vp8FrameSize : (f: Uint8Array) => vp9FrameSize(vp9Frames(f)[0]);
      expect(read(frames[0]), name).toEqual({ width, height });
      for (const f of frames.slice(1)) expect(read(f)).toBeNull();
      for (const f of frames) expect(() => checkFrameSize(codec, f, width, height)).not.toThrow();
    }
  });

  it('refuses frames that are too short or lack their start codes', () => {
    expect(() => vp8FrameSize(new Uint8Array([0, 0]))).toThrow(/shorter than its 3-byte tag/);
    expect(() => vp8FrameSize(new Uint8Array([0, 0, 0, 1, 2, 3, 0, 0, 0, 0]))).toThrow(/without its start code/);
    expect(() => vp9FrameSize(new Uint8Array([0x00]))).toThrow(/without its frame marker/);
    expect(() => vp9FrameSize(new Uint8Array([0x80]))).toThrow(/runs past the end/);
    expect(() => vp9FrameSize(new Uint8Array([0x82, 0x49, 0x83, 0x43, 0, 0, 0, 0, 0]))).toThrow(/without its sync code/);
    expect(() => vp9Frames(new Uint8Array(0))).toThrow(/empty VP9 frame/);
  });

  it('splits a VP9 superframe and checks every frame in it', () => {
    const key = recording('vp9-320x240').frames[0];
    const inter = recording('vp9-320x240').frames[1];
    // Two frames, sizes in 2 bytes each: marker 0b110_01_001.
    const marker = 0xc9;
    const index = [marker, key.length & 0xff, key.length >> 8, inter.length & 0xff, inter.length >> 8, marker];
    const superframe = new Uint8Array([...key, ...inter, ...index]);
    const parts = vp9Frames(superframe);
    expect(parts.map((p) => p.length)).toEqual([key.length, inter.length]);
    expect(() => checkFrameSize('VP9', superframe, 320, 240)).not.toThrow();
    expect(() => checkFrameSize('VP9', superframe, 160, 120)).toThrow(/declares a 320x240 picture, larger than the stream's 160x120/);
    const lying = new Uint8Array([...key, ...index.slice(0, 3), 0xff, 0xff, marker]);
    expect(() => vp9Frames(lying)).toThrow(/runs past the superframe/);
  });
});

describe('BT.601 limited-range YUV to ARGB', () => {
  const picture = (y: number, u: number, v: number, shift: number) => {
    const w = 4;
    const h = 2;
    const cw = w >> shift;
    const ch = h >> shift;
    const data = new Uint8Array(w * h + 2 * cw * ch);
    data.fill(y, 0, w * h);
    data.fill(u, w * h, w * h + cw * ch);
    data.fill(v, w * h + cw * ch);
    return planarYuvToArgb({ data, layout: [{ offset: 0, stride: w }, { offset: w * h, stride: cw }, { offset: w * h + cw * ch, stride: cw }], width: w, height: h, chromaShiftX: shift, chromaShiftY: shift });
  };
  const rgb = (word: number) => [(word >>> 16) & 255, (word >>> 8) & 255, word & 255];

  it('maps the limited range to black, white, grey and the primaries, opaque', () => {
    for (const shift of [0, 1]) {
      expect(picture(16, 128, 128, shift).data[0] >>> 0).toBe(0xff000000);
      expect(picture(235, 128, 128, shift).data[0] >>> 0).toBe(0xffffffff);
      expect(rgb(picture(126, 128, 128, shift).data[7])).toEqual([128, 128, 128]);
      // BT.601 red, green and blue as videoconvert writes them (within rounding).
      const near = (got: number[], want: number[]) => got.forEach((c, i) => expect(Math.abs(c - want[i]), `${got} vs ${want}`).toBeLessThanOrEqual(2));
      near(rgb(picture(81, 90, 240, shift).data[3]), [255, 0, 0]);
      near(rgb(picture(145, 54, 34, shift).data[3]), [0, 255, 0]);
      near(rgb(picture(41, 240, 110, shift).data[3]), [0, 0, 255]);
    }
    // Values outside the limited range clamp instead of wrapping.
    expect(rgb(picture(255, 255, 255, 0).data[0])).toEqual([255, 125, 255]);
    expect(rgb(picture(0, 0, 0, 0).data[0])).toEqual([0, 135, 0]);
  });

  it('refuses planes that do not fit the buffer', () => {
    expect(() => planarYuvToArgb({ data: new Uint8Array(10), layout: [{ offset: 0, stride: 4 }, { offset: 8, stride: 2 }, { offset: 9, stride: 2 }], width: 4, height: 2, chromaShiftX: 1, chromaShiftY: 1 })).toThrow(
      /planes do not fit its 10 bytes/,
    );
    expect(() => planarYuvToArgb({ data: new Uint8Array(64), layout: [{ offset: 0, stride: 4 }], width: 4, height: 2, chromaShiftX: 0, chromaShiftY: 0 })).toThrow(/1 planes, not 3/);
  });
});
