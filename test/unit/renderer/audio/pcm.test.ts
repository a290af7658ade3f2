import { describe, expect, it } from 'vitest';
import { floatToS16le, guestGain, guestVolumeGain, planesToStereo, playbackGain, rampGain, s16leToStereoFloat } from '../../../../src/renderer/audio/pcm.ts';
import { RECORD_FRAME_SAMPLES, RecordFramer } from '../../../../src/renderer/audio/record-framer.ts';

describe('pcm', () => {
  it('converts S16LE to stereo float and back, mono duplicated, clipped', () => {
    const bytes = floatToS16le(new Float32Array([0, 0.5, -0.5, 1, -1, 2]));
    expect(Array.from(new Int16Array(bytes.buffer))).toEqual([0, 16384, -16384, 32767, -32768, 32767]);
    expect(Array.from(s16leToStereoFloat(bytes, 2))).toEqual([0, 0.5, -0.5, 32767 / 32768, -1, 32767 / 32768]);
    expect(Array.from(s16leToStereoFloat(bytes.subarray(0, 4), 1))).toEqual([0, 0, 0.5, 0.5]);
    // A cut frame at the end is left out.
    expect(s16leToStereoFloat(bytes.subarray(0, 5), 2).length).toBe(2);
    expect(Array.from(planesToStereo([new Float32Array([1, 2])]))).toEqual([1, 1, 2, 2]);
  });

  it('applies the guest volume on a cubic curve, and the mutes', () => {
    expect(guestVolumeGain([65535, 65535])).toBe(1);
    expect(guestVolumeGain([32768])).toBeCloseTo(0.125, 3);
    expect(guestVolumeGain([0])).toBe(0);
    expect(playbackGain({ volume: 0.5, muted: false }, { volume: [65535], muted: false })).toBe(0.5);
    expect(playbackGain({ volume: 1, muted: false }, { volume: [32768], muted: false })).toBeCloseTo(0.125, 3);
    expect(playbackGain({ volume: 1, muted: true }, { volume: null, muted: false })).toBe(0);
    expect(playbackGain({ volume: 1, muted: false }, { volume: null, muted: true })).toBe(0);
  });
});

describe('RecordFramer', () => {
  it('cuts 480-sample stereo frames at the server rate from any block size, mono duplicated', () => {
    const framer = new RecordFramer(48000, 48000);
    const frames: Float32Array[] = [];
    const input = new Float32Array(128 * 20).map((_, i) => Math.sin(i / 10));
    for (let o = 0; o < input.length; o += 128) framer.push([input.subarray(o, o + 128)], (f) => frames.push(f.slice()));
    // 2560 samples, one kept for interpolation: 5 whole frames.
    expect(frames.length).toBe(5);
    expect(frames[0].length).toBe(RECORD_FRAME_SAMPLES * 2);
    expect(frames[1][0]).toBeCloseTo(input[480], 6);
    expect(frames[1][1]).toBeCloseTo(input[480], 6);
    expect(frames[4][2 * 479]).toBeCloseTo(input[4 * 480 + 479], 6);
  });

  it('resamples 44.1 kHz capture to 48 kHz keeping the frequency', () => {
    const framer = new RecordFramer(44100, 48000);
    const out: number[] = [];
    const input = new Float32Array(44100).map((_, i) => Math.sin((2 * Math.PI * 1000 * i) / 44100));
    for (let o = 0; o < input.length; o += 128) framer.push([input.subarray(o, o + 128), input.subarray(o, o + 128)], (f) => out.push(...f.filter((_, i) => i % 2 === 0)));
    expect(out.length).toBeGreaterThan(47000);
    let crossings = 0;
    for (let i = 1; i < out.length; i++) if (out[i - 1] < 0 && out[i] >= 0) crossings++;
    expect((crossings * 48000) / out.length).toBeGreaterThan(995);
    expect((crossings * 48000) / out.length).toBeLessThan(1005);
  });
});

describe('the guest\'s capture mixer on what the page sends', () => {
  it('record VOLUME on the cubic curve, MUTE as silence, nothing said as full level', () => {
    expect(guestGain({ volume: null, muted: false })).toBe(1);
    expect(guestGain({ volume: [32768, 32768], muted: false })).toBeCloseTo(0.125, 3);
    expect(guestGain({ volume: [65535], muted: true })).toBe(0);
  });

  it('ramps a change of gain across one frame (no step), in a new array', () => {
    const frame = new Float32Array(960).fill(0.5);
    const out = rampGain(frame, 1, 0);
    expect(out).not.toBe(frame);
    expect(frame[0]).toBe(0.5);
    // Falls evenly to 0 at the frame's end, both channels alike.
    expect(out[0]).toBeCloseTo(0.5 * (1 - 1 / 480), 6);
    expect(out[1]).toBe(out[0]);
    expect(out[958]).toBe(0);
    for (let i = 2; i < out.length; i += 2) expect(out[i - 2] - out[i]).toBeCloseTo(0.5 / 480, 6);
    expect(Array.from(rampGain(frame, 0.25, 0.25))).toEqual(Array.from(frame, (v) => v * 0.25));
  });
});
