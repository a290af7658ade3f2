// Every way a server can misbehave during the link ends with the documented exit code and one
// line on stderr, within the timeout.
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../peers/free-port.ts';
import { startMisbehavingServer, type MisbehavingServer, type MisbehavingServerOptions, type Scenario } from '../peers/misbehaving-server.ts';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, runCli } from '../helpers/cli.ts';
import { runToCompletion } from '../peers/processes.ts';

let server: MisbehavingServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function captureFrom(scenario: Scenario, opts: MisbehavingServerOptions = {}, extra: string[] = []) {
  server = await startMisbehavingServer(scenario, opts);
  return runCli(['capture', `spice://127.0.0.1:${server.port}`, '-o', '/tmp/spicedesk-never-written.png', '--timeout', '3', ...extra]);
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^spicedesk: /);
  expect(stderr).not.toMatch(/\bat .*\.(js|ts):\d+/); // no stack trace without --debug
  return lines[0];
}

describe('capture against a misbehaving server', () => {
  it('wrong magic: exit 6, names the server', async () => {
    const r = await captureFrom('wrong-magic');
    expect(r.code).toBe(6);
    expect(oneLine(r.stderr)).toMatch(/is not a SPICE server/);
  });

  it.each([
    [7, 4, /refused the password/],
    [4, 6, /protocol version/],
    [5, 5, /requires TLS/],
    [9, 6, /has no main channel/],
  ])('link error %i in the reply: exit %i', async (linkError, exit, text) => {
    const r = await captureFrom('link-error', { linkError });
    expect(r.code).toBe(exit);
    expect(oneLine(r.stderr)).toMatch(text);
  });

  it('permission denied as the final link result: exit 4', async () => {
    const r = await captureFrom('link-error', { linkError: 7, linkErrorStage: 'result' });
    expect(r.code).toBe(4);
  });

  it('a reply cut short: exit 6', async () => {
    const r = await captureFrom('short-reply');
    expect(r.code).toBe(6);
    expect(oneLine(r.stderr)).toMatch(/closed the main channel connection/);
  });

  it('a huge declared size: exit 6 at once, not a wait for 4 GB', async () => {
    const r = await captureFrom('huge-size');
    expect(r.code).toBe(6);
    // The server sends nothing after the header and keeps the socket open: a client waiting for
    // the 4 GB would end in the 3 s link timeout (exit 3), so exit 6 shows it refused at once.
    expect(oneLine(r.stderr)).toMatch(/declares 4294967280 bytes/);
  });

  it('garbage after the link: exit 6 naming the main channel', async () => {
    const r = await captureFrom('garbage-after-link');
    expect(r.code).toBe(6);
    expect(oneLine(r.stderr)).toMatch(/main channel/);
  });

  it('a server that closes right after the link: exit 3, as any connection that ends after the link', async () => {
    const r = await captureFrom('ok-then-close');
    expect(r.code).toBe(3);
    expect(oneLine(r.stderr)).toMatch(/the server closed the main channel connection$/);
  });

  it('a silent server: exit 3 after the timeout', async () => {
    const r = await captureFrom('silent');
    expect(r.code).toBe(3);
    expect(oneLine(r.stderr)).toMatch(/did not complete the SPICE link within 3 s/);
    expect(r.ms).toBeGreaterThanOrEqual(2900);
  });

  it('the wrong password against a checking server: exit 4, password not echoed', async () => {
    const r = await captureFrom('good', { password: 'right-one' }, []);
    // 'good' links and then sends nothing: with the right password we would time out instead.
    void r;
    const wrong = await runCli(['capture', `spice://127.0.0.1:${server!.port}`, '-o', '/tmp/x.png', '--timeout', '3'], { env: { SPICE_PASSWORD: 'not-it-9' } });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).not.toContain('not-it-9');
    const link = server!.connections.at(-1)!.link!;
    expect(link.ticketPassword).toBe('not-it-9');
    expect(link.magic).toBe('REDQ');
    expect([link.major, link.minor, link.channelType, link.channelId, link.connectionId]).toEqual([2, 2, 1, 0, 0]);
    expect(link.commonCaps).toEqual(expect.arrayContaining([0, 1, 3]));
  });
});

