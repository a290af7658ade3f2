// Which codecs the page announces: asked of a fake WebCodecs that answers like the browsers here.
import { describe, expect, it } from 'vitest';
import { VideoCodec } from '../../../../src/protocol/channels/display/display-messages.ts';
import { probeVideoCodecs } from '../../../../src/renderer/video/codec-probe.ts';

type Answers = Record<string, HardwareAcceleration[]>;

/** isConfigSupported answering true for the listed codec strings and modes; records what was asked. */
function webCodecs(answers: Answers): { asked: string[]; isConfigSupported: (c: VideoDecoderConfig) => Promise<{ supported: boolean }> } {
  const asked: string[] = [];
  return {
    asked,
    isConfigSupported: (c) => {
      asked.push(`${c.codec} ${c.hardwareAcceleration}`);
      if (c.codec.startsWith('av01')) throw new Error('AV1 must not be asked for');
      return Promise.resolve({ supported: (answers[c.codec] ?? []).includes(c.hardwareAcceleration ?? 'no-preference') });
    },
  };
}

const SW: HardwareAcceleration[] = ['prefer-software'];
const BOTH: HardwareAcceleration[] = ['prefer-hardware', 'prefer-software'];

describe('probeVideoCodecs', () => {
  it('Debian Chromium without a GPU: H.264, VP9, VP8 in software, then MJPEG; no H.265, no AV1', async () => {
    const env = webCodecs({ 'avc1.F40015': SW, 'avc1.64001F': SW, 'vp09.01.10.08': SW, 'vp09.00.10.08': SW, vp8: SW });
    const found = await probeVideoCodecs({ isConfigSupported: env.isConfigSupported, jpeg: true });
    expect(found).toEqual([
      { codec: VideoCodec.H264, acceleration: 'software' },
      { codec: VideoCodec.VP9, acceleration: 'software' },
      { codec: VideoCodec.VP8, acceleration: 'software' },
      { codec: VideoCodec.MJPEG, acceleration: 'software' },
    ]);
    expect(env.asked).toContain('avc1.F40015 prefer-hardware');
    expect(env.asked).toContain('hev1.1.6.L93.B0 prefer-software');
  });

  it('puts codecs decoded in hardware first; hardware only for the profile the server sends', async () => {
    // A GPU that decodes VP8 and plain High H.264, but neither 4:4:4 H.264 nor VP9 profile 1.
    const env = webCodecs({ 'avc1.F40015': SW, 'avc1.64001F': BOTH, 'vp09.01.10.08': SW, 'vp09.00.10.08': BOTH, vp8: BOTH, 'hev1.1.6.L93.B0': BOTH });
    const found = await probeVideoCodecs({ isConfigSupported: env.isConfigSupported, jpeg: true });
    expect(found).toEqual([
      { codec: VideoCodec.H265, acceleration: 'hardware' },
      { codec: VideoCodec.VP8, acceleration: 'hardware' },
      { codec: VideoCodec.H264, acceleration: 'software' },
      { codec: VideoCodec.VP9, acceleration: 'software' },
      { codec: VideoCodec.MJPEG, acceleration: 'software' },
    ]);
  });

  it('announces a codec in software when only another of its profiles is supported', async () => {
    const env = webCodecs({ 'avc1.64001F': ['prefer-hardware'] });
    expect(await probeVideoCodecs({ isConfigSupported: env.isConfigSupported, jpeg: false })).toEqual([{ codec: VideoCodec.H264, acceleration: 'software' }]);
  });

  it('without WebCodecs (an insecure context): MJPEG only, or nothing without a JPEG decoder', async () => {
    expect(await probeVideoCodecs({ jpeg: true })).toEqual([{ codec: VideoCodec.MJPEG, acceleration: 'software' }]);
    expect(await probeVideoCodecs({ jpeg: false })).toEqual([]);
  });

  it('a probe that throws (a codec string the browser cannot parse) is not supported', async () => {
    const found = await probeVideoCodecs({ isConfigSupported: () => Promise.reject(new TypeError('bad codec')), jpeg: true });
    expect(found).toEqual([{ codec: VideoCodec.MJPEG, acceleration: 'software' }]);
  });
});
