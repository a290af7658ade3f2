// Wall and CPU time of a child process. Node cannot read a child's rusage, so each command runs
// under bash's `time` keyword, which reports the waited-for child's user and system time from
// getrusage(RUSAGE_CHILDREN) with millisecond resolution (/usr/bin/time only gives 10 ms).
import { spawn } from 'node:child_process';

export interface Measurement {
  wallMs: number;
  userMs: number;
  sysMs: number;
  /** user + sys */
  cpuMs: number;
  exitCode: number;
  stderr: string;
}

const MARKER = 'SPICEDESK_BENCH_TIME';

export function measure(command: string, args: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Measurement> {
  // `time` reports on bash's stderr after the command's own stderr, so the last marker line is ours.
  const script = `TIMEFORMAT='${MARKER} %3R %3U %3S'; time "$@"`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script, 'bench', command, ...args], {
      env: options.env ?? process.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const lines = stderr.trimEnd().split('\n');
      const timing = [...lines].reverse().find((line) => line.startsWith(MARKER));
      const ownStderr = lines.filter((line) => !line.startsWith(MARKER)).join('\n');
      if (!timing) {
        resolve({ wallMs: NaN, userMs: NaN, sysMs: NaN, cpuMs: NaN, exitCode: code ?? (signal ? 128 : 1), stderr: `${ownStderr}\n(no timing: killed by ${String(signal)})` });
        return;
      }
      const [wall, user, sys] = timing.slice(MARKER.length).trim().split(/\s+/).map((s) => Math.round(Number(s) * 1000));
      resolve({ wallMs: wall, userMs: user, sysMs: sys, cpuMs: user + sys, exitCode: code ?? 1, stderr: ownStderr });
    });
  });
}

export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A plain-text table with right-aligned numeric columns. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
