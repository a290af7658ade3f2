// The page's USB devices panel with a real Linux guest under QEMU (two usb-redir slots): `serve
// --spice-share-cd` puts the CD in the VM as the slots come up and the page's panel shows it on,
// with the slots line and this machine's "no USB" notice; switching it off in the page takes it
// out of the guest, switching it on puts it back (the guest's sysfs says so each time).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, waitUntil } from '../helpers/wait.ts';
import { startGuest, type Guest } from '../peers/guest.ts';
import { isoImage } from '../peers/iso9660.ts';
import { launchChromium, openSessionPage, pageProblems } from './browser-page.ts';
import { pageState } from './page-api.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const work = mkdtempSync(join(tmpdir(), 'spicedesk-usb-page-'));
const iso = join(work, 'panel.iso');
let guest: Guest | undefined;
let serve: ServeProcess | undefined;
let browser: Browser | undefined;
let page: Page | undefined;

beforeAll(async () => {
  writeFileSync(iso, isoImage('PANEL', [{ name: 'P.TXT', data: new TextEncoder().encode('panel') }]));
  guest = await startGuest({ devices: ['usb'] });
  serve = await startServe(['--spice-share-cd', iso, `spice://127.0.0.1:${guest.port}`]);
  browser = await launchChromium([]);
  page = await openSessionPage(browser, serve.url, 60_000);
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  await guest?.stop();
  rmSync(work, { recursive: true, force: true });
});

const cdInGuest = async (): Promise<boolean> => (await guest!.run('grep -l 1209 /sys/bus/usb/devices/*/idVendor 2>/dev/null | wc -l')).output.trim() !== '0';

describe('the USB devices panel', () => {
  it('shows the shared CD in the VM; its switch takes it out and puts it back', { timeout: 150_000 }, async () => {
    const p = page!;
    // Both slots link on their own; on a loaded machine the second can come after the CD is in.
    const usb = await waitFor('the panel\'s state with the CD on a slot and both slots linked', async () => {
      const s = (await pageState(p)).usb;
      return s && s.devices.some((d) => d.on) && s.slots.startsWith('2 USB slots') ? s : undefined;
    }, 60_000, { explain: async () => JSON.stringify((await pageState(p)).usb) });
    expect(usb.devices).toEqual([{ id: `cd:${iso}`, label: 'spicedesk shared CD panel.iso (1209:0003)', on: true, busy: false, where: expect.stringMatching(/^in the VM \(usbredir/) }]);
    expect(usb.slots).toBe('2 USB slots, 1 free');
    expect(usb.notice).toMatch(/^no USB on this machine/);
    await waitUntil('the CD in the guest', cdInGuest, 60_000, { pollMs: 300 });
    expect(await p.isVisible('#usb-button')).toBe(true);
    await p.click('#usb-button');
    const box = p.locator(`#usb-devices input[data-id="cd:${iso}"]`);
    expect(await box.isChecked()).toBe(true);
    await box.uncheck();
    await waitUntil('the page told the CD left', async () => (await pageState(p)).usb?.lastResult === 'spicedesk shared CD panel.iso (1209:0003) left the VM', 30_000);
    await waitUntil('the CD out of the guest', async () => !(await cdInGuest()), 30_000, { pollMs: 300 });
    expect((await pageState(p)).usb?.slots).toBe('2 USB slots, 2 free');
    await p.locator(`#usb-devices input[data-id="cd:${iso}"]`).check();
    await waitUntil('the CD back in the guest', cdInGuest, 60_000, { pollMs: 300 });
    expect((await pageState(p)).usb?.lastResult).toMatch(/^spicedesk shared CD panel\.iso \(1209:0003\) is in the VM on usbredir/);
    expect(pageProblems(p)).toEqual([]);
  });
});
