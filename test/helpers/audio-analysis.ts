// Measures recorded sound for tests and benches: one channel out of interleaved S16, its RMS level,
// its frequency (zero crossings, interpolated between samples), the power at one frequency
// (Goertzel), and a sine to feed a server. Pure functions, usable by the page's tests too.

/** Channel `c` of interleaved samples, as numbers. */
export function channelOf(samples: Int16Array, channels: number, c = 0): Float64Array {
  const frames = Math.floor(samples.length / channels);
  const out = new Float64Array(frames);
  for (let i = 0; i < frames; i++) out[i] = samples[i * channels + c];
  return out;
}

/** The middle part of a signal: `fraction` of it, centred (skips fade-ins, codec start-up and the cut at the end). */
export function middle(signal: Float64Array, fraction = 0.5): Float64Array {
  const len = Math.floor(signal.length * fraction);
  const start = Math.floor((signal.length - len) / 2);
  return signal.subarray(start, start + len);
}

export function rms(signal: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < signal.length; i++) sum += signal[i] * signal[i];
  return signal.length ? Math.sqrt(sum / signal.length) : 0;
}

/**
 * The frequency of a steady tone, from its rising zero crossings: the time from the first to the
 * last (each placed between its two samples by linear interpolation) over the cycles between them.
 * Accurate to a small fraction of a hertz over a second of a clean sine; NaN with under two crossings.
 */
export function zeroCrossingFrequency(signal: ArrayLike<number>, rate: number): number {
  const { first, last, count } = risingCrossings(signal);
  if (count < 2) return NaN;
  return ((count - 1) * rate) / (last - first);
}

/** The rising zero crossings: how many, and where the first and last lie (each placed between its two samples). */
function risingCrossings(signal: ArrayLike<number>): { first: number; last: number; count: number } {
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = 1; i < signal.length; i++) {
    const a = signal[i - 1];
    const b = signal[i];
    if (a < 0 && b >= 0) {
      const at = i - 1 + a / (a - b);
      if (first < 0) first = at;
      last = at;
      count++;
    }
  }
  return { first, last, count };
}

/**
 * The frequency of a tone that may have gaps (samples lost on the way: spice-server's record ring
 * drops its oldest when a client sends in a burst after a stall, and a skip of a playout is a jump):
 * the median of zeroCrossingFrequency over windows of `windowMs`. A gap puts one window off; the
 * whole-signal crossing count would count every lost part as a shorter period.
 */
export function windowedFrequency(signal: ArrayLike<number>, rate: number, windowMs = 50): number {
  const size = Math.round((rate * windowMs) / 1000);
  const estimates: number[] = [];
  for (let at = 0; at + size <= signal.length; at += size) {
    const hz = zeroCrossingFrequency(Array.prototype.slice.call(signal, at, at + size) as number[], rate);
    if (Number.isFinite(hz)) estimates.push(hz);
  }
  return medianOf(estimates);
}

/** The median of some numbers; NaN for none. */
function medianOf(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * A tone's measures that a few broken stretches do not move (a guest starved of CPU plays its
 * buffer again or leaves a gap): the medians, over windows of `windowMs`, of the frequency, the
 * RMS level and the tone's share of the energy. Windows of 50 ms hold whole cycles of 440 and
 * 660 Hz, so a clean tone's share is 1 in each.
 */
export function windowedTone(signal: ArrayLike<number>, rate: number, hz: number, windowMs = 50): { hz: number; rms: number; share: number; windows: number } {
  const size = Math.round((rate * windowMs) / 1000);
  const levels: number[] = [];
  const shares: number[] = [];
  for (let at = 0; at + size <= signal.length; at += size) {
    const w = Array.prototype.slice.call(signal, at, at + size) as number[];
    levels.push(rms(w));
    shares.push(toneShare(w, rate, hz));
  }
  return { hz: windowedFrequency(signal, rate, windowMs), rms: medianOf(levels), share: medianOf(shares), windows: levels.length };
}

