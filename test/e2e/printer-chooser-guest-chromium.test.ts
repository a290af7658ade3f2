// The page's printer chooser in headless Chromium through `spicedesk serve --print-to QUEUE`,
// against a guest with the print port (the guest peer's `print` set) and a private CUPS server
// with two queues (peers/cups.ts). The page lists both queues (lpstat on the gateway's machine)
// and "save as a file" in the user's Documents folder, with --print-to's queue chosen. A job the
// guest prints goes to the chosen queue; after choosing the other queue in the page the next job
// goes there, byte for byte, and the first queue gets nothing more; after choosing "save" the
// next one is a file in Documents. A choice the host did not offer is refused.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../helpers/wait.ts';
import { startCups, type CupsQueue, type CupsServer } from '../peers/cups.ts';
import { startGuest, type Guest } from '../peers/guest.ts';
import { shellQuote } from '../peers/guest/console.ts';
import { GUEST_PRINT_BACKEND } from '../peers/guest/devices.ts';
import { launchChromium, openSessionPage, pageProblems } from './browser-page.ts';
import { pagePartShows, pageState, type PageState } from './page-api.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const BOOT_TIMEOUT_MS = 180_000;
/** A small PDF-looking document with every byte value in it. */
const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 7) & 0xff)), Buffer.from('\n%%EOF\n')]);

const printersShow = (page: Page, what: string, wanted: (value: PageState['printers']) => boolean): Promise<PageState['printers']> =>
  pagePartShows(page, 'printers', `the printer chooser to show ${what}`, wanted);

describe('the printer chooser in the page', () => {
  let guest: Guest;
  let cups: CupsServer;
  let first: CupsQueue;
  let second: CupsQueue;
  let browser: Browser;
  let serve: ServeProcess;
  let page: Page;
  const home = mkdtempSync(join(tmpdir(), 'spicedesk-printer-home-'));
  beforeAll(async () => {
    cups = await startCups();
    first = await cups.addQueue('spicedesk-first');
    second = await cups.addQueue('spicedesk-second');
    mkdirSync(join(home, 'Documents'));
    guest = await startGuest({ devices: ['print'], files: { '/doc.pdf': PDF }, bootTimeoutMs: BOOT_TIMEOUT_MS });
    browser = await launchChromium();
    serve = await startServe(['-v', '--print-to', first.name, `spice://127.0.0.1:${guest.port}`], { ...cups.env, HOME: home });
    page = await openSessionPage(browser, serve.url, 30_000);
  }, BOOT_TIMEOUT_MS + 90_000);
  afterAll(async () => {
    await page?.close();
    await serve?.stop();
    await browser?.close();
    await guest?.stop();
    await cups?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  /** The shipped guest backend, run as CUPS would: JOB-ID USER TITLE COPIES OPTIONS FILE. */
  const print = (title: string) => guest.run(`SPICEDESK_PRINT_TIMEOUT=30 ${GUEST_PRINT_BACKEND} 7 user ${shellQuote(title)} 1 '' /doc.pdf`, { timeoutMs: 60_000 });

  it('lists the queues and saving, and each job goes where the page chose', { timeout: 150_000 }, async () => {
    const listed = await printersShow(page, 'both queues', (p) => p.shown && p.choices.length === 3);
    expect(listed.choices.map((c) => c.id)).toEqual(['printer:spicedesk-first', 'printer:spicedesk-second', 'save']);
    expect(listed.choices[2].label).toBe(`Save as a file in ${join(home, 'Documents')}`);
    expect(listed.chosen).toBe('printer:spicedesk-first');
    expect(await page.inputValue('#printer-choice')).toBe('printer:spicedesk-first');
    await waitUntil('the gateway to take the print port', () => /port org\.spicedesk\.print\.0: printing: /.test(serve.process.outputTail()), 30_000, { explain: () => serve.process.outputTail() });

    const one = await print('to the first');
    expect(one.status, one.output).toBe(0);
    expect(one.output).toMatch(/sent to printer spicedesk-first/);
    await waitUntil('the first queue to print', () => first.printed() !== null, 30_000, { explain: () => cups.log() });
    expect(first.printed()?.equals(PDF)).toBe(true);

    await page.selectOption('#printer-choice', 'printer:spicedesk-second');
    await printersShow(page, 'the second queue chosen', (p) => p.chosen === 'printer:spicedesk-second');
    const two = await print('to the second');
    expect(two.status, two.output).toBe(0);
    expect(two.output).toMatch(/sent to printer spicedesk-second/);
    await waitUntil('the second queue to print', () => second.printed() !== null, 30_000, { explain: () => cups.log() });
    expect(second.printed()?.equals(PDF)).toBe(true);
    expect(second.lastJob()?.title).toBe('to the second');
    expect(first.lastJob()?.title).toBe('to the first');

    await page.selectOption('#printer-choice', 'save');
    await printersShow(page, 'saving chosen', (p) => p.chosen === 'save');
    const three = await print('Saved report');
    expect(three.status, three.output).toBe(0);
    expect(readdirSync(join(home, 'Documents'))).toEqual(['Saved report.pdf']);
    expect(readFileSync(join(home, 'Documents', 'Saved report.pdf')).equals(PDF)).toBe(true);
    // Only the two printed jobs reached cupsd (it marks them completed a little after their files appear).
    await waitUntil('cupsd to mark both jobs completed', async () => (await cups.completedJobs()).length === 2, 30_000, { explain: () => cups.log() });
    expect(await cups.completedJobs()).toHaveLength(2);
    expect(pageProblems(page)).toEqual([]);
  });

  it('refuses a choice the host did not offer; the choice stays', { timeout: 30_000 }, async () => {
    const before = (await pageState(page)).printers.chosen;
    await page.evaluate(() => {
      const select = document.getElementById('printer-choice') as HTMLSelectElement;
      select.append(new Option('elsewhere', 'printer:not-offered'));
      select.value = 'printer:not-offered';
      select.dispatchEvent(new Event('change'));
    });
    const after = await printersShow(page, 'the refusal', (p) => p.note === 'that choice is not offered');
    expect(after.chosen).toBe(before);
    // The log line reaches the pipe on its own time: waited for, not read once.
    await waitUntil('serve to log it', () => /refusing a print choice the host did not offer/.test(serve.process.outputTail()), 10_000, { explain: () => serve.process.outputTail() });
  });
});
