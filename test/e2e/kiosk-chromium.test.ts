// `spicedesk serve --kiosk` in headless Chromium against Xspice: the page shows no controls, the
// .vv file's secure-attention key sends Ctrl+Alt+Del (seen by an xterm in the server), the built-in
// hotkeys the file does not name (F11, shift+F12, Ctrl+Alt+End) go to the guest as keys, and with
// --kiosk-quit never the reconnect screen covers the page when the server goes, and starts a new
// session from its button (Enter) once the server is back.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForWindow } from '../peers/desktop.ts';
import { waitFor } from '../helpers/wait.ts';
import { openSessionPage, screenToPage } from './browser-page.ts';
import { useGatewayPeers } from './gateway-peers.ts';
import { pageState } from './page-api.ts';

const kioskState = pageState;

/** Probes until `ok` holds for what `probe` gives; the error names the last value seen. */
async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  let last: T | undefined;
  return waitFor(what, async () => {
    last = await probe();
    return ok(last) ? last : undefined;
  }, timeoutMs, { explain: () => `still ${JSON.stringify(last)}` });
}

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-kiosk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('spicedesk serve --kiosk in Chromium, against Xspice', () => {
  let page: Page;
  const typed = join(dir, 'typed.txt');
  const vv = join(dir, 'kiosk.vv');

  const peers = useGatewayPeers({}, () => ['--kiosk', '--kiosk-quit', 'never', vv], {
    prepare: async (xs) => {
      // cat -v writes what the keys send, escape sequences made visible, once Enter ends the line.
      xs.run('xterm', ['-geometry', '60x5+0+0', '-fn', 'fixed', '-T', 'kiosk-keys', '-e', 'sh', '-c', `cat -v > ${typed}`], { LC_ALL: 'C' });
      await waitForWindow(xs, 'kiosk-keys');
      writeFileSync(vv, `[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=${xs.port}\nsecure-attention=ctrl+alt+insert\n`);
    },
  });
  beforeAll(async () => {
    page = await openSessionPage(peers.browser, peers.serve.url);
  });

  it('shows no controls, and has only the hotkey the .vv file names', async () => {
    const s = await kioskState(page);
    expect(s.kiosk).toBe(true);
    expect(s.hotkeys).toEqual([{ action: 'secure-attention', text: 'ctrl+alt+insert' }]);
    const shown = await page.evaluate(() =>
      ['bar', 'cad', 'status', 'resize-label', 'folder-button', 'folder-panel'].map((id) => {
        const e = document.getElementById(id);
        return e !== null && e.getClientRects().length > 0;
      }),
    );
    expect(shown).toEqual([false, false, false, false, false, false]);
    // The host told the page it may not choose a folder (and refuses if it tries: page-folders.test.ts).
    expect(await waitFor('the folder state', async () => ((await pageState(page)).folders.root ? (await pageState(page)).folders : undefined), 10_000)).toMatchObject({ offered: false, shared: '' });
  });

  it("sends Ctrl+Alt+Del for the .vv key; F11, shift+F12 and Ctrl+Alt+End go to the guest as keys", async () => {
    const inside = await screenToPage(page, 100, 30);
    await page.mouse.click(inside.x, inside.y);
    await page.keyboard.press('Control+Alt+Insert');
    await page.keyboard.press('F11');
    await page.keyboard.press('Shift+F12');
    await page.keyboard.press('Control+Alt+End');
    await page.keyboard.press('Enter');
    const line = await until(
      'the xterm line',
      async () => {
        try {
          return readFileSync(typed, 'latin1');
        } catch {
          return '';
        }
      },
      (t) => t.endsWith('\n'),
      10_000,
    );
    // xterm's sequences: Delete with Ctrl+Alt (modifier 7), F11, F12 with Shift (2), End with Ctrl+Alt.
    expect(line).toBe('^[[3;7~^[[23~^[[24;2~^[[1;7F\n');
    const s = await kioskState(page);
    expect(s.hotkeysRun).toEqual(['secure-attention']);
    expect(await page.evaluate(() => document.fullscreenElement === null)).toBe(true);
  });

  it('covers the page with the reconnect screen when the server goes, and starts a new session from it', async () => {
    await peers.stopXspice();
    let s = await until('the reconnect screen', () => kioskState(page), (v) => v.reconnectScreen !== null);
    expect(s.reconnectScreen).toMatchObject({ title: 'Connection lost', button: 'Reconnect now' });
    // Enter on the screen: a new bridge, whose first link fails while the server is down...
    await page.keyboard.press('Enter');
    s = await until('the session-ended screen', () => kioskState(page), (v) => v.reconnectScreen?.title === 'The session ended');
    expect(s.reconnects).toBe(1);
    expect(s.reconnectScreen?.button).toBe('Reconnect');
    expect(s.reconnectScreen?.reason).toMatch(/unreachable/);
    // ...and once the server is back, Enter again connects a new session.
    await peers.startXspiceAgain();
    await page.keyboard.press('Enter');
    s = await until('a new session', () => kioskState(page), (v) => v.status === 'connected' && v.reconnectScreen === null);
    expect(s.reconnects).toBe(2);
    expect(peers.serve.process.running()).toBe(true);
  }, 60_000);
});
