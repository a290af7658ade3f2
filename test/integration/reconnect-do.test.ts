// `spicedesk do --reconnect` against a real Xspice that is stopped and started again on the same
// port while a script runs: the loss is reported at once, the script goes on on the new server
// and captures its screen. Without --reconnect the same script fails with a clear message; with a
// server that never comes back, --reconnect-timeout ends it with exit 3.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.ts';
import { solidBackground } from '../peers/desktop.ts';
import { readPng, writePng } from '../peers/png.ts';
import { waitUntil } from '../helpers/wait.ts';
import { requireTool } from '../peers/require-tool.ts';
import { startXspice, type XspiceServer } from '../peers/xspice.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-reconnect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The CLI with its stderr readable while it runs. */
function startCli(args: string[]): { stderr: () => string; exited: Promise<number | null>; untilStderr: (re: RegExp, ms: number) => Promise<number> } {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, SPICE_PASSWORD: undefined, SPICE_PROXY: undefined }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.resume();
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve(code);
    }),
  );
  return {
    stderr: () => stderr,
    exited,
    /** Resolves with the time it took once stderr matches. */
    async untilStderr(re, ms) {
      const started = Date.now();
      await waitUntil(`stderr to match ${re}`, () => re.test(stderr), ms, { explain: () => `\n${stderr}` });
      return Date.now() - started;
    },
  };
}

