// The page's audio worklet module (built as audio-worklet.js beside main.js, loaded with
// audioWorklet.addModule from the page's own origin, which the CSP's script-src 'self' allows).
// Two processors: the playout (playout.ts on the audio thread: the jitter buffer, drift
// correction, fades and gain), and the capture, which hands the microphone's samples to the page.

import { OutputStallWatch } from './output-stalls.ts';
import { Playout } from './playout.ts';
import { PlayoutRingReader } from './playout-ring.ts';
import { createWorkletOpusDecoder, type WorkletOpusDecoder } from './worklet-opus.ts';
import { CAPTURE_PROCESSOR, PLAYOUT_PROCESSOR, type FromCapture, type FromPlayout, type ToCapture, type ToPlayout, type WorkletOpusCounts } from './worklet-messages.ts';

// The AudioWorkletGlobalScope, which TypeScript's DOM library does not describe.
declare const sampleRate: number;
declare const currentTime: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, ctor: new (options?: unknown) => AudioWorkletProcessor): void;

/** Quanta between two position reports (128 frames each: ~50 ms at 48 kHz). */
const REPORT_QUANTA = 19;
/** Output frames gathered before a tap message. */
const TAP_FRAMES = 4800;
/** Opus packets held while the decoder loads (2 s of 10 ms packets; the oldest dropped beyond). */
const MAX_HELD_PACKETS = 200;

class PlayoutProcessor extends AudioWorkletProcessor {
  private readonly playout = new Playout({ outputRate: sampleRate });
  private readonly stalls = new OutputStallWatch();
  private quanta = 0;
  private tap: Float32Array | null = null;
  private tapFilled = 0;
  /** The context time (s) of the tap buffer's first frame. */
  private tapTime = 0;
  /** The Opus decoder, once loaded for the stream's channels and rate. */
  private opus: WorkletOpusDecoder | null = null;
  /** The decoder being loaded (its WebAssembly compiles asynchronously), and for what. */
  private opusLoading: { channels: number; rate: number } | null = null;
  /** Packets that came while the decoder loaded, with their arrival (ms of context time). */
  private held: { packet: Uint8Array; time: number; arrivalMs: number }[] = [];
  /** Whether libopus refused a packet of this stream already (only the first is reported). */
  private opusErrorReported = false;
  private readonly opusCounts: WorkletOpusCounts = { decoded: 0, errors: 0, dropped: 0 };
  /** The decode worker's ring (playout-ring.ts), where the page could share memory with it. */
  private ring: PlayoutRingReader | null = null;
  private ringErrorReported = false;

  constructor() {
    super();
    this.port.onmessage = (e: MessageEvent<ToPlayout>) => this.receive(e.data);
  }

  private receive(m: ToPlayout): void {
    switch (m.type) {
      case 'start':
        this.playout.start(m.rate);
        return;
      case 'data':
        this.playout.push(m.frames, m.time, currentTime * 1000);
        return;
      case 'opus-stream':
        this.opusErrorReported = false;
        this.loadOpus(m.channels, m.rate);
        return;
      case 'opus': {
        let offset = 0;
        for (let i = 0; i < m.lengths.length; i++) {
          const packet = m.bytes.subarray(offset, offset + m.lengths[i]);
          offset += m.lengths[i];
          if (this.opus) this.decodeOpus(packet, m.times[i], currentTime * 1000);
          else if (this.opusLoading) this.hold(packet, m.times[i]);
          // No decoder will come (it failed, and the page decodes from now on): nothing to play it with.
          else this.opusCounts.dropped++;
        }
        return;
      }
      case 'stop':
        this.playout.stop();
        return;
      case 'min-latency':
        this.playout.setMinLatency(m.ms);
        return;
      case 'gain':
        this.playout.setGain(m.gain);
        return;
      case 'tap':
        this.tap = m.on ? new Float32Array(TAP_FRAMES * 2) : null;
        this.tapFilled = 0;
        return;
      case 'port':
        m.port.onmessage = (e: MessageEvent<ToPlayout>) => this.receive(e.data);
        this.ring = m.ring ? new PlayoutRingReader(m.ring) : null;
        return;
    }
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    if (this.ring) this.drainRing();
    const out = outputs[0];
    const left = out[0];
    const right = out[1] ?? new Float32Array(left.length);
    const position = this.playout.positionMs;
    this.playout.render(left, right);
    // Date is the one wall clock of the AudioWorkletGlobalScope (it has no performance.now).
    this.stalls.observe(Date.now(), currentTime * 1000, this.playout.playing);
    if (this.tap) this.copyToTap(left, right, currentTime);
    if (++this.quanta % REPORT_QUANTA === 0) {
      const m: FromPlayout = { type: 'position', position, contextTime: currentTime, stats: this.playout.stats, output: this.stalls.stats, opus: { ...this.opusCounts } };
      this.port.postMessage(m);
    }
    return true;
  }

