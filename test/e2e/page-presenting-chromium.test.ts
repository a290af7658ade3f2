// Where the page presents, in real headless Chromium through `spicedesk serve` against Xspice:
// by default the decode worker draws into the page's canvas (an OffscreenCanvas), with #present=page
// the worker sends pixels and the page draws them; either way, with the 2D canvas and with WebGL2,
// the page shows exactly what `spicedesk capture` gets. The server compresses its GLZ images with
// zlib (--zlib-glz-wan-compression always), so this also proves the worker's inflater.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { drawStandardDesktop, photoLikeImage, showImage } from '../peers/desktop.ts';
import { isUniform, type RgbaImage } from '../peers/image.ts';
import { explainMismatch } from '../peers/png.ts';
import { closeAndCapture as captureAfterClosing, openSessionPage, pagePixels, pageProblems, waitUntilSettled } from './browser-page.ts';
import { drawStats, pageState } from './page-api.ts';
import { useGatewayPeers } from './gateway-peers.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-present-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const presentsIn = async (page: Page): Promise<string> => (await pageState(page)).presentsIn;

describe('the page presents in its decode worker or on its own thread; ZLIB_GLZ images are drawn', () => {
  const peers = useGatewayPeers({ imageCompression: 'glz', zlibGlzWan: 'always', jpegWan: 'never' }, undefined, {
    prepare: async (xs) => {
      const reference = await drawStandardDesktop(xs);
      expect(isUniform(reference)).toBe(false);
    },
    startTimeoutMs: 90_000,
  });

  /** Closes the page, so that the gateway drops its SPICE client, then captures with the CLI. */
  const closeAndCapture = (page: Page, name: string): Promise<RgbaImage> => captureAfterClosing(page, peers.xs.port, join(dir, `${name}.png`));

  const cases = [
    { name: 'the worker, 2D canvas (the default without a GPU)', hash: '', presenter: '2d', where: 'worker' },
    { name: 'the worker, WebGL2', hash: '#renderer=webgl', presenter: 'webgl2', where: 'worker' },
    { name: 'the page, 2D canvas', hash: '#present=page&renderer=2d', presenter: '2d', where: 'page' },
    { name: 'the page, WebGL2', hash: '#present=page&renderer=webgl', presenter: 'webgl2', where: 'page' },
    { name: 'the worker, 2D canvas, desynchronized', hash: '#renderer=2d&lowlatency=1', presenter: '2d', where: 'worker' },
  ] as const;

  cases.forEach((c, i) => {
    it(`${c.name}: the same pixels as spicedesk capture, ZLIB_GLZ images included`, async () => {
      const page = await openSessionPage(peers.browser, peers.serve.url + c.hash);
      // The screen a client gets on connecting comes as one LZ image; what is drawn while it is
      // connected comes as GLZ images, here wrapped in zlib.
      await showImage(peers.xs, photoLikeImage(240, 180, 20 + i), { x: 560 + 100 * i, y: 420 + 40 * i, title: `spicedesk-present-${i}` });
      const settled = await waitUntilSettled(page);
      expect(settled.presenter).toBe(c.presenter);
      expect(await presentsIn(page)).toBe(c.where);
      expect(settled.messageErrors, settled.lastError).toBe(0);
      expect(pageProblems(page)).toEqual([]);
      // The server really sent zlib-wrapped GLZ images, and the worker drew them.
      const stats = await drawStats(page);
      if (!stats) throw new Error('the page has no draw statistics');
      expect(stats.images['zlib-glz-rgb'] ?? 0, JSON.stringify(stats)).toBeGreaterThan(0);
      // The page's policy lets the worker compile the WebAssembly decoders (and no CSP violation
      // was logged: pageProblems above).
      expect(stats.wasm).toBe(true);
      const shown = await pagePixels(page);
      const captured = await closeAndCapture(page, c.hash.replace(/\W+/g, '-') || 'default');
      expect(explainMismatch(`present-${c.where}-${c.presenter}`, captured, shown, { ignoreAlpha: true })).toBeUndefined();
    }, 90_000);
  });
});
