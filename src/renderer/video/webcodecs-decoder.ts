// One video stream decoded by WebCodecs: a VideoDecoder per stream, configured at its first frame
// (H.264's codec string comes from that frame's SPS, VP9's profile from its header), which must be
// a key frame (VP8, VP9 and H.264 frames refer to the ones before: SPICE has no way to ask for a
// key frame, and H.264 with intra refresh sends only one). H.264 comes as an Annex B byte stream,
// so no `description` is given. prefer-hardware first when the probe found the codec in hardware;
// if configuring fails or the first frames fail to decode, the same frames go to a prefer-software
// decoder. After that an error is the stream's end: decode rejects, the pipeline reports
// 'stream-error', and the server is told it cannot be decoded (it then sends the area as draws).
import type { VideoAcceleration } from '../../protocol/channels/display/display-sink.ts';
import { codecName } from '../../protocol/channels/display/display-streams.ts';
import type { DecodedFrame, StreamDecoder } from '../../protocol/display/video-decoder.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { codecStringOf, isKeyFrame } from './bitstream.ts';
import { VideoFramePicture } from './pictures.ts';

/** What of WebCodecs a stream decoder uses: injectable, so tests can give fakes. */
export interface WebCodecs {
  createDecoder(init: VideoDecoderInit): Pick<VideoDecoder, 'configure' | 'decode' | 'close' | 'state'>;
  createChunk(init: EncodedVideoChunkInit): EncodedVideoChunk;
  isConfigSupported(config: VideoDecoderConfig): Promise<{ supported?: boolean }>;
  /** Makes the picture of an output frame (a VideoFramePicture in the browser). */
  picture?(frame: VideoFrame, codec: number, acceleration: VideoAcceleration): DecodedFrame;
}

export function browserWebCodecs(): WebCodecs {
  return {
    createDecoder: (init) => new VideoDecoder(init),
    createChunk: (init) => new EncodedVideoChunk(init),
    isConfigSupported: (config) => VideoDecoder.isConfigSupported(config),
  };
}

/**
 * A frame whose output has not come after this long is given up on (null: no picture for it yet):
 * a decoder that holds frames back (reordering) must not stall the pipeline. Its picture, when it
 * comes, goes to the next frame's caller.
 */
const OUTPUT_WAIT_MS = 1000;
/** Microseconds between the chunks' timestamps (only their order matters). */
const TIMESTAMP_STEP_US = 40_000;

interface Waiter {
  resolve(frame: DecodedFrame | null): void;
  reject(error: Error): void;
  /** performance.now() after which it is given up on (monotonic: a wall-clock jump does not move it). */
  deadline: number;
}

type Mode = 'prefer-hardware' | 'prefer-software';

export class WebCodecsStreamDecoder implements StreamDecoder {
  private decoder: ReturnType<WebCodecs['createDecoder']> | null = null;
  private mode: Mode;
  private config: VideoDecoderConfig | null = null;
  /** Settles once the decoder is configured (at the first frame); every decode waits for it, in order. */
  private configured: Promise<void> | null = null;
  /** In decode order; outputs come in the same order. */
  private waiters: Waiter[] = [];
  /**
   * One timer for every waiter, due at the oldest one's deadline and left running when outputs come
   * (a timer set and cleared per frame cost the decode worker a few ms a second at 25 fps): when it
   * fires it gives up the waiters past their deadline and is set again for the oldest left.
   */
  private watchdog: ReturnType<typeof setTimeout> | null = null;
  /** An output nobody waited for (it came after its wait timed out): the next caller's picture. */
  private spare: VideoFrame | null = null;
  /** The chunks since the key frame, until the first output: what a software decoder is given again. */
  private replay: EncodedVideoChunk[] | null = [];
  private broken: SpiceError | null = null;
  private closed = false;
  private timestamp = 0;

  constructor(
    private readonly codec: number,
    o: { hardware: boolean },
    private readonly webCodecs: WebCodecs = browserWebCodecs(),
  ) {
    this.mode = o.hardware ? 'prefer-hardware' : 'prefer-software';
  }

  get acceleration(): VideoAcceleration {
    return this.mode === 'prefer-hardware' ? 'hardware' : 'software';
  }

  /** The codec string the decoder was configured with (null before the first frame). */
  get codecString(): string | null {
    return this.config?.codec ?? null;
  }

