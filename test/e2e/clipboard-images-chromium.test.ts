// Clipboard images between the page and the guest, in headless Chromium through `spicedesk serve`,
// against Xspice with spice-vdagent: a PNG and a BMP copied in the guest with xclip reach the
// page's clipboard as PNG with the same pixels; a PNG put on the page's clipboard can be pasted
// in the guest (xclip -o) with the same pixels; with `serve --clipboard to-guest` a guest image
// does not reach the page. Pixels are compared after decoding: the browser re-encodes PNGs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePng } from '../../src/main/node/png-decode.ts';
import { encodePng } from '../peers/png.ts';
import { runToCompletion } from '../peers/processes.ts';
import { waitFor, waitUntil, watchForNothing } from '../helpers/wait.ts';
import { tcpConnectionsOn } from '../peers/tcp-connections.ts';
import { requireTool } from '../peers/require-tool.ts';
import { openSessionPage, pageProblems } from './browser-page.ts';
import { useGatewayPeers, type GatewayPeers } from './gateway-peers.ts';
import { pageState } from './page-api.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-clip-img-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const state = pageState;

/** A gradient, opaque (the page's PNGs from re-encoded guest images carry no alpha). */
function testImage(width = 41, height = 29): { width: number; height: number; rgba: Buffer } {
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rgba.set([x * 6, y * 8, (x * y) & 0xff, 255], (y * width + x) * 4);
  }
  return { width, height, rgba };
}

/** RGB of a PNG's pixels, for comparing images whatever their encoding. */
function rgbOf(png: Uint8Array): { width: number; height: number; rgb: number[] } {
  const d = decodePng(png);
  const rgb: number[] = [];
  for (let i = 0; i < d.width * d.height; i++) rgb.push(d.rgba[i * 4], d.rgba[i * 4 + 1], d.rgba[i * 4 + 2]);
  return { width: d.width, height: d.height, rgb };
}

/** The page's clipboard image as PNG bytes (base64 through evaluate), or undefined. */
async function pageClipboardPng(page: Page): Promise<Uint8Array | undefined> {
  const b64 = await page.evaluate(async () => {
    try {
      const item = (await navigator.clipboard.read()).find((i) => i.types.includes('image/png'));
      if (!item) return null;
      const bytes = new Uint8Array(await (await item.getType('image/png')).arrayBuffer());
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(s);
    } catch {
      return null;
    }
  });
  return b64 ? new Uint8Array(Buffer.from(b64, 'base64')) : undefined;
}

function describeImages(policyArgs: string[], title: string, body: (peers: GatewayPeers) => void): void {
  describe(title, () => {
    beforeAll(() => requireTool('xclip', 'xclip'));
    body(useGatewayPeers({ vdagent: true }, (_xs, target) => [...policyArgs, target]));
  });
}

async function openWithAgent(browser: Browser, url: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 }, permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await openSessionPage(browser, url, 30_000, context);
  await waitFor('the guest agent', async () => ((await state(page)).agent.clipboard ? true : undefined));
  await page.bringToFront();
  return { context, page };
}

