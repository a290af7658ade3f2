// The guest's sound: playback channel bodies as the host forwarded them, parsed with the
// channel's own parser (a malformed one is reported and skipped; the sound goes on), RAW converted
// to Float32, then to the playout worklet with its DATA.time. It runs in the decode worker where
// the bridge does (worker-playback.ts: into the worklet through its ring or a port, without the
// page's thread), else on the page's thread. Opus packets go to the worklet as they came and are
// decoded there (worklet-opus.ts: libopus in WebAssembly on the audio thread); where the worklet
// cannot decode (its WebAssembly refused), or with `#opus=page`, WebCodecs' AudioDecoder decodes
// them here (one SPICE packet is one EncodedAudioChunk: 10 ms, no container, no description).
// The guest's VOLUME and MUTE are applied on top of the page's own slider and mute.
import { AudioDataMode } from '../../protocol/audio/audio-format.ts';
import { parsePlaybackMessage } from '../../protocol/channels/playback/playback-messages.ts';
import { copyGuestMixer, planesToStereo, playbackGain, s16leToStereoFloat } from './pcm.ts';
import type { AudioOutput } from './audio-output.ts';
import type { ToPlayout, WorkletOpusCounts } from './worklet-messages.ts';

/** Where Opus is decoded: in the playout worklet (WebAssembly), or on the page's thread (WebCodecs). */
export type OpusDecoding = 'worklet' | 'page';

/** Opus packets waiting in the decoder beyond which new ones are dropped (a stalled decoder must not queue without end). */
const MAX_DECODE_QUEUE = 50;
/** Packet times kept for the decoder's outputs (one per packet in flight). */
const MAX_TIMES = 200;

/** How playback reaches the worklet: from this thread, or from the decode worker by a port or by shared memory (worker-playback.ts). */
export type PlaybackRoute = 'page' | 'worker-port' | 'worker-ring';

export interface PlaybackStats {
  packets: number;
  decoded: number;
  /** Packets dropped: a full decoder queue, a decoder that failed, a mode the page cannot play. */
  dropped: number;
  errors: number;
  starts: number;
  /** Decoded outputs whose timestamp matched no packet's (played with the time after the previous one). */
  restamped: number;
  /** Where Opus is decoded now. */
  opusDecoding: OpusDecoding;
  mode: 'raw' | 'opus' | null;
  /** The format of the stream playing (null outside START..STOP). */
  stream: { channels: number; frequency: number } | null;
  guest: { volume: number[] | null; muted: boolean };
  /** The server's minimum latency (LATENCY, ms) in force for this stream, or null. */
  serverLatencyMs: number | null;
  route: PlaybackRoute;
}

/** The playback's numbers with the worklet's own decoding counts added, copied (the caller may keep them). */
export function withWorkletCounts(s: PlaybackStats, w: WorkletOpusCounts): PlaybackStats {
  return { ...s, decoded: s.decoded + w.decoded, dropped: s.dropped + w.dropped, errors: s.errors + w.errors, stream: s.stream && { ...s.stream }, guest: copyGuestMixer(s.guest) };
}

/** What the page's sound controls and state use of the playback, wherever it runs: here, or in the decode worker (worker-playback.ts). */
export interface PlaybackControl {
  /** The page's own volume (0..1) and mute. */
  setLocal(volume: number, muted: boolean): void;
  /** The session ended: whatever plays stops. */
  reset(): void;
  /** The worklet's decoding counts (its position reports carry them). */
  workletCounts(c: WorkletOpusCounts): void;
  /** The worklet cannot decode Opus: the playback decodes from now on (WebCodecs). */
  workletUnavailable(why: string): void;
  /** libopus in the worklet refused a packet. */
  workletError(why: string): void;
  readonly playing: boolean;
  readonly stats: PlaybackStats;
}

export class PagePlayback implements PlaybackControl {
  private mode: number | null = null;
  private stream: { channels: number; frequency: number } | null = null;
  private decoder: AudioDecoder | null = null;
  private decoderRate = 0;
  private sequence = 0;
  private readonly times = new Map<number, number>();
  /** The time of the last decoded packet, for an output whose timestamp matches none. */
  private lastDecodedTime: number | null = null;
  private readonly guest = { volume: null as number[] | null, muted: false };
  /** The server's LATENCY: the buffer's floor from its arrival (or the next START) until STOP. */
  private serverLatency: number | null = null;
  private readonly local = { volume: 1, muted: false };
  /** Whether AudioData.copyTo converts to interleaved f32 here (until it throws once). */
  private interleavedCopy = true;
  private readonly counts = { packets: 0, decoded: 0, dropped: 0, errors: 0, starts: 0, restamped: 0 };
  /** The worklet's own decoding counts, as it last reported them. */
  private worklet: WorkletOpusCounts = { decoded: 0, errors: 0, dropped: 0 };
  /** Opus packets for the worklet, posted together at the end of the bridge message that brought them. */
  private readonly heldOpus = { bytes: new Uint8Array(2048), used: 0, lengths: [] as number[], times: [] as number[] };
  /** The stream whose format the worklet was told for decoding (a new START tells it again). */
  private announced: { channels: number; frequency: number } | null = null;

