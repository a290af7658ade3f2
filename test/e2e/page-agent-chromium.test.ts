// The page's password dialog, resize-to-fit and text clipboard in headless Chromium, through
// `spicedesk serve`, against Xspice: a target without the server's password gets the dialog (a
// wrong password brings it back with the server's reason, the right one connects and draws); with
// the guest agent, resizing the browser viewport changes the guest's mode (xrandr on the server's
// display), text copied in the guest with xclip reaches the page's clipboard, and text pasted in
// the page reaches the guest's (xclip -o). The guest side is read with X tools, never through
// spicedesk.
import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { runToCompletion } from '../peers/processes.ts';
import { waitFor as waitForCondition, waitUntil, watchForNothing } from '../helpers/wait.ts';
import { tcpConnectionsOn } from '../peers/tcp-connections.ts';
import { tcpAccepts } from '../peers/xspice.ts';
import { requireTool } from '../peers/require-tool.ts';
import { openSessionPage, pageProblems } from './browser-page.ts';
import { pageState, waitForPageStatus } from './page-api.ts';
import { useGatewayPeers } from './gateway-peers.ts';

const state = pageState;

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> => waitForCondition(what, probe, timeoutMs);

/** The previous test's page is gone once the gateway has let go of Xspice (one client at a time). */
const gatewayLetGo = (port: number): Promise<void> => waitUntil("the gateway's connections to Xspice to close", () => tcpConnectionsOn(port) === 0, 15_000);

describe('the password dialog', () => {
  // No password in the target and none in SPICE_PASSWORD (startServe clears it): the page asks.
  const peers = useGatewayPeers({ password: 'right-pw ✓' });

  /** The dialog opens; if not in time, the failure says what the page and the gateway were doing instead. */
  async function dialogOpens(page: Page): Promise<void> {
    try {
      await page.waitForFunction(() => window.spicedeskPage?.state().passwordDialogOpen === true, undefined, { timeout: 15_000 });
    } catch (error) {
      const s = await state(page).catch(() => undefined);
      const serverUp = await tcpAccepts(peers.xs.port);
      throw new Error(
        `the password dialog did not open within 15 s; the page's status: ${s ? `${s.status} (${s.statusText})` : 'unreadable'}; ` +
          `page problems: ${JSON.stringify(pageProblems(page))}; Xspice ${serverUp ? 'accepts connections' : 'refuses connections'}; ` +
          `the gateway's output:\n${peers.serve.process.outputTail()}\nXspice's log:\n${peers.xs.logTail(40)}`,
        { cause: error },
      );
    }
  }

  async function answer(page: Page, password: string): Promise<void> {
    await page.locator('#password-dialog input[type=password]').fill(password);
    await page.locator('#password-dialog button[type=submit]').click();
  }

  it('asks, asks again with the reason after a wrong password, and connects with the right one', async () => {
    const page = await peers.browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(peers.serve.url);
      await dialogOpens(page);
      expect((await state(page)).passwordDialogs).toBe(1);
      await expect.poll(() => page.locator('#password-dialog .reason').textContent()).toMatch(/password/i);

      await answer(page, 'wrong-pw');
      await page.waitForFunction(() => window.spicedeskPage?.state().passwordDialogs === 2, undefined, { timeout: 15_000 });
      const again = await state(page);
      expect(again.passwordDialogOpen).toBe(true);
      expect(await page.locator('#password-dialog .reason').textContent()).toMatch(/password/i);
      // The field is emptied, and the password is not anywhere on the page.
      expect(await page.locator('#password-dialog input[type=password]').inputValue()).toBe('');
      expect(await page.content()).not.toContain('wrong-pw');

      // Typed as a person would: the keys go to the dialog, not to the guest.
      await page.locator('#password-dialog input[type=password]').click();
      await page.keyboard.type('right-pw ✓');
      await page.keyboard.press('Enter');
      await page.waitForFunction(
        () => {
          const s = window.spicedeskPage?.state();
          return s !== undefined && s.status === 'connected' && s.marks > 0 && s.frames > 0;
        },
        undefined,
        { timeout: 20_000 },
      );
      const connected = await state(page);
      expect(connected.passwordDialogOpen).toBe(false);
      expect(connected.surface.width).toBeGreaterThan(0);
      expect(pageProblems(page)).toEqual([]);
      // The gateway never prints a password.
      expect(peers.serve.stdout()).not.toContain('right-pw');
      expect(peers.serve.process.outputTail()).not.toContain('right-pw');
      expect(peers.serve.process.outputTail()).not.toContain('wrong-pw');
    } finally {
      await page.close();
    }
  });

  it('cancel ends with the authentication error', async () => {
    await gatewayLetGo(peers.xs.port);
    // Twice in full runs under load the server had stopped accepting by now (the page then said
    // "refused the connection"): say so, with the server's log, rather than a dialog that never opens.
    if (!(await tcpAccepts(peers.xs.port))) throw new Error(`Xspice stopped accepting connections after the previous test; its log:\n${peers.xs.logTail(60)}`);
    const page = await peers.browser.newPage();
    try {
      await page.goto(peers.serve.url);
      await dialogOpens(page);
      await page.locator('#password-dialog button[value=cancel]').click();
      await waitForPageStatus(page, 'error', 10_000);
      const s = await state(page);
      expect(s.statusText).toMatch(/^error \(auth\): .*cancelled/);
      expect(s.passwordDialogOpen).toBe(false);
    } finally {
      await page.close();
    }
  });
});

