// The page's side of the memory budget: the browser session's surfaces are composed in the page's
// decode worker, which has a budget of its own (the default 1 GiB). A relay between the gateway and
// Xspice adds twelve 8192x8192 surfaces in front of the server's first one: the page shows the
// sentence naming the fourth, the session ends, and the gateway goes on serving.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DisplayMsg } from '../../src/protocol/channels/display/display-messages.ts';
import { startSpiceRelay, type RelayedMessage, type SpiceRelay } from '../peers/spice-relay.ts';
import { startXspice, type XspiceServer } from '../peers/xspice.ts';
import { fillSurfaceBody, surfaceCreateBody } from '../helpers/huge-surfaces.ts';
import { launchChromium } from './browser-page.ts';
import { pageState } from './page-api.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const DISPLAY = 2;

const surfaceCreate = (id: number, side: number): RelayedMessage => ({ type: DisplayMsg.SURFACE_CREATE, body: surfaceCreateBody(id, side) });
const fillAll = (id: number, side: number): RelayedMessage => ({ type: DisplayMsg.DRAW_FILL, body: fillSurfaceBody(id, side) });

describe('huge surfaces sent to a page', () => {
  let xs: XspiceServer;
  let relay: SpiceRelay;
  let serve: ServeProcess;
  let browser: Browser;
  let injected = 0;
  beforeAll(async () => {
    xs = await startXspice({ imageCompression: 'off' });
    relay = await startSpiceRelay(
      { port: xs.port },
      {
        fromServer(channel, message) {
          if (channel.type !== DISPLAY || message.type !== DisplayMsg.SURFACE_CREATE || injected > 0) return undefined;
          injected++;
          const added: RelayedMessage[] = [];
          for (let i = 1; i <= 12; i++) added.push(surfaceCreate(i, 8192), fillAll(i, 8192));
          return [...added, message];
        },
      },
    );
    serve = await startServe([relay.url]);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await relay?.close();
    await xs?.stop();
  });

  it("the page's decode worker refuses the fourth, says what it was, and the session ends", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(serve.url);
    await page.waitForFunction(() => window.spicedeskPage?.state().status === 'error', undefined, { timeout: 30_000, polling: 100 });
    const state = await pageState(page);
    expect(injected).toBe(1);
    expect(state.statusText).toMatch(
      /^the server asked for surface 4 of 8192x8192 \(256 MiB\), which would take this session to (just over 1|1\.0\d) GiB of its 1 GiB memory limit/,
    );
    // Nothing more was drawn: the primary surface the server created after them never reached the page.
    expect(state.marks).toBe(0);
    expect(serve.process.running()).toBe(true);
    await page.close();
  }, 60_000);
});
