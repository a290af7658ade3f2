// Guest heads on separate display channels in headless Chromium through `spicedesk serve`: QEMU
// with a virtio-vga of two outputs gives each output its own display channel (as a Windows guest
// with one display device per head has), the firmware drawing on channel 0 and QEMU's "not
// initialized" screen on channel 1. Head 1's page must show channel 0's surface and head 2's
// window channel 1's, each equal (size and pixels) to `spicedesk capture --display N` taken
// before the page connected (only one client at a time). Across a restart of QEMU on its port,
// head 2's window stays open, says 'reconnecting', and shows display channel 1 again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.ts';
import type { RgbaImage } from '../peers/image.ts';
import { comparePixels, readPng } from '../peers/png.ts';
import { runToCompletion } from '../peers/processes.ts';
import { waitFor as waitForCondition, waitUntil } from '../helpers/wait.ts';
import { startQemu, type QemuServer } from '../peers/qemu.ts';
import { launchChromium, openSessionPage, pagePixels, pageProblems } from './browser-page.ts';
import { headWindowsReport } from './heads-report.ts';
import { pageState, waitForPageStatus } from './page-api.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const state = pageState;

/** Polls every 200 ms (each probe may read a whole canvas back); on a timeout `explain` says what was seen. */
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000, explain?: () => Promise<string>): Promise<T> =>
  waitForCondition(what, probe, timeoutMs, { pollMs: 200, explain });

describe('guest heads on separate display channels (QEMU, one channel per output)', () => {
  let qemu: QemuServer;
  let serve: ServeProcess;
  let browser: Browser;
  let context: BrowserContext;
  let dir: string;
  const captured: RgbaImage[] = [];

  const firmwareGaveUp = (): Promise<void> =>
    waitUntil('the firmware to give up booting', () => qemu.firmwareLog().includes('No bootable device.'), 60_000, {
      explain: () => qemu.firmwareLog().slice(-500),
    });

  async function capture(display: number): Promise<RgbaImage> {
    const file = join(dir, `display-${display}.png`);
    const r = await runToCompletion(process.execPath, [BIN, 'capture', `spice://127.0.0.1:${qemu.port}`, '-o', file, '--display', String(display), '--timeout', '30'], { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`capture --display ${display} failed (${r.code}): ${r.stderr}`);
    return readPng(file);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spicedesk-heads-qemu-'));
    qemu = await startQemu({ virtioGpuOutputs: 2, firmwareLog: true, startTimeoutMs: 30_000 });
    // The firmware gives up booting with "No bootable device." (and then waits for ever): its last
    // screen is what both captures see, so they are taken after it said so.
    await firmwareGaveUp();
    captured.push(await capture(0), await capture(1));
    // -v: a test that times out on a head window says what the gateway logged about the join.
    serve = await startServe(['-v', `spice://127.0.0.1:${qemu.port}`]);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 900, height: 700 } });
  }, 120_000);
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await serve?.stop();
    await qemu?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows display channel 0 in head 1's page and display channel 1 in head 2's window", async () => {
    const [display0, display1] = captured;
    // The two channels differ in size: a view presenting the wrong one fails on its size alone.
    expect(`${display0.width}x${display0.height}`).not.toBe(`${display1.width}x${display1.height}`);

    const page0 = await openSessionPage(browser, serve.url, 30_000, context);
    await waitFor('two heads and the join token', async () => {
      const s = await state(page0);
      return s.maxHeads === 2 && s.hasHeadToken && s.heads.length === 2 ? s : undefined;
    }, 20_000, async () => JSON.stringify(await state(page0)));
    expect((await state(page0)).heads).toEqual([
      { head: 0, channelId: 0, x: 0, y: 0, width: display0.width, height: display0.height },
      { head: 1, channelId: 1, x: 0, y: 0, width: display1.width, height: display1.height },
    ]);

    const popup = page0.waitForEvent('popup');
    await page0.locator('#heads button[data-head="1"]').click();
    const page1 = await popup;
    await page1.setViewportSize({ width: 900, height: 700 });
    await waitForPageStatus(page1, 'connected', 30_000);

    // Each view's canvas holds its head's channel: the same size and pixels as the capture.
    const matches = async (page: Page, want: RgbaImage): Promise<string> => {
      const s = await state(page);
      if (s.surface.width !== want.width || s.surface.height !== want.height) return `surface ${s.surface.width}x${s.surface.height}`;
      let got: RgbaImage;
      try {
        got = await pagePixels(page);
      } catch (e) {
        return `no pixels: ${(e as Error).message}`;
      }
      if (got.width !== want.width || got.height !== want.height) return `canvas ${got.width}x${got.height}`;
      return `${comparePixels(got, want, { ignoreAlpha: true }).differing} pixels differ`;
    };
    let last1 = '';
    const report = (): Promise<string> => headWindowsReport({ 'head 1': page0, 'head 2': page1 }, serve.process.outputTail());
    await waitFor("display 1 in head 2's window", async () => ((last1 = await matches(page1, display1)) === '0 pixels differ' ? true : undefined), 30_000).catch(async () =>
      expect(last1, await report()).toBe('0 pixels differ'),
    );
    expect((await state(page1)).headRect).toEqual({ head: 1, channelId: 1, x: 0, y: 0, width: display1.width, height: display1.height });
    expect(await page1.evaluate(() => getComputedStyle(document.getElementById('screen')!).visibility)).toBe('visible');

    // The firmware's text cursor blinks: the page matches the capture whenever it is in the same phase.
    let last0 = '';
    await waitFor("display 0 in head 1's page", async () => ((last0 = await matches(page0, display0)) === '0 pixels differ' ? true : undefined), 30_000).catch(async () =>
      expect(last0, await report()).toBe('0 pixels differ'),
    );
    expect((await state(page0)).headRect).toEqual({ head: 0, channelId: 0, x: 0, y: 0, width: display0.width, height: display0.height });
    expect(pageProblems(page0)).toEqual([]);

    // QEMU stopped and started again on its port: both windows wait, then show their channels again.
    const port = qemu.port;
    await qemu.stop();
    for (const page of [page0, page1]) {
      await waitFor('reconnecting in both windows', async () => ((await state(page)).status === 'reconnecting' ? true : undefined), 5000, async () => JSON.stringify(await state(page)));
    }
    await waitFor("head 2's view without the old head", async () => ((await state(page1)).headRect === null ? true : undefined), 5000);
    expect(page1.isClosed()).toBe(false);
    qemu = await startQemu({ virtioGpuOutputs: 2, port, firmwareLog: true, startTimeoutMs: 30_000 });
    for (const page of [page0, page1]) {
      await waitFor('connected again in both windows', async () => ((await state(page)).status === 'connected' ? true : undefined), 45_000, async () => JSON.stringify(await state(page)));
    }
    await waitFor("display 1 in head 2's window again", async () => ((last1 = await matches(page1, display1)) === '0 pixels differ' ? true : undefined), 30_000).catch(async () =>
      expect(last1, await report()).toBe('0 pixels differ'),
    );
    expect((await state(page1)).headRect).toEqual({ head: 1, channelId: 1, x: 0, y: 0, width: display1.width, height: display1.height });
    // The restarted firmware gives up booting again and ends on the same screen.
    await waitFor("display 0 in head 1's page again", async () => ((last0 = await matches(page0, display0)) === '0 pixels differ' ? true : undefined), 40_000).catch(async () =>
      expect(last0, await report()).toBe('0 pixels differ'),
    );
    await page1.close();
    await page0.close();
  }, 240_000);
});
