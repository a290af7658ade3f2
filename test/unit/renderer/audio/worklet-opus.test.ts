// The worklet's Opus decoder (libopus in WebAssembly, run on the audio thread in the page): the
// packets Xspice sent for a 440 Hz sine at half scale (test/fixtures/audio/xspice-opus-440.bin)
// decode to 480 interleaved stereo frames each, at 440 Hz and the played level, into one buffer
// reused for every packet; a packet libopus refuses, or one larger than its input buffer, throws
// an error naming it and the next packet still decodes.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createWorkletOpusDecoder } from '../../../../src/renderer/audio/worklet-opus.ts';
import { readRecordedOpus } from '../../../fixtures/audio/recorded-opus.ts';
import { middle, rms, toneShare, zeroCrossingFrequency } from '../../../helpers/audio-analysis.ts';

const recorded = readRecordedOpus(fileURLToPath(new URL('../../../fixtures/audio/xspice-opus-440.bin', import.meta.url)));
const PLAYED_RMS = 0.5 / Math.SQRT2;

describe('createWorkletOpusDecoder', () => {
  it('decodes the Opus packets Xspice sent to the tone it played, as interleaved stereo', async () => {
    const decoder = await createWorkletOpusDecoder(2, 48000);
    const left: number[] = [];
    const right: number[] = [];
    const views = new Set<ArrayBufferLike>();
    for (const p of recorded.packets) {
      const frames = decoder.decode(p);
      expect(frames.length).toBe(960);
      views.add(frames.buffer);
      for (let i = 0; i < frames.length; i += 2) {
        left.push(frames[i]);
        right.push(frames[i + 1]);
      }
    }
    decoder.free();
    // One buffer for every packet: nothing allocated per packet on the audio thread.
    expect(views.size).toBe(1);
    for (const channel of [left, right]) {
      const signal = middle(Float64Array.from(channel), 0.6);
      expect(zeroCrossingFrequency(signal, 48000)).toBeCloseTo(440, 1);
      expect(rms(signal) / PLAYED_RMS).toBeGreaterThan(0.97);
      expect(rms(signal) / PLAYED_RMS).toBeLessThan(1.03);
      expect(toneShare(signal, 48000, 440)).toBeGreaterThan(0.99);
    }
  });

  it('throws for a packet it cannot decode, naming it, and decodes the next', async () => {
    const decoder = await createWorkletOpusDecoder(2, 48000);
    // TOC of a 10 ms CELT frame with code 3 (an arbitrary number of frames) and no frame count: malformed.
    expect(() => decoder.decode(new Uint8Array([0xf7]))).toThrow(/an Opus packet of 1 bytes could not be decoded \(libopus error -4\)/);
    expect(() => decoder.decode(new Uint8Array(100_000))).toThrow(/an Opus packet of 100000 bytes \(at most 7680\)/);
    expect(decoder.decode(recorded.packets[0]).length).toBe(960);
    decoder.free();
  });

  it('refuses streams libopus cannot decode, naming why', async () => {
    await expect(createWorkletOpusDecoder(6, 48000)).rejects.toThrow(/an Opus stream of 6 channels \(SPICE sends 1 or 2\)/);
    await expect(createWorkletOpusDecoder(2, 44100)).rejects.toThrow(/an Opus stream at 44100 Hz, which is not an Opus rate/);
  });
});
