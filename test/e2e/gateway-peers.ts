// The three peers most page tests share: an Xspice, `spicedesk serve` in front of it and a
// headless Chromium, started before a describe block's tests and stopped after them (browser
// first, so the gateway's session ends before the server goes).
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startXspice, type XspiceOptions, type XspiceServer } from '../peers/xspice.ts';
import { launchChromium } from './browser-page.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

export interface GatewayPeers {
  readonly xs: XspiceServer;
  readonly serve: ServeProcess;
  readonly browser: Browser;
}

/**
 * Registers the hooks of a describe block; the peers are there once its beforeAll has run.
 * `serveArgs` gives serve's arguments for the started server (its TARGET included); it may start
 * something first (a relay in front of the server, which the caller stops).
 */
export function useGatewayPeers(xspice: XspiceOptions, serveArgs: (xs: XspiceServer) => string[] | Promise<string[]> = (xs) => [`spice://127.0.0.1:${xs.port}`]): GatewayPeers {
  let xs: XspiceServer | undefined;
  let serve: ServeProcess | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    xs = await startXspice(xspice);
    serve = await startServe(await serveArgs(xs));
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await xs?.stop();
  });
  const started = <T>(peer: T | undefined, name: string): T => {
    if (!peer) throw new Error(`the ${name} was not started (its beforeAll failed or has not run)`);
    return peer;
  };
  return {
    get xs() {
      return started(xs, 'Xspice server');
    },
    get serve() {
      return started(serve, 'gateway');
    },
    get browser() {
      return started(browser, 'browser');
    },
  };
}
