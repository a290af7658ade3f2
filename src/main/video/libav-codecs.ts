// VP8 and VP9 stream decoding with libav.js (@libav.js/variant-webm-vp9: FFmpeg's libavcodec with
// libvpx, compiled to WebAssembly; LGPL-2.1, loaded from node_modules at run time, never bundled).
// This runs where the CLI's video worker runs it (video-worker-entry.ts), or in the calling thread
// in tests. libav.js is asked which decoders it has: a codec is decoded only when one initialised.
import { VideoCodec } from '../../protocol/channels/display/display-messages.ts';
import { codecName } from '../../protocol/channels/display/display-streams.ts';
import type { Pixels } from '../../protocol/pixels/pixels.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { checkFrameSize } from './vpx-frame-size.ts';
import { planarYuvToArgb } from './yuv-to-argb.ts';

/** The libav.js package this host decodes with (an external of the CLI's bundles, scripts/build.mjs). */
export const LIBAV_PACKAGE = '@libav.js/variant-webm-vp9';

/**
 * The codecs that package's build (the "webm-vp9" variant: libvpx's VP8 and VP9 decoders) is made
 * to decode: what the CLI announces before libav.js has started, since it starts with the first
 * stream (video-decoders.ts). Once started, only the decoders that initialised count.
 */
export const LIBAV_VARIANT_CODECS: readonly number[] = [VideoCodec.VP8, VideoCodec.VP9];

/** libavcodec's decoder names per codec, its own first (none in this variant), then libvpx's. */
const DECODER_NAMES: Partial<Record<number, readonly string[]>> = {
  [VideoCodec.VP8]: ['vp8', 'libvpx'],
  [VideoCodec.VP9]: ['vp9', 'libvpx-vp9'],
  [VideoCodec.H264]: ['h264'],
};

export interface LibavVideoFrame {
  data: Uint8Array;
  format: number;
  width?: number;
  height?: number;
  layout?: { offset: number; stride: number }[];
}

/** The part of a libav.js instance used here (so that tests can give one that fails). */
export interface LibavInstance {
  ff_init_decoder(name: string): Promise<[number, number, number, number]>;
  ff_decode_multi(ctx: number, pkt: number, frame: number, packets: { data: Uint8Array }[], config: { copyoutFrame: 'video' }): Promise<LibavVideoFrame[]>;
  ff_free_decoder(ctx: number, pkt: number, frame: number): Promise<void>;
  av_log_set_level(level: number): Promise<void>;
  AV_LOG_QUIET: number;
  AV_PIX_FMT_YUV420P: number;
  AV_PIX_FMT_YUV422P: number;
  AV_PIX_FMT_YUV444P: number;
  terminate?(): void;
}

/** Starts libav.js from node_modules, in this thread (the CLI calls it in its video worker). */
export async function loadLibav(): Promise<LibavInstance> {
  // Not bundled: resolved from node_modules when the first stream comes (scripts/build.mjs keeps
  // it external). The package loads its own .wasm beside it.
  const mod = (await import('@libav.js/variant-webm-vp9')) as { default?: unknown };
  const wrapper = (mod.default ?? mod) as { LibAV(o: { noworker: true }): Promise<unknown> };
  const libav = (await wrapper.LibAV({ noworker: true })) as LibavInstance;
  // libvpx prints its version on every decoder it opens; errors come back as exceptions anyway.
  await libav.av_log_set_level(libav.AV_LOG_QUIET);
  return libav;
}

interface OpenDecoder {
  codec: number;
  name: string;
  ctx: number;
  pkt: number;
  frame: number;
}

/** What an error thrown by libav.js said. */
const said = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The decoders of one libav.js instance: one per stream, each fed its stream's frames in order. */
export class LibavCodecs {
  private readonly libav: LibavInstance;
  /** Per codec, the decoder name that initialised (asked once), or null when none did. */
  private readonly names = new Map<number, string | null>();
  private readonly decoders = new Map<number, OpenDecoder>();
  private nextHandle = 1;
  private chroma: Map<number, [number, number]>;

