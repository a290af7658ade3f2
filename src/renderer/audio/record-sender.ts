// What the microphone sends, from the capture worklet's blocks: cut into 480-sample stereo frames
// at the server's rate (record-framer.ts), at the guest's capture volume (a change ramped over one
// frame), each one Opus packet (WebCodecs AudioEncoder, 10 ms frames) where the server takes Opus
// and the encoder works, else RAW S16LE. It runs where the bridge does: in the decode worker
// (worker-record.ts: the capture worklet posts there directly, no block wakes the page's thread),
// or with #bridge=page on the page's thread (microphone.ts).
import { AudioDataMode, OPUS_RATES } from '../../protocol/audio/audio-format.ts';
import { OPUS_ENCODER_CONFIG } from './audio-capabilities.ts';
import { copyGuestMixer, floatToS16le, guestGain, rampGain } from './pcm.ts';
import { RECORD_FRAME_SAMPLES, RecordFramer } from './record-framer.ts';

/** Opus frames waiting in the encoder beyond which new ones are dropped. */
const MAX_ENCODE_QUEUE = 50;

export interface RecordCounts {
  frames: number;
  opusPackets: number;
  rawPackets: number;
  dropped: number;
}

/** The counts before anything was recorded. */
export function noRecordCounts(): RecordCounts {
  return { frames: 0, opusPackets: 0, rawPackets: 0, dropped: 0 };
}

/** The guest's capture mixer (record VOLUME and MUTE). */
export interface GuestMixer {
  volume: number[] | null;
  muted: boolean;
}

export interface RecordSenderOptions {
  /** The capture's rate (the AudioContext's). */
  contextRate: number;
  /** The server's START frequency. */
  frequency: number;
  /** The server takes Opus from this page. */
  opus: boolean;
  guest: GuestMixer;
}

/** Whether a sender with these options encodes Opus (the server takes it at this rate, and WebCodecs has an encoder): until the encoder fails. */
export function sendsOpus(o: Pick<RecordSenderOptions, 'opus' | 'frequency'>): boolean {
  return o.opus && OPUS_RATES.includes(o.frequency) && typeof AudioEncoder === 'function';
}

export class RecordSender {
  readonly counts: RecordCounts = noRecordCounts();
  private readonly framer: RecordFramer;
  private encoder: AudioEncoder | null = null;
  private encoded = 0;
  /** The gain the last frame was sent at (a change ramps from it over the next frame). */
  private sentGain = 1;
  private guest: GuestMixer;
  private closed = false;

  constructor(
    private readonly o: RecordSenderOptions,
    /** One packet for the record channel. */
    private readonly packet: (payload: Uint8Array, mode: AudioDataMode) => void,
    /** The encoder failed: RAW from here on (the mode the page shows changes). */
    private readonly modeChanged: () => void = () => {},
  ) {
    this.guest = copyGuestMixer(o.guest);
    this.framer = new RecordFramer(o.contextRate, o.frequency);
    if (sendsOpus(o)) this.openEncoder(o.frequency);
  }

  get mode(): 'raw' | 'opus' {
    return this.encoder ? 'opus' : 'raw';
  }

  setGuest(guest: GuestMixer): void {
    this.guest = copyGuestMixer(guest);
  }

  /** One block from the capture worklet (a plane per channel). */
  push(planes: readonly Float32Array[]): void {
    if (!this.closed) this.framer.push(planes, (frame) => this.send(frame));
  }

  close(): void {
    this.closed = true;
    if (this.encoder && this.encoder.state !== 'closed') this.encoder.close();
    this.encoder = null;
  }

  private openEncoder(rate: number): void {
    const encoder = new AudioEncoder({
      output: (chunk) => {
        if (this.closed) return;
        const payload = new Uint8Array(chunk.byteLength);
        chunk.copyTo(payload);
        this.counts.opusPackets++;
        this.packet(payload, AudioDataMode.OPUS);
      },
      error: () => {
        // Sent as RAW from here on (the record channel sends MODE again).
        if (this.closed || this.encoder !== encoder) return;
        this.encoder = null;
        this.modeChanged();
      },
    });
    try {
      encoder.configure({ ...OPUS_ENCODER_CONFIG, sampleRate: rate });
    } catch {
      encoder.close();
      return;
    }
    this.encoder = encoder;
  }

  private send(captured: Float32Array): void {
    this.counts.frames++;
    const gain = guestGain(this.guest);
    // The framer's view is reused: a frame kept (or scaled) is a copy.
    const frame: Float32Array<ArrayBuffer> = gain === 1 && this.sentGain === 1 ? new Float32Array(captured) : rampGain(captured, this.sentGain, gain);
    this.sentGain = gain;
    const encoder = this.encoder;
    if (encoder && encoder.state === 'configured') {
      if (encoder.encodeQueueSize > MAX_ENCODE_QUEUE) {
        this.counts.dropped++;
        return;
      }
      const data = new AudioData({
        format: 'f32',
        sampleRate: this.o.frequency,
        numberOfFrames: RECORD_FRAME_SAMPLES,
        numberOfChannels: 2,
        timestamp: (this.encoded++ * RECORD_FRAME_SAMPLES * 1e6) / this.o.frequency,
        data: frame,
      });
      encoder.encode(data);
      data.close();
      return;
    }
    this.counts.rawPackets++;
    this.packet(floatToS16le(frame), AudioDataMode.RAW);
  }
}
