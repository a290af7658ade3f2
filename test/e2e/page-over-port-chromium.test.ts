// No Electron binary runs on these machines, so this is the Electron window's data path with
// Chromium standing in: the real renderer bundle (dist/renderer) served with the window's own
// responses (appResponse: its files, its CSP), a stand-in for the preload that gives the page
// window.spicedeskHost and a MessagePort exactly as preload.ts does, and the port's other end
// relayed to a BridgeHost in this process over the same BridgeEndpoint interface as the port
// adapter. Against Xspice the page connects and draws, the screenshot round trip gives a PNG of
// the page's own pixels, and without a target the status line says what to give.
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { silentLogger } from '../../src/protocol/logger.ts';
import { planConnection } from '../../src/main/connect/connector.ts';
import { BridgeHost, type BridgeEndpoint, type GatewayTarget } from '../../src/main/host/bridge-host.ts';
import { INDEX_FILE, loadAssets } from '../../src/main/host/static-assets.ts';
import { encodeSurfacePng } from '../../src/main/node/png.ts';
import { resolveTarget } from '../../src/main/connect/target.ts';
import { APP_ORIGIN, BRIDGE_PORT_MESSAGE, ToMain } from '../../src/main/electron/ipc-channels.ts';
import { validateToMain } from '../../src/main/electron/ipc.ts';
import { ScreenshotRequests } from '../../src/main/electron/screenshot.ts';
import { appResponse } from '../../src/main/electron/window-policy.ts';
import { launchChromium, pagePixels, pageProblems, waitUntilSettled } from './browser-page.ts';
import { pageState, waitForPageStatus } from './page-api.ts';
import { waitFor } from '../helpers/wait.ts';
import { drawStandardDesktop } from '../peers/desktop.ts';
import { startXspice, type XspiceServer } from '../peers/xspice.ts';

/** Chromium cannot load a custom scheme without Electron: the same files and headers over http. */
const STAND_IN_ORIGIN = 'http://spicedesk-window.test';

/** The preload's part, in the page: spicedeskHost, and the port posted into the window. */
function preloadStandIn(portMessage: string): void {
  const w = window as unknown as Record<string, unknown> & Window;
  const { port1, port2 } = new MessageChannel();
  const toBase64 = (b: Uint8Array): string => {
    let s = '';
    for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
    return btoa(s);
  };
  port2.onmessage = (e: MessageEvent<Uint8Array>) => void (w.__toHost as (b: string) => Promise<void>)(toBase64(e.data));
  w.__fromHost = (b64: string) => port2.postMessage(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
  let screenshot: ((id: number) => void) | null = null;
  w.__requestScreenshot = (id: number) => screenshot?.(id);
  w.spicedeskHost = {
    kind: 'electron',
    openBridge: () => {
      void (w.__openBridge as () => Promise<void>)().then(() => w.postMessage(portMessage, '*', [port1]));
    },
    onScreenshotRequest: (h: (id: number) => void) => (screenshot = h),
    screenshotReply: (id: number, width: number, height: number, rgba: Uint8Array) =>
      void (w.__screenshot as (r: unknown) => Promise<void>)({ id, width, height, rgba: toBase64(rgba) }),
    screenshotFailed: (id: number, error: string) => void (w.__screenshot as (r: unknown) => Promise<void>)({ id, error }),
  };
}

interface Window_ {
  page: Page;
  host: () => BridgeHost | null;
  screenshots: ScreenshotRequests;
}

/** Opens the renderer as the Electron window would, with `targets` behind its bridge. */
async function openWindow(browser: Browser, targets: GatewayTarget[], noTarget?: string): Promise<Window_> {
  const assets = loadAssets(join(__dirname, '../../dist/renderer'));
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = pageProblems(page);
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  await context.route(`${STAND_IN_ORIGIN}/**`, (route) => {
    const r = appResponse(route.request().method(), route.request().url().replace(STAND_IN_ORIGIN, APP_ORIGIN), assets, INDEX_FILE);
    return route.fulfill({ status: r.status, headers: r.headers, body: r.body ? Buffer.from(r.body) : '' });
  });
  let host: BridgeHost | null = null;
  let toPage: (bytes: Uint8Array) => void = () => {};
  let fromPage: (bytes: Uint8Array) => void = () => {};
  let sending = Promise.resolve();
  const screenshots = new ScreenshotRequests(10_000);
  await page.exposeFunction('__toHost', (b64: string) => fromPage(Buffer.from(b64, 'base64')));
  await page.exposeFunction('__screenshot', (r: { id: number; width?: number; height?: number; rgba?: string; error?: string }) => {
    // As the preload's IPC message reaches main: validated first.
    const payload = r.rgba === undefined ? { id: r.id, error: r.error } : { ...r, rgba: new Uint8Array(Buffer.from(r.rgba, 'base64')) };
    const v = validateToMain(ToMain.screenshot, [payload]);
    if (v.ok && v.message.channel === ToMain.screenshot) screenshots.answer(v.message.payload);
  });
  await page.exposeFunction('__openBridge', () => {
    let open = true;
    const endpoint: BridgeEndpoint = {
      get open() {
        return open;
      },
      bufferedAmount: 0,
      send: (bytes) => toPage(bytes),
      close: () => {
        open = false;
      },
      onMessage: (listener) => (fromPage = (b) => open && listener(b)),
      onClose: () => {},
    };
    toPage = (bytes) => {
      const b64 = Buffer.from(bytes).toString('base64');
      sending = sending.then(() => page.evaluate((m) => (window as unknown as { __fromHost(b: string): void }).__fromHost(m), b64)).catch(() => {});
    };
    host = new BridgeHost(
      endpoint,
      {
        targets,
        logger: silentLogger,
        linkTimeoutMs: 10_000,
        helloTimeoutMs: 10_000,
        noTarget: noTarget === undefined ? undefined : () => ({ errorKind: 'usage', message: noTarget }),
      },
      1,
    );
  });
  await page.addInitScript(preloadStandIn, BRIDGE_PORT_MESSAGE);
  await page.goto(`${STAND_IN_ORIGIN}/index.html`);
  return { page, host: () => host, screenshots };
}

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