/** The power of `signal` at `hz` (Goertzel), normalised so a full-scale sine of that frequency gives about (amplitude/2)^2. */
export function goertzelPower(signal: ArrayLike<number>, rate: number, hz: number): number {
  const w = (2 * Math.PI * hz) / rate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < signal.length; i++) {
    const s0 = signal[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return power / (signal.length * signal.length);
}

/** Share of the signal's energy that is at `hz` (1 for a pure tone, near 0 for noise or another tone). */
export function toneShare(signal: ArrayLike<number>, rate: number, hz: number): number {
  const total = rms(signal) ** 2;
  return total > 0 ? (2 * goertzelPower(signal, rate, hz)) / total : 0;
}

/** An interleaved S16 sine: `amplitude` of full scale, the same on every channel. */
export function sineS16(o: { hz: number; seconds: number; rate: number; channels: number; amplitude: number }): Int16Array {
  const frames = Math.round(o.seconds * o.rate);
  const out = new Int16Array(frames * o.channels);
  for (let i = 0; i < frames; i++) {
    const v = Math.round(o.amplitude * 32767 * Math.sin((2 * Math.PI * o.hz * i) / o.rate));
    for (let c = 0; c < o.channels; c++) out[i * o.channels + c] = v;
  }
  return out;
}

/** What `tonePieces` found: the tone's runs, between jumps and silence. */
export interface TonePieces {
  /** Share of the samples that lie in runs of the tone. */
  share: number;
  /** RMS of the samples in those runs (the tone's level, whatever was lost between them). */
  rms: number;
  /** How many runs: 1 for an unbroken tone, one more per jump or silence. */
  runs: number;
  /** The frequency inside the runs (their rising zero crossings, cycles over time, summed over runs): jumps do not move it. */
  hz: number;
}

/**
 * A tone that may arrive in pieces (a server that drops its oldest samples when its ring is full,
 * or inserts silence when it is empty, joins pieces of the tone at random phases): which samples
 * obey the sine's own recurrence, x[n] = 2cos(w) x[n-1] - x[n-2], within `tolerance` (rounding to
 * S16 leaves under 2), in runs of at least `minRun` samples and not silent. A jump breaks the
 * recurrence for two samples; another frequency breaks it almost everywhere (at 660 Hz against
 * 440 Hz and half of full scale the error is up to about 68), so the share says how much of the
 * signal is this tone and nothing else, the rms its level and hz its frequency (the recurrence
 * alone does not tell 660 Hz from 670 Hz).
 */
export function tonePieces(signal: ArrayLike<number>, rate: number, hz: number, o: { tolerance?: number; minRun?: number } = {}): TonePieces {
  const tolerance = o.tolerance ?? 8;
  const minRun = o.minRun ?? Math.round(rate / hz);
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let inRuns = 0;
  let sum = 0;
  let runs = 0;
  let runStart = -1;
  let runSum = 0;
  let runLoud = false;
  let cycles = 0;
  let cycleSamples = 0;
  const close = (end: number): void => {
    if (runStart >= 0 && end - runStart >= minRun && runLoud) {
      inRuns += end - runStart;
      sum += runSum;
      runs++;
      const crossings = risingCrossings(Array.prototype.slice.call(signal, runStart, end) as number[]);
      if (crossings.count >= 2) {
        cycles += crossings.count - 1;
        cycleSamples += crossings.last - crossings.first;
      }
    }
    runStart = -1;
  };
  for (let i = 2; i < signal.length; i++) {
    const x = signal[i];
    const fits = Math.abs(x - coeff * signal[i - 1] + signal[i - 2]) <= tolerance;
    if (!fits) {
      close(i);
      continue;
    }
    if (runStart < 0) {
      runStart = i;
      runSum = 0;
      runLoud = false;
    }
    runSum += x * x;
    // A run of zeros obeys every recurrence: a run counts only if it has the tone in it.
    if (Math.abs(x) > 4 * tolerance) runLoud = true;
  }
  close(signal.length);
  return { share: signal.length ? inRuns / signal.length : 0, rms: inRuns ? Math.sqrt(sum / inRuns) : 0, runs, hz: cycleSamples ? (cycles * rate) / cycleSamples : NaN };
}
