// `spicedesk serve` on a machine other users share, in headless Chromium against Xspice: `--open`
// hands the browser a one-time launch link (its command line is public, the token is not on it),
// and a flood of idle and garbage connections to the port does not keep the page out.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.ts';
import { startXspice, type XspiceServer } from '../peers/xspice.ts';
import { launchChromium, openSessionPage, pageProblems } from './browser-page.ts';
import { pageState } from './page-api.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-local-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('spicedesk serve on a shared machine, in Chromium against Xspice', () => {
  let xs: XspiceServer;
  let browser: Browser;
  const serves: ServeProcess[] = [];

  beforeAll(async () => {
    xs = await startXspice();
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    for (const s of serves) await s.stop();
    await xs?.stop();
  });

  it('--open gives the browser a one-time link without the token, which opens the page once', async () => {
    // The "browser" records the command line it was given, as `ps` would show it.
    const argvFile = join(dir, 'browser-argv.txt');
    const fakeBrowser = join(dir, 'fake-browser.sh');
    writeFileSync(fakeBrowser, `#!/bin/sh\nprintf '%s\\n' "$@" > ${argvFile}.tmp && mv ${argvFile}.tmp ${argvFile}\n`);
    chmodSync(fakeBrowser, 0o755);
    const serve = await startServe(['--open', `spice://127.0.0.1:${xs.port}`], { BROWSER: fakeBrowser });
    serves.push(serve);
    const argv = await waitFor('the browser started by --open', () => (existsSync(argvFile) ? readFileSync(argvFile, 'utf8').trim().split('\n') : undefined), 10_000);
    expect(argv).toHaveLength(1);
    const link = argv[0];
    expect(link).toMatch(new RegExp(`^${serve.origin}/launch/[A-Za-z0-9_-]+$`));
    expect(link).not.toContain(serve.token);

    const page = await openSessionPage(browser, link);
    expect(page.url()).toBe(serve.url);
    expect((await pageState(page)).status).toBe('connected');
    expect(pageProblems(page)).toEqual([]);
    await page.close();

    // Used once: a second visit (someone who read the command line) gets a page saying so.
    const second = await browser.newPage();
    const response = await second.goto(link);
    expect(response?.status()).toBe(410);
    expect(await second.textContent('body')).toContain('already used');
    expect(await second.content()).not.toContain(serve.token);
    await second.close();
  }, 60_000);

  it('keeps serving the page that holds the token while 300 idle and garbage connections sit on the port', async () => {
    const serve = await startServe([`spice://127.0.0.1:${xs.port}`]);
    serves.push(serve);
    const port = Number(new URL(serve.origin).port);
    const flood: Socket[] = [];
    let closedByServer = 0;
    const open = (payload?: string): Promise<void> =>
      new Promise((resolve) => {
        const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => {
          if (payload) s.write(payload);
          resolve();
        });
        s.on('close', () => closedByServer++);
        s.on('end', () => s.destroy());
        s.on('error', () => resolve());
        s.resume();
        flood.push(s);
      });
    try {
      await Promise.all(Array.from({ length: 300 }, (_, i) => open(i % 3 === 0 ? 'GET / HTTP/1.1\r\nHost: x' : i % 3 === 1 ? '\u0000garbage\r\n\r\n' : undefined)));
      // The gateway pushed most of them out already (the newest few wait for their deadline).
      await waitFor('the gateway letting go of the flood', () => (closedByServer >= 250 ? true : undefined), 15_000);
      const page = await openSessionPage(browser, serve.url);
      const state = await pageState(page);
      expect(state.status).toBe('connected');
      expect(state.frames).toBeGreaterThan(0);
      await page.close();
    } finally {
      for (const s of flood) s.destroy();
    }
  }, 60_000);
});
