import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolvePassword, resolveTarget, type TtyInput } from '../../../../src/main/connect/target.ts';
import { parseSpiceUri } from '../../../../src/protocol/profile/index.ts';
import { SpiceError } from '../../../../src/protocol/wire/errors.ts';

const VV = '[virt-viewer]\ntype=spice\nhost=vm.lan\ntls-port=5901\npassword=from-file\ncolour=x\n';

async function usageError(p: Promise<unknown>): Promise<SpiceError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SpiceError);
    expect((e as SpiceError).kind).toBe('usage');
    return e as SpiceError;
  }
  throw new Error('expected a usage error, but the call succeeded');
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spicedesk-target-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('resolveTarget', () => {
  it('parses URIs of every scheme without touching files', async () => {
    const readFile = vi.fn();
    const env = {};
    expect((await resolveTarget('spice://h:5900', { readFile, env })).profile).toMatchObject({ host: 'h', port: 5900 });
    expect((await resolveTarget('spice+tls://h:5901', { readFile, env })).profile.tlsOnly).toBe(true);
    expect((await resolveTarget('spice+unix:///run/s.sock', { readFile, env })).profile.unixPath).toBe('/run/s.sock');
    expect(readFile).not.toHaveBeenCalled();
  });

  it('refuses other URI schemes as URIs, not as missing files', async () => {
    const e = await usageError(resolveTarget('vnc://h:5900', { env: {} }));
    expect(e.message).toMatch(/"vnc:\/\/" is not supported/);
  });

  it('reads a .vv file from disk and gives back its absolute path', async () => {
    const path = join(dir, 'console.vv');
    await writeFile(path, VV);
    const result = await resolveTarget(path, { env: {} });
    expect(result.vvPath).toBe(resolve(path));
    expect(result.profile).toMatchObject({ source: 'vv', host: 'vm.lan', tlsPort: 5901, password: 'from-file' });
  });

  it('reads a .vv file given as a file:// URL, as desktop launchers pass it', async () => {
    const path = join(dir, 'my console.vv');
    await writeFile(path, VV);
    const result = await resolveTarget(pathToFileURL(path).href, { env: {} });
    expect(result.vvPath).toBe(path);
    expect(result.profile.tlsPort).toBe(5901);
  });

  it('names the file in warnings and errors', async () => {
    const good = join(dir, 'warn.vv');
    await writeFile(good, VV);
    const { profile } = await resolveTarget(good, { env: {} });
    expect(profile.warnings).toEqual([`.vv file "${good}": unknown key "colour" in [virt-viewer] ignored (line 6)`]);

    const bad = join(dir, 'bad.vv');
    await writeFile(bad, '[virt-viewer]\ntype=spice\nhost=h\nport=abc\n');
    const e = await usageError(resolveTarget(bad, { env: {} }));
    expect(e.message).toBe(`.vv file "${bad}": key "port" in [virt-viewer] must be a number from 1 to 65535, got "abc" (line 4)`);
  });

  it('uses an injected reader', async () => {
    const readFile = vi.fn(async () => new TextEncoder().encode(VV));
    const result = await resolveTarget('some/where.vv', { readFile, env: {} });
    expect(readFile).toHaveBeenCalledWith('some/where.vv');
    expect(result.profile.host).toBe('vm.lan');
  });

  it('reads a .vv file from stdin for "-", in several chunks', async () => {
    const half = Math.floor(VV.length / 2);
    const stdin = Readable.from([Buffer.from(VV.slice(0, half)), Buffer.from(VV.slice(half))]);
    const result = await resolveTarget('-', { stdin, env: {} });
    expect(result.vvPath).toBeUndefined();
    expect(result.profile).toMatchObject({ host: 'vm.lan', tlsPort: 5901 });
    expect(result.profile.warnings[0]).toMatch(/^\.vv file on standard input: unknown key "colour"/);
  });

  it('refuses an empty stdin and a huge one', async () => {
    expect((await usageError(resolveTarget('-', { stdin: Readable.from([]), env: {} }))).message).toMatch(
      /^\.vv file on standard input: has no \[virt-viewer\] group/,
    );
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    const endless = Readable.from((function* () {
      for (let i = 0; i < 64; i++) yield chunk;
    })());
    expect((await usageError(resolveTarget('-', { stdin: endless, env: {} }))).message).toMatch(/at most 1048576 bytes/);
  });

  it('says a missing file is missing, naming the path and the TARGET forms', async () => {
    const path = join(dir, 'nope.vv');
    const e = await usageError(resolveTarget(path, { env: {} }));
    expect(e.message).toContain(`"${path}"`);
    expect(e.message).toMatch(/does not exist; TARGET is a spice:\/\//);
  });

  it('suggests spice:// for host:port given as TARGET', async () => {
    const e = await usageError(resolveTarget('vm.lan:5900', { env: {} }));
    expect(e.message).toMatch(/did you mean spice:\/\/vm\.lan:5900/);
  });

  it('refuses a directory and an unreadable file', async () => {
    const sub = join(dir, 'sub.vv');
    await mkdir(sub);
    expect((await usageError(resolveTarget(sub, { env: {} }))).message).toMatch(/is a directory/);
    // Root can read a mode-000 file, so the permission error is injected instead.
    const denied = async (): Promise<Uint8Array> => {
      throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    };
    expect((await usageError(resolveTarget(join(dir, 'locked.vv'), { env: {}, readFile: denied }))).message).toMatch(/permission denied/);
  });

  it('refuses a file bigger than 1 MiB before reading it', async () => {
    const path = join(dir, 'big.vv');
    await writeFile(path, Buffer.alloc(1024 * 1024 + 10, 0x61));
    expect((await usageError(resolveTarget(path, { env: {} }))).message).toMatch(/is 1048586 bytes/);
  });

  it('refuses no TARGET at all', async () => {
    expect((await usageError(resolveTarget('', { env: {} }))).message).toMatch(/no TARGET given/);
  });

  it('takes SPICE_PROXY when the target names no proxy, and checks it', async () => {
    const env = { SPICE_PROXY: 'http://squid.lan:3128' };
    expect((await resolveTarget('spice://h:5900', { env })).profile.proxy).toBe('http://squid.lan:3128');
    const own = await resolveTarget('-', { stdin: Readable.from([`${VV}proxy=http://own:1\n`]), env });
    expect(own.profile.proxy).toBe('http://own:1');
    expect((await resolveTarget('spice+unix:///s', { env })).profile.proxy).toBeUndefined();
    const e = await usageError(resolveTarget('spice://h:5900', { env: { SPICE_PROXY: 'socks5://user:pw@p:1' } }));
    expect(e.message).toMatch(/SPICE_PROXY .*only http/);
    expect(e.message).not.toContain('pw');
  });
});

/** A fake terminal: records raw-mode switches; tests push keystrokes into it. */
function fakeTty(): TtyInput & PassThrough & { rawModes: boolean[] } {
  const stream = new PassThrough() as PassThrough & TtyInput & { rawModes: boolean[] };
  stream.isTTY = true;
  stream.isRaw = false;
  stream.rawModes = [];
  stream.setRawMode = (mode: boolean) => {
    stream.rawModes.push(mode);
    stream.isRaw = mode;
    return stream;
  };
  return stream;
}

function captureStderr(): PassThrough & { text: () => string } {
  const out = new PassThrough() as PassThrough & { text: () => string };
  let written = '';
  out.on('data', (c: Buffer) => (written += c.toString()));
  out.text = () => written;
  return out;
}

describe('resolvePassword', () => {
  const noPassword = parseSpiceUri('spice://vm.lan:5900');

  it('prefers the profile password over SPICE_PASSWORD and never prompts then', async () => {
    const stdin = fakeTty();
    const withPassword = parseSpiceUri('spice://h:5900?password=from-uri');
    expect(await resolvePassword(withPassword, { env: { SPICE_PASSWORD: 'from-env' }, stdin, isTTY: true })).toBe('from-uri');
    expect(stdin.rawModes).toEqual([]);
  });

  it('takes SPICE_PASSWORD next, without prompting', async () => {
    const stdin = fakeTty();
    const stderr = captureStderr();
    expect(await resolvePassword(noPassword, { env: { SPICE_PASSWORD: 'from-env' }, stdin, stderr, isTTY: true })).toBe('from-env');
    expect(stderr.text()).toBe('');
  });

  it('returns undefined when nothing gives a password and stdin is not a terminal', async () => {
    const stdin = new PassThrough();
    expect(await resolvePassword(noPassword, { env: {}, stdin, isTTY: false })).toBeUndefined();
  });

  it('prompts on a terminal with echo off, handling backspace, and restores the mode', async () => {
    const stdin = fakeTty();
    const stderr = captureStderr();
    const pending = resolvePassword(noPassword, { env: {}, stdin, stderr });
    stdin.write('s3cx\u007fret');
    stdin.write('\u001b[D'); // an arrow key, ignored
    stdin.write('\r');
    expect(await pending).toBe('s3cret');
    expect(stdin.rawModes).toEqual([true, false]);
    expect(stderr.text()).toBe('Password for vm.lan: \n');
    expect(stderr.text()).not.toContain('s3c');
  });

  it('turns Ctrl+C at the prompt into a usage error', async () => {
    const stdin = fakeTty();
    const pending = resolvePassword(noPassword, { env: {}, stdin, stderr: captureStderr() });
    stdin.write('abc\u0003');
    const e = await usageError(pending);
    expect(e.message).toMatch(/cancelled \(Ctrl\+C\)/);
    expect(e.message).not.toContain('abc');
    expect(stdin.rawModes).toEqual([true, false]);
  });

  it('turns the end of input at the prompt into a usage error', async () => {
    const stdin = fakeTty();
    const pending = resolvePassword(noPassword, { env: {}, stdin, stderr: captureStderr() });
    stdin.end();
    expect((await usageError(pending)).message).toMatch(/cancelled/);
  });
});
