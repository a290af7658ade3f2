// Reading key frames and codec strings out of raw SPICE stream frames (multimedia.md §1.5: the
// first bytes Xspice sends for each codec), and frames built by hand for the other cases.
import { describe, expect, it } from 'vitest';
import { VideoCodec } from '../../../../src/protocol/channels/display/display-messages.ts';
import { annexBUnits, codecStringOf, h264CodecString, isKeyFrame, vp9Header } from '../../../../src/renderer/video/bitstream.ts';

const bytes = (hex: string): Uint8Array => new Uint8Array(hex.match(/../g)!.map((b) => parseInt(b, 16)));

/** Xspice's first VP8 frame starts so (320x240 key frame); a later one has bit 0 of its tag set. */
const VP8_KEY = bytes('f01b009d012a4001f000');
const VP8_INTER = bytes('d10a00aabbcc');
/** Xspice's first VP9 frame (vp9enc from BGRx: profile 1, 4:4:4). */
const VP9_KEY = bytes('a349834220');
/** Frame marker 10, profile 1, show_existing 0, frame_type 1 (inter). */
const VP9_INTER = bytes('a600');
/** Xspice's first H.264 access unit: AUD, SPS (High 4:4:4 Predictive, level 2.1), PPS, SEI, two IDR slices. */
const H264_FIRST = bytes('00000001' + '0910' + '00000001' + '67f40015919b2828' + '00000001' + '68ebe3c4' + '000001' + '0605ffff' + '00000001' + '65888400' + '00000001' + '65000550');
/** Later access units: AUD and non-IDR slices. */
const H264_LATER = bytes('00000001' + '0930' + '00000001' + '419a2211' + '00000001' + '41000a33');

describe('stream frame headers', () => {
  it('splits an Annex B stream at 3- and 4-byte start codes', () => {
    expect([...annexBUnits(H264_FIRST)].map((n) => n[0] & 0x1f)).toEqual([9, 7, 8, 6, 5, 5]);
    expect([...annexBUnits(bytes('000001aa00000001bbcc'))].map((n) => Array.from(n))).toEqual([[0xaa], [0xbb, 0xcc]]);
    expect([...annexBUnits(bytes('aabbcc'))]).toEqual([]);
  });

  it('finds key frames per codec', () => {
    expect(isKeyFrame(VideoCodec.VP8, VP8_KEY)).toBe(true);
    expect(isKeyFrame(VideoCodec.VP8, VP8_INTER)).toBe(false);
    expect(isKeyFrame(VideoCodec.VP9, VP9_KEY)).toBe(true);
    expect(isKeyFrame(VideoCodec.VP9, VP9_INTER)).toBe(false);
    expect(isKeyFrame(VideoCodec.H264, H264_FIRST)).toBe(true);
    expect(isKeyFrame(VideoCodec.H264, H264_LATER)).toBe(false);
    // H.265 IDR_W_RADL is NAL type 19: the first byte is 19 << 1.
    expect(isKeyFrame(VideoCodec.H265, bytes('00000001' + '2601aa'))).toBe(true);
    expect(isKeyFrame(VideoCodec.H265, bytes('00000001' + '0201aa'))).toBe(false);
    expect(isKeyFrame(VideoCodec.MJPEG, bytes('ffd8ffe0'))).toBe(true);
    // Garbage is no key frame.
    expect(isKeyFrame(VideoCodec.VP9, bytes('00'))).toBe(false);
    expect(isKeyFrame(VideoCodec.VP9, bytes('4300'))).toBe(false);
  });

  it('reads the codec string from the first frame', () => {
    expect(h264CodecString(H264_FIRST)).toBe('avc1.F40015');
    expect(h264CodecString(H264_LATER)).toBeNull();
    expect(codecStringOf(VideoCodec.H264, bytes('000001' + '6764001fac'))).toBe('avc1.64001F');
    expect(vp9Header(VP9_KEY)).toEqual({ profile: 1, keyFrame: true });
    expect(codecStringOf(VideoCodec.VP9, VP9_KEY)).toBe('vp09.01.10.08');
    // Profile 0 key frame: marker 10, low 0, high 0, show_existing 0, frame_type 0.
    expect(codecStringOf(VideoCodec.VP9, bytes('8200'))).toBe('vp09.00.10.08');
    // Profile 3 has a reserved bit before show_existing_frame.
    expect(vp9Header(bytes('b000'))).toEqual({ profile: 3, keyFrame: true });
    expect(codecStringOf(VideoCodec.VP8, VP8_KEY)).toBe('vp8');
    expect(codecStringOf(VideoCodec.VP9, bytes('0000'))).toBeNull();
  });
});
