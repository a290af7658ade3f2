// Opus packets of the playback channel to interleaved S16, with opus-decoder (libopus in
// WebAssembly, MIT/BSD). The module is imported by the first Opus stream, never at start-up: a
// command that plays no Opus does not compile the WebAssembly at all.
import { floatPlanarToS16 } from '../../protocol/audio/pcm.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';

/** Rates libopus decodes at (the server uses Opus only at these). */
const OPUS_DECODE_RATES = [8000, 12000, 16000, 24000, 48000] as const;
type OpusRate = (typeof OPUS_DECODE_RATES)[number];

export interface OpusPcmDecoder {
  /** One packet to interleaved S16 in the stream's channels; a corrupt packet throws a SpiceError. */
  decode(packet: Uint8Array): Int16Array;
  free(): void;
}

/** A decoder for a stream of `channels` (1 or 2) at `frequency` (an Opus rate). */
export async function createOpusDecoder(channels: number, frequency: number): Promise<OpusPcmDecoder> {
  if (channels < 1 || channels > 2) throw new SpiceError('protocol', `an Opus stream of ${channels} channels (SPICE sends 1 or 2)`);
  if (!(OPUS_DECODE_RATES as readonly number[]).includes(frequency)) throw new SpiceError('protocol', `an Opus stream at ${frequency} Hz, which is not an Opus rate (${OPUS_DECODE_RATES.join(', ')})`);
  const { OpusDecoder } = await import('opus-decoder');
  const decoder = new OpusDecoder({ channels, sampleRate: frequency as OpusRate });
  await decoder.ready;
  return {
    decode(packet) {
      const out = decoder.decodeFrame(packet);
      if (out.errors.length > 0) throw new SpiceError('protocol', `an Opus packet of ${packet.byteLength} bytes could not be decoded: ${out.errors[0].message}`);
      return floatPlanarToS16(out.channelData.slice(0, channels), out.samplesDecoded);
    },
    free: () => decoder.free(),
  };
}