describeImages([], 'clipboard images with the guest agent', (peers) => {
  it('a PNG and a BMP copied in the guest reach the page clipboard as PNG with the same pixels', async () => {
    const { xs, serve, browser } = peers;
    const { context, page } = await openWithAgent(browser, serve.url);
    try {
      const image = testImage();
      const pngFile = join(dir, 'guest.png');
      writeFileSync(pngFile, encodePng(image));
      const copier = xs.run('xclip', ['-selection', 'clipboard', '-t', 'image/png', '-i', pngFile]);
      const got = await waitFor('the PNG on the page clipboard', async () => {
        const png = await pageClipboardPng(page);
        return png && rgbOf(png).width === image.width ? png : undefined;
      }).catch(async (e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify((await state(page)).clipboard)}`);
      });
      await copier.stop(200);
      expect(rgbOf(got)).toEqual(rgbOf(encodePng(image)));

      // A BMP (as Windows guests offer): converted by the host before it reaches the page.
      const bmpFile = join(__dirname, '../fixtures/clipboard/rgb24.bmp');
      const bmpCopier = xs.run('xclip', ['-selection', 'clipboard', '-t', 'image/bmp', '-i', bmpFile]);
      const fromBmp = await waitFor('the BMP as PNG on the page clipboard', async () => {
        const png = await pageClipboardPng(page);
        return png && rgbOf(png).width === 23 ? png : undefined;
      });
      await bmpCopier.stop(200);
      const ppm = readFileSync(join(__dirname, '../fixtures/clipboard/expected/rgb24.bmp.ppm'));
      const pixels = ppm.subarray(ppm.length - 23 * 17 * 3);
      expect(rgbOf(fromBmp)).toEqual({ width: 23, height: 17, rgb: Array.from(pixels) });
      expect((await state(page)).clipboard.imagesReceived).toBeGreaterThanOrEqual(2);
      expect((await state(page)).clipboard.imagesFromHost).toBeGreaterThanOrEqual(2);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('a PNG on the page clipboard can be pasted in the guest with the same pixels', async () => {
    const { xs, serve, browser } = peers;
    // The previous test's page is gone once the gateway has let go of Xspice (one client at a time).
    await waitUntil("the gateway's connections to Xspice to close", () => tcpConnectionsOn(xs.port) === 0, 15_000);
    const { context, page } = await openWithAgent(browser, serve.url);
    try {
      const image = testImage(53, 21);
      const png = encodePng(image);
      await page.evaluate(async (b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        await navigator.clipboard.write([new ClipboardItem({ 'image/png': new Blob([bytes], { type: 'image/png' }) })]);
        window.dispatchEvent(new Event('focus'));
      }, Buffer.from(png).toString('base64'));
      const guestPng = async (): Promise<Buffer | undefined> => {
        const r = await runToCompletion('xclip', ['-selection', 'clipboard', '-t', 'image/png', '-o'], { env: xs.env, timeoutMs: 3000 });
        return r.code === 0 && r.stdout.byteLength > 8 ? r.stdout : undefined;
      };
      const pasted = await waitFor('the PNG in the guest clipboard', guestPng).catch(async (e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify((await state(page)).clipboard)}`);
      });
      expect(rgbOf(pasted)).toEqual(rgbOf(png));
      expect((await state(page)).clipboard.imagesSent).toBe(1);
    } finally {
      await context.close();
    }
  }, 90_000);
});

describeImages(['--clipboard', 'to-guest'], 'clipboard images with serve --clipboard to-guest', (peers) => {
  it('a guest image does not reach the page, and the page cannot turn that direction on', async () => {
    const { xs, serve, browser } = peers;
    const { context, page } = await openWithAgent(browser, serve.url);
    try {
      expect((await state(page)).clipboard.policy).toEqual({ toGuest: true, fromGuest: false });
      // The page's setting offers only what the host allows.
      expect(await page.locator('#clipboard-mode option[value="both"]').isDisabled()).toBe(true);
      expect(await page.locator('#clipboard-mode').inputValue()).toBe('to-guest');
      // Even a page that asks for both (as a hostile page could) gets nothing from the guest.
      await page.evaluate(() => {
        const select = document.getElementById('clipboard-mode') as HTMLSelectElement;
        select.querySelectorAll('option').forEach((o) => (o.disabled = false));
        select.value = 'both';
        select.dispatchEvent(new Event('change'));
      });
      const pngFile = join(dir, 'kept-in-guest.png');
      writeFileSync(pngFile, encodePng(testImage(9, 9)));
      const copier = xs.run('xclip', ['-selection', 'clipboard', '-t', 'image/png', '-i', pngFile]);
      await watchForNothing(2500);
      await copier.stop(200);
      expect(await pageClipboardPng(page)).toBeUndefined();
      // The host sent none: the policy is enforced there, not only by the page.
      expect((await state(page)).clipboard.imagesFromHost).toBe(0);
      expect((await state(page)).clipboard.imagesReceived).toBe(0);
    } finally {
      await context.close();
    }
  }, 90_000);
});