  async decode(data: Uint8Array, _width: number, _height: number): Promise<DecodedFrame | null> {
    if (this.broken) throw this.broken;
    if (this.closed) return null;
    const key = isKeyFrame(this.codec, data);
    this.configured ??= this.configure(data, key);
    await this.configured;
    if (this.broken) throw this.broken;
    if (this.closed) return null;
    // The chunk takes its own copy of the bytes.
    const chunk = this.webCodecs.createChunk({ type: key ? 'key' : 'delta', timestamp: this.timestamp, data });
    this.timestamp += TIMESTAMP_STEP_US;
    this.replay?.push(chunk);
    const picture = new Promise<DecodedFrame | null>((resolve, reject) => {
      if (this.spare) {
        const frame = this.spare;
        this.spare = null;
        resolve(this.picture(frame));
        return;
      }
      this.waiters.push({ resolve, reject, deadline: performance.now() + OUTPUT_WAIT_MS });
      this.watchdog ??= setTimeout(() => this.giveUpLate(), OUTPUT_WAIT_MS);
    });
    try {
      this.decoder?.decode(chunk);
    } catch (e) {
      this.onError(e);
    }
    return picture;
  }

  /** The watchdog: no picture for the waiters past their deadline; set again for the oldest left. */
  private giveUpLate(): void {
    this.watchdog = null;
    const now = performance.now();
    while (this.waiters.length > 0 && this.waiters[0]!.deadline <= now) this.waiters.shift()!.resolve(null);
    if (this.waiters.length > 0) this.watchdog = setTimeout(() => this.giveUpLate(), this.waiters[0]!.deadline - now);
  }

  private stopWatchdog(): void {
    if (this.watchdog !== null) clearTimeout(this.watchdog);
    this.watchdog = null;
  }

  private async configure(first: Uint8Array, key: boolean): Promise<void> {
    const name = codecName(this.codec);
    if (!key) {
      this.broken = new SpiceError('protocol', `the ${name} stream's first frame is not a key frame; it cannot be decoded from there`);
      return;
    }
    const codec = codecStringOf(this.codec, first);
    if (!codec) {
      this.broken = new SpiceError('protocol', `the ${name} stream's first frame does not say its profile (${this.codec === 3 ? 'no SPS' : 'no frame header'})`);
      return;
    }
    this.config = { codec, optimizeForLatency: true };
    const supported = async (mode: Mode): Promise<boolean> => {
      try {
        return (await this.webCodecs.isConfigSupported({ ...this.config!, hardwareAcceleration: mode })).supported === true;
      } catch {
        return false;
      }
    };
    if (this.mode === 'prefer-hardware' && !(await supported('prefer-hardware'))) this.mode = 'prefer-software';
    if (this.mode === 'prefer-software' && !(await supported('prefer-software'))) {
      this.broken = new SpiceError('protocol', `this browser does not decode ${codec} (the ${name} stream's profile)`);
      return;
    }
    this.start();
  }

  /** A decoder in the current mode. */
  private start(): void {
    const decoder = this.webCodecs.createDecoder({
      output: (frame) => {
        if (this.decoder === decoder) this.onOutput(frame);
        else frame.close();
      },
      error: (e) => {
        if (this.decoder === decoder) this.onError(e);
      },
    });
    this.decoder = decoder;
    try {
      decoder.configure({ ...this.config!, hardwareAcceleration: this.mode });
    } catch (e) {
      this.onError(e);
    }
  }

  private onOutput(frame: VideoFrame): void {
    this.replay = null;
    if (this.closed) {
      frame.close();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve(this.picture(frame));
      return;
    }
    // Only the newest is worth showing.
    this.spare?.close();
    this.spare = frame;
  }

  private picture(frame: VideoFrame): DecodedFrame {
    return this.webCodecs.picture?.(frame, this.codec, this.acceleration) ?? new VideoFramePicture(frame, this.codec, this.acceleration);
  }

  /** Configure or decode failed: before the first picture, the software decoder gets the same frames; after, the stream is over. */
  private onError(e: unknown): void {
    if (this.closed || this.broken) return;
    const why = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    const old = this.decoder;
    if (this.mode === 'prefer-hardware' && this.replay) {
      this.mode = 'prefer-software';
      closeQuietly(old);
      this.start();
      for (const chunk of this.replay) {
        try {
          this.decoder?.decode(chunk);
        } catch (again) {
          this.onError(again);
          return;
        }
      }
      return;
    }
    this.broken = new SpiceError('protocol', `the ${codecName(this.codec)} stream (${this.config?.codec ?? 'not configured'}, ${this.acceleration}) cannot be decoded: ${why}`);
    this.decoder = null;
    closeQuietly(old);
    this.stopWatchdog();
    for (const w of this.waiters.splice(0)) w.reject(this.broken);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeQuietly(this.decoder);
    this.decoder = null;
    this.spare?.close();
    this.spare = null;
    this.replay = null;
    this.stopWatchdog();
    for (const w of this.waiters.splice(0)) w.resolve(null);
  }
}

function closeQuietly(decoder: { close(): void; state: CodecState } | null): void {
  if (decoder && decoder.state !== 'closed') decoder.close();
}
