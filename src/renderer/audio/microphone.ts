// The local microphone for the guest: opened when the server starts recording (RECORD START, the
// only time the page asks for it), closed at STOP. The capture worklet hands the samples to the
// page, the framer cuts 480-sample stereo frames at the server's rate, and each goes as one Opus
// packet (WebCodecs AudioEncoder, 10 ms frames) when the server takes Opus, else as RAW S16LE.
// Echo cancellation, noise suppression and automatic gain are on unless the user turned them off.
import { AudioDataMode, OPUS_RATES } from '../../protocol/audio/audio-format.ts';
import { OPUS_ENCODER_CONFIG } from './audio-capabilities.ts';
import type { AudioOutput } from './audio-output.ts';
import { floatToS16le, guestGain, rampGain } from './pcm.ts';
import { RECORD_FRAME_SAMPLES, RecordFramer } from './record-framer.ts';
import { CAPTURE_PROCESSOR, type FromCapture } from './worklet-messages.ts';

export type MicrophoneState = 'off' | 'asking' | 'open' | 'refused';

export interface RecordRequest {
  channels: number;
  frequency: number;
  /** The server takes Opus from this page (the host's RECORD flag). */
  opus: boolean;
}

export interface MicrophoneEvents {
  state(state: MicrophoneState, why?: string): void;
  /** One packet for the record channel. */
  packet(payload: Uint8Array, mode: AudioDataMode): void;
}

/** Opus frames waiting in the encoder beyond which new ones are dropped. */
const MAX_ENCODE_QUEUE = 50;

export class Microphone {
  private current: MicrophoneState = 'off';
  private stream: MediaStream | null = null;
  private nodes: AudioNode[] = [];
  private encoder: AudioEncoder | null = null;
  /** Bumped at every open and close: a getUserMedia answer for an older request is let go. */
  private generation = 0;
  private frames = 0;
  readonly counts = { frames: 0, opusPackets: 0, rawPackets: 0, dropped: 0 };
  /** Echo cancellation, noise suppression, automatic gain (one switch for the three). */
  processing = true;
  mode: 'raw' | 'opus' | null = null;
  /** The guest's capture mixer (record VOLUME and MUTE): applied to what is sent, kept across START and STOP. */
  private readonly guest = { volume: null as number[] | null, muted: false };
  /** The gain the last frame was sent at (a change ramps from it over the next frame). */
  private sentGain = 1;

  constructor(
    private readonly output: AudioOutput,
    private readonly events: MicrophoneEvents,
    private readonly media: MediaDevices | undefined = navigator.mediaDevices,
  ) {}

  get state(): MicrophoneState {
    return this.current;
  }

  /** The guest's capture VOLUME (u16 per channel) and MUTE, as the record channel says them; null resets (a new session). */
  setGuest(change: { volume?: number[]; muted?: boolean } | null): void {
    if (change === null) {
      this.guest.volume = null;
      this.guest.muted = false;
      return;
    }
    if (change.volume) this.guest.volume = [...change.volume];
    if (change.muted !== undefined) this.guest.muted = change.muted;
  }

  get guestMixer(): { volume: number[] | null; muted: boolean } {
    return { volume: this.guest.volume && [...this.guest.volume], muted: this.guest.muted };
  }

  /** RECORD START: asks for the microphone (the browser may prompt) and starts sending. */
  async open(request: RecordRequest): Promise<void> {
    this.close();
    const generation = ++this.generation;
    if (!this.media?.getUserMedia) {
      this.setState('refused', 'this page cannot use a microphone here (no getUserMedia: is it served over http from a remote host?)');
      return;
    }
    this.setState('asking');
    let stream: MediaStream;
    try {
      const on = this.processing;
      stream = await this.media.getUserMedia({ audio: { echoCancellation: on, noiseSuppression: on, autoGainControl: on, channelCount: { ideal: 2 } }, video: false });
    } catch (e) {
      if (generation === this.generation) this.setState('refused', `the microphone was refused: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    const ctx = await this.output.context();
    if (generation !== this.generation || !ctx) {
      for (const t of stream.getTracks()) t.stop();
      if (!ctx && generation === this.generation) this.setState('refused', 'sound does not work in this page (no Web Audio)');
      return;
    }
    this.stream = stream;
    const useOpus = request.opus && OPUS_RATES.includes(request.frequency) && this.openEncoder(request.frequency);
    this.mode = useOpus ? 'opus' : 'raw';
    const framer = new RecordFramer(ctx.sampleRate, request.frequency);
    const source = ctx.createMediaStreamSource(stream);
    const capture = new AudioWorkletNode(ctx, CAPTURE_PROCESSOR, { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
    // The capture runs only while the graph pulls it: into the output, silent.
    const silence = ctx.createGain();
    silence.gain.value = 0;
    source.connect(capture);
    capture.connect(silence);
    silence.connect(ctx.destination);
    this.nodes = [source, capture, silence];
    capture.port.onmessage = (e: MessageEvent<FromCapture>) => {
      if (generation !== this.generation) return;
      framer.push(e.data.planes, (frame) => this.send(frame, request.frequency));
    };
    this.setState('open');
  }

  /** RECORD STOP, the session's end, or the page's: the microphone is let go at once. */
  close(): void {
    this.generation++;
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = null;
    for (const n of this.nodes) n.disconnect();
    this.nodes = [];
    if (this.encoder && this.encoder.state !== 'closed') this.encoder.close();
    this.encoder = null;
    this.mode = null;
    if (this.current !== 'off') this.setState('off');
  }

  private openEncoder(rate: number): boolean {
    if (typeof AudioEncoder !== 'function') return false;
    const generation = this.generation;
    const encoder = new AudioEncoder({
      output: (chunk) => {
        if (generation !== this.generation) return;
        const payload = new Uint8Array(chunk.byteLength);
        chunk.copyTo(payload);
        this.counts.opusPackets++;
        this.events.packet(payload, AudioDataMode.OPUS);
      },
      error: () => {
        // Sent as RAW from here on (the record channel sends MODE again).
        if (generation === this.generation) {
          this.encoder = null;
          this.mode = 'raw';
        }
      },
    });
    try {
      encoder.configure({ ...OPUS_ENCODER_CONFIG, sampleRate: rate });
    } catch {
      encoder.close();
      return false;
    }
    this.encoder = encoder;
    return true;
  }

  private send(captured: Float32Array, rate: number): void {
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
        sampleRate: rate,
        numberOfFrames: RECORD_FRAME_SAMPLES,
        numberOfChannels: 2,
        timestamp: (this.frames++ * RECORD_FRAME_SAMPLES * 1e6) / rate,
        data: frame,
      });
      encoder.encode(data);
      data.close();
      return;
    }
    this.counts.rawPackets++;
    this.events.packet(floatToS16le(frame), AudioDataMode.RAW);
  }

  private setState(state: MicrophoneState, why?: string): void {
    this.current = state;
    this.events.state(state, why);
  }
}
