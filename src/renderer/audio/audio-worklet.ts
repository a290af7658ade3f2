// The page's audio worklet module (built as audio-worklet.js beside main.js, loaded with
// audioWorklet.addModule from the page's own origin, which the CSP's script-src 'self' allows).
// Two processors: the playout (playout.ts on the audio thread: the jitter buffer, drift
// correction, fades and gain), and the capture, which hands the microphone's samples to the page.

import { Playout } from './playout.ts';
import { CAPTURE_PROCESSOR, PLAYOUT_PROCESSOR, type FromCapture, type FromPlayout, type ToPlayout } from './worklet-messages.ts';

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

class PlayoutProcessor extends AudioWorkletProcessor {
  private readonly playout = new Playout({ outputRate: sampleRate });
  private quanta = 0;
  private tap: Float32Array | null = null;
  private tapFilled = 0;
  /** The context time (s) of the tap buffer's first frame. */
  private tapTime = 0;

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
    }
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0];
    const left = out[0];
    const right = out[1] ?? new Float32Array(left.length);
    const position = this.playout.positionMs;
    this.playout.render(left, right);
    if (this.tap) this.copyToTap(left, right, currentTime);
    if (++this.quanta % REPORT_QUANTA === 0) {
      const m: FromPlayout = { type: 'position', position, contextTime: currentTime, stats: this.playout.stats };
      this.port.postMessage(m);
    }
    return true;
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
        this.port.postMessage(m, m.planes.map((p) => p.buffer));
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor(PLAYOUT_PROCESSOR, PlayoutProcessor);
registerProcessor(CAPTURE_PROCESSOR, CaptureProcessor);
