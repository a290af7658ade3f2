// Child processes for test peers, each in its own process group so that stopping one also stops
// whatever it started (xterm's shell, QEMU's helpers). Three layers make sure nothing outlives the
// test run: stop() by the test, an 'exit' hook in this process, and a detached watchdog shell that
// kills the group when this process disappears (also when SIGKILL gave it no chance to run hooks).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { sleep } from '../helpers/wait.ts';

export interface GroupProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal name) once the group leader has exited. */
  readonly exited: Promise<number | string>;
  /** True while the group leader runs. */
  running(): boolean;
  /** The last bytes the process wrote on stdout and stderr, for error messages. */
  outputTail(): string;
  /** `signal` (SIGTERM) to the group, SIGKILL after graceMs to whatever is left of it. */
  stop(graceMs?: number, signal?: NodeJS.Signals): Promise<void>;
}

export interface SpawnGroupOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Shown in error messages; defaults to the command. */
  name?: string;
  /** Files and folders to delete if this process dies and the group has to be killed for it. */
  cleanupPaths?: readonly string[];
}

const OUTPUT_TAIL_BYTES = 16 * 1024;
const liveGroups = new Set<number>();
let exitHooksInstalled = false;

function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the whole group is gone already
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

// SIGTERM rather than SIGKILL: Xorg and QEMU then remove their own lock files and sockets. The
// watchdog follows up with SIGKILL for anything still running a second later.
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const terminateAll = (): void => {
    for (const pgid of liveGroups) killGroup(pgid, 'SIGTERM');
    liveGroups.clear();
  };
  process.on('exit', terminateAll);
  // A signal handler replaces Node's default exit-on-signal; stop the peers, then let the signal
  // take its default effect on this process by re-raising it with no handler left.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      terminateAll();
      process.kill(process.pid, signal);
    });
  }
}

// Polls once a second: cheap, and a peer outliving a crashed test run by a second is harmless.
// Only when it had to kill the group does it remove the peer's files: after a normal stop the same
// names (an X display's lock file) may already belong to someone else.
function startWatchdog(pgid: number, cleanupPaths: readonly string[]): void {
  const script = [
    'parent="$1"; group="$2"; shift 2',
    'while kill -0 "$parent" 2>/dev/null && kill -0 -- "-$group" 2>/dev/null; do sleep 1; done',
    'if kill -0 -- "-$group" 2>/dev/null; then kill -KILL -- "-$group" 2>/dev/null; sleep 0.2; rm -rf -- "$@"; fi',
    'exit 0',
  ].join('\n');
  const watchdog = spawn('bash', ['-c', script, 'peer-watchdog', String(process.pid), String(pgid), ...cleanupPaths], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.on('error', () => { /* bash missing: the exit hooks still apply */ });
  watchdog.unref();
}

export function spawnGroup(command: string, args: readonly string[], options: SpawnGroupOptions = {}): GroupProcess {
  installExitHooks();
  const name = options.name ?? command;
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    detached: true, // a new session and process group, led by the child
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keepTail = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);

  let leaderRunning = child.pid !== undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.once('error', (error) => {
      leaderRunning = false;
      keepTail(Buffer.from(`\n${name}: ${error.message}\n`));
      resolve(`spawn error: ${error.message}`);
    });
    child.once('exit', (code, signal) => {
      leaderRunning = false;
      resolve(code ?? signal ?? 'unknown');
    });
  });

  const pid = child.pid ?? -1;
  if (pid > 0) {
    liveGroups.add(pid);
    startWatchdog(pid, options.cleanupPaths ?? []);
  }

  return {
    name,
    pid,
    child,
    exited,
    running: () => leaderRunning,
    outputTail: () => tail,
    async stop(graceMs = 2000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
      if (pid <= 0) return;
      if (killGroup(pid, signal)) {
        const deadline = Date.now() + graceMs;
        while (groupAlive(pid) && Date.now() < deadline) {
          await sleep(25);
        }
        killGroup(pid, 'SIGKILL');
      }
      if (leaderRunning) await exited;
      liveGroups.delete(pid);
    },
  };
}

/** Runs a command to completion (no process group), returning its exit code and output. */
export function runToCompletion(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES); });
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.once('error', (error) => {
      if (timer) clearTimeout(timer);
      resolve({ code: null, signal: null, stdout: Buffer.alloc(0), stderr: `${command}: ${error.message}`, timedOut });
    });
    child.once('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr, timedOut });
    });
  });
}
