// The Electron window's page in Chromium, since no Electron binary runs here: the real renderer
// bundle (dist/renderer) served with the window's own responses (appResponse: its files, its CSP),
// a stand-in for the preload that gives the page window.spicedeskHost and a MessagePort exactly as
// preload.ts does, and the port's other end relayed to a BridgeHost in the test process (whose
// options a test can extend, e.g. with simulated USB devices); the page's input port the same way,
// to a BridgeHost of its own sharing the session's join tokens (as input-port.ts in main).
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { silentLogger } from '../../src/protocol/logger.ts';
import { BridgeHost, type BridgeEndpoint, type ConnectionOptions, type GatewayTarget } from '../../src/main/host/bridge-host.ts';
import { INDEX_FILE, loadAssets } from '../../src/main/host/static-assets.ts';
import { APP_ORIGIN, BRIDGE_PORT_MESSAGE, INPUT_PORT_MESSAGE, ToMain } from '../../src/main/electron/ipc-channels.ts';
import { HeadRegistry } from '../../src/main/monitors/head-group.ts';
import { validateToMain } from '../../src/main/electron/ipc.ts';
import { ScreenshotRequests } from '../../src/main/electron/screenshot.ts';
import { appResponse } from '../../src/main/electron/window-policy.ts';
import { pageProblems } from './browser-page.ts';

/** Chromium cannot load a custom scheme without Electron: the same files and headers over http. */
const STAND_IN_ORIGIN = 'http://spicedesk-window.test';

/** The preload's part, in the page: spicedeskHost, and the ports posted into the window. */
function preloadStandIn([portMessage, inputPortMessage]: [string, string]): void {
  const w = window as unknown as Record<string, unknown> & Window;
  const { port1, port2 } = new MessageChannel();
  const toBase64 = (b: Uint8Array): string => {
    let s = '';
    for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
    return btoa(s);
  };
  port2.onmessage = (e: MessageEvent<Uint8Array>) => void (w.__toHost as (b: string) => Promise<void>)(toBase64(e.data));
  w.__fromHost = (b64: string) => port2.postMessage(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
  // The input port: one pair per request, as main makes them.
  const openInputPort = (): void => {
    const input = new MessageChannel();
    input.port2.onmessage = (e: MessageEvent<Uint8Array>) => void (w.__toInputHost as (b: string) => Promise<void>)(toBase64(e.data));
    void (w.__openInputPort as () => Promise<void>)().then(() => w.postMessage(inputPortMessage, '*', [input.port1]));
  };
  let screenshot: ((id: number) => void) | null = null;
  w.__requestScreenshot = (id: number) => screenshot?.(id);
  w.spicedeskHost = {
    kind: 'electron',
    openBridge: () => {
      void (w.__openBridge as () => Promise<void>)().then(() => w.postMessage(portMessage, '*', [port1]));
    },
    openInputPort,
    onScreenshotRequest: (h: (id: number) => void) => (screenshot = h),
    screenshotReply: (id: number, width: number, height: number, rgba: Uint8Array) =>
      void (w.__screenshot as (r: unknown) => Promise<void>)({ id, width, height, rgba: toBase64(rgba) }),
    screenshotFailed: (id: number, error: string) => void (w.__screenshot as (r: unknown) => Promise<void>)({ id, error }),
  };
}

export interface Window_ {
  page: Page;
  host: () => BridgeHost | null;
  /** The input port's host, once the page asked for one. */
  inputHost: () => BridgeHost | null;
  screenshots: ScreenshotRequests;
}

/** Opens the renderer as the Electron window would, with `targets` behind its bridge. */
export async function openWindow(browser: Browser, targets: GatewayTarget[], noTarget?: string, hostOptions: Partial<ConnectionOptions> = {}): Promise<Window_> {
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
  let inputHost: BridgeHost | null = null;
  // The session window's join tokens, which the input port's host looks its INPUT_JOIN up in.
  const heads = new HeadRegistry();
  let fromInputPage: (bytes: Uint8Array) => void = () => {};
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
  await page.exposeFunction('__toInputHost', (b64: string) => fromInputPage(Buffer.from(b64, 'base64')));
  await page.exposeFunction('__openInputPort', () => {
    let open = true;
    inputHost?.shutdown();
    // The host sends this port nothing the page reads (its HELLO, a closing status).
    inputHost = new BridgeHost(
      {
        get open() {
          return open;
        },
        bufferedAmount: 0,
        send: () => {},
        close: () => {
          open = false;
        },
        onMessage: (listener) => (fromInputPage = (b) => open && listener(b)),
        onClose: () => {},
      },
      { targets: [], logger: silentLogger, linkTimeoutMs: 10_000, helloTimeoutMs: 10_000, heads },
      2,
    );
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
        heads,
        ...hostOptions,
      },
      1,
    );
  });
  await page.addInitScript(preloadStandIn, [BRIDGE_PORT_MESSAGE, INPUT_PORT_MESSAGE] as [string, string]);
  await page.goto(`${STAND_IN_ORIGIN}/index.html`);
  return { page, host: () => host, inputHost: () => inputHost, screenshots };
}

