// The page's video decoders for the display pipeline: WebCodecs for VP8, VP9, H.264 (and H.265
// where the browser has it), the browser's JPEG decoder for MJPEG; the codecs are those the probe
// found at the worker's start, which the page's HELLO announced.
import type { VideoCodecSupport } from '../../protocol/channels/display/display-sink.ts';
import { VideoCodec } from '../../protocol/channels/display/display-messages.ts';
import { codecName } from '../../protocol/channels/display/display-streams.ts';
import type { StreamDecoder, VideoDecoders } from '../../protocol/display/video-decoder.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { MjpegStreamDecoder } from './mjpeg-decoder.ts';
import { browserWebCodecs, WebCodecsStreamDecoder, type WebCodecs } from './webcodecs-decoder.ts';

export class BrowserVideoDecoders implements VideoDecoders {
  constructor(
    /** Set once the probe answered (codec-probe.ts); streams come only after the HELLO that announced them. */
    public supported: readonly VideoCodecSupport[],
    private readonly webCodecs: () => WebCodecs = browserWebCodecs,
  ) {}

  /**
   * MJPEG frames decoded by WebCodecs' ImageDecoder into VideoFrames (YUV, as the JPEG holds them)
   * rather than into ImageBitmaps: set where the page's `<video>` elements show the pictures (the
   * element path), which take a VideoFrame as it is. Drawn into the canvas, such a frame cost more
   * than the bitmap (bench/README.md, video).
   */
  mjpegFrames = false;

  create(codec: number): Promise<StreamDecoder> {
    const support = this.supported.find((s) => s.codec === codec);
    if (!support) return Promise.reject(new SpiceError('protocol', `${codecName(codec)} streams are not decoded in this browser (it decodes ${this.supported.map((s) => codecName(s.codec)).join(', ') || 'none'})`));
    if (codec === VideoCodec.MJPEG) return Promise.resolve(new MjpegStreamDecoder({ videoFrames: this.mjpegFrames && typeof ImageDecoder === 'function' }));
    return Promise.resolve(new WebCodecsStreamDecoder(codec, { hardware: support.acceleration === 'hardware' }, this.webCodecs()));
  }
}