  constructor(libav: LibavInstance) {
    this.libav = libav;
    this.chroma = new Map([
      [libav.AV_PIX_FMT_YUV420P, [1, 1]],
      [libav.AV_PIX_FMT_YUV422P, [1, 0]],
      [libav.AV_PIX_FMT_YUV444P, [0, 0]],
    ]);
  }

  /** The codecs among `codecs` whose decoder initialises here (each is opened and freed once). */
  async probe(codecs: readonly number[] = Object.keys(DECODER_NAMES).map(Number)): Promise<number[]> {
    const working: number[] = [];
    for (const codec of codecs) if ((await this.decoderName(codec)) !== null) working.push(codec);
    return working;
  }

  private async decoderName(codec: number): Promise<string | null> {
    const known = this.names.get(codec);
    if (known !== undefined) return known;
    let found: string | null = null;
    for (const name of DECODER_NAMES[codec] ?? []) {
      try {
        const [, ctx, pkt, frame] = await this.libav.ff_init_decoder(name);
        await this.libav.ff_free_decoder(ctx, pkt, frame);
        found = name;
        break;
      } catch {
        // Not in this build: the next name.
      }
    }
    this.names.set(codec, found);
    return found;
  }

  /** A decoder for a new stream of `codec`; returns its handle. Rejects with a SpiceError when none initialises. */
  async open(codec: number): Promise<number> {
    const name = await this.decoderName(codec);
    if (name === null) throw new SpiceError('protocol', `libav.js (${LIBAV_PACKAGE}) has no ${codecName(codec)} decoder`);
    let ids: [number, number, number, number];
    try {
      ids = await this.libav.ff_init_decoder(name);
    } catch (error) {
      throw new SpiceError('internal', `libav.js could not open its ${codecName(codec)} decoder ${name}: ${said(error)}`);
    }
    const handle = this.nextHandle++;
    this.decoders.set(handle, { codec, name, ctx: ids[1], pkt: ids[2], frame: ids[3] });
    return handle;
  }

  /**
   * Decodes the next frame of the stream `handle`, said to be of `width`×`height` pixels; resolves
   * with its picture, or null when the frame gives none. Rejects with a SpiceError naming the codec.
   */
  async decode(handle: number, data: Uint8Array, width: number, height: number): Promise<Pixels | null> {
    const d = this.decoders.get(handle);
    if (!d) throw new SpiceError('internal', `no open video decoder ${handle}`);
    const codec = codecName(d.codec);
    if (d.codec === VideoCodec.VP8 || d.codec === VideoCodec.VP9) checkFrameSize(codec as 'VP8' | 'VP9', data, width, height);
    let frames: LibavVideoFrame[];
    try {
      frames = await this.libav.ff_decode_multi(d.ctx, d.pkt, d.frame, [{ data }], { copyoutFrame: 'video' });
    } catch (error) {
      throw new SpiceError('protocol', `the ${codec} decoder refused a frame of ${data.length} bytes: ${said(error)}`);
    }
    // One frame per packet from these encoders; were there more, the last is the one to show.
    const f = frames.at(-1);
    if (!f) return null;
    const shift = this.chroma.get(f.format);
    if (!shift || !f.layout || !f.width || !f.height) throw new SpiceError('protocol', `the ${codec} decoder gave a picture in pixel format ${f.format}, which is not converted here`);
    if (f.width * f.height > width * height) throw new SpiceError('protocol', `the ${codec} decoder gave a ${f.width}x${f.height} picture, larger than the stream's ${width}x${height}`);
    try {
      return planarYuvToArgb({ data: f.data, layout: f.layout, width: f.width, height: f.height, chromaShiftX: shift[0], chromaShiftY: shift[1] });
    } catch (error) {
      throw new SpiceError('protocol', `the ${codec} decoder's picture: ${said(error)}`);
    }
  }

  /** Frees the stream's decoder. */
  async close(handle: number): Promise<void> {
    const d = this.decoders.get(handle);
    if (!d) return;
    this.decoders.delete(handle);
    await this.libav.ff_free_decoder(d.ctx, d.pkt, d.frame);
  }

  /** Frees every decoder and the libav.js instance. */
  async shutdown(): Promise<void> {
    for (const handle of [...this.decoders.keys()]) await this.close(handle);
    this.libav.terminate?.();
  }
}
