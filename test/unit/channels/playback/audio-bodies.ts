// Playback and record message bodies as the real servers send them (shared/docs/multimedia.md §2,
// §3: Xspice and QEMU 7.2, seen on the wire), for the parser and channel tests and the fuzzer's seeds.
import { WireWriter } from '../../../../src/protocol/wire/writer.ts';

const w = () => new WireWriter();

/** MODE as QEMU sent it right after the link (recorded traffic: time 0x0010bcc7, RAW, no data). */
export const qemuModeRaw = Uint8Array.from([0xc7, 0xbc, 0x10, 0x00, 0x01, 0x00]);

export const modeBody = (time: number, mode: number, data: Uint8Array = new Uint8Array(0)): Uint8Array => w().u32(time).u16(mode).bytes(data).finish();

/** START: 2 channels, S16, 48000 Hz, the server's mm time. */
export const startBody = (o: { channels?: number; format?: number; frequency?: number; time?: number } = {}): Uint8Array =>
  w().u32(o.channels ?? 2).u16(o.format ?? 1).u32(o.frequency ?? 48000).u32(o.time ?? 1_234_567).finish();

/** Record START: channels, format, frequency (no time). */
export const recordStartBody = (o: { channels?: number; format?: number; frequency?: number } = {}): Uint8Array =>
  w().u32(o.channels ?? 2).u16(o.format ?? 1).u32(o.frequency ?? 48000).finish();

/** 480 stereo frames of a 1 kHz sine at ±8000 (RAW DATA is always 480 frames = 1920 bytes from both servers). */
export function sinePcm(frames = 480, amplitude = 8000, hz = 1000, rate = 48000): Uint8Array {
  const pcm = new Int16Array(frames * 2);
  for (let i = 0; i < frames; i++) pcm[2 * i] = pcm[2 * i + 1] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate));
  return new Uint8Array(pcm.buffer);
}

/** An Opus packet as Xspice sends it: TOC 0xF4 (config 30, CELT-only fullband 10 ms, stereo, one frame), 128 bytes. */
export const opusPacket = (): Uint8Array => Uint8Array.from({ length: 128 }, (_, i) => (i === 0 ? 0xf4 : (i * 37) & 0xff));

export const dataBody = (time: number, payload: Uint8Array): Uint8Array => w().u32(time).bytes(payload).finish();

export const volumeBody = (...volume: number[]): Uint8Array => {
  const v = w().u8(volume.length);
  for (const x of volume) v.u16(x);
  return v.finish();
};

export const u8Body = (v: number): Uint8Array => Uint8Array.of(v);
export const u32Body = (v: number): Uint8Array => w().u32(v).finish();
