// gstreamer:mjpeg streams (avenc_mjpeg) carry studio-range YCbCr marked only by a "CS=ITU601"
// comment: the CLI's MJPEG path (mjpegVideoDecoders over its JPEG decoder) stretches them to full
// range, so the recorded Xspice frames match the pattern like every other codec's.
import { describe, expect, it } from 'vitest';
import { isStudioRangeJpeg } from '../../../../src/protocol/codecs/mjpeg.ts';
import { mjpegVideoDecoders } from '../../../../src/protocol/display/mjpeg-video-decoders.ts';
import { localImageDecoder } from '../../../../src/protocol/display/run-decode-job.ts';
import { VideoCodec } from '../../../../src/protocol/channels/display/display-messages.ts';
import { nodeJpegDecoder } from '../../../../src/main/node/jpeg-node.ts';
import { MEAN_TOLERANCE } from '../../../peers/video-pattern.ts';
import { matchPattern, patternOf, recording } from './video-fixtures.ts';

describe('gstreamer:mjpeg frames in studio range', () => {
  it('are recognised and decode to the pattern', async () => {
    const v = recording('mjpeg-320x240');
    const pattern = patternOf(v);
    const set = mjpegVideoDecoders(localImageDecoder({ jpeg: nodeJpegDecoder }));
    const d = await set.create(VideoCodec.MJPEG, 320, 240);
    for (const [i, f] of v.frames.entries()) {
      expect(isStudioRangeJpeg(f)).toBe(true);
      const frame = await d.decode(f, 320, 240);
      expect(frame).not.toBeNull();
      if (!frame) return;
      const m = matchPattern(await frame.pixels(), pattern);
      // Measured 5.7-6.1 (20.5 without the stretch: black decodes as 16, white as 235).
      expect(m.mean, `frame ${i} at offset ${m.offset}`).toBeLessThan(MEAN_TOLERANCE);
      // Full range: the pattern's white and black bars reach the ends of the scale.
      const px = await frame.pixels();
      const values = [...px.data].map((p) => p & 0xff);
      expect(Math.max(...values)).toBeGreaterThan(250);
      expect(Math.min(...values)).toBeLessThan(5);
    }
  });

  it('leaves JFIF frames (spice:mjpeg) as they are', () => {
    const jfif = new Uint8Array([0xff, 0xd8, 0xff, 0xfe, 0x00, 0x07, 0x4c, 0x61, 0x76, 0x63, 0x35, 0xff, 0xda, 0x00, 0x02]);
    expect(isStudioRangeJpeg(jfif)).toBe(false);
    const studio = new Uint8Array([0xff, 0xd8, 0xff, 0xfe, 0x00, 0x0b, ...Buffer.from('CS=ITU601'), 0xff, 0xda, 0x00, 0x02]);
    expect(isStudioRangeJpeg(studio)).toBe(true);
  });
});
