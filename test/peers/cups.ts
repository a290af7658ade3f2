// A private CUPS server for the printing tests: cupsd started with its own configuration folder,
// listening only on a Unix socket (CUPS_SERVER points lp and lpadmin at it), and queues whose
// device is a tiny backend that writes each job's bytes into a file, whole (a temporary name, then
// rename), with its title, copies and options next to it. CUPS 2.4's own file: device writes
// nothing for a raw queue, hence the backend (in a ServerBin of its own, the rest linked to
// /usr/lib/cups). Runs as root: the backend is mode 0700 so that cupsd runs it as root.
//
//   const cups = await startCups();
//   const out = await cups.addQueue('q');           // a raw queue; out.file gets the bytes
//   spawn('lp', [...], { env: { ...process.env, ...cups.env } });
//   await cups.stop();
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitUntil } from '../helpers/wait.ts';
import { requireTool } from './require-tool.ts';

const run = promisify(execFile);

export interface CupsQueue {
  name: string;
  /** Where the queue's backend puts the last job's bytes. */
  file: string;
  /** The last job's title, copies and options as the backend got them (null: no job yet). */
  lastJob(): { title: string; copies: number; options: string } | null;
  printed(): Buffer | null;
}

export interface CupsServer {
  /** The environment lp and lpadmin need to reach this server. */
  env: { CUPS_SERVER: string };
  socket: string;
  addQueue(name: string): Promise<CupsQueue>;
  /** Every job the server has completed, by `lpstat -W completed -o`. */
  completedJobs(): Promise<string[]>;
  log(): string;
  stop(): Promise<void>;
}

const BACKEND = `#!/bin/sh
[ $# -eq 0 ] && { echo 'direct testfile "Unknown" "spicedesk test file"'; exit 0; }
out=\${DEVICE_URI#testfile:}
if [ -n "$6" ]; then cat "$6" > "$out.tmp"; else cat > "$out.tmp"; fi || exit 1
printf '%s\\n' "$3" "$4" "$5" > "$out.args.tmp" && mv "$out.args.tmp" "$out.args" && mv "$out.tmp" "$out"
`;

export async function startCups(): Promise<CupsServer> {
  const cupsd = requireTool('/usr/sbin/cupsd', 'cups');
  requireTool('lpadmin', 'cups-client');
  requireTool('lp', 'cups-client');
  const dir = mkdtempSync(join(tmpdir(), 'spicedesk-cups-'));
  chmodSync(dir, 0o755);
  for (const sub of ['spool', 'cache', 'state', 'log', 'tmp', 'out', 'bin/backend']) mkdirSync(join(dir, sub), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  for (const entry of readdirSync('/usr/lib/cups')) if (entry !== 'backend') symlinkSync(join('/usr/lib/cups', entry), join(dir, 'bin', entry));
  writeFileSync(join(dir, 'bin/backend/testfile'), BACKEND, { mode: 0o700 });
  const socket = join(dir, 'cups.sock');
  writeFileSync(
    join(dir, 'cupsd.conf'),
    [`Listen ${socket}`, 'LogLevel info', 'WebInterface No', 'Browsing No', 'DefaultAuthType None',
      '<Location />', '  Order allow,deny', '  Allow all', '</Location>',
      '<Policy default>', '  <Limit All>', '    Order allow,deny', '    Allow all', '  </Limit>', '</Policy>', ''].join('\n'),
  );
  writeFileSync(
    join(dir, 'cups-files.conf'),
    [`ServerRoot ${dir}`, `ServerBin ${join(dir, 'bin')}`, `RequestRoot ${join(dir, 'spool')}`, `CacheDir ${join(dir, 'cache')}`,
      `StateDir ${join(dir, 'state')}`, `TempDir ${join(dir, 'tmp')}`, `ErrorLog ${join(dir, 'log/error_log')}`,
      `AccessLog ${join(dir, 'log/access_log')}`, `PageLog ${join(dir, 'log/page_log')}`, ''].join('\n'),
  );
  const child: ChildProcess = spawn(cupsd, ['-f', '-c', join(dir, 'cupsd.conf'), '-s', join(dir, 'cups-files.conf')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  let exited = false;
  child.on('exit', () => (exited = true));
  const log = (): string => `${output}${existsSync(join(dir, 'log/error_log')) ? readFileSync(join(dir, 'log/error_log'), 'utf8').slice(-3000) : ''}`;
  const env = { CUPS_SERVER: socket };
  const cupsEnv = { ...process.env, ...env };
  try {
    await waitUntil('cupsd to listen on its socket', () => {
      if (exited) throw new Error(`cupsd exited at start: ${log()}`);
      return existsSync(socket);
    }, 15_000, { explain: log });
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    env,
    socket,
    log,
    async addQueue(name) {
      const file = join(dir, 'out', name);
      // "-m raw": the bytes go to the backend as lp sent them (CUPS warns that raw queues are deprecated).
      await run('lpadmin', ['-p', name, '-E', '-v', `testfile:${file}`, '-m', 'raw'], { env: cupsEnv });
      return {
        name,
        file,
        printed: () => (existsSync(file) ? readFileSync(file) : null),
        lastJob: () => {
          if (!existsSync(`${file}.args`)) return null;
          const [title, copies, options] = readFileSync(`${file}.args`, 'utf8').split('\n');
          return { title, copies: Number(copies), options };
        },
      };
    },
    async completedJobs() {
      const { stdout } = await run('lpstat', ['-W', 'completed', '-o'], { env: cupsEnv });
      return stdout.split('\n').filter(Boolean).map((line) => line.split(/\s+/)[0]);
    },
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        await waitUntil('cupsd to exit', () => exited, 10_000).catch(() => child.kill('SIGKILL'));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