/** Every pixel of the PNG, as #rrggbb, with how many there are. */
function colours(file: string): Map<string, number> {
  const png = readPng(file);
  const counts = new Map<string, number>();
  for (let i = 0; i < png.width * png.height * 4; i += 4) {
    const key = '#' + [png.rgba[i], png.rgba[i + 1], png.rgba[i + 2]].map((v) => v.toString(16).padStart(2, '0')).join('');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

const servers: XspiceServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function server(options: { port?: number; colour: string; password?: string }): Promise<XspiceServer> {
  const xs = await startXspice({ imageCompression: 'off', port: options.port, password: options.password, startTimeoutMs: 30_000 });
  servers.push(xs);
  await solidBackground(xs, options.colour);
  return xs;
}

/** Stops `xs` and removes it from the servers to stop after the test. */
async function kill(xs: XspiceServer): Promise<void> {
  servers.splice(servers.indexOf(xs), 1);
  await xs.stop();
}

describe('spicedesk do --reconnect against Xspice restarted on the same port', () => {
  it('says the connection was lost at once, links again with the new server and captures its screen', async () => {
    const first = await server({ colour: '#203040' });
    const port = first.port;
    const out = join(dir, 'after-restart.png');
    const cli = startCli(['do', '-v', '--reconnect', `spice://127.0.0.1:${port}`, 'wait', '7', 'capture', out]);
    await cli.untilStderr(/"action":"wait"/, 20_000);
    await kill(first);
    await cli.untilStderr(new RegExp(`spicedesk: connection to 127\\.0\\.0\\.1:${port} lost \\(.+\\); reconnecting`), 5000);
    // At once: while the 7 s wait still runs, not when the next action finds the connection gone.
    expect(cli.stderr()).not.toMatch(/"action":"capture"/);
    await server({ port, colour: '#3a5070' });
    const code = await cli.exited;
    expect(code, cli.stderr()).toBe(0);
    expect(cli.stderr()).toMatch(new RegExp(`spicedesk: reconnected to 127\\.0\\.0\\.1:${port} \\(attempt \\d+`));
    // The whole screen is the new server's background: nothing of the first one's.
    expect([...colours(out).keys()]).toEqual(['#3a5070']);
  }, 90_000);

  it('an expect interrupted by the loss is repeated on the new connection and matches the new server', async () => {
    const first = await server({ colour: '#101010' });
    const port = first.port;
    const wanted = join(dir, 'wanted.png');
    writePng(wanted, { width: 64, height: 64, rgba: Buffer.from(new Uint8Array(64 * 64 * 4).map((_, i) => [0x20, 0x30, 0x40, 0xff][i % 4])) });
    // The first server never shows it: only the restarted one can satisfy the expect.
    const cli = startCli(['do', '-v', '--reconnect', `spice://127.0.0.1:${port}`, 'expect', wanted, '--region', '0,0,64,64', '--timeout', '40']);
    // The expect is under way once it is logged: the loss from here on interrupts it.
    await cli.untilStderr(/"action":"expect"/, 20_000);
    await kill(first);
    await cli.untilStderr(/lost .*; reconnecting/, 5000);
    await server({ port, colour: '#203040' });
    expect(await cli.exited, cli.stderr()).toBe(0);
    expect(cli.stderr()).toMatch(/repeating it on the next connection/);
  }, 120_000);

  it('without --reconnect the same script fails when the server goes, saying so', async () => {
    const first = await server({ colour: '#203040' });
    const port = first.port;
    const cli = startCli(['do', '-v', `spice://127.0.0.1:${port}`, 'wait', '4', 'capture', join(dir, 'never.png')]);
    await cli.untilStderr(/"action":"wait"/, 20_000);
    await kill(first);
    await server({ port, colour: '#3a5070' });
    const code = await cli.exited;
    expect(code, cli.stderr()).toBe(3);
    expect(cli.stderr()).toMatch(new RegExp(`spicedesk: the connection to 127\\.0\\.0\\.1:${port} was lost \\(.+\\); --reconnect links again`));
    expect(cli.stderr()).not.toMatch(/reconnecting/);
  }, 90_000);

  it('gives up with exit 3 when the server stays away longer than --reconnect-timeout', async () => {
    const first = await server({ colour: '#203040' });
    const port = first.port;
    const cli = startCli(['do', '-v', '--reconnect', '--reconnect-timeout', '3', `spice://127.0.0.1:${port}`, 'wait', '1', 'capture', join(dir, 'never2.png')]);
    await cli.untilStderr(/"action":"wait"/, 20_000);
    await kill(first);
    const code = await cli.exited;
    expect(code, cli.stderr()).toBe(3);
    expect(cli.stderr()).toMatch(new RegExp(`spicedesk: could not reconnect to 127\\.0\\.0\\.1:${port} within 3 s: .*refused`));
  }, 90_000);

  it('on a terminal, asks for the password again when the restarted server refuses the old one', async () => {
    requireTool('script', 'bsdutils');
    const first = await server({ colour: '#203040', password: 'first-ticket' });
    const port = first.port;
    const out = join(dir, 'after-new-password.png');
    // script(1) gives the CLI a terminal: its stdin and stderr are the pty, fed and read here.
    const command = [process.execPath, BIN, 'do', '-v', '--reconnect', `spice://127.0.0.1:${port}`, 'wait', '6', 'capture', out].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, SPICE_PASSWORD: 'first-ticket', SPICE_PROXY: undefined }, stdio: ['pipe', 'pipe', 'pipe'] });
    let terminal = '';
    child.stdout.on('data', (d) => (terminal += d));
    child.stderr.resume();
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const until = (re: RegExp, ms: number): Promise<void> =>
      waitUntil(`the terminal to show ${re}`, () => re.test(terminal), ms, { explain: () => `\n${terminal}` });
    try {
      // Linked, and the wait under way (-v logs each action), before the server goes.
      await until(/"action":"wait"/, 20_000);
      await kill(first);
      await until(/reconnecting/, 10_000);
      await server({ port, colour: '#3a5070', password: 'second-ticket' });
      await until(/refused the password on reconnecting[\s\S]*Password for 127\.0\.0\.1: /, 30_000);
      child.stdin.write('second-ticket\r');
      expect(await exited, terminal).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    // Typed in raw mode: the password never shows on the terminal.
    expect(terminal).not.toMatch(/second-ticket/);
    expect([...colours(out).keys()]).toEqual(['#3a5070']);
  }, 120_000);
});
