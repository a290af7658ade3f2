// opus-decoder's decoder alone (its src/OpusDecoder.js), without the package's index, which also
// defines a Web Worker class at load and so cannot load in an AudioWorkletGlobalScope (no Worker
// there). The package's exports do not name the file: scripts/build.mjs resolves it for the
// worklet's bundle. Only what worklet-opus.ts uses is declared: the decoder's WebAssembly buffers
// (internal to opus-decoder 0.7.12, checked by worklet-opus.ts when the decoder is made).
declare module 'opus-decoder/src/OpusDecoder.js' {
  export interface OpusDecoderCoreBuffer<T> {
    ptr: number;
    len: number;
    buf: T;
  }
  export default class OpusDecoderCore {
    constructor(options: { channels: number; sampleRate: number });
    readonly ready: Promise<void>;
    free(): void;
    _common?: { wasm?: { opus_frame_decode_float_deinterleaved?: (decoder: number, input: number, length: number, output: number) => number } };
    _decoder?: number;
    _input?: OpusDecoderCoreBuffer<Uint8Array>;
    _output?: OpusDecoderCoreBuffer<Float32Array>;
    _outputChannels?: number;
  }
}
