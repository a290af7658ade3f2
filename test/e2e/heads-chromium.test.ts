// Two guest heads in headless Chromium through `spicedesk serve`, against Xspice --numheads 2 with
// spice-vdagent: head 1's page opens head 2's window from its bar, each page shows its own head's
// part of the X screen (compared with `import -window root`, read on the server's display, never
// through spicedesk), the guest gets a two-output layout with the sizes of the two pages (xrandr),
// a click in head 2's window lands at head 2's offset (xdotool), switching head 2 off leaves one
// output, and a page with a wrong join token is refused with a sentence. Across a server restart
// (Xspice stopped and started again on its port) head 2's window stays open, says 'reconnecting',
// and shows its head again once the new session links, the new guest laid out from the views'
// sizes as before.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RgbaImage } from '../peers/image.ts';
import { comparePixels, readPng } from '../peers/png.ts';
import { runToCompletion } from '../peers/processes.ts';
import { waitFor as waitForCondition, waitUntil } from '../helpers/wait.ts';
import { tcpConnectionsOn } from '../peers/tcp-connections.ts';
import { requireTool } from '../peers/require-tool.ts';
import { openSessionPage, pageProblems } from './browser-page.ts';
import { useGatewayPeers } from './gateway-peers.ts';
import { DisplayTrace, headWindowsReport } from './heads-report.ts';
import { pageState, waitForPageStatus } from './page-api.ts';

const state = pageState;

/**
 * The page's display area once it has stayed the same for a second: the bar above the screen can
 * still change height while the page settles (status text, the heads list), and the guest's layout
 * follows the area, so the expectations must be taken from the settled one.
 */
async function settledArea(page: Page, width?: number): Promise<{ width: number; height: number }> {
  let last = '';
  let since = Date.now();
  return waitFor(`a settled display area${width ? ` ${width} wide` : ''}`, async () => {
    const a = (await state(page)).displayArea;
    const key = a ? `${a.width}x${a.height}` : '';
    if (key !== last) {
      last = key;
      since = Date.now();
      return undefined;
    }
    return a && (width === undefined || a.width === width) && Date.now() - since >= 1000 ? a : undefined;
  }, 30_000);
}

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000, explain?: () => Promise<string>): Promise<T> =>
  waitForCondition(what, probe, timeoutMs, { pollMs: 150, explain });

/** The previous test's pages are closed once the gateway has let go of Xspice (one client at a time). */
const gatewayLetGo = (port: number): Promise<void> => waitUntil("the gateway's connections to Xspice to close", () => tcpConnectionsOn(port) === 0, 15_000);

function crop(image: RgbaImage, r: { x: number; y: number; width: number; height: number }): RgbaImage {
  const out = Buffer.alloc(r.width * r.height * 4);
  for (let y = 0; y < r.height; y++) {
    image.rgba.subarray(((r.y + y) * image.width + r.x) * 4, ((r.y + y) * image.width + r.x + r.width) * 4).forEach((v, i) => (out[y * r.width * 4 + i] = v));
  }
  return { width: r.width, height: r.height, rgba: out };
}

