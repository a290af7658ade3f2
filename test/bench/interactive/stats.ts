// The interactive bench's arithmetic, kept pure for unit tests (test/unit/bench/): latency
// percentiles, ratios against the other clients with the run-to-run noise measured from the
// rounds, and the regression guard against the ratios last recorded (bench/interactive-baseline.json).

/** The p-th percentile by nearest rank (p in 0..100): a value that was measured, never interpolated. */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile: p must be 0 to 100, got ${p}`);
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export interface LatencySummary {
  /** Presses whose change was seen. */
  count: number;
  /** Presses whose change never came within the timeout (not in the percentiles). */
  missed: number;
  medianMs: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** `latencies`: ms per press, undefined for a press whose change was never seen. */
export function summariseLatencies(latencies: readonly (number | undefined)[]): LatencySummary {
  const seen = latencies.filter((v): v is number => v !== undefined && Number.isFinite(v));
  return {
    count: seen.length,
    missed: latencies.length - seen.length,
    medianMs: percentile(seen, 50),
    p95Ms: percentile(seen, 95),
    p99Ms: percentile(seen, 99),
    maxMs: seen.length ? Math.max(...seen) : NaN,
  };
}

/**
 * One comparison of spicedesk with another client, always oriented so that below 1 means spicedesk
 * is better (latency, time, CPU and memory: spicedesk's over the peer's; frames per second: the
 * peer's over spicedesk's).
 */
export interface Ratio {
  /** e.g. "key median / remote-viewer". */
  name: string;
  /** The ratio of the figures over all rounds together. */
  value: number;
  /** The same ratio from each round alone. */
  perRound: number[];
  /** Run-to-run noise: the largest relative distance of a round's ratio from `value`. */
  noise: number;
}

export function ratioOf(name: string, value: number, perRound: readonly number[]): Ratio {
  const finite = perRound.filter(Number.isFinite);
  const noise = Number.isFinite(value) && value !== 0 && finite.length > 1 ? Math.max(...finite.map((r) => Math.abs(r - value) / Math.abs(value))) : 0;
  return { name, value, perRound: [...perRound], noise };
}

/** 'one round': a single round measures no noise, so nothing is judged. */
export type Verdict = 'regressed' | 'improved' | 'steady' | 'new' | 'one round';

export interface GuardLine {
  name: string;
  baseline?: number;
  value: number;
  noise: number;
  verdict: Verdict;
}

/**
 * The regression guard: a ratio regressed when it is worse than the recorded one by more than the
 * noise this run measured for it (a floor of `minNoise` so that two rounds that happened to agree
 * do not make any difference a regression), improved when better by as much, else steady.
 */
export function guard(ratios: readonly Ratio[], baseline: Readonly<Record<string, number>>, minNoise = 0.05): GuardLine[] {
  return ratios.map((r) => {
    const before = baseline[r.name];
    const noise = Math.max(r.noise, minNoise);
    if (before === undefined || !Number.isFinite(before) || !Number.isFinite(r.value)) return { name: r.name, value: r.value, noise, verdict: 'new' as const, ...(before === undefined ? {} : { baseline: before }) };
    if (r.perRound.filter(Number.isFinite).length < 2) return { name: r.name, baseline: before, value: r.value, noise, verdict: 'one round' as const };
    const verdict: Verdict = r.value > before * (1 + noise) ? 'regressed' : r.value < before * (1 - noise) ? 'improved' : 'steady';
    return { name: r.name, baseline: before, value: r.value, noise, verdict };
  });
}

/** The baseline file's shape: the ratios last recorded, with where and when. */
export interface Baseline {
  date: string;
  machine: string;
  ratios: Record<string, number>;
}

/** Reads a baseline file's text; throws naming what is wrong (a hand-edited file can be). */
export function parseBaseline(text: string): Baseline {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`the interactive baseline is not JSON: ${(e as Error).message}`);
  }
  const b = data as Partial<Baseline> | null;
  if (!b || typeof b !== 'object' || typeof b.date !== 'string' || typeof b.machine !== 'string' || !b.ratios || typeof b.ratios !== 'object') {
    throw new Error('the interactive baseline needs "date", "machine" and "ratios"');
  }
  for (const [name, value] of Object.entries(b.ratios)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new Error(`the interactive baseline's ratio "${name}" is not a positive number`);
  }
  return b as Baseline;
}
