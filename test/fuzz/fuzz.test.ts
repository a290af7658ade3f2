// The fixed seed set of the fuzzer, run by `npm test`: every target's seeds, then a fixed number
// of mutated cases of run seed FIXED_SEED. A failure names the case; `npm run fuzz -- --target T
// --seed S --case N` rebuilds it, minimizes it and writes it as a fixture. Long runs with fresh
// seeds: `npm run fuzz -- --minutes N` (docs/testing.md).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturesDir, fuzzLoop, type Finding } from './harness/fuzz-loop.ts';
import { runCase } from './harness/run-case.ts';
import { fuzzTargets, targetNamed } from './targets/target-table.ts';

export const FIXED_SEED = 20261206;

const explain = (f: Finding): string =>
  f.caseNumber === null ? `${f.target}: a seed input: ${f.problem}` : `${f.target} case ${f.caseNumber} (npm run fuzz -- --target ${f.target} --seed ${f.runSeed} --case ${f.caseNumber}): ${f.problem}`;

describe('fuzzing with the fixed seed set', () => {
  for (const target of fuzzTargets) {
    it(`${target.name}: its seeds and ${target.quickCases} mutations end in success or a clear error`, async () => {
      const stats = await fuzzLoop(target, { runSeed: FIXED_SEED, cases: target.quickCases });
      expect(stats.findings.map(explain)).toEqual([]);
      // Mutations must reach both outcomes, or the target tests nothing.
      expect(stats.ok).toBeGreaterThan(0);
      expect(stats.refused).toBeGreaterThan(target.quickCases / 50);
    }, 60_000);
  }
});

describe('inputs the fuzzer once crashed on (test/fuzz/fixtures)', () => {
  const fixtures = readdirSync(fixturesDir).filter((n) => n.endsWith('.bin'));
  it('are all named after a target', () => {
    for (const name of fixtures) expect(() => targetNamed(name.split('--')[0])).not.toThrow();
  });
  for (const name of fixtures) {
    it(`${name} now ends in success or a clear error`, async () => {
      const target = targetNamed(name.split('--')[0]);
      const outcome = await runCase(target, new Uint8Array(readFileSync(join(fixturesDir, name))));
      expect(outcome.kind === 'finding' ? outcome.problem : 'no finding').toBe('no finding');
    });
  }
});
