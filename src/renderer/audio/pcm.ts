// Sample conversions of the page's sound, pure (tested in Node): SPICE's RAW mode is interleaved
// S16LE, Web Audio and WebCodecs work in Float32. The guest's volume curve is shared with the
// CLI's `do speak` (protocol/audio/pcm.ts).
import { guestGain, guestVolumeGain } from '../../protocol/audio/pcm.ts';

export { guestGain, guestVolumeGain };

/** A guest mixer (VOLUME and MUTE of one direction) as a copy the caller may keep: its volume array its own. */
export function copyGuestMixer(g: { volume: readonly number[] | null; muted: boolean }): { volume: number[] | null; muted: boolean } {
  return { volume: g.volume && [...g.volume], muted: g.muted };
}

/** Interleaved S16LE `channels`-channel bytes as interleaved stereo Float32 (mono duplicated, channels past two dropped). */
export function s16leToStereoFloat(bytes: Uint8Array, channels: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames = Math.floor(bytes.byteLength / (2 * channels));
  const out = new Float32Array(frames * 2);
  for (let i = 0; i < frames; i++) {
    const base = i * channels * 2;
    const l = view.getInt16(base, true) / 32768;
    const r = channels > 1 ? view.getInt16(base + 2, true) / 32768 : l;
    out[2 * i] = l;
    out[2 * i + 1] = r;
  }
  return out;
}

/** Planes (one Float32Array per channel, as AudioData.copyTo gives them) as interleaved stereo. */
export function planesToStereo(planes: readonly Float32Array[]): Float32Array {
  const l = planes[0];
  const r = planes[1] ?? l;
  const out = new Float32Array(l.length * 2);
  for (let i = 0; i < l.length; i++) {
    out[2 * i] = l[i];
    out[2 * i + 1] = r[i];
  }
  return out;
}

/** Interleaved Float32 as S16LE bytes, clipped. */
export function floatToS16le(samples: Float32Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(2 * i, Math.round(v < 0 ? v * 32768 : v * 32767), true);
  }
  return out;
}

/**
 * Interleaved stereo `frame` times a gain going linearly from `from` to `to` across it (a change of
 * the guest's capture volume is a ramp over one 10 ms frame, not a click), as a new array.
 */
export function rampGain(frame: Float32Array, from: number, to: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(frame.length);
  const frames = frame.length >> 1;
  for (let i = 0; i < frames; i++) {
    const g = from + ((to - from) * (i + 1)) / frames;
    out[2 * i] = frame[2 * i] * g;
    out[2 * i + 1] = frame[2 * i + 1] * g;
  }
  return out;
}

/** The gain the player applies: the local slider (0..1) and mute, then the guest's volume and mute. */
export function playbackGain(local: { volume: number; muted: boolean }, guest: { volume: readonly number[] | null; muted: boolean }): number {
  if (local.muted || guest.muted) return 0;
  const slider = Math.max(0, Math.min(1, local.volume));
  return slider * (guest.volume ? guestVolumeGain(guest.volume) : 1);
}
