// What both sound channels share: the data modes and sample format on the wire (spice-protocol
// enums.h SpiceAudioDataMode / SpiceAudioFmt), the checks of a START's format, and what a host can
// honour (AudioCapabilities), which decides the caps the channels announce.
import type { WireReader } from '../wire/reader.ts';

/** audio_data_mode (u16). CELT_0_5_1 (2) is gone from spice-common; a server never picks it when the client lacks its cap. */
export const AudioDataMode = { RAW: 1, OPUS: 3 } as const;
export type AudioDataMode = (typeof AudioDataMode)[keyof typeof AudioDataMode];

export const audioDataModeNames: Record<number, string> = { 0: 'INVALID', 1: 'RAW', 2: 'CELT_0_5_1', 3: 'OPUS' };

export const isAudioDataMode = (mode: number): mode is AudioDataMode => mode === AudioDataMode.RAW || mode === AudioDataMode.OPUS;

/** audio_fmt (u16): only signed 16-bit little-endian exists. */
export const AudioFormat = { S16: 1 } as const;

/** Samples per channel in one Opus packet (spice-common snd_codec.h: 10 ms at 48 kHz) and in one RAW packet of the servers. */
export const AUDIO_FRAME_SAMPLES = 480;

/** Rates an Opus codec runs at (spice-common snd_codec.c): the server uses Opus only at these. */
export const OPUS_RATES: readonly number[] = [48000, 24000, 16000, 12000, 8000];

/** Bounds of a START's format: every server sends 2 channels at 48 kHz; anything far outside is a lie. */
export const MAX_AUDIO_CHANNELS = 8;
export const MIN_AUDIO_FREQUENCY = 4000;
export const MAX_AUDIO_FREQUENCY = 192000;

/** Largest DATA payload accepted either way: a RAW packet of 8192 stereo frames (the server's record ring). */
export const MAX_AUDIO_PAYLOAD = 8192 * 2 * 2;

/** What this host can honour; the session gets it from whoever plays the sound. */
export interface AudioCapabilities {
  /** Opus packets can be decoded (playback) / encoded (record). */
  opusDecode: boolean;
  opusEncode: boolean;
  /** Guest volume/mute is applied (playback, and record where the host records); LATENCY is acted on. */
  volume: boolean;
  latency: boolean;
  /**
   * The guest's record VOLUME/MUTE is applied to what is sent (QEMU leaves it to the client);
   * when absent, `volume` says it. The CLI applies it (`do speak`) without playing anything.
   */
  recordVolume?: boolean;
}

/** A host that honours nothing: RAW only, no volume, no latency. */
export const noAudioCapabilities: AudioCapabilities = Object.freeze({ opusDecode: false, opusEncode: false, volume: false, latency: false });

/** channels, format and frequency of a START, as both channels carry them. */
export interface AudioStreamFormat {
  channels: number;
  format: number;
  frequency: number;
}

/** Reads channels (u32), format (u16), frequency (u32) and refuses what no server sends. */
export function readAudioStreamFormat(r: WireReader): AudioStreamFormat {
  const channelsAt = r.offset;
  const channels = r.u32();
  const formatAt = r.offset;
  const format = r.u16();
  const frequencyAt = r.offset;
  const frequency = r.u32();
  if (channels < 1 || channels > MAX_AUDIO_CHANNELS) r.fail(`${channels} audio channels (1 to ${MAX_AUDIO_CHANNELS} accepted)`, channelsAt);
  if (format !== AudioFormat.S16) r.fail(`audio format ${format} (only S16, 1, exists)`, formatAt);
  if (frequency < MIN_AUDIO_FREQUENCY || frequency > MAX_AUDIO_FREQUENCY) {
    r.fail(`an audio frequency of ${frequency} Hz (${MIN_AUDIO_FREQUENCY} to ${MAX_AUDIO_FREQUENCY} accepted)`, frequencyAt);
  }
  return { channels, format, frequency };
}

/** Reads a volume list: u8 count, then a u16 per channel. */
export function readVolumes(r: WireReader): number[] {
  const n = r.u8();
  r.count(n, 2, 'volume list');
  return Array.from({ length: n }, () => r.u16());
}
