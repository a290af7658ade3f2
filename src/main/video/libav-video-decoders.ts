// The CLI's VP8 and VP9 stream decoders (a VideoDecoders set, src/protocol/display/video-decoder.ts),
// decoded by libav.js in a worker thread (video-backend.ts). libav.js starts with the first stream,
// not with the CLI: most commands never see a VP8/VP9 stream. The display channel announces its
// codecs when it links, before any stream, so until libav.js has been asked in this process the set
// announces the codecs the installed variant is built with (LIBAV_VARIANT_CODECS). From then on it
// (and every later session's set: `do --reconnect`) announces only those whose decoder initialised,
// and a stream of another codec is refused, which makes the server send that video as draws.
import { codecName } from '../../protocol/channels/display/display-streams.ts';
import type { Logger } from '../../protocol/logger.ts';
import { cpuFrame } from '../../protocol/display/mjpeg-video-decoders.ts';
import type { DecodedFrame, StreamDecoder, VideoCodecSupport, VideoDecoders } from '../../protocol/display/video-decoder.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { LIBAV_VARIANT_CODECS } from './libav-codecs.ts';
import type { VideoBackend } from './video-backend.ts';

class LibavStreamDecoder implements StreamDecoder {
  readonly acceleration = 'software' as const;
  private readonly backend: VideoBackend;
  private readonly handle: number;
  private readonly codec: number;
  private closed = false;

  constructor(backend: VideoBackend, handle: number, codec: number) {
    this.backend = backend;
    this.handle = handle;
    this.codec = codec;
  }

  async decode(data: Uint8Array, width: number, height: number): Promise<DecodedFrame | null> {
    if (this.closed) throw new SpiceError('internal', `the ${codecName(this.codec)} stream decoder is closed`);
    const pixels = await this.backend.decode(this.handle, data, width, height);
    return pixels ? cpuFrame(pixels) : null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.backend.close(this.handle).catch(() => {});
  }
}

/** What libav.js said when asked which codecs it decodes: kept for the process, so later sessions announce it. */
export interface LibavAnswer {
  working: readonly number[] | null;
}

const processAnswer: LibavAnswer = { working: null };

export interface LibavVideoDecodersOptions {
  logger: Logger;
  /** Where libav.js runs; made on the first stream. */
  backend: () => VideoBackend;
  /** What is announced before libav.js has been asked (default LIBAV_VARIANT_CODECS). */
  expected?: readonly number[];
  /** Where libav.js's answer is kept (default: one for the process). */
  answer?: LibavAnswer;
}

export class LibavVideoDecoders implements VideoDecoders {
  private readonly o: LibavVideoDecodersOptions;
  private backend: VideoBackend | null = null;
  private started: Promise<readonly number[]> | null = null;
  /** The codecs whose decoder initialised, once libav.js has been asked. */
  private readonly answer: LibavAnswer;
  private closed = false;

  constructor(o: LibavVideoDecodersOptions) {
    this.o = o;
    this.answer = o.answer ?? processAnswer;
  }

  get supported(): readonly VideoCodecSupport[] {
    return (this.answer.working ?? this.o.expected ?? LIBAV_VARIANT_CODECS).map((codec) => ({ codec, acceleration: 'software' as const }));
  }

  /**
   * Starts libav.js (once) and asks it which of the codecs decode; the first stream does this. A
   * libav.js that does not start decodes nothing (logged once).
   */
  start(): Promise<readonly number[]> {
    if (this.closed) return Promise.reject(new SpiceError('internal', 'the VP8/VP9 decoders are closed'));
    this.started ??= (async () => {
      const backend = this.useBackend();
      const asked = this.o.expected ?? LIBAV_VARIANT_CODECS;
      let working: readonly number[];
      try {
        working = await backend.probe(asked);
      } catch (error) {
        this.o.logger.error({}, `libav.js did not start (${error instanceof Error ? error.message : String(error)}): no VP8/VP9 video is decoded`);
        working = [];
      }
      const missing = asked.filter((c) => !working.includes(c));
      if (working.length > 0 && missing.length > 0) {
        this.o.logger.warn({}, `libav.js has no working decoder for ${missing.map(codecName).join(', ')}: no longer announced`);
      }
      this.answer.working = working;
      return working;
    })();
    return this.started;
  }

  private useBackend(): VideoBackend {
    this.backend ??= this.o.backend();
    return this.backend;
  }

  /** The stream's size does not matter here: each frame is checked against the size it comes with. */
  async create(codec: number, _width?: number, _height?: number): Promise<StreamDecoder> {
    const working = await this.start();
    if (!working.includes(codec)) throw new SpiceError('protocol', `${codecName(codec)} is not decoded here: libav.js has no working ${codecName(codec)} decoder`);
    const backend = this.useBackend();
    return new LibavStreamDecoder(backend, await backend.open(codec), codec);
  }

  close(): void {
    this.closed = true;
    this.backend?.shutdown();
  }
}
