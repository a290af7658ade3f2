// The recorded Xspice streams (test/fixtures/video) and how close a decoded picture is to the
// pattern they show, for the CLI's video decoder tests and the bench.
import { join, resolve } from 'node:path';
import type { Pixels } from '../../../../src/protocol/pixels/pixels.ts';
import { readRecordedVideo, type RecordedVideo } from '../../../fixtures/video/recorded-video.ts';
import { readPng } from '../../../peers/png.ts';
import { bestScroll, VPX_MEAN_TOLERANCE, type Match } from '../../../peers/video-pattern.ts';

export const VIDEO_DIR = resolve('test/fixtures/video');

/**
 * Largest mean per-channel difference (0-255) between a decoded frame and the pattern at its best
 * scroll offset (VPX_MEAN_TOLERANCE). Measured on every frame of the fixtures: VP8 6.8-7.4, VP9
 * 5.8-6.4 (the encoders' loss; GStreamer's own vp8dec/vp9dec + videoconvert decode of frame 0 is
 * 8.0 and 7.3 off the pattern); converted with U and V swapped, frame 0 of VP8 is 50 off.
 */
export const VIDEO_MEAN_TOLERANCE = VPX_MEAN_TOLERANCE;

export function recording(name: string): RecordedVideo {
  return readRecordedVideo(join(VIDEO_DIR, `${name}.bin`));
}

/** The pattern's first frame of a recording, as BGRx (what bestScroll takes). */
export function patternOf(v: RecordedVideo): Uint8Array {
  const png = readPng(join(VIDEO_DIR, v.header.pattern.reference));
  const bgrx = new Uint8Array(png.width * png.height * 4);
  for (let i = 0; i < bgrx.length; i += 4) {
    bgrx[i] = png.rgba[i + 2];
    bgrx[i + 1] = png.rgba[i + 1];
    bgrx[i + 2] = png.rgba[i];
  }
  return bgrx;
}

/** Where in the scrolling pattern a decoded picture is, and how far from it. */
export function matchPattern(px: Pixels, pattern: Uint8Array): Match {
  const rgba = Buffer.alloc(px.width * px.height * 4);
  px.data.forEach((p, i) => rgba.writeUInt32BE(((p << 8) | 0xff) >>> 0, i * 4));
  return bestScroll({ width: px.width, height: px.height, rgba }, { left: 0, top: 0, right: px.width, bottom: px.height }, pattern, { width: px.width, height: px.height });
}
