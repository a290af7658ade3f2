// Pure conversions of interleaved 16-bit PCM, shared by the CLI (`do listen`, `do speak`) and the
// page: planar float to S16 with clipping (what Opus decoders give), channel count changes, and a
// linear resampler (a microphone or a file at another rate than the server's START).

/** Planar float channels (-1..1) to interleaved S16, clipped; `frames` per channel. */
export function floatPlanarToS16(planes: readonly Float32Array[], frames: number): Int16Array {
  const channels = planes.length;
  const out = new Int16Array(frames * channels);
  for (let c = 0; c < channels; c++) {
    const plane = planes[c];
    for (let i = 0; i < frames; i++) {
      const v = plane[i] * 32768;
      out[i * channels + c] = v >= 32767 ? 32767 : v <= -32768 ? -32768 : Math.round(v);
    }
  }
  return out;
}

/**
 * Interleaved S16 from `from` channels to `to`: to fewer, the extra channels are averaged into the
 * ones kept (stereo to mono: the mean of both); to more, the last channel is repeated (mono to stereo: both sides).
 */
export function convertChannels(pcm: Int16Array, from: number, to: number): Int16Array {
  if (from === to) return pcm;
  const frames = Math.floor(pcm.length / from);
  const out = new Int16Array(frames * to);
  for (let i = 0; i < frames; i++) {
    if (to < from) {
      // Channels to..from-1 are averaged into the last kept one (mono: all of them).
      for (let c = 0; c < to - 1; c++) out[i * to + c] = pcm[i * from + c];
      let sum = 0;
      for (let c = to - 1; c < from; c++) sum += pcm[i * from + c];
      out[i * to + to - 1] = Math.round(sum / (from - to + 1));
    } else {
      for (let c = 0; c < to; c++) out[i * to + c] = pcm[i * from + Math.min(c, from - 1)];
    }
  }
  return out;
}

/** Resamples interleaved S16 linearly from `fromRate` to `toRate` (each channel on its own). */
export function resampleLinear(pcm: Int16Array, channels: number, fromRate: number, toRate: number): Int16Array {
  if (fromRate === toRate) return pcm;
  const frames = Math.floor(pcm.length / channels);
  if (frames === 0) return new Int16Array(0);
  const outFrames = Math.max(1, Math.round((frames * toRate) / fromRate));
  const out = new Int16Array(outFrames * channels);
  const step = fromRate / toRate;
  for (let i = 0; i < outFrames; i++) {
    const pos = i * step;
    const i0 = Math.min(Math.floor(pos), frames - 1);
    const i1 = Math.min(i0 + 1, frames - 1);
    const t = pos - i0;
    for (let c = 0; c < channels; c++) {
      out[i * channels + c] = Math.round(pcm[i0 * channels + c] * (1 - t) + pcm[i1 * channels + c] * t);
    }
  }
  return out;
}

/** The bytes of interleaved S16 as little-endian (every JS engine this runs on is little-endian). */
export const s16Bytes = (pcm: Int16Array): Uint8Array => new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);

/** Interleaved S16LE bytes as samples (copied when unaligned). */
export function s16FromBytes(bytes: Uint8Array): Int16Array {
  const n = bytes.byteLength >> 1;
  if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, n);
  return new Int16Array(bytes.slice(0, n * 2).buffer);
}

/** SPICE's VOLUME (u16 per channel) as a linear gain: volume[0]/65535 on a cubic curve, as spice-gtk's sink. */
export function guestVolumeGain(volume: readonly number[]): number {
  if (volume.length === 0) return 1;
  const v = Math.max(0, Math.min(65535, volume[0])) / 65535;
  return v * v * v;
}

/**
 * The guest's VOLUME and MUTE of one direction as a gain (same cubic curve, 0 while MUTEd): of what
 * is sent as its microphone (record), and of what `do listen` writes (playback), as a player would.
 */
export function guestGain(guest: { volume: readonly number[] | null; muted: boolean }): number {
  if (guest.muted) return 0;
  return guest.volume ? guestVolumeGain(guest.volume) : 1;
}

/**
 * Interleaved S16 times a gain going linearly from `from` to `to` across its frames (a change of
 * the guest's capture volume is a ramp over one packet, not a click), as a new array; rounded and clipped.
 */
export function rampGainS16(pcm: Int16Array, channels: number, from: number, to: number): Int16Array {
  const out = new Int16Array(pcm.length);
  const frames = Math.floor(pcm.length / channels);
  for (let f = 0; f < frames; f++) {
    const g = from + ((to - from) * (f + 1)) / frames;
    for (let c = 0; c < channels; c++) {
      const i = f * channels + c;
      out[i] = Math.max(-32768, Math.min(32767, Math.round(pcm[i] * g)));
    }
  }
  return out;
}
