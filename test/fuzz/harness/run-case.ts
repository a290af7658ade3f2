// Runs one input through a target and judges the outcome. The documented outcomes are success and
// the target's own error (a SpiceError with a message); anything else is a finding: another
// exception (TypeError, RangeError...), an input that takes longer than the time bound, or one
// that makes the process grow by more than the memory bound. (A loop that never returns cannot be
// stopped from its own thread: the long runner runs targets in a worker it can end.)
import { isExpectedFailure, type FuzzTarget } from './fuzz-target.ts';

export interface CaseLimits {
  /** Longest an input may take (a well-behaved parser takes milliseconds). */
  timeMs: number;
  /** Most the resident memory may grow while one input runs. */
  growthBytes: number;
}

export const defaultLimits: CaseLimits = { timeMs: 3000, growthBytes: 512 * 1024 * 1024 };

export type Outcome =
  | { kind: 'ok' }
  | { kind: 'refused'; message: string }
  | { kind: 'finding'; problem: string; signature: string };

/** A stable name for a finding: the error's class and its message without the numbers in it. */
export function signatureOf(problem: string): string {
  return problem.split('\n')[0].replace(/\d+/g, 'N').slice(0, 200);
}

function finding(problem: string): Outcome {
  return { kind: 'finding', problem, signature: signatureOf(problem) };
}

function describeThrown(e: unknown): string {
  if (e instanceof Error) {
    // Where it was thrown: the first frame in the project's code (a source file, or the bundle).
    const frame = e.stack
      ?.split('\n')
      .slice(1)
      .map((l) => l.trim())
      .find((l) => l.startsWith('at ') && !l.includes('node:') && !l.includes('node_modules') && !l.includes('<anonymous>'));
    return `${e.name}: ${e.message}${frame ? ` (${frame})` : ''}`;
  }
  return `a thrown non-error: ${String(e)}`;
}

export async function runCase(target: FuzzTarget, input: Uint8Array, defaults: CaseLimits = defaultLimits): Promise<Outcome> {
  const limits = { ...defaults, timeMs: target.timeMs ?? defaults.timeMs };
  const rssBefore = process.memoryUsage.rss();
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let outcome: Outcome;
  try {
    const running = target.run(input);
    if (running) {
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), limits.timeMs)));
      const settled = await Promise.race([running.then(() => 'done' as const), timedOut]);
      if (settled === 'timeout') return finding(`hang: the input was still running after ${limits.timeMs} ms`);
    }
    outcome = { kind: 'ok' };
  } catch (e) {
    if (!isExpectedFailure(target, e)) return finding(describeThrown(e));
    const message = e instanceof Error ? e.message : String(e);
    if (message.trim() === '') return finding(`${(e as Error).name} with an empty message`);
    outcome = { kind: 'refused', message };
  } finally {
    clearTimeout(timer);
  }
  const elapsed = performance.now() - started;
  if (elapsed > limits.timeMs) return finding(`slow: the input took ${Math.round(elapsed)} ms, over the ${limits.timeMs} ms bound`);
  const growth = process.memoryUsage.rss() - rssBefore;
  if (growth > limits.growthBytes) return finding(`huge allocation: the process grew by ${Math.round(growth / 2 ** 20)} MiB for one input`);
  return outcome;
}
