// The loop both modes share: seeds first (each must run without a finding), then mutated cases
// numbered from `firstCase`, each rebuilt from (run seed, target, case number) alone.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FuzzTarget } from './fuzz-target.ts';
import { fixturesDir } from './paths.ts';
import { frameMessages, makeCase, seedsOf, splitMessages } from './mutate.ts';
import { defaultLimits, runCase, type CaseLimits, type Outcome } from './run-case.ts';

export { fixturesDir };

export interface Finding {
  target: string;
  /** The run seed and case number that rebuild the input; null for a seed input. */
  runSeed: number | null;
  caseNumber: number | null;
  problem: string;
  signature: string;
  input: Uint8Array;
}

export interface LoopStats {
  cases: number;
  ok: number;
  refused: number;
  findings: Finding[];
}

export interface LoopOptions {
  runSeed: number;
  firstCase?: number;
  /** Stop after this many mutated cases... */
  cases?: number;
  /** ...or at this time (performance.now()). */
  until?: number;
  limits?: CaseLimits;
  /** Called before each case (the long runner's watchdog hears of it). */
  beforeCase?: (caseNumber: number) => void;
  /** Stop at the first finding. */
  stopAtFinding?: boolean;
}

export async function fuzzLoop(target: FuzzTarget, o: LoopOptions): Promise<LoopStats> {
  const limits = o.limits ?? defaultLimits;
  const seeds = seedsOf(target);
  if (seeds.length === 0) throw new Error(`fuzz target ${target.name} has no seeds`);
  const stats: LoopStats = { cases: 0, ok: 0, refused: 0, findings: [] };
  const count = (outcome: Outcome, input: Uint8Array, caseNumber: number | null): void => {
    stats.cases++;
    if (outcome.kind === 'ok') stats.ok++;
    else if (outcome.kind === 'refused') stats.refused++;
    else if (!stats.findings.some((f) => f.signature === outcome.signature)) {
      stats.findings.push({ target: target.name, runSeed: caseNumber === null ? null : o.runSeed, caseNumber, problem: outcome.problem, signature: outcome.signature, input });
    }
  };
  for (const seed of seeds) count(await runCase(target, seed, limits), seed, null);
  const first = o.firstCase ?? 0;
  for (let n = first; ; n++) {
    if (o.cases !== undefined && n - first >= o.cases) break;
    if (o.until !== undefined && performance.now() >= o.until) break;
    if (o.stopAtFinding && stats.findings.length > 0) break;
    o.beforeCase?.(n);
    const input = makeCase(target, seeds, o.runSeed, n);
    count(await runCase(target, input, limits), input, n);
  }
  return stats;
}

/**
 * A smaller input with the same finding: whole messages first (for message streams), then
 * chunks of bytes, halving the chunk size, within `budgetMs`.
 */
export async function minimize(target: FuzzTarget, input: Uint8Array, signature: string, budgetMs = 20_000, limits: CaseLimits = defaultLimits): Promise<Uint8Array> {
  const deadline = performance.now() + budgetMs;
  const same = async (candidate: Uint8Array): Promise<boolean> => {
    const outcome = await runCase(target, candidate, limits);
    return outcome.kind === 'finding' && outcome.signature === signature;
  };
  let best = input;
  if (target.shape === 'messages') {
    const messages = splitMessages(best);
    if (messages) {
      for (let i = messages.length - 1; i >= 0 && performance.now() < deadline; i--) {
        const without = frameMessages([...messages.slice(0, i), ...messages.slice(i + 1)]);
        if (await same(without)) {
          messages.splice(i, 1);
          best = without;
        }
      }
    }
  }
  for (let chunk = best.byteLength >> 1; chunk >= 1 && performance.now() < deadline; chunk >>= 1) {
    for (let at = 0; at + chunk <= best.byteLength && performance.now() < deadline; ) {
      const candidate = new Uint8Array(best.byteLength - chunk);
      candidate.set(best.subarray(0, at));
      candidate.set(best.subarray(at + chunk), at);
      if (await same(candidate)) best = candidate;
      else at += chunk;
    }
  }
  return best;
}

/** Writes a finding as test/fuzz/fixtures/<target>--<hash>.bin with a .txt saying what it was. */
export function writeFixture(f: Finding, input: Uint8Array = f.input): string {
  mkdirSync(fixturesDir, { recursive: true });
  const hash = createHash('sha256').update(input).digest('hex').slice(0, 10);
  const base = join(fixturesDir, `${f.target}--${hash}`);
  writeFileSync(`${base}.bin`, input);
  const how =
    f.runSeed === null
      ? 'a seed input'
      : `run seed ${f.runSeed}, case ${f.caseNumber} (npm run fuzz -- --target ${f.target} --seed ${f.runSeed} --case ${f.caseNumber}, with the seeds and mutator of the commit that adds this file)`;
  writeFileSync(`${base}.txt`, `target: ${f.target}\nfound by: ${how}\nproblem: ${f.problem}\ninput: ${input.byteLength} bytes (minimized from ${f.input.byteLength})\n`);
  return `${base}.bin`;
}
