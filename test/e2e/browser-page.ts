// Debian's Chromium driven by playwright-core, and what tests do with the page through its own test
// hooks (typed in page-api.ts). Headless Chromium here draws WebGL2 with SwiftShader (a CPU
// implementation behind ANGLE); --disable-webgl takes WebGL away so the 2D fallback runs.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import type { RgbaImage } from '../peers/image.ts';
import { readPng } from '../peers/png.ts';
import { waitUntil } from '../helpers/wait.ts';
import { tcpConnectionsOn } from '../peers/tcp-connections.ts';
import { pageState, readPagePixels, type PageState } from './page-api.ts';
import { requireTool } from '../peers/require-tool.ts';

export const CHROMIUM = '/usr/bin/chromium';

/** `unmuted`: without Playwright's default --mute-audio (the audio bench listens to Chromium's output). */
export async function launchChromium(extraArgs: string[] = [], options: { unmuted?: boolean } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) requireTool('chromium', 'chromium');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    ...(options.unmuted ? { ignoreDefaultArgs: ['--mute-audio'] } : {}),
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...extraArgs],
  });
}

const problemsOf = new WeakMap<Page, string[]>();

/** Errors the page logged or threw (a Content-Security-Policy violation is one). */
export function pageProblems(page: Page): string[] {
  return problemsOf.get(page) ?? [];
}

/** Opens the gateway's page and waits until the first frame (after MARK) has been presented. */
export async function openSessionPage(browser: Browser, url: string, timeoutMs = 20_000, context?: BrowserContext): Promise<Page> {
  const page = context ? await context.newPage() : await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  problemsOf.set(page, problems);
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  await page.goto(url);
  try {
    await page.waitForFunction(
      () => {
        const s = window.spicedeskPage?.state();
        return s !== undefined && (s.status === 'error' || (s.status === 'connected' && s.marks > 0 && s.frames > 0));
      },
      undefined,
      { timeout: timeoutMs, polling: 50 },
    );
  } catch (e) {
    const state = await pageState(page).catch(() => undefined);
    throw new Error(`the page did not paint a frame: ${JSON.stringify(state)} ${problems.join('; ')}`, { cause: e });
  }
  const state = await pageState(page);
  if (state.status === 'error') throw new Error(`the page shows an error: ${state.statusText}`);
  return page;
}

/** Waits until no new damage has arrived for `quietMs` and the last damage has been presented. */
export async function waitUntilSettled(page: Page, quietMs = 700, timeoutMs = 15_000): Promise<PageState> {
  const deadline = Date.now() + timeoutMs;
  let last = await pageState(page);
  let since = Date.now();
  for (;;) {
    await page.waitForTimeout(100);
    const now = await pageState(page);
    if (now.damageMessages !== last.damageMessages || now.frames !== last.frames) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return now;
    }
    if (Date.now() > deadline) throw new Error(`the page kept drawing for ${timeoutMs} ms`);
  }
}

/** The canvas read back (readPixels or getImageData), as the peers' RgbaImage. */
export async function pagePixels(page: Page): Promise<RgbaImage> {
  const p = await readPagePixels(page);
  if (!p) throw new Error('the page has nothing to read back yet');
  return { width: p.width, height: p.height, rgba: Buffer.from(p.rgbaBase64, 'base64') };
}

/** Page coordinates of a point of the remote screen (the canvas may be scaled). */
export async function screenToPage(page: Page, x: number, y: number): Promise<{ x: number; y: number }> {
  return page.evaluate(
    ([sx, sy]) => {
      const canvas = document.getElementById('screen') as HTMLCanvasElement;
      const r = canvas.getBoundingClientRect();
      return { x: r.left + ((sx + 0.5) * r.width) / canvas.width, y: r.top + ((sy + 0.5) * r.height) / canvas.height };
    },
    [x, y] as const,
  );
}

/**
 * Moves the mouse over remote point (x, y) until the X server's pointer is there, and returns the
 * page point that got it there. It moves again on each try, from one pixel away, because the first
 * move can be lost: the inputs channel may still be linking, or the bar above the screen may still
 * be settling, which moves the canvas under a point computed a moment earlier.
 */
export async function pointAt(page: Page, server: { exec(command: string, args: readonly string[]): Promise<string> }, x: number, y: number, timeoutMs = 10_000): Promise<{ x: number; y: number }> {
  let point = await screenToPage(page, x, y);
  let seen = '';
  await waitUntil(
    `the X pointer at ${x},${y}`,
    async () => {
      point = await screenToPage(page, x, y);
      await page.mouse.move(point.x + 1, point.y + 1);
      await page.mouse.move(point.x, point.y);
      for (let i = 0; i < 5; i++) {
        seen = await server.exec('xdotool', ['getmouselocation']);
        if (seen.startsWith(`x:${x} y:${y} `)) return true;
        await page.waitForTimeout(100);
      }
      return false;
    },
    timeoutMs,
    { pollMs: 300, explain: () => `xdotool last said: ${seen.trim()}` },
  );
  return point;
}

/**
 * Closes the page, so that the gateway drops its SPICE client (Xspice takes one client at a time),
 * then captures the server's screen with the CLI into `file`.
 */
export async function closeAndCapture(page: Page, port: number, file: string): Promise<RgbaImage> {
  await page.close();
  // The gateway ends its SPICE session when the page goes; until then a capture could be cut off
  // by the gateway still holding (or taking back) the server's one client slot.
  await waitUntil(`the gateway's connections to port ${port} to close`, () => tcpConnectionsOn(port) === 0, 15_000);
  const r = await runCli(['capture', `spice://127.0.0.1:${port}`, '-o', file, '--timeout', '10']);
  expect(r.stderr, `capture: ${r.stderr}`).toBe('');
  expect(r.code).toBe(0);
  return readPng(file);
}
