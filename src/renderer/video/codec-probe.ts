// Which video codecs this browser decodes, asked of WebCodecs at the decode worker's start: the
// page's HELLO lists them, best first, and the display channel announces exactly those. A codec
// is 'hardware' only when the configuration spice-server's encoders send here (the first of its
// list: H.264 High 4:4:4, VP9 profile 1, multimedia.md §1.5) is supported with prefer-hardware;
// hardware decoders often refuse 4:4:4, so the others are asked for too, and prefer-software after.
// SPICE has no AV1 (no codec value), so it is never asked for.
import type { VideoCodecSupport } from '../../protocol/display/video-decoder.ts';
import { VideoCodec } from '../../protocol/channels/display/display-messages.ts';

export interface ProbeEnvironment {
  /** WebCodecs' VideoDecoder.isConfigSupported; absent where there is no WebCodecs (an insecure context). */
  isConfigSupported?: (config: VideoDecoderConfig) => Promise<{ supported?: boolean }>;
  /** Whether JPEG images decode here (createImageBitmap in the worker): MJPEG streams need nothing more. */
  jpeg: boolean;
}

/** Per codec, the WebCodecs configurations a SPICE server may send, the one it sends here first. */
export const PROBED_CONFIGS: readonly { codec: number; configs: readonly string[] }[] = [
  // x264 from BGRx gets Y444: High 4:4:4 Predictive; a guest's encoder may send plain High.
  { codec: VideoCodec.H264, configs: ['avc1.F40015', 'avc1.64001F'] },
  // Only the guest streaming agent sends H.265 (multimedia.md §1.8).
  { codec: VideoCodec.H265, configs: ['hev1.1.6.L93.B0'] },
  // vp9enc from BGRx gets 4:4:4: profile 1.
  { codec: VideoCodec.VP9, configs: ['vp09.01.10.08', 'vp09.00.10.08'] },
  { codec: VideoCodec.VP8, configs: ['vp8'] },
];

/** Among codecs decoded the same way, the better compression first. */
const codecRank: Record<number, number> = { [VideoCodec.H264]: 0, [VideoCodec.H265]: 1, [VideoCodec.VP9]: 2, [VideoCodec.VP8]: 3, [VideoCodec.MJPEG]: 4 };

async function supported(env: ProbeEnvironment, codec: string, hardwareAcceleration: HardwareAcceleration): Promise<boolean> {
  try {
    return (await env.isConfigSupported!({ codec, hardwareAcceleration, optimizeForLatency: true })).supported === true;
  } catch {
    // A TypeError for a codec string this browser cannot parse: not supported.
    return false;
  }
}

/** The codecs decoded here, best first: in hardware before in software, then H.264, H.265, VP9, VP8, MJPEG. */
export async function probeVideoCodecs(env: ProbeEnvironment): Promise<VideoCodecSupport[]> {
  const found: VideoCodecSupport[] = [];
  if (env.isConfigSupported) {
    for (const { codec, configs } of PROBED_CONFIGS) {
      const hardware = await supported(env, configs[0], 'prefer-hardware');
      let software = hardware;
      for (const config of configs) {
        if (software) break;
        software = (await supported(env, config, 'prefer-software')) || (config !== configs[0] && (await supported(env, config, 'prefer-hardware')));
      }
      if (hardware) found.push({ codec, acceleration: 'hardware' });
      else if (software) found.push({ codec, acceleration: 'software' });
    }
  }
  if (env.jpeg) found.push({ codec: VideoCodec.MJPEG, acceleration: 'software' });
  return found.sort((a, b) => (a.acceleration === b.acceleration ? codecRank[a.codec] - codecRank[b.codec] : a.acceleration === 'hardware' ? -1 : 1));
}

/** This worker's environment. */
export function browserProbeEnvironment(): ProbeEnvironment {
  const decoder = (globalThis as { VideoDecoder?: typeof VideoDecoder }).VideoDecoder;
  return {
    isConfigSupported: typeof decoder?.isConfigSupported === 'function' ? (config) => decoder.isConfigSupported(config) : undefined,
    jpeg: typeof createImageBitmap === 'function' && typeof OffscreenCanvas === 'function',
  };
}
