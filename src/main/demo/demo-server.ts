// A local Xspice with an xterm on it, for `spicedesk demo` when no server is given. Loopback only,
// no password, stopped with the command.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { driverEnvironment, SPICEQXL_DRIVER, XORG_BINARY, xorgConfig } from './xspice-config.ts';

export interface DemoServer {
  port: number;
  display: string;
  stop(): void;
}

const INSTALL_HINT = 'the demo needs a local SPICE server: install it with `sudo apt-get install xserver-xspice xterm` (Debian/Ubuntu), or give a TARGET';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function freeDisplay(): number {
  for (let n = 50; n < 400; n++) {
    if (!existsSync(`/tmp/.X${n}-lock`) && !existsSync(`/tmp/.X11-unix/X${n}`)) return n;
  }
  throw new SpiceError('internal', 'no free X display number between :50 and :399');
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

export async function startDemoServer(): Promise<DemoServer> {
  for (const path of [XORG_BINARY, SPICEQXL_DRIVER, '/usr/bin/xterm']) {
    if (!existsSync(path)) throw new SpiceError('usage', `${INSTALL_HINT} (${path} is missing)`);
  }
  const port = await freePort();
  const displayNumber = freeDisplay();
  const display = `:${displayNumber}`;
  const dir = mkdtempSync(join(tmpdir(), 'spicedesk-demo-'));
  const configPath = join(dir, 'xorg.conf');
  writeFileSync(configPath, xorgConfig());
  // Loaded here, not at start-up: the CLI's other commands never start processes.
  const { spawn } = process.getBuiltinModule('node:child_process');
  const xorg = spawn(XORG_BINARY, ['-config', configPath, '-noreset', '-nolisten', 'tcp', '-logfile', join(dir, 'xorg.log'), display], {
    env: driverEnvironment(port, { imageCompression: 'off' }),
    cwd: dir,
    detached: true,
    stdio: 'ignore',
  });
  const clients: ChildProcess[] = [];
  const stop = (): void => {
    for (const c of clients) killGroup(c);
    killGroup(xorg);
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stop);

  const deadline = Date.now() + 15_000;
  while (!(await accepts(port))) {
    if (xorg.exitCode !== null || Date.now() > deadline) {
      stop();
      throw new SpiceError('internal', `the demo Xspice on ${display} did not start; see the Xorg log with --debug`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const text = 'Welcome to the spicedesk demo.\\nThis xterm runs on a local Xspice server.\\n';
  clients.push(
    spawn('xterm', ['-geometry', '80x24+40+40', '-fn', 'fixed', '-T', 'spicedesk demo', '-e', 'sh', '-c', `printf "${text}"; exec sh -i`], {
      env: { ...process.env, DISPLAY: display },
      detached: true,
      stdio: 'ignore',
    }),
  );
  // Give the xterm a moment to map, so the first capture shows it.
  await new Promise((r) => setTimeout(r, 700));
  return { port, display, stop };
}
