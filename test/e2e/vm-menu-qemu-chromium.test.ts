// The page's VM menu in headless Chromium through `spicedesk serve`, against QEMU with its monitor
// on the SPICE port org.qemu.monitor.qmp.0 and no guest OS (the firmware's screen is enough). The
// menu shows the VM's state and enables pause, reset, power down and force off while it runs;
// clicking Pause makes QEMU's own monitor (a second QMP socket of the test) see STOP and the page
// say "paused", Resume then RESUME and "running". Reset asks first: Cancel sends nothing, the
// dialog's Reset makes QEMU report RESET. With --kiosk the menu stays hidden although the monitor
// is ready, and the host would refuse the actions.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, waitUntil } from '../helpers/wait.ts';
import { startQemu, watchQmpEvents, type QemuServer } from '../peers/qemu.ts';
import { launchChromium, openSessionPage, pageProblems } from './browser-page.ts';
import { pageState, type PageState } from './page-api.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

type VmState = PageState['vm'];

const vmState = async (page: Page): Promise<VmState> => (await pageState(page)).vm;

/** Waits until the page's VM menu matches `wanted`; on a timeout says what it showed. */
async function vmMenuShows(page: Page, what: string, wanted: (vm: VmState) => boolean): Promise<VmState> {
  let last: VmState | undefined;
  return waitFor(`the VM menu to show ${what}`, async () => {
    last = await vmState(page);
    return wanted(last) ? last : undefined;
  }, 20_000, { pollMs: 100, explain: () => JSON.stringify(last) });
}

describe('the VM menu in the page (QEMU with the QMP port, no guest OS)', () => {
  let qemu: QemuServer;
  let browser: Browser;
  let watcher: Awaited<ReturnType<typeof watchQmpEvents>>;
  beforeAll(async () => {
    qemu = await startQemu({ qmpPort: true, qmp: true });
    watcher = await watchQmpEvents(qemu.qmpSocket!);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    watcher?.close();
    await browser?.close();
    await qemu?.stop();
  });

  describe('a plain page', () => {
    let serve: ServeProcess;
    let page: Page;
    beforeAll(async () => {
      serve = await startServe([`spice://127.0.0.1:${qemu.port}`]);
      page = await openSessionPage(browser, serve.url, 30_000);
    }, 60_000);
    afterAll(async () => {
      await page?.close();
      await serve?.stop();
    });

    it('shows the state and the actions a running VM offers', { timeout: 30_000 }, async () => {
      const vm = await vmMenuShows(page, 'a running VM', (v) => v.shown && v.status === 'running');
      expect(vm.enabled).toEqual(['pause', 'reset', 'powerdown', 'off']);
      expect(await page.textContent('#vm-state')).toBe('VM: running');
      expect(await page.isDisabled('#vm-resume')).toBe(true);
    });

    it('Pause and Resume: QEMU sees STOP and RESUME, the page shows the state', { timeout: 60_000 }, async () => {
      const status = async () => ((await watcher.execute('query-status')) as { status: string }).status;
      await page.click('#vm-pause');
      await waitUntil("STOP on QEMU's own monitor", () => watcher.events.includes('STOP'));
      // QEMU sends STOP before its answer to `stop`: the state may show before the action's result.
      const paused = await vmMenuShows(page, "a paused VM and pause's result", (v) => v.status === 'paused' && v.lastResult?.action === 'pause');
      expect(paused.running).toBe(false);
      expect(paused.enabled).toEqual(['resume', 'reset', 'powerdown', 'off']);
      expect(await page.textContent('#vm-state')).toBe('VM: paused');
      expect(await status()).toBe('paused');
      expect(paused.lastResult).toEqual({ action: 'pause', ok: true, message: "pause: done (QEMU's STOP)" });

      await page.click('#vm-resume');
      await waitUntil("RESUME on QEMU's own monitor", () => watcher.events.includes('RESUME'));
      const running = await vmMenuShows(page, 'a running VM again', (v) => v.status === 'running');
      expect(running.enabled).toEqual(['pause', 'reset', 'powerdown', 'off']);
      expect(await status()).toBe('running');
    });

    it('Reset asks first: Cancel sends nothing, confirming resets the VM', { timeout: 60_000 }, async () => {
      const before = (await vmState(page)).sent;
      await page.click('#vm-reset');
      expect((await vmState(page)).confirming).toBe('reset');
      expect(await page.isVisible('#vm-confirm')).toBe(true);
      expect(await page.textContent('#vm-confirm p')).toMatch(/^Reset the VM\?/);
      await page.click('#vm-confirm-cancel');
      const cancelled = await vmState(page);
      expect(cancelled.confirming).toBeNull();
      expect(cancelled.sent).toBe(before);
      expect(await page.isVisible('#vm-confirm')).toBe(false);

      // Force off asks too (and is cancelled: QEMU would quit).
      await page.click('#vm-off');
      expect((await vmState(page)).confirming).toBe('off');
      await page.click('#vm-confirm-cancel');
      expect((await vmState(page)).sent).toBe(before);

      await page.click('#vm-reset');
      await page.click('#vm-confirm-ok');
      await waitUntil("RESET on QEMU's own monitor", () => watcher.events.includes('RESET'));
      await vmMenuShows(page, "reset's result", (v) => v.lastResult?.action === 'reset');
      expect((await vmState(page)).lastResult).toEqual({ action: 'reset', ok: true, message: "reset: done (QEMU's RESET)" });
      expect((await vmState(page)).sent).toBe(before + 1);
      // One action each (the page's count above); QEMU without a guest OS has once reported RESET
      // twice for one system_reset (the firmware restarting), so repeats of one event count once.
      const events = watcher.events.filter((e) => ['STOP', 'RESUME', 'RESET', 'POWERDOWN', 'SHUTDOWN'].includes(e));
      expect(events.filter((e, i) => e !== events[i - 1])).toEqual(['STOP', 'RESUME', 'RESET']);
      expect(pageProblems(page)).toEqual([]);
    });
  });

  describe('a kiosk page', () => {
    it('hides the menu although the monitor is ready', { timeout: 60_000 }, async () => {
      const serve = await startServe(['-v', '--kiosk', `spice://127.0.0.1:${qemu.port}`]);
      try {
        const page = await openSessionPage(browser, serve.url, 30_000);
        await waitUntil('the gateway to log that the QMP monitor is ready', () => /QMP monitor ready/.test(serve.process.outputTail()), 20_000);
        const vm = await vmState(page);
        expect(vm.shown).toBe(false);
        // The host reports no menu at all under kiosk (VM_STATE without a monitor), not just the page hiding it.
        expect(vm.status).toBe('');
        expect(vm.enabled).toEqual([]);
        expect(await page.isHidden('#vm-menu')).toBe(true);
        await page.close();
      } finally {
        await serve.stop();
      }
    });
  });
});
