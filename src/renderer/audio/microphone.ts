// The local microphone for the guest: opened when the server starts recording (RECORD START, the
// only time the page asks for it), closed at STOP. The capture worklet hands the samples on, and
// the record sender (record-sender.ts) frames, scales and encodes them: in the decode worker where
// the bridge runs there (worker-record.ts: the worklet posts into the worker directly), else here.
// Echo cancellation, noise suppression and automatic gain are on unless the user turned them off.
import type { AudioDataMode } from '../../protocol/audio/audio-format.ts';
import type { AudioOutput } from './audio-output.ts';
import { copyGuestMixer } from './pcm.ts';
import { noRecordCounts, RecordSender, sendsOpus, type GuestMixer, type RecordCounts } from './record-sender.ts';
import type { RecordFromWorker, RecordToWorker } from './worker-record.ts';
import { CAPTURE_PROCESSOR, type FromCapture, type ToCapture } from './worklet-messages.ts';

export type MicrophoneState = 'off' | 'asking' | 'open' | 'refused';

export interface RecordRequest {
  channels: number;
  frequency: number;
  /** The server takes Opus from this page (the host's RECORD flag). */
  opus: boolean;
}

export interface MicrophoneEvents {
  state(state: MicrophoneState, why?: string): void;
  /** One packet for the record channel (sent from here: the bridge runs on the page's thread). */
  packet(payload: Uint8Array, mode: AudioDataMode): void;
}

/** The decode worker, where it sends what the microphone records (worker-record.ts). */
export interface RecordWorkerLink {
  post(m: RecordToWorker, transfer?: Transferable[]): void;
}

export class Microphone {
  private current: MicrophoneState = 'off';
  private stream: MediaStream | null = null;
  private nodes: AudioNode[] = [];
  /** The sender on this thread, without a worker. */
  private sender: RecordSender | null = null;
  /** The worker sends for the microphone open now. */
  private inWorker = false;
  /** The counts as the worker last reported them, or as this thread's sender left them at its close. */
  private lastCounts: RecordCounts = noRecordCounts();
  /** Packets the worker handed to its bridge since the microphone opened, as it last said. */
  workerSent = 0;
  /** Bumped at every open and close: a getUserMedia answer for an older request is let go. */
  private generation = 0;
  /** Echo cancellation, noise suppression, automatic gain (one switch for the three). */
  processing = true;
  mode: 'raw' | 'opus' | null = null;
  /** The guest's capture mixer (record VOLUME and MUTE): applied to what is sent, kept across START and STOP. */
  private readonly guest: GuestMixer = { volume: null, muted: false };

  constructor(
    private readonly output: AudioOutput,
    private readonly events: MicrophoneEvents,
    private readonly media: MediaDevices | undefined = navigator.mediaDevices,
    /** Where the bridge runs in the decode worker: the worker sends (null: this thread does). */
    private readonly worker: RecordWorkerLink | null = null,
  ) {}

  get state(): MicrophoneState {
    return this.current;
  }

  get counts(): RecordCounts {
    return { ...(this.sender ? this.sender.counts : this.lastCounts) };
  }

  /** The guest's capture VOLUME (u16 per channel) and MUTE, as the record channel says them; null resets (a new session). */
  setGuest(change: { volume?: number[]; muted?: boolean } | null): void {
    if (change === null) {
      this.guest.volume = null;
      this.guest.muted = false;
    } else {
      if (change.volume) this.guest.volume = [...change.volume];
      if (change.muted !== undefined) this.guest.muted = change.muted;
    }
    this.sender?.setGuest(this.guest);
    if (this.inWorker) this.worker?.post({ kind: 'record-guest', guest: this.guestMixer });
  }

  get guestMixer(): GuestMixer {
    return copyGuestMixer(this.guest);
  }

  /** The worker's counts and mode. */
  workerReport(m: RecordFromWorker): void {
    this.lastCounts = { ...m.counts };
    this.workerSent = m.sent;
    if (this.inWorker && m.mode !== null) this.mode = m.mode;
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
    const options = { contextRate: ctx.sampleRate, frequency: request.frequency, opus: request.opus, guest: this.guestMixer };
    const source = ctx.createMediaStreamSource(stream);
    const capture = new AudioWorkletNode(ctx, CAPTURE_PROCESSOR, { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
    // The capture runs only while the graph pulls it: into the output, silent.
    const silence = ctx.createGain();
    silence.gain.value = 0;
    source.connect(capture);
    capture.connect(silence);
    silence.connect(ctx.destination);
    this.nodes = [source, capture, silence];
    if (this.worker) {
      const channel = new MessageChannel();
      const toCapture: ToCapture = { port: channel.port1 };
      capture.port.postMessage(toCapture, [channel.port1]);
      this.inWorker = true;
      this.lastCounts = noRecordCounts();
      this.workerSent = 0;
      // What the worker will use until it says (an encoder that fails to configure is RAW at once).
      this.mode = sendsOpus(options) ? 'opus' : 'raw';
      this.worker.post({ kind: 'record-open', port: channel.port2, options }, [channel.port2]);
    } else {
      const sender = new RecordSender(options, (payload, mode) => this.events.packet(payload, mode), () => (this.mode = sender.mode));
      this.sender = sender;
      this.mode = sender.mode;
      capture.port.onmessage = (e: MessageEvent<FromCapture>) => {
        if (generation === this.generation) sender.push(e.data.planes);
      };
    }
    this.setState('open');
  }

  /** RECORD STOP, the session's end, or the page's: the microphone is let go at once. */
  close(): void {
    this.generation++;
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = null;
    for (const n of this.nodes) n.disconnect();
    this.nodes = [];
    if (this.sender) this.lastCounts = { ...this.sender.counts };
    this.sender?.close();
    this.sender = null;
    if (this.inWorker) this.worker?.post({ kind: 'record-close' });
    this.inWorker = false;
    this.mode = null;
    if (this.current !== 'off') this.setState('off');
  }

  private setState(state: MicrophoneState, why?: string): void {
    this.current = state;
    this.events.state(state, why);
  }
}
