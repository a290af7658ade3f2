// The three peers most page tests share: an Xspice, `spicedesk serve` in front of it and a
// headless Chromium, started before a describe block's tests and stopped after them (browser
// first, so the gateway's session ends before the server goes). Options cover what some files
// need beside that: content drawn before the gateway starts, serve's environment, Chromium's
// arguments (or no shared browser), a SPICE relay between serve and Xspice, and a server stopped
// and started again on its port in the middle of a test.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startSpiceRelay, type RelayHooks, type SpiceRelay } from '../peers/spice-relay.ts';
import { startXspice, type XspiceOptions, type XspiceServer } from '../peers/xspice.ts';
import { launchChromium } from './browser-page.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

export interface GatewayPeers {
  /** The server running now (the new one once startXspiceAgain has run). */
  readonly xs: XspiceServer;
  readonly serve: ServeProcess;
  readonly browser: Browser;
  /** The relay, when started with the `relay` option. */
  readonly relay: SpiceRelay;
  /** Stops the server; serve and the browser go on (for tests of a server that goes away). */
  stopXspice(): Promise<void>;
  /** Starts the server again on its port with the same options ("the same server" restarted). */
  startXspiceAgain(): Promise<XspiceServer>;
}

export interface GatewayPeersOptions {
  /**
   * Runs once Xspice is up, before serve starts: what the tests expect on the screen from the
   * first frame (a desktop drawn, an xterm open), or files serve's arguments name.
   */
  prepare?: (xs: XspiceServer) => Promise<void>;
  /** Environment for serve on top of startServe's (which clears SPICE_PASSWORD and SPICE_PROXY). */
  serveEnv?: NodeJS.ProcessEnv;
  /** Extra arguments for the shared Chromium; `false` when the tests launch their own browsers. */
  chromium?: readonly string[] | false;
  /** A SPICE relay (test/peers/spice-relay.ts) with these hooks between serve and Xspice. */
  relay?: RelayHooks;
  /** How long the whole start may take; default 60 s. */
  startTimeoutMs?: number;
}

/** serve's arguments: `target` is spice://127.0.0.1:PORT of the relay when there is one, else of the server. */
export type ServeArgs = (xs: XspiceServer, target: string) => string[];

/**
 * Registers the hooks of a describe block; the peers are there once its beforeAll has run.
 * `serveArgs` gives serve's arguments for the started server (its TARGET included).
 */
export function useGatewayPeers(xspice: XspiceOptions, serveArgs: ServeArgs = (_xs, target) => [target], options: GatewayPeersOptions = {}): GatewayPeers {
  let xs: XspiceServer | undefined;
  let relay: SpiceRelay | undefined;
  let serve: ServeProcess | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    xs = await startXspice(xspice);
    await options.prepare?.(xs);
    if (options.relay) relay = await startSpiceRelay({ port: xs.port }, options.relay);
    serve = await startServe(serveArgs(xs, relay?.url ?? `spice://127.0.0.1:${xs.port}`), options.serveEnv);
    if (options.chromium !== false) browser = await launchChromium([...(options.chromium ?? [])]);
  }, options.startTimeoutMs ?? 60_000);
  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await relay?.close();
    await xs?.stop();
  });
  const started = <T>(peer: T | undefined, name: string): T => {
    if (!peer) throw new Error(`the ${name} was not started (its beforeAll failed or has not run, or the options leave it out)`);
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
    get relay() {
      return started(relay, 'SPICE relay');
    },
    async stopXspice() {
      await started(xs, 'Xspice server').stop();
    },
    async startXspiceAgain() {
      xs = await startXspice({ ...xspice, port: started(xs, 'Xspice server').port });
      return xs;
    },
  };
}