describe('several guest heads in the page', () => {
  let context: BrowserContext;
  let dir: string;
  beforeAll(() => {
    requireTool('xrandr', 'x11-xserver-utils');
    requireTool('xdotool', 'xdotool');
    requireTool('import', 'imagemagick');
    dir = mkdtempSync(join(tmpdir(), 'spicedesk-heads-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  // serve -v and a relay in front of Xspice: a test that times out on a head window says what the
  // gateway logged about the join and what went over each display connection.
  const trace = new DisplayTrace();
  const peers = useGatewayPeers({ vdagent: { downloadDir: false }, numHeads: 2, startTimeoutMs: 30_000 }, (_xs, target) => ['-v', target], { relay: trace.hooks });
  /** The pages a test opened (head windows included), closed after it even when it failed. */
  const opened: Page[] = [];
  beforeAll(async () => {
    context = await peers.browser.newContext({ viewport: { width: 800, height: 600 } });
    context.on('page', (page) => opened.push(page));
  });
  afterAll(async () => {
    await context?.close();
  });
  // A failed test must not fail the next ones: its pages would keep the gateway's session with
  // Xspice open, and the next test waits for that to close (Xspice takes one client at a time).
  afterEach(async () => {
    for (const page of opened.splice(0)) await page.close().catch(() => {});
  });

  async function outputs(): Promise<string[]> {
    const out = await peers.xs.exec('xrandr', []);
    return [...out.matchAll(/^(qxl-\d) connected (?:primary )?(\d+x\d+\+\d+\+\d+)/gm)].map((m) => `${m[1]} ${m[2]}`);
  }

  async function rootScreen(): Promise<RgbaImage> {
    const file = join(dir, `root-${Date.now()}.png`);
    const r = await runToCompletion('import', ['-window', 'root', file], { env: peers.xs.env, timeoutMs: 15_000 });
    if (r.code !== 0) throw new Error(`import -window root failed: ${r.stderr}`);
    return readPng(file);
  }

  /** What the page shows of the guest: its head's clip, as the screen shows it. */
  async function shown(page: Page, rect: { width: number; height: number }): Promise<RgbaImage> {
    const box = await page.locator('#head-clip').boundingBox();
    if (!box) throw new Error('the page has no #head-clip');
    expect({ width: Math.round(box.width), height: Math.round(box.height) }).toEqual({ width: rect.width, height: rect.height });
    const file = join(dir, `page-${Date.now()}.png`);
    await page.screenshot({ path: file, clip: { x: box.x, y: box.y, width: rect.width, height: rect.height } });
    return readPng(file);
  }

  it('shows each head in its own window, lays the guest out from their sizes, and switches a head off', async () => {
    const page0 = await openSessionPage(peers.browser, peers.serve.url, 20_000, context);
    await waitFor('the agent and the heads', async () => {
      const s = await state(page0);
      return s.agent.monitorsConfig && s.maxHeads === 2 && s.hasHeadToken && s.displayArea ? s : undefined;
    });
    expect((await state(page0)).head).toBe(0);

    // Head 2's window, from the bar of head 1's page.
    const popup = page0.waitForEvent('popup');
    await page0.locator('#heads button[data-head="1"]').click();
    const page1 = await popup;
    await page1.setViewportSize({ width: 640, height: 480 });
    await waitForPageStatus(page1, 'connected', 30_000);
    expect((await state(page1)).head).toBe(1);

    const area0 = await settledArea(page0);
    const area1 = await settledArea(page1, 640);
    const want = [`qxl-0 ${area0.width}x${area0.height}+0+0`, `qxl-1 ${area1.width}x${area1.height}+${area0.width}+0`];
    const got = await waitFor('the two-output layout', async () => {
      const o = await outputs();
      return o.join() === want.join() ? o : undefined;
    }).catch(() => outputs());
    expect(got).toEqual(want);

    // Known content on each head: an xterm with its own colours.
    peers.xs.run('xterm', ['-bg', 'darkred', '-fg', 'white', '-geometry', '30x6+20+30', '-e', 'sh', '-c', 'echo head one; sleep 600']);
    peers.xs.run('xterm', ['-bg', 'navy', '-fg', 'yellow', '-geometry', '30x6+' + (area0.width + 40) + '+50', '-e', 'sh', '-c', 'echo head two; sleep 600']);

    const rect1 = await waitFor(
      'head 2 rectangle in its page',
      async () => {
        const r = (await state(page1)).headRect;
        return r && r.width === area1.width && r.height === area1.height ? r : undefined;
      },
      45_000,
      () => headWindowsReport({ 'head 1': page0, 'head 2': page1 }, peers.serve.process.outputTail(), trace),
    );
    expect(rect1).toEqual({ head: 1, channelId: 0, x: area0.width, y: 0, width: area1.width, height: area1.height });
    expect((await state(page0)).headRect).toEqual({ head: 0, channelId: 0, x: 0, y: 0, width: area0.width, height: area0.height });

    // Each page equals its part of the X screen (once both xterms are drawn everywhere).
    await headsMatchScreen(page0, area0, page1, area1);

    // A click in head 2's window lands at head 2's offset in the guest.
    const box = (await page1.locator('#head-clip').boundingBox())!;
    await page1.mouse.move(box.x + 100, box.y + 120);
    const pointer = await waitFor('the guest pointer', async () => {
      const p = await peers.xs.exec('xdotool', ['getmouselocation']);
      const m = /x:(\d+) y:(\d+)/.exec(p);
      return m && Number(m[1]) === area0.width + 100 ? `${m[1]},${m[2]}` : undefined;
    }).catch(() => peers.xs.exec('xdotool', ['getmouselocation']));
    expect(pointer).toBe(`${area0.width + 100},120`);

    // Head 2 switched off from head 1's bar: one output, and head 2's page shows nothing.
    await page0.locator('#heads input[data-head="1"]').uncheck();
    const single = await waitFor('one output', async () => {
      const o = await outputs();
      return o.length === 1 ? o : undefined;
    }).catch(() => outputs());
    expect(single).toEqual([`qxl-0 ${area0.width}x${area0.height}+0+0`]);
    await waitFor('head 2 page without its head', async () => ((await state(page1)).headRect === null ? true : undefined));
    expect(await page1.evaluate(() => getComputedStyle(document.getElementById('screen')!).visibility)).toBe('hidden');
    expect(pageProblems(page0)).toEqual([]);
    await page1.close();
    await page0.close();
  }, 150_000);

  /** Waits until each page shows exactly its part of the X screen (xterms placed per head first). */
  async function headsMatchScreen(page0: Page, area0: { width: number; height: number }, page1: Page, area1: { width: number; height: number }): Promise<void> {
    let last = '';
    await waitFor('both pages to show their heads', async () => {
      const root = await rootScreen();
      const part0 = crop(root, { x: 0, y: 0, ...area0 });
      const part1 = crop(root, { x: area0.width, y: 0, ...area1 });
      const misplaced1 = crop(root, { x: 0, y: 0, ...area1 });
      if (comparePixels(part1, misplaced1, { ignoreAlpha: true }).differing === 0) return undefined;
      const d0 = comparePixels(await shown(page0, area0), part0, { ignoreAlpha: true }).differing;
      const page1Pixels = await shown(page1, area1);
      const d1 = comparePixels(page1Pixels, part1, { ignoreAlpha: true }).differing;
      // Head 2's part differs from the same-sized part at head 1's place: a page showing the wrong part fails.
      expect(comparePixels(page1Pixels, misplaced1, { ignoreAlpha: true }).differing).toBeGreaterThan(0);
      last = `head 1: ${d0} pixels differ, head 2: ${d1}`;
      return d0 === 0 && d1 === 0 ? true : undefined;
    }, 30_000).catch(() => expect(last).toBe('head 1: 0 pixels differ, head 2: 0'));
  }

  it('keeps head 2 open across a server restart and lays the new guest out from the views again', async () => {
    await gatewayLetGo(peers.xs.port);
    const page0 = await openSessionPage(peers.browser, peers.serve.url, 20_000, context);
    await waitFor('the agent and the head token', async () => {
      const s = await state(page0);
      return s.agent.monitorsConfig && s.maxHeads === 2 && s.hasHeadToken && s.displayArea ? s : undefined;
    });
    const popup = page0.waitForEvent('popup');
    await page0.locator('#heads button[data-head="1"]').click();
    const page1 = await popup;
    await page1.setViewportSize({ width: 600, height: 440 });
    // A loaded machine may take seconds to load the new window's page.
    await waitForPageStatus(page1, 'connected', 30_000);
    const area0 = await settledArea(page0);
    const area1 = await settledArea(page1, 600);
    const want = [`qxl-0 ${area0.width}x${area0.height}+0+0`, `qxl-1 ${area1.width}x${area1.height}+${area0.width}+0`];
    await waitFor('the two-output layout', async () => ((await outputs()).join() === want.join() ? true : undefined)).catch(async () => expect(await outputs()).toEqual(want));

    await peers.stopXspice();
    for (const page of [page0, page1]) {
      await waitFor('reconnecting in both windows', async () => ((await state(page)).status === 'reconnecting' ? true : undefined), 5000).catch(async () =>
        expect((await state(page)).status).toBe('reconnecting'),
      );
    }
    expect(page1.isClosed()).toBe(false);
    // While the server is away, head 2's window shows no stale picture of the old session.
    await waitFor("head 2's view without the old head", async () => ((await state(page1)).headRect === null ? true : undefined), 5000);

    await peers.startXspiceAgain();
    for (const page of [page0, page1]) {
      await waitFor('connected again in both windows', async () => ((await state(page)).status === 'connected' ? true : undefined), 45_000).catch(async () =>
        expect((await state(page)).statusText).toBe('connected'),
      );
    }
    // A fresh Xspice starts with one 1024x768 output: the two-output layout comes from the views again.
    const got = await waitFor('the two-output layout on the new guest', async () => {
      const o = await outputs();
      return o.join() === want.join() ? o : undefined;
    }, 30_000).catch(() => outputs());
    expect(got).toEqual(want);
    const rect1 = await waitFor(
      "head 2's rectangle in its window again",
      async () => {
        const r = (await state(page1)).headRect;
        return r && r.width === area1.width ? r : undefined;
      },
      20_000,
      () => headWindowsReport({ 'head 1': page0, 'head 2': page1 }, peers.serve.process.outputTail(), trace),
    );
    expect(rect1).toEqual({ head: 1, channelId: 0, x: area0.width, y: 0, width: area1.width, height: area1.height });
    expect((await state(page0)).headsJoined).toBe(0b10);

    peers.xs.run('xterm', ['-bg', 'darkgreen', '-fg', 'white', '-geometry', '30x6+30+40', '-e', 'sh', '-c', 'echo head one again; sleep 600']);
    peers.xs.run('xterm', ['-bg', 'purple', '-fg', 'white', '-geometry', '30x6+' + (area0.width + 50) + '+60', '-e', 'sh', '-c', 'echo head two again; sleep 600']);
    await headsMatchScreen(page0, area0, page1, area1);
    await page1.close();
    await page0.close();
  }, 180_000);

  it('refuses a head window whose join token is wrong', async () => {
    await gatewayLetGo(peers.xs.port);
    const page = await context.newPage();
    try {
      await page.goto(`${peers.serve.url}#head=1&join=${'ab'.repeat(32)}`);
      await waitForPageStatus(page, 'error', 15_000);
      expect((await state(page)).statusText).toMatch(/session that is over \(or its link is wrong\)/);
    } finally {
      await page.close();
    }
  });
});