describe('resize-to-fit and the clipboard, with the guest agent', () => {
  beforeAll(() => {
    requireTool('xclip', 'xclip');
    requireTool('xrandr', 'x11-xserver-utils');
  });
  const peers = useGatewayPeers({ vdagent: true });

  async function guestMode(): Promise<string> {
    const first = (await peers.xs.exec('xrandr', [])).split('\n')[0];
    const m = /current (\d+) x (\d+)/.exec(first);
    return m ? `${m[1]}x${m[2]}` : first;
  }

  async function openWithAgent(context: BrowserContext, hash = ''): Promise<Page> {
    const page = await openSessionPage(peers.browser, peers.serve.url + hash, 20_000, context);
    await waitFor('the guest agent', async () => ((await state(page)).agent.clipboard ? true : undefined));
    return page;
  }

  it('makes the guest mode follow the viewport, in device pixels', async () => {
    const context = await peers.browser.newContext({ viewport: { width: 1000, height: 700 } });
    try {
      const page = await openWithAgent(context);
      // Widths that are multiples of 8, which the QXL driver takes as they are.
      for (const viewport of [
        { width: 1000, height: 700 },
        { width: 1200, height: 640 },
      ]) {
        await page.setViewportSize(viewport);
        // The display area as it is at each check: the bar above the screen can still change
        // height while the page settles (and the page then asks for the new size).
        let area = { width: 0, height: 0 };
        let mode = '';
        await waitFor(`the guest mode to follow a ${viewport.width}-wide display area`, async () => {
          const a = (await state(page)).displayArea;
          mode = await guestMode();
          if (!a || a.width !== viewport.width) return undefined;
          area = a;
          return mode === `${a.width}x${a.height}` ? true : undefined;
        }).catch(() => undefined);
        expect(area.height).toBeLessThan(viewport.height);
        expect(mode).toBe(`${area.width}x${area.height}`);
        // The page draws the new surface.
        await waitFor('the new surface', async () => {
          const s = (await state(page)).surface;
          return s.width === area.width && s.height === area.height ? s : undefined;
        });
      }
      await page.close();
    } finally {
      await context.close();
    }
  });

  it('counts device pixels with a fractional scale factor (1.25)', async () => {
    await gatewayLetGo(peers.xs.port);
    const context = await peers.browser.newContext({ viewport: { width: 880, height: 640 }, deviceScaleFactor: 1.25 });
    try {
      const page = await openWithAgent(context);
      const css = await page.evaluate(() => {
        const r = document.getElementById('view')!.getBoundingClientRect();
        return { width: r.width, height: r.height, ratio: devicePixelRatio };
      });
      expect(css.ratio).toBe(1.25);
      const width = Math.round(css.width * 1.25);
      expect(width).toBe(1100);
      // The guest asks for exactly that, and the QXL driver aligns mode widths down to a multiple of 8.
      const want = `${width - (width % 8)}x${Math.round(css.height * 1.25)}`;
      const mode = await waitFor(`the guest mode ${want}`, async () => ((await guestMode()) === want ? want : undefined)).catch(() => guestMode());
      expect(mode).toBe(want);
      expect((await state(page)).displayArea).toEqual({ width, height: Math.round(css.height * 1.25) });
      await page.close();
    } finally {
      await context.close();
    }
  });

  it('keeps the guest resolution with #resize=never, until the toggle turns fitting on', async () => {
    await gatewayLetGo(peers.xs.port);
    const before = await guestMode();
    const context = await peers.browser.newContext({ viewport: { width: 900, height: 600 } });
    try {
      const page = await openWithAgent(context, '#resize=never');
      expect((await state(page)).resizeToFit).toBe(false);
      await page.setViewportSize({ width: 800, height: 560 });
      await watchForNothing(1500);
      expect(await guestMode()).toBe(before);
      // The toggle turns fitting on again: the guest follows the page's area at once.
      await page.locator('#resize-toggle').check();
      const area = await waitFor('the display area', async () => (await state(page)).displayArea ?? undefined);
      expect(area.width).toBe(800);
      const want = `${area.width}x${area.height}`;
      expect(await waitFor(`the guest mode ${want}`, async () => ((await guestMode()) === want ? want : undefined)).catch(() => guestMode())).toBe(want);
      await page.close();
    } finally {
      await context.close();
    }
  });

  it('shares text both ways: xclip in the guest to the page clipboard, a paste in the page to the guest', async () => {
    await gatewayLetGo(peers.xs.port);
    const context = await peers.browser.newContext({ viewport: { width: 1024, height: 800 }, permissions: ['clipboard-read', 'clipboard-write'] });
    try {
      const page = await openWithAgent(context);
      await page.bringToFront();
      // Guest -> page.
      const fromGuest = 'copied in the guest\nsecond line: héllo ✓';
      const copier = peers.xs.run('sh', ['-c', `printf '%s' "$TEXT" | xclip -selection clipboard -i`], { TEXT: fromGuest });
      const local = await waitFor('the text on the page clipboard', async () => {
        const t = await page.evaluate(() => navigator.clipboard.readText().catch(() => ''));
        return t === fromGuest ? t : undefined;
      }).catch(async () => JSON.stringify(await state(page)));
      await copier.stop(200);
      expect(local).toBe(fromGuest);

      // Page -> guest, by a paste event.
      const pasted = 'pasted in the page ✓\nline two';
      await page.evaluate((text) => {
        const data = new DataTransfer();
        data.setData('text/plain', text);
        document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data }));
      }, pasted);
      const guestText = async (): Promise<string | undefined> => {
        const r = await runToCompletion('xclip', ['-selection', 'clipboard', '-t', 'UTF8_STRING', '-o'], { env: peers.xs.env, timeoutMs: 3000 });
        return r.code === 0 ? r.stdout.toString('utf8') : undefined;
      };
      expect(await waitFor('the pasted text in the guest', async () => ((await guestText()) === pasted ? pasted : undefined)).catch(guestText)).toBe(pasted);

      // Page -> guest, by the local clipboard changing while the page was elsewhere.
      const focused = 'put on the local clipboard, then focus';
      await page.evaluate(async (text) => {
        await navigator.clipboard.writeText(text);
        window.dispatchEvent(new Event('focus'));
      }, focused);
      expect(await waitFor('the focused text in the guest', async () => ((await guestText()) === focused ? focused : undefined)).catch(guestText)).toBe(focused);
      expect(pageProblems(page)).toEqual([]);
      await page.close();
    } finally {
      await context.close();
    }
  });

  it('shares nothing in a direction the page turned off', async () => {
    await gatewayLetGo(peers.xs.port);
    const context = await peers.browser.newContext({ viewport: { width: 1024, height: 800 }, permissions: ['clipboard-read', 'clipboard-write'] });
    try {
      const page = await openWithAgent(context, '#clipboard=off');
      await page.evaluate(() => navigator.clipboard.writeText('page clipboard before'));
      const copier = peers.xs.run('sh', ['-c', `printf '%s' "$TEXT" | xclip -selection clipboard -i`], { TEXT: 'must not cross' });
      await watchForNothing(1500);
      await copier.stop(200);
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('page clipboard before');
      await page.evaluate(() => {
        const data = new DataTransfer();
        data.setData('text/plain', 'must not cross either');
        document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data }));
      });
      await watchForNothing(1000);
      const r = await runToCompletion('xclip', ['-selection', 'clipboard', '-t', 'UTF8_STRING', '-o'], { env: peers.xs.env, timeoutMs: 3000 });
      expect(r.stdout.toString('utf8')).not.toBe('must not cross either');
      expect((await state(page)).clipboard).toMatchObject({ received: 0, sent: 0, sharing: { toGuest: false, fromGuest: false } });
      await page.close();
    } finally {
      await context.close();
    }
  });
});
