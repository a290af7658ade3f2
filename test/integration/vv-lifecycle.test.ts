// delete-this-file=1 through the CLI: the .vv file is gone once `capture` has read it and
// connected to a real Xspice; VIRT_VIEWER_KEEP_FILE keeps it; nothing that is not a regular *.vv
// file read from a path is ever removed.
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXspice, type XspiceServer } from '../peers/xspice.ts';
import { runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-vv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('.vv delete-this-file', () => {
  let xs: XspiceServer;
  let vvText: string;
  beforeAll(async () => {
    xs = await startXspice({ imageCompression: 'off' });
    vvText = `[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=${xs.port}\ndelete-this-file=1\n`;
  });
  afterAll(() => xs?.stop());

  async function captureFrom(target: string, env: NodeJS.ProcessEnv = {}, stdin?: string) {
    return runCli(['capture', target, '-o', join(dir, 'out.png'), '--timeout', '10'], { env, stdin });
  }

  it('removes the file once read, and the capture still succeeds', async () => {
    const vv = join(dir, 'console.vv');
    writeFileSync(vv, vvText);
    const r = await captureFrom(vv);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(vv)).toBe(false);
  });

  it('also for a file:// URL', async () => {
    const vv = join(dir, 'url.vv');
    writeFileSync(vv, vvText);
    const r = await captureFrom(`file://${vv}`);
    expect(r.code).toBe(0);
    expect(existsSync(vv)).toBe(false);
  });

  it('keeps the file with VIRT_VIEWER_KEEP_FILE=1', async () => {
    const vv = join(dir, 'keep.vv');
    writeFileSync(vv, vvText);
    const r = await captureFrom(vv, { VIRT_VIEWER_KEEP_FILE: '1' });
    expect(r.code).toBe(0);
    expect(readFileSync(vv, 'utf8')).toBe(vvText);
  });

  it('keeps the file without delete-this-file, or with delete-this-file=0', async () => {
    const plain = join(dir, 'plain.vv');
    const zero = join(dir, 'zero.vv');
    writeFileSync(plain, vvText.replace('delete-this-file=1\n', ''));
    writeFileSync(zero, vvText.replace('delete-this-file=1', 'delete-this-file=0'));
    expect((await captureFrom(plain)).code).toBe(0);
    expect((await captureFrom(zero)).code).toBe(0);
    expect(existsSync(plain)).toBe(true);
    expect(existsSync(zero)).toBe(true);
  });

  it('never removes the target of a symbolic link, nor the link', async () => {
    const real = join(dir, 'real.vv');
    const link = join(dir, 'link.vv');
    writeFileSync(real, vvText);
    symlinkSync(real, link);
    const r = await captureFrom(link);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/"link\.vv" is a symbolic link; it was left in place/);
    expect(existsSync(real)).toBe(true);
    expect(existsSync(link)).toBe(true);
  });

  it('never removes a file not named *.vv', async () => {
    const other = join(dir, 'notes.txt');
    writeFileSync(other, vvText);
    const r = await captureFrom(other);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/"notes\.txt" is not named \*\.vv; it was left in place/);
    expect(existsSync(other)).toBe(true);
  });

  it('standard input: nothing to remove, no warning', async () => {
    const r = await runCli(['capture', '-', '-o', join(dir, 'stdin.png'), '--timeout', '10'], { stdin: vvText });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('removes the file even when the server cannot be reached, as remote-viewer does', async () => {
    const vv = join(dir, 'unreachable.vv');
    writeFileSync(vv, vvText.replace(`port=${xs.port}`, 'port=1'));
    const r = await captureFrom(vv);
    expect(r.code).toBe(3);
    expect(existsSync(vv)).toBe(false);
  });

  it('removes a file that fails validation too, saying so after the error', async () => {
    const vv = join(dir, 'broken.vv');
    writeFileSync(vv, `${vvText}port=not-a-number\n`);
    const r = await captureFrom(vv);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/"port" .*must be a number.*; the file asked to be deleted \(delete-this-file=1\), and was$/);
    expect(existsSync(vv)).toBe(false);
  });

  it('keeps a file that fails validation with VIRT_VIEWER_KEEP_FILE, and one that does not ask', async () => {
    const kept = join(dir, 'kept-broken.vv');
    writeFileSync(kept, `${vvText}port=not-a-number\n`);
    const r = await captureFrom(kept, { VIRT_VIEWER_KEEP_FILE: '1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/VIRT_VIEWER_KEEP_FILE keeps it/);
    expect(existsSync(kept)).toBe(true);
    const notAsked = join(dir, 'not-asked-broken.vv');
    writeFileSync(notAsked, `${vvText.replace('delete-this-file=1\n', '')}port=x\n`);
    expect((await captureFrom(notAsked)).code).toBe(2);
    expect(existsSync(notAsked)).toBe(true);
  });
});
