// The moving picture of the video tests: GStreamer's SMPTE test pattern scrolling sideways in an X
// window on Xspice (which, with --streaming-video all, the server turns into a video stream), and
// how close a captured region is to it. The pattern's every frame is a horizontal shift of the
// first, so a region matches at the scroll offset it was captured at.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Rect } from '../../src/protocol/pixels/geometry.ts';
import type { RgbaImage } from './png.ts';
import type { XspiceServer } from './xspice.ts';
import type { GroupProcess } from './processes.ts';

export const W = 320;
export const H = 240;
/** Pixels the pattern scrolls left per frame (videotestsrc horizontal-speed). */
export const SPEED = 4;
/**
 * Largest mean per-channel difference (0-255) between the captured video region and the pattern
 * at its best-matching scroll offset. Measured here: 6.8 to 7.1 for MJPEG stream frames (the
 * server's JPEG quality), 5.2 for the same video sent as lossless draws (the pattern goes through
 * 4:2:0 on its way to the X window, so sharp bar edges differ from the reference anyway); the
 * same-sized region beside the window (the desktop) is 131 at its best offset.
 */
export const MEAN_TOLERANCE = 12;

/**
 * The same for VP8 and VP9 stream frames decoded by the CLI (libav.js, BT.601 limited range):
 * measured 6.8-7.4 (VP8) and 5.8-6.4 (VP9) on every frame of the recordings in
 * test/fixtures/video, at 320x240 and 640x480.
 */
export const VPX_MEAN_TOLERANCE = 9;

/** The pattern's picture size; the tests play it at W×H unless they ask for another. */
export interface PatternSize {
  width: number;
  height: number;
}

const DEFAULT_SIZE: PatternSize = { width: W, height: H };

/** The pattern's first frame, BGRx as X stores it: the reference every scrolled frame is a shift of. */
export function patternReference(dir: string, size: PatternSize = DEFAULT_SIZE): Uint8Array {
  const file = join(dir, `smpte-${size.width}x${size.height}.raw`);
  execFileSync('gst-launch-1.0', ['-q', 'videotestsrc', 'pattern=smpte', 'num-buffers=1', '!', `video/x-raw,format=BGRx,width=${size.width},height=${size.height}`, '!', 'filesink', `location=${file}`]);
  return new Uint8Array(readFileSync(file));
}

export interface Match {
  offset: number;
  mean: number;
}

/** The scroll offset at which the captured region best matches the pattern, and its mean difference. */
export function bestScroll(capture: RgbaImage, at: Rect, reference: Uint8Array, size: PatternSize = DEFAULT_SIZE): Match {
  const { width, height } = size;
  let best: Match = { offset: -1, mean: Infinity };
  for (let offset = 0; offset < width; offset++) {
    let sum = 0;
    for (let y = 0; y < height; y += 2) {
      for (let x = 0; x < width; x += 2) {
        const c = ((at.top + y) * capture.width + at.left + x) * 4;
        const r = (y * width + ((x + offset) % width)) * 4;
        sum += Math.abs(capture.rgba[c] - reference[r + 2]) + Math.abs(capture.rgba[c + 1] - reference[r + 1]) + Math.abs(capture.rgba[c + 2] - reference[r]);
      }
    }
    const mean = sum / ((width / 2) * (height / 2) * 3);
    if (mean < best.mean) best = { offset, mean };
  }
  return best;
}

/** Plays the pattern in a window of `xs` (ximagesink), scrolling SPEED pixels a frame at 25 fps. */
export function playPattern(xs: XspiceServer, size: PatternSize = DEFAULT_SIZE): GroupProcess {
  return xs.run('gst-launch-1.0', ['-q', 'videotestsrc', 'pattern=smpte', 'is-live=true', `horizontal-speed=${SPEED}`, '!', `video/x-raw,width=${size.width},height=${size.height},framerate=25/1`, '!', 'videoconvert', '!', 'ximagesink']);
}
