// What this page can do with sound, asked of the browser once: its HELLO carries it, and the
// sound channels announce exactly that (Opus decoding where the worklet runs WebAssembly or
// WebCodecs decodes it, Opus encoding where WebCodecs encodes it, volume only where the page can
// play at all).
import type { AudioCapabilities } from '../../protocol/audio/audio-format.ts';

export interface AudioProbeEnvironment {
  /** An AudioWorklet can run here (Web Audio with worklets, a secure context). */
  worklet: boolean;
  /** WebAssembly runs here: the worklet decodes Opus with it (worklet-opus.ts). */
  wasm?: boolean;
  decoderSupport?: (config: AudioDecoderConfig) => Promise<{ supported?: boolean }>;
  encoderSupport?: (config: AudioEncoderConfig) => Promise<{ supported?: boolean }>;
}

/** The Opus configurations of SPICE: 48 kHz stereo, 10 ms frames (multimedia.md §2.1). */
export const OPUS_DECODER_CONFIG: AudioDecoderConfig = { codec: 'opus', sampleRate: 48000, numberOfChannels: 2 };
export const OPUS_ENCODER_CONFIG: AudioEncoderConfig = { codec: 'opus', sampleRate: 48000, numberOfChannels: 2, bitrate: 96000, opus: { frameDuration: 10000 } };

async function asks(check: ((c: never) => Promise<{ supported?: boolean }>) | undefined, config: unknown): Promise<boolean> {
  if (!check) return false;
  try {
    return (await check(config as never)).supported === true;
  } catch {
    return false;
  }
}

export async function probeAudioCapabilities(env: AudioProbeEnvironment): Promise<AudioCapabilities> {
  if (!env.worklet) return { opusDecode: false, opusEncode: false, volume: false, latency: false };
  const [webCodecsDecode, opusEncode] = await Promise.all([asks(env.decoderSupport, OPUS_DECODER_CONFIG), asks(env.encoderSupport, OPUS_ENCODER_CONFIG)]);
  const opusDecode = env.wasm === true || webCodecsDecode;
  // LATENCY is acted on: the server's minimum latency is the playout buffer's floor (playout.ts).
  return { opusDecode, opusEncode, volume: true, latency: true };
}

/** This browser's environment. */
export function browserAudioEnvironment(w: Window = window): AudioProbeEnvironment {
  const g = w as unknown as { AudioWorkletNode?: unknown; AudioDecoder?: typeof AudioDecoder; AudioEncoder?: typeof AudioEncoder };
  return {
    worklet: w.isSecureContext && typeof g.AudioWorkletNode === 'function',
    wasm: typeof (w as unknown as { WebAssembly?: unknown }).WebAssembly === 'object',
    decoderSupport: g.AudioDecoder ? (c) => g.AudioDecoder!.isConfigSupported(c) : undefined,
    encoderSupport: g.AudioEncoder ? (c) => g.AudioEncoder!.isConfigSupported(c) : undefined,
  };
}
