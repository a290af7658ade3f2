// Auto-redirect while the session has focus, in Chromium with a real Linux guest under QEMU (two
// usb-redir slots): the window's page (test/e2e/window-stand-in.ts, its BridgeHost in this process
// with the test-only simulated devices as "this machine's") on a target with .vv autoshare. A disk
// plugged after the page lost focus (a blur event) waits in the panel and never reaches the guest;
// one plugged after it got focus back goes in, the panel showing it on its slot, and the guest's
// sysfs lists it. The page reports focus itself (USB_FOCUS); nothing here talks to the host for it,
// the test only waits until the host heard it before it plugs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planConnection } from '../../src/main/connect/connector.ts';
import { resolveTarget } from '../../src/main/connect/target.ts';
import type { GatewayTarget } from '../../src/main/host/bridge-host.ts';
import { waitFor, waitUntil } from '../helpers/wait.ts';
import { startGuest, type Guest } from '../peers/guest.ts';
import { SimulatedDisk, SimulatedUsbSource } from '../peers/usb-simulated.ts';
import { launchChromium, pageProblems } from './browser-page.ts';
import { pageState } from './page-api.ts';
import { openWindow } from './window-stand-in.ts';

const work = mkdtempSync(join(tmpdir(), 'spicedesk-usb-auto-'));
let guest: Guest | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  guest = await startGuest({ devices: ['usb'] });
  browser = await launchChromium([]);
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await guest?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function guestUsbIds(g: Guest): Promise<string[]> {
  const { output } = await g.run('for d in /sys/bus/usb/devices/*; do [ -f $d/idVendor ] && echo "$(cat $d/idVendor):$(cat $d/idProduct)"; done; true');
  return output.split('\n').map((l) => l.trim()).filter(Boolean);
}

function disk(name: string, productId: number): SimulatedDisk {
  const path = join(work, `${name}.img`);
  writeFileSync(path, new Uint8Array(1024 * 512));
  return new SimulatedDisk({ path, id: `sim:${name}`, productId });
}

describe('USB auto-redirect in the page', () => {
  it('a device plugged while the page has no focus waits in the panel; plugged with focus it goes into the guest', { timeout: 150_000 }, async () => {
    const { profile } = await resolveTarget(`spice://127.0.0.1:${guest!.port}`);
    const target: GatewayTarget = { label: 'usb guest', profile: { ...profile, enableUsbAutoshare: true }, plan: planConnection(profile, { timeoutMs: 10_000, env: {} }) };
    const source = new SimulatedUsbSource();
    const w = await openWindow(browser!, [target], undefined, { usbHostSource: () => source });
    const p = w.page;
    // Each wait below says, on its timeout, what the panel showed, how loaded this machine was and the guest's kernel's last lines
    // (seen to time out in full runs: once at the focused disk reaching the guest, once at the unfocused disk's listing).
    const explain = async (): Promise<string> => `panel: ${JSON.stringify((await pageState(p)).usb)}; plugged here: ${(await source.list()).map((d) => d.id).join(', ')}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\nguest dmesg: ${(await guest!.run('dmesg | tail -20; true')).output}`;
    await waitFor('the panel with the slots', async () => {
      const usb = (await pageState(p)).usb;
      return usb?.slots === '2 USB slots, 2 free' ? usb : undefined;
    }, 60_000, { explain });
    // Focus lost: the page tells the host, and a disk plugged now stays here.
    await p.evaluate(() => window.dispatchEvent(new Event('blur')));
    await waitUntil('the page said it has no focus', async () => (await pageState(p)).usb?.focusSent === false, 10_000, { explain });
    // And the host heard it (the page's message is on its way until then: a disk plugged meanwhile went in, 3 of 3 runs here).
    await waitUntil('the host heard the page has no focus', () => w.host()?.pageFocused === false, 10_000, { explain });
    const unfocused = disk('unfocused', 0x0a01);
    source.plug(unfocused);
    await waitUntil('the unfocused disk listed here', async () => (await pageState(p)).usb?.devices.some((d) => d.id === 'sim:unfocused' && !d.on && d.where === 'here') === true, 10_000, { explain });
    // Focus back: the next disk goes in by itself.
    await p.evaluate(() => window.dispatchEvent(new Event('focus')));
    await waitUntil('the page said it has focus', async () => (await pageState(p)).usb?.focusSent === true, 10_000, { explain });
    await waitUntil('the host heard the page has focus', () => w.host()?.pageFocused === true, 10_000, { explain });
    const focused = disk('focused', 0x0a02);
    source.plug(focused);
    await waitUntil('the focused disk in the guest', async () => (await guestUsbIds(guest!)).includes('1209:0a02'), 60_000, { pollMs: 300, explain });
    const usb = await waitFor('the panel showing it on a slot, set up', async () => {
      const s = (await pageState(p)).usb;
      return s?.devices.find((d) => d.id === 'sim:focused' && d.on && /^in the VM \(usbredir[^)]*\)$/.test(d.where)) ? s : undefined;
    }, 30_000, { explain });
    expect(usb.slots).toBe('2 USB slots, 1 free');
    expect(usb.devices.find((d) => d.id === 'sim:unfocused')).toMatchObject({ on: false, where: 'here' });
    expect(await guestUsbIds(guest!)).not.toContain('1209:0a01');
    expect(pageProblems(p)).toEqual([]);
    await p.context().close();
    unfocused.close();
    focused.close();
  });
});
