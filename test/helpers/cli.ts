// Runs the built `spicedesk` command as a user would, and collects its exit code and output.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { requireTool } from '../peers/require-tool.ts';

export const BIN = fileURLToPath(new URL('../../bin/spicedesk.cjs', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunningCli {
  /** What the command has written to stderr so far, for waiting on a log line while it runs. */
  stderrSoFar(): string;
  /** True once the process has exited. */
  exited(): boolean;
  /** Ends the command's standard input (kept open with keepStdinOpen). */
  closeStdin(): void;
  /** Sends the command SIGTERM (a user's kill; a `do ... wait` that has shown what it should). */
  terminate(): void;
  readonly done: Promise<CliResult>;
}

type CliOptions = {
  env?: NodeJS.ProcessEnv;
  stdin?: string;
  /** Leave standard input open after `stdin` until closeStdin() (capture --until-eof). */
  keepStdinOpen?: boolean;
  killAfterMs?: number;
};

export function startCli(args: string[], opts: CliOptions = {}): RunningCli {
  const started = Date.now();
  let stdout = '';
  let stderr = '';
  let exited = false;
  let closeStdin = (): void => {};
  let terminate = (): void => {};
  const done = new Promise<CliResult>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, SPICE_PASSWORD: undefined, SPICE_PROXY: undefined, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    terminate = () => void child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      exited = true;
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
    // A command that exits before reading its input must not fail the test with EPIPE.
    child.stdin.on('error', () => {});
    if (opts.keepStdinOpen) {
      if (opts.stdin) child.stdin.write(opts.stdin);
      closeStdin = () => void child.stdin.end();
    } else {
      child.stdin.end(opts.stdin ?? '');
    }
  });
  return { stderrSoFar: () => stderr, exited: () => exited, closeStdin: () => closeStdin(), terminate: () => terminate(), done };
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** Runs the CLI under /usr/bin/time, which reports the process's peak resident set. */
export function runCliMeasured(args: string[]): Promise<{ code: number | null; stderr: string; peakRssBytes: number }> {
  const time = requireTool('/usr/bin/time', 'time');
  return new Promise((resolve, reject) => {
    const child = spawn(time, ['-f', 'peak-rss-kb=%M', process.execPath, BIN, ...args], { env: { ...process.env, SPICE_PASSWORD: undefined }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      const m = /peak-rss-kb=(\d+)/.exec(stderr);
      if (!m) return reject(new Error(`/usr/bin/time reported no peak: ${stderr}`));
      // time exits with the command's code ("Command exited with non-zero status N" is its own line).
      const own = stderr.replace(/^Command exited with non-zero status \d+\n/m, '').replace(/peak-rss-kb=\d+\n?/, '');
      resolve({ code, stderr: own, peakRssBytes: Number(m[1]) * 1024 });
    });
  });
}
