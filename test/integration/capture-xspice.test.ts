// `spicedesk capture` and `info` against a real Xspice with uncompressed images: the PNG must
// equal spice-gtk's screenshot of the same screen, pixel for pixel.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawStandardDesktop, photoLikeImage, showImage, showXlogo, showXterm, solidBackground, waitForStableScreen } from '../peers/desktop.ts';
import { isUniform } from '../peers/image.ts';
import { comparePixels, explainMismatch, readPng } from '../peers/png.ts';
import { startXspice, type XspiceServer } from '../peers/xspice.ts';
import { runCli, startCli } from '../helpers/cli.ts';
import { waitUntil } from '../helpers/wait.ts';
import { tcpConnectionsOn } from '../peers/tcp-connections.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-capture-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function expectSameAsSpiceGtk(name: string, xs: XspiceServer, reference: ReturnType<typeof readPng>, env: NodeJS.ProcessEnv = {}) {
  const out = join(dir, `${name}.png`);
  const r = await runCli(['capture', `spice://127.0.0.1:${xs.port}`, '-o', out, '--timeout', '10'], { env });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const mine = readPng(out);
  const cmp = comparePixels(reference, mine, { ignoreAlpha: true });
  if (!cmp.equal) explainMismatch(name, reference, mine);
  expect(cmp.sizeMismatch).toBeFalsy();
  expect(cmp.differing).toBe(0);
}

describe('Xspice without a password', () => {
  let xs: XspiceServer;
  let reference: ReturnType<typeof readPng>;
  beforeAll(async () => {
    xs = await startXspice({ imageCompression: 'off' });
    reference = await drawStandardDesktop(xs);
  });
  afterAll(() => xs?.stop());

  it('captures the text, fill, line and image desktop exactly as spice-gtk sees it', async () => {
    expect(isUniform(reference)).toBe(false);
    await expectSameAsSpiceGtk('xspice-standard', xs, reference);
  });

  it('info lists the channels and links each', async () => {
    const r = await runCli(['info', `spice://127.0.0.1:${xs.port}`, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const names = report.channels.map((c: { type: string }) => c.type);
    expect(names).toEqual(expect.arrayContaining(['main', 'display', 'inputs', 'cursor']));
    for (const c of report.channels) expect(c.status).toBe('linked');
    expect(report.mouseModes.supported).toContain('server');
    expect(report.images.decoders).toEqual(expect.arrayContaining(['QUIC', 'GLZ_RGB', 'LZ4']));
    const human = await runCli(['info', `spice://127.0.0.1:${xs.port}`]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^server: +127\.0\.0\.1:\d+/m);
    expect(human.stdout).toMatch(/^ +display +linked/m);
  });

  it('a display the server does not have is a usage error', async () => {
    const r = await runCli(['capture', `spice://127.0.0.1:${xs.port}`, '-o', join(dir, 'x.png'), '--display', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/has no display 3 \(it has display 0\)/);
  });
});

describe('Xspice with a password', () => {
  let xs: XspiceServer;
  let reference: ReturnType<typeof readPng>;
  beforeAll(async () => {
    xs = await startXspice({ imageCompression: 'off', password: 's3cret-pw' });
    reference = await drawStandardDesktop(xs, { password: 's3cret-pw' });
  });
  afterAll(() => xs?.stop());

  it('captures with the right password from SPICE_PASSWORD', async () => {
    await expectSameAsSpiceGtk('xspice-password', xs, reference, { SPICE_PASSWORD: 's3cret-pw' });
  });

  it('captures with the password from a .vv file on standard input', async () => {
    const out = join(dir, 'vv.png');
    const vv = `[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=${xs.port}\npassword=s3cret-pw\n`;
    const r = await runCli(['capture', '-', '-o', out], { stdin: vv });
    expect(r.code).toBe(0);
    expect(comparePixels(reference, readPng(out), { ignoreAlpha: true }).differing).toBe(0);
  });

  it('a wrong password exits 4 and never prints the password', async () => {
    const r = await runCli(['capture', `spice://127.0.0.1:${xs.port}`, '-o', join(dir, 'no.png')], { env: { SPICE_PASSWORD: 'guess-123' } });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/refused the password/);
    expect(r.stderr).not.toContain('guess-123');
  });

  it('no password at all (not a terminal) exits 4', async () => {
    const r = await runCli(['capture', `spice://127.0.0.1:${xs.port}`, '-o', join(dir, 'no.png')]);
    expect(r.code).toBe(4);
  });
});

/** How long the live capture waits with no drawing after the desktop is drawn: the server's last updates in flight. */
const SETTLE_MS = 1500;

describe('Xspice drawing while spicedesk is connected', () => {
  let xs: XspiceServer;
  beforeAll(async () => {
    xs = await startXspice({ imageCompression: 'off' });
  });
  afterAll(() => xs?.stop());

  it('applies live fills, copies and scrolling exactly as spice-gtk does', async () => {
    // The initial frame of a fresh connection is one full-screen copy; what a desktop sends while
    // a client watches (fills, copies, scrolls) only shows up on a connection opened first.
    const out = join(dir, 'live.png');
    // --until-eof: the capture keeps watching until the test closes its standard input, once the
    // desktop below is drawn, and then until nothing has been drawn for --settle ms.
    const capture = startCli(['capture', `spice://127.0.0.1:${xs.port}`, '-o', out, '--until-eof', '--settle', String(SETTLE_MS), '--timeout', '60', '-v'], {
      keepStdinOpen: true,
      killAfterMs: 90_000,
    });
    // Its main and display channels connected (each connection counts at both ends on loopback):
    // what is drawn from now on reaches it as live drawing.
    await waitUntil('the capture to connect its main and display channels', () => tcpConnectionsOn(xs.port) >= 4 || capture.exited(), 20_000, {
      explain: capture.stderrSoFar,
    });
    const long = Array.from({ length: 60 }, (_, i) => `line ${i} ${'#'.repeat(i % 50)}`);
    // No spice-gtk screenshot until the capture is done: a second client would take over the
    // server and disconnect spicedesk.
    await solidBackground(xs, '#336699');
    await showXterm(xs);
    await showXlogo(xs);
    await showImage(xs, photoLikeImage(256, 192, 7));
    await showXterm(xs, { x: 120, y: 360, columns: 50, rows: 8, lines: long, title: 'scroller' });
    await xs.exec('xdotool', ['search', '--name', '^spicedesk-xlogo$', 'windowmove', '640', '380']);
    expect(capture.exited(), `the capture ended before the desktop was drawn: ${capture.stderrSoFar()}`).toBe(false);
    capture.closeStdin();
    const r = await capture.done;
    expect(r.code, r.stderr).toBe(0);
    const ops = JSON.parse(r.stderr.trim().split('\n').at(-1)!).ops as Record<string, number>;
    expect(ops.fill).toBeGreaterThan(0);
    expect(ops.copy).toBeGreaterThan(1);
    const reference = await waitForStableScreen(xs.port);
    const mine = readPng(out);
    const cmp = comparePixels(reference, mine, { ignoreAlpha: true });
    if (!cmp.equal) explainMismatch('xspice-live', reference, mine);
    expect(cmp.differing).toBe(0);
  }, 60_000);
});
