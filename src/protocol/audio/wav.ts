// WAV (RIFF/WAVE, PCM 16-bit) reading and the header for writing, as `do listen` and `do speak`
// use them. Reading is bounded: a file that is not RIFF/WAVE, not 16-bit PCM, or whose sizes and
// format are absurd gets an error naming what was wrong, before anything is allocated for it.
import { MAX_AUDIO_CHANNELS, MAX_AUDIO_FREQUENCY, MIN_AUDIO_FREQUENCY } from './audio-format.ts';

export const WAV_HEADER_SIZE = 44;

export class WavError extends Error {
  override name = 'WavError';
}

export interface WavAudio {
  channels: number;
  frequency: number;
  /** Interleaved S16 samples. */
  samples: Int16Array;
  /** Frames (samples per channel). */
  frames: number;
}

/** The 44-byte header of a PCM S16LE WAV holding `dataBytes` bytes of samples. */
export function wavHeader(channels: number, frequency: number, dataBytes: number): Uint8Array {
  const h = new Uint8Array(WAV_HEADER_SIZE);
  const v = new DataView(h.buffer);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) h[at + i] = s.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  v.setUint32(4, Math.min(0xffffffff, 36 + dataBytes), true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, channels, true);
  v.setUint32(24, frequency, true);
  v.setUint32(28, frequency * channels * 2, true);
  v.setUint16(32, channels * 2, true);
  v.setUint16(34, 16, true);
  ascii(36, 'data');
  v.setUint32(40, Math.min(0xffffffff, dataBytes), true);
  return h;
}

const FORMAT_PCM = 1;
const FORMAT_EXTENSIBLE = 0xfffe;

/** Parses a whole WAV file: PCM 16-bit, 1-8 channels, 4000-192000 Hz. Throws WavError naming what is wrong. */
export function parseWav(file: Uint8Array): WavAudio {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const ascii = (at: number) => String.fromCharCode(file[at], file[at + 1], file[at + 2], file[at + 3]);
  if (file.byteLength < 12 || ascii(0) !== 'RIFF' || ascii(8) !== 'WAVE') throw new WavError('not a WAV file (no RIFF/WAVE header)');
  let fmt: { format: number; channels: number; frequency: number; bits: number } | null = null;
  let at = 12;
  while (at + 8 <= file.byteLength) {
    const id = ascii(at);
    const size = v.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > file.byteLength) throw new WavError(`its fmt chunk is ${size} bytes, shorter than the 16 of PCM`);
      let format = v.getUint16(body, true);
      // WAVE_FORMAT_EXTENSIBLE: the real format is the first u16 of the sub-format GUID.
      if (format === FORMAT_EXTENSIBLE && size >= 40 && body + 26 <= file.byteLength) format = v.getUint16(body + 24, true);
      fmt = { format, channels: v.getUint16(body + 2, true), frequency: v.getUint32(body + 4, true), bits: v.getUint16(body + 14, true) };
    } else if (id === 'data') {
      if (!fmt) throw new WavError('its data chunk comes before the fmt chunk');
      if (fmt.format !== FORMAT_PCM) throw new WavError(`it is not PCM (format ${fmt.format}); convert it to 16-bit PCM, e.g. sox IN -e signed-integer -b 16 OUT.wav`);
      if (fmt.bits !== 16) throw new WavError(`it is ${fmt.bits}-bit PCM; only 16-bit is read (sox IN -b 16 OUT.wav)`);
      if (fmt.channels < 1 || fmt.channels > MAX_AUDIO_CHANNELS) throw new WavError(`it declares ${fmt.channels} channels (1 to ${MAX_AUDIO_CHANNELS} accepted)`);
      if (fmt.frequency < MIN_AUDIO_FREQUENCY || fmt.frequency > MAX_AUDIO_FREQUENCY) {
        throw new WavError(`it declares ${fmt.frequency} Hz (${MIN_AUDIO_FREQUENCY} to ${MAX_AUDIO_FREQUENCY} accepted)`);
      }
      // A data size past the end is what a recorder cut short leaves (or 0xffffffff for a stream): take what is there.
      const available = file.byteLength - body;
      const declared = size === 0xffffffff || size > available ? available : size;
      const frameBytes = fmt.channels * 2;
      const frames = Math.floor(declared / frameBytes);
      const samples = new Int16Array(frames * fmt.channels);
      for (let i = 0; i < samples.length; i++) samples[i] = v.getInt16(body + 2 * i, true);
      return { channels: fmt.channels, frequency: fmt.frequency, samples, frames };
    }
    if (size > file.byteLength - body) break;
    at = body + size + (size & 1);
  }
  throw new WavError(fmt ? 'it has no data chunk' : 'it has no fmt chunk');
}
