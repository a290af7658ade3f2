// Putting hosts' VideoDecoders sets together: the CLI decodes MJPEG in its decode pool and VP8/VP9
// with a WebAssembly library, one set each; the pipeline takes one.
import type { VideoCodecSupport, VideoDecoders } from './video-decoder.ts';
import { SpiceError } from '../wire/errors.ts';
import { codecName } from '../channels/display/display-streams.ts';

/** Decodes nothing: the display channel announces no codec, and the server sends video as draws. */
export const noVideoDecoders: VideoDecoders = {
  supported: [],
  create: (codec) => Promise.reject(new SpiceError('protocol', `no video codec is decoded here (asked for ${codecName(codec)})`)),
};

const rank = (s: VideoCodecSupport): number => (s.acceleration === 'hardware' ? 0 : 1);

/**
 * One set made of several: a codec is decoded by the first set that supports it. `supported` lists
 * each codec once, as that set decodes it, hardware first, and otherwise in the sets' own order.
 */
export function combineVideoDecoders(...sets: VideoDecoders[]): VideoDecoders {
  const owner = new Map<number, { set: VideoDecoders; support: VideoCodecSupport; order: number }>();
  for (const set of sets) {
    for (const support of set.supported) {
      if (!owner.has(support.codec)) owner.set(support.codec, { set, support, order: owner.size });
    }
  }
  const supported = [...owner.values()].sort((a, b) => rank(a.support) - rank(b.support) || a.order - b.order).map((o) => o.support);
  return {
    supported,
    create: (codec, width, height) => {
      const o = owner.get(codec);
      return o ? o.set.create(codec, width, height) : noVideoDecoders.create(codec, width, height);
    },
    close: () => {
      for (const set of sets) set.close?.();
    },
  };
}