  /** What the worker wrote into the ring since the last quantum, as if it had come through the port. */
  private drainRing(): void {
    try {
      this.ring!.drain(this.receiveFromRing);
    } catch (e) {
      if (this.ringErrorReported) return;
      this.ringErrorReported = true;
      const m: FromPlayout = { type: 'ring-error', why: e instanceof Error ? e.message : String(e) };
      this.port.postMessage(m);
    }
  }

  private readonly receiveFromRing = (m: ToPlayout): void => this.receive(m);

  /** Makes the decoder for a stream (kept while the next stream has the same format). */
  private loadOpus(channels: number, rate: number): void {
    const want = { channels, rate };
    if (this.opus && this.opus.channels === channels && this.opus.rate === rate) return;
    if (this.opusLoading && this.opusLoading.channels === channels && this.opusLoading.rate === rate) return;
    this.opus?.free();
    this.opus = null;
    this.opusLoading = want;
    createWorkletOpusDecoder(channels, rate).then(
      (decoder) => {
        if (this.opusLoading !== want) return decoder.free();
        this.opusLoading = null;
        this.opus = decoder;
        const held = this.held;
        this.held = [];
        for (const p of held) this.decodeOpus(p.packet, p.time, p.arrivalMs);
      },
      (e: unknown) => {
        if (this.opusLoading !== want) return;
        this.opusLoading = null;
        this.held = [];
        const m: FromPlayout = { type: 'opus-unavailable', why: e instanceof Error ? e.message : String(e) };
        this.port.postMessage(m);
      },
    );
  }

  /** A packet before its decoder is ready: held with its arrival time, so the jitter estimate sees when it came. */
  private hold(packet: Uint8Array, time: number): void {
    this.held.push({ packet, time, arrivalMs: currentTime * 1000 });
    if (this.held.length > MAX_HELD_PACKETS) {
      this.held.shift();
      this.opusCounts.dropped++;
    }
  }

  private decodeOpus(packet: Uint8Array, time: number, arrivalMs: number): void {
    let frames: Float32Array;
    try {
      frames = this.opus!.decode(packet);
    } catch (e) {
      this.opusCounts.errors++;
      if (!this.opusErrorReported) {
        this.opusErrorReported = true;
        const m: FromPlayout = { type: 'opus-error', why: e instanceof Error ? e.message : String(e) };
        this.port.postMessage(m);
      }
      return;
    }
    this.opusCounts.decoded++;
    this.playout.push(frames, time, arrivalMs);
  }

  /** `quantumTime`: the context time (s) of this quantum's first frame. */
  private copyToTap(left: Float32Array, right: Float32Array, quantumTime: number): void {
    const tap = this.tap!;
    for (let i = 0; i < left.length; i++) {
      if (this.tapFilled === 0) this.tapTime = quantumTime + i / sampleRate;
      tap[2 * this.tapFilled] = left[i];
      tap[2 * this.tapFilled + 1] = right[i];
      if (++this.tapFilled === TAP_FRAMES) {
        const m: FromPlayout = { type: 'tap', frames: tap.slice(), contextTime: this.tapTime };
        this.port.postMessage(m);
        this.tapFilled = 0;
      }
    }
  }
}

/** Frames gathered before the capture posts them (~10 ms at 48 kHz). */
const CAPTURE_FRAMES = 512;

class CaptureProcessor extends AudioWorkletProcessor {
  private planes: Float32Array[] = [];
  private filled = 0;
  /** Where the blocks go: the decode worker's port once the page gave one, else the page. */
  private out: MessagePort = this.port;

  constructor() {
    super();
    this.port.onmessage = (e: MessageEvent<ToCapture>) => {
      this.out = e.data.port;
    };
  }

  process(inputs: Float32Array[][]): boolean {
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    if (this.planes.length !== input.length) {
      this.planes = input.map(() => new Float32Array(CAPTURE_FRAMES));
      this.filled = 0;
    }
    const n = input[0].length;
    let offset = 0;
    while (offset < n) {
      const take = Math.min(n - offset, CAPTURE_FRAMES - this.filled);
      for (let c = 0; c < input.length; c++) this.planes[c].set(input[c].subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === CAPTURE_FRAMES) {
        const m: FromCapture = { planes: this.planes.map((p) => p.slice()) };
        this.out.postMessage(m, m.planes.map((p) => p.buffer));
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor(PLAYOUT_PROCESSOR, PlayoutProcessor);
registerProcessor(CAPTURE_PROCESSOR, CaptureProcessor);
