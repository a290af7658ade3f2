// No Electron binary runs on these machines, so this is the Electron window's data path with
// Chromium standing in (test/e2e/window-stand-in.ts: the renderer with the window's responses and
// a preload stand-in, its port relayed to a BridgeHost in this process). Against Xspice the page
// connects and draws, the screenshot round trip gives a PNG of the page's own pixels, and without a target the status line says what to give.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { planConnection } from '../../src/main/connect/connector.ts';
import type { GatewayTarget } from '../../src/main/host/bridge-host.ts';
import { encodeSurfacePng } from '../../src/main/node/png.ts';
import { resolveTarget } from '../../src/main/connect/target.ts';
import { launchChromium, pagePixels, pageProblems, screenToPage, waitUntilSettled } from './browser-page.ts';
import { openWindow } from './window-stand-in.ts';
import { pageState, waitForPageStatus } from './page-api.ts';
import { waitFor, waitUntil } from '../helpers/wait.ts';
import { drawStandardDesktop } from '../peers/desktop.ts';
import { startXspice, type XspiceServer } from '../peers/xspice.ts';

describe('the Electron page path in Chromium (MessagePort bridge, the window CSP)', () => {
  let browser: Browser;
  let xs: XspiceServer;
  beforeAll(async () => {
    browser = await launchChromium();
    xs = await startXspice();
    await drawStandardDesktop(xs);
  });
  afterAll(async () => {
    await browser?.close();
    await xs?.stop();
  });

  it('connects over the port, draws, and gives its pixels for a screenshot', async () => {
    const { profile } = await resolveTarget(`spice://127.0.0.1:${xs.port}`);
    const target: GatewayTarget = { label: 'xspice', profile, plan: planConnection(profile, { timeoutMs: 10_000, env: {} }) };
    const w = await openWindow(browser, [target]);
    await w.page
      .waitForFunction(() => {
        const s = window.spicedeskPage?.state();
        return s !== undefined && (s.status === 'error' || (s.status === 'connected' && s.frames > 0 && s.marks > 0));
      }, undefined, { timeout: 20_000, polling: 50 })
      .catch(async (e: unknown) => {
        throw new Error(`the page did not draw: ${JSON.stringify(await pageState(w.page))} ${pageProblems(w.page).join('; ')}`, { cause: e });
      });
    const state = await waitUntilSettled(w.page);
    expect(state.status, state.statusText).toBe('connected');
    expect(pageProblems(w.page)).toEqual([]);

    const shown = await pagePixels(w.page);
    const surface = await w.screenshots.request((id) => void w.page.evaluate((i) => (window as unknown as { __requestScreenshot(i: number): void }).__requestScreenshot(i), id));
    const png = PNG.sync.read(encodeSurfacePng(surface));
    expect([png.width, png.height]).toEqual([shown.width, shown.height]);
    // RGB of every pixel (the PNG has no alpha; the canvas is opaque).
    let differing = 0;
    for (let i = 0; i < shown.width * shown.height; i++) {
      for (let c = 0; c < 3; c++) if (png.data[i * 4 + c] !== shown.rgba[i * 4 + c]) differing++;
    }
    expect(differing).toBe(0);

    // A click goes out on the page's input port (joined with the session's token), not through
    // the worker's bridge, and reaches the server: the X pointer moves there.
    await w.page.waitForFunction(() => window.spicedeskPage?.state().mouseMode === 'client');
    const p = await screenToPage(w.page, 321, 234);
    await w.page.mouse.click(p.x, p.y);
    let location = '';
    await waitUntil('the X pointer at 321,234', async () => (location = await xs.exec('xdotool', ['getmouselocation'])).startsWith('x:321 y:234 '), 5000).catch(() => undefined);
    expect(location).toMatch(/^x:321 y:234 /);
    const input = (await pageState(w.page)).input;
    expect(input.via).toBe('socket');
    expect(input.socketSent).toBeGreaterThanOrEqual(3);
    expect(w.inputHost()).not.toBeNull();
    w.host()?.shutdown();
    await w.page.context().close();
  });

  it("leaves the local clipboard to main (no read on focus) and shows the host's --clipboard limit", async () => {
    const { profile } = await resolveTarget(`spice://127.0.0.1:${xs.port}`);
    const target: GatewayTarget = {
      label: 'xspice',
      profile,
      plan: planConnection(profile, { timeoutMs: 10_000, env: {} }),
      clipboard: { toGuest: true, fromGuest: false },
    };
    const w = await openWindow(browser, [target]);
    await waitForPageStatus(w.page, 'connected', 20_000);
    await waitFor('the host policy at the page', async () => ((await pageState(w.page)).clipboard.policy.fromGuest === false ? true : undefined));
    // A read is counted before it starts (synchronously in the focus handler), so it counts even
    // where the stand-in's http origin has no navigator.clipboard: once dispatch returns, it would show.
    await w.page.evaluate(() => window.dispatchEvent(new Event('focus')));
    const state = await pageState(w.page);
    expect(state.clipboard).toMatchObject({ focusReads: 0, sent: 0, sharing: { toGuest: true, fromGuest: false }, policy: { toGuest: true, fromGuest: false } });
    const options = await w.page.$$eval('#clipboard-mode option', (os) => os.map((o) => `${(o as HTMLOptionElement).value}${(o as HTMLOptionElement).disabled ? ' (disabled)' : ''}`));
    expect(options).toEqual(['both (disabled)', 'to-guest', 'from-guest (disabled)', 'none']);
    expect(pageProblems(w.page)).toEqual([]);
    w.host()?.shutdown();
    await w.page.context().close();
  });

  it("shows the host's message when the window has no target", async () => {
    const w = await openWindow(browser, [], 'no connection given: open a .vv file');
    await waitForPageStatus(w.page, 'error', 10_000);
    expect((await pageState(w.page)).statusText).toBe('error (usage): no connection given: open a .vv file');
    expect(pageProblems(w.page)).toEqual([]);
    await w.page.context().close();
  });
});
