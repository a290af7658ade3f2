// The tests' own sound measures must be right before a real-guest test leans on them: a tone that
// arrives in pieces (as QEMU's capture of spice-server's record ring delivers it) is still
// recognised by tonePieces, and another tone, noise or silence is not.
import { describe, expect, it } from 'vitest';
import { channelOf, sineS16, tonePieces, windowedFrequency, zeroCrossingFrequency } from '../../helpers/audio-analysis.ts';

const RATE = 48000;
const tone = (hz: number, seconds = 1): Float64Array => channelOf(sineS16({ hz, seconds, rate: RATE, channels: 1, amplitude: 0.5 }), 1, 0);
const LEVEL = (0.5 * 32767) / Math.SQRT2;

/** `signal` with `drop` samples cut out of every `every`: a ring that keeps dropping its oldest. */
function withJumps(signal: Float64Array, every: number, drop: number): Float64Array {
  const out: number[] = [];
  for (let at = 0; at < signal.length; at += every + drop) out.push(...signal.subarray(at, Math.min(signal.length, at + every)));
  return Float64Array.from(out);
}

describe('tonePieces', () => {
  it('an unbroken tone is one run at its level and frequency', () => {
    const p = tonePieces(tone(660), RATE, 660);
    expect(p.runs).toBe(1);
    expect(p.share).toBeGreaterThan(0.999);
    expect(p.rms / LEVEL).toBeCloseTo(1, 3);
    expect(p.hz).toBeCloseTo(660, 2);
  });

  it('a tone cut every 10 ms is its pieces, where crossing counts see another frequency', () => {
    // 48 of every 528 samples lost (9 %): what a full ring does when the guest reads too slowly.
    // Crossing counts move by more than the real-guest test once allowed (4 Hz).
    const cut = withJumps(tone(660, 2), 480, 48);
    expect(zeroCrossingFrequency(cut, RATE)).toBeGreaterThan(664);
    expect(windowedFrequency(cut, RATE)).toBeGreaterThan(664);
    const p = tonePieces(cut, RATE, 660);
    expect(p.runs).toBeGreaterThan(150);
    expect(p.share).toBeGreaterThan(0.97);
    expect(p.rms / LEVEL).toBeCloseTo(1, 1);
    expect(p.hz).toBeCloseTo(660, 0);
  });

  it('silence between the pieces is not the tone', () => {
    const s = tone(660);
    s.fill(0, 12000, 36000);
    const p = tonePieces(s, RATE, 660);
    expect(p.runs).toBe(2);
    expect(p.share).toBeCloseTo(0.5, 2);
  });

  it('another tone or noise is not the tone', () => {
    expect(tonePieces(tone(440), RATE, 660).share).toBe(0);
    let seed = 1;
    const noise = Float64Array.from({ length: RATE }, () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 16000);
    expect(tonePieces(noise, RATE, 660).share).toBe(0);
    expect(tonePieces(new Float64Array(RATE), RATE, 660)).toMatchObject({ share: 0, runs: 0 });
  });

  it('a nearby tone passes the recurrence but not the frequency', () => {
    const p = tonePieces(tone(670), RATE, 660);
    expect(p.share).toBeGreaterThan(0.99);
    expect(Math.abs(p.hz - 660)).toBeGreaterThan(9);
  });
});
