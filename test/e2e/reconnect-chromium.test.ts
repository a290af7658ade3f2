// The page through `spicedesk serve` in headless Chromium while its Xspice is stopped and started
// again on the same port: the status line says 'reconnecting' (with the reason) right after the
// stop, and 'connected' with the new server's pixels after the restart, none of the old screen
// left. A server restarted with another password makes the page ask for one, although the target
// came with a password, and the new one connects. With the guest agent, the restarted guest is
// given the page's display size again.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { solidBackground } from '../peers/desktop.ts';
import { requireTool } from '../peers/require-tool.ts';
import { startXspice, type XspiceServer } from '../peers/xspice.ts';
import { waitFor } from '../helpers/wait.ts';
import { launchChromium, openSessionPage, pagePixels, pageProblems } from './browser-page.ts';
import { pageState } from './page-api.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const state = pageState;

/** waitFor, with the page's state in the error when it times out. */
function until<T>(what: string, page: Page, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  return waitFor(what, probe, timeoutMs, { pollMs: 50, explain: async () => `the page: ${JSON.stringify(await state(page))}` });
}

/** How many of the canvas's pixels are not `hex` (#rrggbb). */
async function pixelsOtherThan(page: Page, hex: string): Promise<number> {
  const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const p = await pagePixels(page);
  let other = 0;
  for (let i = 0; i < p.width * p.height * 4; i += 4) {
    if (p.rgba[i] !== want[0] || p.rgba[i + 1] !== want[1] || p.rgba[i + 2] !== want[2]) other++;
  }
  return other;
}

const servers: XspiceServer[] = [];
async function server(options: { port?: number; password?: string; colour: string; vdagent?: boolean }): Promise<XspiceServer> {
  const xs = await startXspice({ imageCompression: 'off', port: options.port, password: options.password, vdagent: options.vdagent, startTimeoutMs: 30_000 });
  servers.push(xs);
  await solidBackground(xs, options.colour);
  return xs;
}
async function kill(xs: XspiceServer): Promise<void> {
  servers.splice(servers.indexOf(xs), 1);
  await xs.stop();
}

describe('the page across a server restart', () => {
  let browser: Browser;
  let serve: ServeProcess | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await serve?.stop();
    serve = undefined;
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it("shows 'reconnecting' after the stop and the new server's screen after the restart", async () => {
    const first = await server({ colour: '#203040' });
    const port = first.port;
    serve = await startServe([`spice://127.0.0.1:${port}`]);
    const page = await openSessionPage(browser, serve.url);
    await until('the first background', page, async () => ((await pixelsOtherThan(page, '#203040')) === 0 ? true : undefined), 15_000);

    await kill(first);
    const lost = await until('the reconnecting status', page, async () => {
      const s = await state(page);
      return s.status === 'reconnecting' ? s : undefined;
    }, 3000);
    expect(lost.statusText).toMatch(new RegExp(`^connection to 127\\.0\\.0\\.1:${port} lost \\(.+\\); reconnecting (in \\d+(\\.\\d)? s|now), attempt \\d+…$`));

    await server({ port, colour: '#3a5070' });
    await until('connected again', page, async () => ((await state(page)).status === 'connected' ? true : undefined), 40_000);
    // Every pixel from the new server: the old screen was cleared, nothing of it shows through.
    await until('the new background everywhere', page, async () => ((await pixelsOtherThan(page, '#3a5070')) === 0 ? true : undefined), 15_000);
    const s = await state(page);
    expect(s.messageErrors, s.lastError).toBe(0);
    expect(pageProblems(page)).toEqual([]);
    await page.close();
  }, 120_000);

  it('asks for a password when the restarted server refuses the one the target came with, and the new one connects', async () => {
    const first = await server({ colour: '#203040', password: 'first-ticket' });
    const port = first.port;
    serve = await startServe([`spice://127.0.0.1:${port}`], { SPICE_PASSWORD: 'first-ticket' });
    const page = await openSessionPage(browser, serve.url);
    expect((await state(page)).passwordDialogs).toBe(0);

    await kill(first);
    await until('the reconnecting status', page, async () => ((await state(page)).status === 'reconnecting' ? true : undefined), 3000);
    await server({ port, colour: '#506070', password: 'second-ticket' });
    await until('the password dialog', page, async () => ((await state(page)).passwordDialogOpen ? true : undefined), 40_000);
    expect(await page.locator('#password-dialog .reason').textContent()).toMatch(/refused the password/);

    await page.locator('#password-dialog input[type=password]').fill('second-ticket');
    await page.locator('#password-dialog button[type=submit]').click();
    await until('connected with the new password', page, async () => ((await state(page)).status === 'connected' ? true : undefined), 20_000);
    await until('the new background everywhere', page, async () => ((await pixelsOtherThan(page, '#506070')) === 0 ? true : undefined), 15_000);
    expect((await state(page)).passwordDialogs).toBe(1);
    await page.close();
  }, 120_000);

  it("gives the restarted guest the page's display size again (the monitor configuration)", async () => {
    requireTool('xrandr', 'x11-xserver-utils');
    const first = await server({ colour: '#203040', vdagent: true });
    const port = first.port;
    serve = await startServe([`spice://127.0.0.1:${port}`]);
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    try {
      const page = await openSessionPage(browser, serve.url, 20_000, context);
      await until('the display area with the agent', page, async () => {
        const s = await state(page);
        return s.agent.monitorsConfig && s.displayArea ? true : undefined;
      }, 20_000);
      // The page's size as it is now: the bar above the screen may still change height while the
      // page settles, and the page then sends the new size, so each check reads it again.
      const pageSize = async (): Promise<string> => {
        const area = (await state(page)).displayArea;
        return area ? `${area.width}x${area.height}` : 'none';
      };
      const guestInPageSize = (xs: XspiceServer) => async () =>
        (await guestMode(xs)) === (await pageSize()) ? true : undefined;
      expect(await pageSize()).not.toBe('1024x768');
      await until("the first guest in the page's size", page, guestInPageSize(first), 15_000);

      await kill(first);
      await until('the reconnecting status', page, async () => ((await state(page)).status === 'reconnecting' ? true : undefined), 3000);
      const second = await server({ port, colour: '#3a5070', vdagent: true });
      // A fresh Xspice starts in 1024x768; the page's size comes back through the new agent.
      await until("the restarted guest in the page's size", page, guestInPageSize(second), 40_000);
      await until('the page drawing the new mode', page, async () => {
        const s = (await state(page)).surface;
        return `${s.width}x${s.height}` === (await pageSize()) ? true : undefined;
      }, 15_000);
      expect((await state(page)).status).toBe('connected');
      await page.close();
    } finally {
      await context.close();
    }
  }, 150_000);
});

async function guestMode(xs: XspiceServer): Promise<string> {
  const first = (await xs.exec('xrandr', [])).split('\n')[0];
  const m = /current (\d+) x (\d+)/.exec(first);
  return m ? `${m[1]}x${m[2]}` : first;
}
