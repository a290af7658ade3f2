// `npm run fuzz -- [--minutes N] [--target NAME[,NAME...]] [--seed S] [--case N] [--list]`
//
// Long runs: the time is shared among the targets (all of them by default), each fuzzed in a
// worker thread that reports every case number before running it, so that a case that never
// returns (an endless loop) is found by the watchdog here, which ends the worker, records the
// case and goes on with the next one. Findings are minimized and written to test/fuzz/fixtures/
// (<target>--<hash>.bin, with a .txt saying what happened and how to rebuild it); add nothing
// else: test/fuzz/fuzz.test.ts runs every fixture. `--case N` rebuilds one case of `--seed S`;
// `--replay FILE` runs a fixture (its target is in its name) and prints the whole stack.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { fuzzLoop, minimize, writeFixture, type Finding } from './harness/fuzz-loop.ts';
import { makeCase, seedsOf } from './harness/mutate.ts';
import { defaultLimits, runCase } from './harness/run-case.ts';
import { fuzzTargets, targetNamed } from './targets/target-table.ts';

interface WorkerJob {
  target: string;
  runSeed: number;
  firstCase: number;
  until: number;
}

type WorkerReport = { kind: 'case'; caseNumber: number } | { kind: 'done'; cases: number; ok: number; refused: number; findings: Finding[] };

/** Wall-clock end as a Date.now() value (performance.now() differs between threads). */
async function workerMain(job: WorkerJob): Promise<void> {
  const target = targetNamed(job.target);
  const until = performance.now() + (job.until - Date.now());
  const stats = await fuzzLoop(target, {
    runSeed: job.runSeed,
    firstCase: job.firstCase,
    until,
    beforeCase: (caseNumber) => parentPort!.postMessage({ kind: 'case', caseNumber } satisfies WorkerReport),
  });
  parentPort!.postMessage({ kind: 'done', ...stats } satisfies WorkerReport);
}

