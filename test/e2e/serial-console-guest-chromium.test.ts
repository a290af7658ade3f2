// The page's serial console in headless Chromium through `spicedesk serve`, against a real guest
// whose third serial port (ttyS2, raw, no echo: the guest peer's `serial-console` set) is QEMU's
// org.qemu.console.serial.0 SPICE port. The bar shows "Serial console"; its terminal (xterm.js)
// shows what the guest writes to ttyS2, and what is typed into it reaches the guest's ttyS2 byte
// for byte, not the guest's keyboard. With --kiosk there is no console. No CSP refusal or page
// error on the way (xterm.js writes <style> elements).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.ts';
import { startGuest, type Guest } from '../peers/guest.ts';
import { launchChromium, openSessionPage, pageProblems } from './browser-page.ts';
import { pagePartShows, pageState, type PageState } from './page-api.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const BOOT_TIMEOUT_MS = 180_000;

const serialShows = (page: Page, what: string, wanted: (value: PageState['serial']) => boolean): Promise<PageState['serial']> =>
  pagePartShows(page, 'serial', `the serial console to show ${what}`, wanted);

describe('the serial console in the page (a guest with ttyS2 on the SPICE port)', () => {
  let guest: Guest;
  let browser: Browser;
  beforeAll(async () => {
    guest = await startGuest({ devices: ['serial-console'], bootTimeoutMs: BOOT_TIMEOUT_MS });
    console.log(`serial-console guest: booted in ${guest.bootMs} ms`);
    browser = await launchChromium();
  }, BOOT_TIMEOUT_MS + 60_000);
  afterAll(async () => {
    await browser?.close();
    await guest?.stop();
  });

  describe('a plain page', () => {
    let serve: ServeProcess;
    let page: Page;
    beforeAll(async () => {
      serve = await startServe([`spice://127.0.0.1:${guest.port}`]);
      page = await openSessionPage(browser, serve.url, 30_000);
    }, 60_000);
    afterAll(async () => {
      await page?.close();
      await serve?.stop();
    });

    it("shows the guest's output and sends what is typed to its serial port", { timeout: 90_000 }, async () => {
      await serialShows(page, 'an open console', (s) => s.available && s.open);
      expect(await page.isVisible('#serial-button')).toBe(true);
      expect(await page.isVisible('#serial-panel')).toBe(false);
      await page.click('#serial-button');
      expect((await pageState(page)).serial.shown).toBe(true);

      // Guest -> page: written to ttyS2 in the guest, shown in the terminal.
      const wrote = await guest.run("printf 'hello from ttyS2\\r\\nsecond line \\342\\234\\223\\r\\n' > /dev/ttyS2");
      expect(wrote.status).toBe(0);
      const shown = await serialShows(page, "the guest's lines", (s) => s.text.includes('second line ✓'));
      expect(shown.text.split('\n').slice(0, 2)).toEqual(['hello from ttyS2', 'second line ✓']);

      // Page -> guest: typed into the terminal (it has the focus), read from ttyS2 in the guest.
      const typed = 'echo typed in the page é\r';
      const expected = Buffer.from(typed, 'utf8');
      const reader = await guest.spawn(`head -c ${expected.byteLength} /dev/ttyS2 > /tmp/from-page`);
      await page.keyboard.type(typed.slice(0, -1));
      await page.keyboard.press('Enter');
      expect((await reader.wait({ timeoutMs: 30_000 })).status).toBe(0);
      expect((await guest.readFile('/tmp/from-page')).equals(expected)).toBe(true);
      expect((await pageState(page)).serial.sent).toBe(expected.byteLength);

      // Closing the panel gives the screen its focus back.
      await page.click('#serial-button');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('screen');
      expect(pageProblems(page)).toEqual([]);
    });
  });

  it('a kiosk page has no serial console', { timeout: 60_000 }, async () => {
    const serve = await startServe(['-v', '--kiosk', `spice://127.0.0.1:${guest.port}`]);
    try {
      const page = await openSessionPage(browser, serve.url, 30_000);
      await waitFor('the gateway to take the serial console port', async () => (/org\.qemu\.console\.serial\.0/.test(serve.process.outputTail()) ? true : undefined), 20_000);
      const s = (await pageState(page)).serial;
      expect([s.available, await page.isVisible('#serial-button')]).toEqual([false, false]);
      await page.close();
    } finally {
      await serve.stop();
    }
  });
});