  constructor(
    /** The page's output, or in the decode worker the link to the same worklet (playout-link.ts). */
    private readonly output: Pick<AudioOutput, 'gate' | 'post'>,
    /** A sentence for the page's status (a malformed message, a decoder that failed). */
    private readonly problem: (message: string) => void,
    private opusDecoding: OpusDecoding = 'worklet',
  ) {}

  /** One playback channel body, as the server sent it. */
  receive(type: number, body: Uint8Array): void {
    let m;
    try {
      m = parsePlaybackMessage(type, body, { channel: 'playback' });
    } catch (e) {
      this.counts.errors++;
      this.problem(`sound: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    switch (m.kind) {
      case 'mode':
        this.mode = m.mode;
        return;
      case 'start':
        this.counts.starts++;
        this.stream = { channels: m.channels, frequency: m.frequency };
        this.post({ type: 'start', rate: m.frequency });
        if (this.serverLatency !== null) this.post({ type: 'min-latency', ms: this.serverLatency });
        this.applyGain();
        return;
      case 'data':
        this.counts.packets++;
        if (!this.stream) {
          // DATA outside START..STOP: no format to play it in.
          this.counts.dropped++;
          return;
        }
        if ((this.mode ?? AudioDataMode.RAW) !== AudioDataMode.OPUS) this.play(s16leToStereoFloat(m.payload, this.stream.channels), m.time);
        else if (this.opusDecoding === 'worklet') this.toWorklet(m.payload, m.time, this.stream);
        else this.decodeOpus(m.payload, m.time);
        return;
      case 'stop':
        this.stream = null;
        // The server's wish ends with its stream (it resets its own latency when playback stops).
        this.serverLatency = null;
        this.post({ type: 'stop' });
        return;
      case 'volume':
        this.guest.volume = m.volume;
        this.applyGain();
        return;
      case 'mute':
        this.guest.muted = m.muted;
        this.applyGain();
        return;
      case 'latency':
        // As spice-gtk's min-latency: the buffer holds at least this (the video encoder asked the
        // server for more room); the measured jitter may ask for more still.
        this.serverLatency = m.ms;
        if (this.stream) this.post({ type: 'min-latency', ms: m.ms });
        return;
    }
  }

  /** The page's own volume (0..1) and mute. */
  setLocal(volume: number, muted: boolean): void {
    this.local.volume = volume;
    this.local.muted = muted;
    this.applyGain();
  }

  /** The session ended: whatever plays stops, the decoder goes. */
  reset(): void {
    if (this.stream) this.post({ type: 'stop' });
    this.stream = null;
    this.mode = null;
    this.closeDecoder();
    this.guest.volume = null;
    this.guest.muted = false;
    this.serverLatency = null;
  }

  /** The worklet's decoding counts (its position reports carry them). */
  workletCounts(c: WorkletOpusCounts): void {
    this.worklet = c;
  }

  /** The worklet cannot decode Opus: this page decodes from now on (WebCodecs). */
  workletUnavailable(why: string): void {
    if (this.opusDecoding === 'page') return;
    this.opusDecoding = 'page';
    this.announced = null;
    this.problem(`sound: Opus is decoded on the page's thread (the worklet's decoder: ${why})`);
  }

  /** libopus in the worklet refused a packet (the first of a stream; the rest are counted). */
  workletError(why: string): void {
    this.problem(`sound: the Opus decoder failed (${why})`);
  }

  get playing(): boolean {
    return this.stream !== null;
  }

  get stats(): PlaybackStats {
    const mode = this.mode === null ? null : this.mode === AudioDataMode.OPUS ? 'opus' : 'raw';
    return withWorkletCounts({ ...this.counts, opusDecoding: this.opusDecoding, mode, stream: this.stream, guest: this.guest, serverLatencyMs: this.serverLatency, route: 'page' }, this.worklet);
  }

  private applyGain(): void {
    if (this.output.gate === 'off') return;
    this.post({ type: 'gain', gain: playbackGain(this.local, this.guest) });
  }

  private play(frames: Float32Array, time: number): void {
    if (frames.length === 0) return;
    if (this.output.gate === 'off') this.applyGainAfterOpen();
    this.post({ type: 'data', frames, time }, [frames.buffer]);
  }

  /**
   * An Opus packet to the worklet, which decodes it: copied out of the bridge message (a view of the
   * whole transport packet, which a post would clone whole) and the copy transferred.
   */
  private toWorklet(payload: Uint8Array, time: number, stream: { channels: number; frequency: number }): void {
    if (payload.byteLength === 0) return;
    if (this.output.gate === 'off') this.applyGainAfterOpen();
    if (this.announced !== stream) {
      this.announced = stream;
      this.post({ type: 'opus-stream', channels: stream.channels, rate: stream.frequency });
    }
    // The packets of one bridge message (the host sends two at a time) go in one post, after the
    // message's other handlers ran (a microtask). Their bytes are copied now: the bridge message's
    // buffer may be transferred to the decode worker by a display message after them.
    if (this.heldOpus.lengths.length === 0) queueMicrotask(() => this.postHeldOpus());
    const held = this.heldOpus;
    if (held.used + payload.byteLength > held.bytes.byteLength) {
      const grown = new Uint8Array(Math.max(2 * held.bytes.byteLength, held.used + payload.byteLength));
      grown.set(held.bytes.subarray(0, held.used));
      held.bytes = grown;
    }
    held.bytes.set(payload, held.used);
    held.used += payload.byteLength;
    held.lengths.push(payload.byteLength);
    held.times.push(time);
  }

  /** The Opus packets held for the worklet, in one message: their bytes in one buffer of their own (a view of the bridge message would clone all of it), transferred. */
  private postHeldOpus(): void {
    const held = this.heldOpus;
    if (held.lengths.length === 0) return;
    const bytes = held.bytes.slice(0, held.used);
    const m: ToPlayout = { type: 'opus', bytes, lengths: held.lengths, times: held.times };
    held.used = 0;
    held.lengths = [];
    held.times = [];
    this.output.post(m, [bytes.buffer]);
  }

  /** To the worklet, after any Opus packets held for it (the order of DATA and STOP is kept). */
  private post(m: ToPlayout, transfer: Transferable[] = []): void {
    this.postHeldOpus();
    this.output.post(m, transfer);
  }

  /** The first sound opens the output; its gain goes with it. */
  private applyGainAfterOpen(): void {
    this.post({ type: 'gain', gain: playbackGain(this.local, this.guest) });
  }

  private decodeOpus(packet: Uint8Array, time: number): void {
    const decoder = this.opusDecoder();
    if (!decoder || decoder.decodeQueueSize > MAX_DECODE_QUEUE) {
      this.counts.dropped++;
      return;
    }
    const timestamp = this.sequence++ * 10_000;
    this.times.set(timestamp, time);
    if (this.times.size > MAX_TIMES) this.times.delete(this.times.keys().next().value!);
    try {
      decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp, data: packet }));
    } catch (e) {
      this.counts.dropped++;
      this.decoderFailed(e);
    }
  }

  private opusDecoder(): AudioDecoder | null {
    const rate = this.stream?.frequency ?? 48000;
    if (this.decoder && this.decoderRate === rate && this.decoder.state === 'configured') return this.decoder;
    this.closeDecoder();
    if (typeof AudioDecoder !== 'function') {
      this.problem('sound: this browser has no WebCodecs AudioDecoder, so the Opus sound the server sends cannot play');
      return null;
    }
    const decoder = new AudioDecoder({
      output: (data) => this.decoded(data),
      error: (e) => this.decoderFailed(e),
    });
    try {
      decoder.configure({ codec: 'opus', sampleRate: rate, numberOfChannels: 2 });
    } catch (e) {
      this.decoderFailed(e);
      return null;
    }
    this.decoder = decoder;
    this.decoderRate = rate;
    return decoder;
  }

  private decoded(data: AudioData): void {
    try {
      // Chromium's decoder may restamp its outputs by a few ms (seen: 10 of 300 outputs of an
      // Xspice stream did not carry their input's timestamp): the packet is the nearest 10 ms step.
      const key = Math.round(data.timestamp / 10_000) * 10_000;
      const stamped = this.times.get(key);
      this.times.delete(key);
      const time = stamped ?? (this.lastDecodedTime === null ? null : this.lastDecodedTime + (data.numberOfFrames / data.sampleRate) * 1000);
      if (time === null) return;
      if (stamped === undefined) this.counts.restamped++;
      this.lastDecodedTime = time;
      this.counts.decoded++;
      this.play(this.stereoOf(data), time);
    } finally {
      data.close();
    }
  }

  /**
   * The decoded sound as interleaved stereo. A stereo output is copied once as interleaved f32
   * (Chromium's Opus decoder gives f32 already, so that is a plain copy) instead of two planes
   * and a loop that interleaves them; a browser that cannot convert in copyTo gets the planes.
   */
  private stereoOf(data: AudioData): Float32Array {
    if (data.numberOfChannels === 2 && this.interleavedCopy) {
      const stereo = new Float32Array(data.numberOfFrames * 2);
      try {
        data.copyTo(stereo, { planeIndex: 0, format: 'f32' });
        return stereo;
      } catch {
        this.interleavedCopy = false;
      }
    }
    const planes: Float32Array[] = [];
    for (let c = 0; c < Math.min(2, data.numberOfChannels); c++) {
      const plane = new Float32Array(data.numberOfFrames);
      data.copyTo(plane, { planeIndex: c, format: 'f32-planar' });
      planes.push(plane);
    }
    return planesToStereo(planes);
  }

  private decoderFailed(e: unknown): void {
    this.counts.errors++;
    this.problem(`sound: the Opus decoder failed (${e instanceof Error ? e.message : String(e)})`);
    this.closeDecoder();
  }

  private closeDecoder(): void {
    const d = this.decoder;
    this.decoder = null;
    this.times.clear();
    this.lastDecodedTime = null;
    if (d && d.state !== 'closed') d.close();
  }
}
