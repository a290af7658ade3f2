// `spicedesk console` against a real guest's serial port on org.qemu.console.serial.0 (the guest
// peer's `serial-console` set: ttyS2, raw, no echo): what the guest writes there reaches stdout as
// it was, what comes on stdin reaches the guest byte for byte (binary included), SIGTERM ends the
// command cleanly. Against a QEMU without that port the command says so and exits 6.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.ts';
import { waitUntil } from '../helpers/wait.ts';
import { startGuest, type Guest } from '../peers/guest.ts';
import { startQemu } from '../peers/qemu.ts';

const BOOT_TIMEOUT_MS = 180_000;
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
let guest: Guest;

beforeAll(async () => {
  guest = await startGuest({ devices: ['serial-console'], files: { '/all-bytes': ALL_BYTES }, bootTimeoutMs: BOOT_TIMEOUT_MS });
  console.log(`serial-console guest: booted in ${guest.bootMs} ms`);
}, BOOT_TIMEOUT_MS + 30_000);
afterAll(async () => guest?.stop());

interface Console {
  child: ChildProcessWithoutNullStreams;
  stdout(): Buffer;
  stderr(): string;
  exited: Promise<number | null>;
}

function startConsole(args: string[]): Console {
  const child = spawn(process.execPath, [BIN, 'console', ...args], { env: { ...process.env, SPICE_PASSWORD: undefined }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = Buffer.alloc(0);
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out = Buffer.concat([out, b])));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

describe('spicedesk console against a guest', () => {
  it('carries the guest\'s serial port both ways and ends on SIGTERM', { timeout: 90_000 }, async () => {
    const c = startConsole([`spice://127.0.0.1:${guest.port}`, '--timeout', '20']);
    try {
      await waitUntil('the console to say it is attached', () => /console: org\.qemu\.console\.serial\.0 of /.test(c.stderr()), 30_000, { explain: () => c.stderr() });
      expect(c.stderr()).not.toMatch(/not open/);

      // Guest -> host: every byte value, as written.
      const fromGuest = await guest.run("printf 'hello from ttyS2\\n' > /dev/ttyS2 && head -c 256 /all-bytes > /dev/ttyS2");
      expect(fromGuest.status).toBe(0);
      const allBytes = ALL_BYTES;
      const expected = Buffer.concat([Buffer.from('hello from ttyS2\n'), allBytes]);
      await waitUntil('the guest\'s bytes on stdout', () => c.stdout().length >= expected.length, 20_000, { explain: () => JSON.stringify(c.stdout().toString('latin1')) });
      expect(c.stdout().equals(expected)).toBe(true);

      // Host -> guest: stdin, binary included, reaches the guest's port byte for byte.
      const sent = Buffer.concat([Buffer.from('typed into the console\n'), allBytes]);
      const reader = await guest.spawn(`head -c ${sent.length} /dev/ttyS2 > /tmp/from-host`);
      c.child.stdin.write(sent);
      expect((await reader.wait({ timeoutMs: 20_000 })).status).toBe(0);
      expect((await guest.readFile('/tmp/from-host')).equals(sent)).toBe(true);

      c.child.kill('SIGTERM');
      expect(await c.exited).toBe(0);
      expect(c.stderr()).not.toMatch(/error|failed/i);
    } finally {
      c.child.kill('SIGKILL');
    }
  });

  it('--exit-on-eof: a piped script goes in, and the command ends when stdin does', { timeout: 60_000 }, async () => {
    const reader = await guest.spawn('head -n 2 /dev/ttyS2 > /tmp/script');
    const c = startConsole([`spice://127.0.0.1:${guest.port}`, '--exit-on-eof', '--timeout', '20']);
    c.child.stdin.end('line one\nline two\n');
    expect(await c.exited).toBe(0);
    expect((await reader.wait({ timeoutMs: 20_000 })).status).toBe(0);
    expect((await guest.readFile('/tmp/script')).toString()).toBe('line one\nline two\n');
  });
});

describe('spicedesk console without the port', () => {
  it('says the server has no serial console port and exits 6', { timeout: 60_000 }, async () => {
    const qemu = await startQemu({ qmpPort: true });
    try {
      const r = await runCli(['console', `spice://127.0.0.1:${qemu.port}`, '--timeout', '10']);
      expect(r.code, r.stderr).toBe(6);
      expect(r.stderr).toMatch(/has port channels but none is the serial console org\.qemu\.console\.serial\.0 \(QEMU: -chardev spiceport,name=org\.qemu\.console\.serial\.0/);
    } finally {
      await qemu.stop();
    }
  });

  it('refuses - as the TARGET (stdin is the console\'s input)', async () => {
    const r = await runCli(['console', '-']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/console reads the console's input from stdin/);
  });
});