function parseArgs(argv: string[]): { minutes: number; targets: string[]; runSeed: number; caseNumber: number | null; list: boolean; replay: string | null } {
  const out = { minutes: 1, targets: fuzzTargets.map((t) => t.name), runSeed: (Date.now() ^ (process.pid << 16)) >>> 0, caseNumber: null as number | null, list: false, replay: null as string | null };
  for (let i = 0; i < argv.length; i++) {
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${argv[i - 1]} needs a value`);
      return v;
    };
    const number = (name: string, v: string): number => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) usage(`${name} must be a number, got "${v}"`);
      return n;
    };
    switch (argv[i]) {
      case '--minutes':
        out.minutes = number('--minutes', value());
        break;
      case '--target':
        out.targets = value().split(',');
        for (const t of out.targets) targetNamed(t);
        break;
      case '--seed':
        out.runSeed = number('--seed', value()) >>> 0;
        break;
      case '--case':
        out.caseNumber = Math.floor(number('--case', value()));
        break;
      case '--list':
        out.list = true;
        break;
      case '--replay':
        out.replay = value();
        break;
      default:
        usage(`unknown argument "${argv[i]}"`);
    }
  }
  return out;
}

function usage(problem: string): never {
  process.stderr.write(`npm run fuzz: ${problem}\nusage: npm run fuzz -- [--minutes N] [--target NAME[,NAME...]] [--seed S] [--case N] [--list] [--replay FIXTURE.bin]\n`);
  process.exit(2);
}

async function report(finding: Finding): Promise<void> {
  const target = targetNamed(finding.target);
  const hang = finding.problem.startsWith('hang') || finding.problem.startsWith('endless');
  const small = hang ? finding.input : await minimize(target, finding.input, finding.signature);
  const file = writeFixture(finding, small);
  process.stdout.write(`FINDING ${finding.target}: ${finding.problem}\n  case ${finding.caseNumber ?? 'seed'} of seed ${finding.runSeed ?? '-'}; ${small.byteLength} bytes written to ${file}\n`);
}

/** Runs one target until `until` (Date.now()), restarting its worker after an endless case. */
async function fuzzTarget(name: string, runSeed: number, until: number): Promise<{ cases: number; ok: number; refused: number; findings: Finding[] }> {
  const total = { cases: 0, ok: 0, refused: 0, findings: [] as Finding[] };
  let firstCase = 0;
  const bound = (targetNamed(name).timeMs ?? defaultLimits.timeMs) * 3;
  while (Date.now() < until) {
    const result = await new Promise<{ endlessCase: number | null }>((resolve, reject) => {
      const worker = new Worker(new URL(import.meta.url), { workerData: { target: name, runSeed, firstCase, until } satisfies WorkerJob });
      let lastCase = firstCase - 1;
      let heard = Date.now();
      const watchdog = setInterval(() => {
        if (Date.now() - heard < bound) return;
        clearInterval(watchdog);
        void worker.terminate();
        resolve({ endlessCase: lastCase });
      }, 250);
      worker.on('message', (m: WorkerReport) => {
        heard = Date.now();
        if (m.kind === 'case') lastCase = m.caseNumber;
        else {
          clearInterval(watchdog);
          total.cases += m.cases;
          total.ok += m.ok;
          total.refused += m.refused;
          for (const f of m.findings) if (!total.findings.some((g) => g.signature === f.signature)) total.findings.push({ ...f, input: new Uint8Array(f.input) });
          void worker.terminate();
          resolve({ endlessCase: null });
        }
      });
      worker.on('error', (e) => {
        clearInterval(watchdog);
        reject(e);
      });
    });
    if (result.endlessCase === null) break;
    const target = targetNamed(name);
    const input = makeCase(target, seedsOf(target), runSeed, result.endlessCase);
    total.findings.push({ target: name, runSeed, caseNumber: result.endlessCase, problem: `endless: case ${result.endlessCase} ran for over ${bound} ms without returning`, signature: `endless ${result.endlessCase}`, input });
    firstCase = result.endlessCase + 1;
  }
  return total;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const t of fuzzTargets) process.stdout.write(`${t.name.padEnd(14)} ${t.what}\n`);
    return;
  }
  if (args.replay !== null) {
    const target = targetNamed(basename(args.replay).split('--')[0]);
    const input = new Uint8Array(readFileSync(args.replay));
    const outcome = await runCase(target, input);
    process.stdout.write(`${target.name}, ${input.byteLength} bytes: ${outcome.kind === 'finding' ? outcome.problem : outcome.kind === 'refused' ? `refused: ${outcome.message}` : 'ok'}\n`);
    try {
      await target.run(input);
    } catch (e) {
      process.stdout.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    }
    return;
  }
  if (args.caseNumber !== null) {
    for (const name of args.targets) {
      const target = targetNamed(name);
      const input = makeCase(target, seedsOf(target), args.runSeed, args.caseNumber);
      const outcome = await runCase(target, input);
      process.stdout.write(`${name} case ${args.caseNumber} of seed ${args.runSeed} (${input.byteLength} bytes): ${outcome.kind === 'finding' ? outcome.problem : outcome.kind === 'refused' ? `refused: ${outcome.message}` : 'ok'}\n`);
      if (outcome.kind === 'finding') await report({ target: name, runSeed: args.runSeed, caseNumber: args.caseNumber, problem: outcome.problem, signature: outcome.signature, input });
    }
    return;
  }
  process.stdout.write(`fuzzing ${args.targets.join(', ')} for ${args.minutes} min with run seed ${args.runSeed}\n`);
  const share = (args.minutes * 60_000) / args.targets.length;
  let findings = 0;
  for (const name of args.targets) {
    const stats = await fuzzTarget(name, args.runSeed, Date.now() + share);
    process.stdout.write(`${name}: ${stats.cases} cases, ${stats.ok} ok, ${stats.refused} refused, ${stats.findings.length} findings\n`);
    for (const f of stats.findings) await report(f);
    findings += stats.findings.length;
  }
  process.stdout.write(findings === 0 ? 'no findings\n' : `${findings} findings: each is a fixture now; fix the parser, and fuzz.test.ts checks it\n`);
  process.exitCode = findings === 0 ? 0 : 1;
}

if (isMainThread) {
  main().catch((e: unknown) => {
    process.stderr.write(`npm run fuzz: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
} else {
  void workerMain(workerData as WorkerJob);
}
