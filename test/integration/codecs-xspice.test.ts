// Compressed images from a real Xspice at 1920x1080: what spicedesk draws while the desktop is
// being drawn (text, a photo-like image, polygons) equals spice-gtk's screenshot, pixel for pixel,
// for every lossless compression the server can be set to.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { photoLikeImage, showImage, showXlogo, showXterm, solidBackground, STANDARD_TEXT, waitForStableScreen } from '../peers/desktop.ts';
import type { RgbaImage } from '../peers/image.ts';
import { comparePixels, explainMismatch, readPng } from '../peers/png.ts';
import { startXspice, type XspiceOptions } from '../peers/xspice.ts';
import { startCli, type RunningCli } from '../helpers/cli.ts';
import { waitUntil } from '../helpers/wait.ts';
import { tcpConnectionsOn } from '../peers/tcp-connections.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-codecs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Each capture watches (--until-eof) until the test closes its standard input once the desktop is
 * drawn, and then until nothing has been drawn for this long: the server's last updates in flight.
 */
const SETTLE_MS = 1500;

/**
 * The capture's main and display channels are connected (on loopback each connection counts at
 * both ends): what is drawn from now on reaches it as live drawing.
 */
function captureWatching(port: number, capture: RunningCli): Promise<void> {
  return waitUntil('the capture to connect its main and display channels', () => tcpConnectionsOn(port) >= 4 || capture.exited(), 20_000, {
    explain: capture.stderrSoFar,
  });
}

interface Case {
  name: string;
  server: XspiceOptions;
  /** What spicedesk asks for (--compression); 'server' leaves the server's setting. */
  ask: string;
  /** Image types that must have been drawn. */
  expectImages: string[];
  /**
   * Lossy images: the largest per-channel difference allowed and the mean difference over the
   * pixels that differ. spice-gtk's screenshot is lossless (a new client gets the whole screen
   * losslessly), so JPEG output is compared with the original; libjpeg itself is off by up to 23
   * (mean 3.9) there (test/unit/codecs/jpeg-fixtures.test.ts).
   */
  tolerance?: { max: number; mean: number };
}

const cases: Case[] = [
  { name: 'quic', server: { imageCompression: 'quic' }, ask: 'server', expectImages: ['quic'] },
  { name: 'glz', server: { imageCompression: 'glz' }, ask: 'server', expectImages: ['glz-rgb'] },
  { name: 'lz', server: { imageCompression: 'lz' }, ask: 'server', expectImages: ['lz-rgb'] },
  { name: 'auto_glz', server: { imageCompression: 'auto_glz' }, ask: 'server', expectImages: ['glz-rgb', 'quic'] },
  { name: 'auto_lz', server: { imageCompression: 'auto_lz' }, ask: 'server', expectImages: ['lz-rgb', 'quic'] },
  { name: 'glz with zlib always', server: { imageCompression: 'glz', zlibGlzWan: 'always' }, ask: 'server', expectImages: ['zlib-glz-rgb'] },
  { name: 'lz4 asked by the client', server: { imageCompression: 'auto_glz' }, ask: 'lz4', expectImages: ['lz4'] },
  {
    name: 'auto_glz with jpeg always',
    server: { imageCompression: 'auto_glz', jpegWan: 'always' },
    ask: 'server',
    expectImages: ['glz-rgb', 'jpeg-alpha'],
    tolerance: { max: 40, mean: 5 },
  },
];

describe.each(cases)('Xspice $name at 1920x1080', ({ name, server, ask, expectImages, tolerance }) => {
  it(tolerance ? 'is within the JPEG tolerance of spice-gtk' : 'equals spice-gtk pixel for pixel', async () => {
    const xs = await startXspice({ jpegWan: 'never', ...server });
    try {
      await xs.exec('xrandr', ['-s', '1920x1080']);
      const out = join(dir, `${name.replace(/\W+/g, '-')}.png`);
      const capture = startCli(
        ['capture', `spice://127.0.0.1:${xs.port}`, '-o', out, '--compression', ask, '--until-eof', '--settle', String(SETTLE_MS), '--timeout', '60', '-v'],
        { keepStdinOpen: true, killAfterMs: 90_000 },
      );
      await captureWatching(xs.port, capture);
      // No spice-gtk screenshot before the capture ends: a second client would take the server over.
      await solidBackground(xs, '#336699');
      await showXterm(xs, { lines: [...STANDARD_TEXT, ...Array.from({ length: 30 }, (_, i) => `row ${i}: ${'spicedesk '.repeat(i % 7)}`)] });
      await showImage(xs, photoLikeImage(640, 480, 11), { x: 900, y: 300 });
      await showXlogo(xs, { x: 1500, y: 40 });
      expect(capture.exited(), `the capture ended before the desktop was drawn: ${capture.stderrSoFar()}`).toBe(false);
      capture.closeStdin();
      const r = await capture.done;
      expect(r.code, r.stderr).toBe(0);
      const log = JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { images: Record<string, number>; surface: number[] };
      expect(log.surface).toEqual([1920, 1080]);
      for (const kind of expectImages) expect(log.images[kind] ?? 0, `${kind} images in ${JSON.stringify(log.images)}`).toBeGreaterThan(0);
      const reference = await waitForStableScreen(xs.port);
      const mine = readPng(out);
      if (tolerance) {
        const d = differences(reference, mine);
        if (d.max > tolerance.max || d.mean > tolerance.mean) explainMismatch(`codec-${name}`, reference, mine);
        expect(d.differing, 'a lossy image must differ somewhat').toBeGreaterThan(0);
        expect(d.max).toBeLessThanOrEqual(tolerance.max);
        expect(d.mean).toBeLessThanOrEqual(tolerance.mean);
        return;
      }
      const cmp = comparePixels(reference, mine, { ignoreAlpha: true });
      if (!cmp.equal) explainMismatch(`codec-${name}`, reference, mine);
      expect(cmp.differing).toBe(0);
    } finally {
      await xs.stop();
    }
  }, 60_000);
});

/** Per-channel RGB differences: the largest, and the mean over the pixels that differ at all. */
function differences(a: RgbaImage, b: RgbaImage): { max: number; mean: number; differing: number } {
  expect([b.width, b.height]).toEqual([a.width, a.height]);
  let max = 0;
  let sum = 0;
  let differing = 0;
  for (let i = 0; i < a.rgba.length; i += 4) {
    const dr = Math.abs(a.rgba[i] - b.rgba[i]);
    const dg = Math.abs(a.rgba[i + 1] - b.rgba[i + 1]);
    const db = Math.abs(a.rgba[i + 2] - b.rgba[i + 2]);
    if (dr || dg || db) {
      differing++;
      sum += (dr + dg + db) / 3;
      max = Math.max(max, dr, dg, db);
    }
  }
  return { max, mean: differing ? sum / differing : 0, differing };
}