describe('capture usage and reachability errors', () => {
  it('a refused port: exit 3', async () => {
    const port = await freePort();
    const r = await runCli(['capture', `spice://127.0.0.1:${port}`, '-o', '/tmp/x.png']);
    expect(r.code).toBe(3);
    expect(oneLine(r.stderr)).toMatch(/refused the connection/);
  });

  it('a host name that does not resolve: exit 3', async () => {
    const r = await runCli(['capture', 'spice://nonexistent.invalid:5900', '-o', '/tmp/x.png']);
    expect(r.code).toBe(3);
    expect(oneLine(r.stderr)).toMatch(/cannot resolve the host name/);
  });

  it.each([
    [['capture', 'spice://host:99999', '-o', 'x.png'], /65535/],
    [['capture', 'spice://host:5900'], /-o FILE.png/],
    [['capture', '-o', 'x.png'], /needs a TARGET/],
    [['capture', 'spice://h:1', '-o', 'x.png', '--timeout', 'soon'], /--timeout must be a whole number/],
    [['capture', 'spice://h:1', '-o', 'x.png', '--bogus'], /bogus/],
    [['frobnicate'], /unknown command/],
    [['serve'], /serve needs at least one TARGET/],
    [['info', '/nonexistent/file.vv'], /does not exist/],
    [['info', 'ws://127.0i.0.1:9/p'], /"127\.0i\.0\.1" is not a valid host name/],
    // What is not a regular file is refused at once, not read for ever or waited on.
    [['info', '/dev/zero'], /"\/dev\/zero": it is a character device, not a file/],
    [['info', 'spice://h:1', '--spice-ca-file', '/dev/zero'], /--spice-ca-file "\/dev\/zero" is a character device, not a file/],
    // Option values are looked up in Maps: a name of Object.prototype is just a wrong value.
    [['capture', 'spice://h:1', '-o', 'x.png', '--compression', 'toString'], /--compression must be one of/],
    [['serve', '--clipboard', 'constructor', 'spice://h:1'], /--clipboard must be one of/],
  ])('%j: exit 2', async (args, text) => {
    const r = await runCli(args as string[]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(text);
  });

  it('a broken .vv on standard input: exit 2 with the line', async () => {
    const r = await runCli(['info', '-'], { stdin: '[virt-viewer]\ntype=spice\nhost=h\nport=abc\n' });
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/port.*abc/);
  });

  it('--debug adds a stack trace', async () => {
    const port = await freePort();
    const r = await runCli(['capture', `spice://127.0.0.1:${port}`, '-o', '/tmp/x.png', '--debug']);
    expect(r.code).toBe(3);
    expect(r.stderr.split('\n').length).toBeGreaterThan(2);
  });
});

describe('files that are not files', () => {
  it('a FIFO as the .vv TARGET: exit 2 at once, pointing at standard input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spicedesk-fifo-'));
    try {
      const fifo = join(dir, 'console.vv');
      execFileSync('mkfifo', [fifo]);
      const r = await runCli(['info', fifo, '--timeout', '3']);
      expect(r.code).toBe(2);
      expect(oneLine(r.stderr)).toMatch(/console\.vv": it is a FIFO \(named pipe\), not a file; give standard input as -/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('output through a pipe', () => {
  it('a .vv with 60,000 unknown keys, run as `info FILE 2>&1 | cat`: ten warnings, one count, and the final error line', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'spicedesk-pipe-'));
    try {
      const file = join(dir, 'many.vv');
      const junk = Array.from({ length: 60_000 }, (_, i) => `junk${i}=1`).join('\n');
      writeFileSync(file, `[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=${port}\n${junk}\n`);
      const r = await runToCompletion('sh', ['-c', `"${process.execPath}" "${BIN}" info "${file}" 2>&1 | cat`], { timeoutMs: 30_000 });
      const lines = r.stdout.toString().trim().split('\n');
      expect(lines.filter((l) => /unknown key "junk/.test(l))).toHaveLength(10);
      expect(lines.filter((l) => /^spicedesk: warning: \.vv file .*: 59,990 more unknown keys in \[virt-viewer\] ignored$/.test(l))).toHaveLength(1);
      expect(lines.at(-1)).toMatch(/refused the connection/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
