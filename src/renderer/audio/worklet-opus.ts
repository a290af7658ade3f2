// Opus decoding in the audio worklet: libopus in WebAssembly (opus-decoder, MIT/BSD, the decoder
// the CLI uses too), run on the worklet's thread as each packet arrives. Against WebCodecs'
// AudioDecoder on the page's main thread, which cost that thread a decode call, an output callback
// and a copy per 10 ms packet and the renderer's thread pool the decoding, the page's thread now
// only posts the packet (bench/README.md, audio). The decoder writes into buffers of its own
// WebAssembly memory; one packet's frames are interleaved into a buffer reused for every packet,
// so the realtime thread allocates nothing per packet.
import OpusDecoderCore from 'opus-decoder/src/OpusDecoder.js';

/** Rates libopus decodes at (the server uses Opus only at these). */
export const OPUS_DECODE_RATES: readonly number[] = [8000, 12000, 16000, 24000, 48000];

export interface WorkletOpusDecoder {
  readonly channels: number;
  readonly rate: number;
  /**
   * One packet decoded to interleaved stereo (a mono stream is doubled); the view is valid until
   * the next call. Throws an Error naming what was wrong for a packet libopus refuses.
   */
  decode(packet: Uint8Array): Float32Array;
  free(): void;
}

/** A decoder for a stream of `channels` (1 or 2) at `rate` (an Opus rate). */
export async function createWorkletOpusDecoder(channels: number, rate: number): Promise<WorkletOpusDecoder> {
  if (channels !== 1 && channels !== 2) throw new Error(`an Opus stream of ${channels} channels (SPICE sends 1 or 2)`);
  if (!OPUS_DECODE_RATES.includes(rate)) throw new Error(`an Opus stream at ${rate} Hz, which is not an Opus rate (${OPUS_DECODE_RATES.join(', ')})`);
  const core = new OpusDecoderCore({ channels, sampleRate: rate });
  await core.ready;
  const decodeInto = core._common?.wasm?.opus_frame_decode_float_deinterleaved;
  const input = core._input;
  const output = core._output;
  const handle = core._decoder;
  if (!decodeInto || !input || !output || handle === undefined || core._outputChannels !== channels) {
    core.free();
    throw new Error("opus-decoder's internals are not the ones this page was built against (0.7.12)");
  }
  const maxFrames = Math.floor(output.len / channels);
  const stereo = new Float32Array(maxFrames * 2);
  return {
    channels,
    rate,
    decode(packet) {
      if (packet.byteLength > input.len) throw new Error(`an Opus packet of ${packet.byteLength} bytes (at most ${input.len})`);
      input.buf.set(packet);
      const n = decodeInto(handle, input.ptr, packet.byteLength, output.ptr);
      if (n < 0) throw new Error(`an Opus packet of ${packet.byteLength} bytes could not be decoded (libopus error ${n})`);
      // Planar in the decoder's memory: channel c's frames at c * n.
      const planes = output.buf;
      const right = channels === 2 ? n : 0;
      for (let i = 0; i < n; i++) {
        stereo[2 * i] = planes[i];
        stereo[2 * i + 1] = planes[right + i];
      }
      return stereo.subarray(0, 2 * n);
    },
    free: () => core.free(),
  };
}
