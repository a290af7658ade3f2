// Files dropped on the page, in headless Chromium through `spicedesk serve`, against Xspice with
// spice-vdagent: two files dropped together (a DataTransfer built in the page) land whole in the
// agent's download folder with the page's rows at 100% and "Saved"; with an agent that has no
// download folder (file transfer disabled) the row of each file says "disabled" by its name; and
// with `--file-transfer none` (beside --clipboard none) the page is no drop target, a dropped file
// gets a row saying why, and an offer sent anyway is refused by the host, naming the setting.
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import WebSocket from 'ws';
import type { HostMessage } from '../../src/protocol/bridge/bridge-messages.ts';
import { decodeHostPacket } from '../../src/protocol/bridge/host-codec.ts';
import { BRIDGE_VERSION } from '../../src/protocol/bridge/kinds.ts';
import { encodeUiMessage } from '../../src/protocol/bridge/ui-codec.ts';
import { runCli } from '../helpers/cli.ts';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { waitFor as waitForCondition } from '../helpers/wait.ts';
import { openSessionPage, pageProblems } from './browser-page.ts';
import { pageState } from './page-api.ts';
import { useGatewayPeers } from './gateway-peers.ts';

const state = pageState;

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> => waitForCondition(what, probe, timeoutMs);

/** Drops files on the view as a person would: dragenter/dragover/drop with a DataTransfer of Files. */
async function dropFiles(page: Page, files: { name: string; base64: string }[]): Promise<void> {
  await page.evaluate((list) => {
    const data = new DataTransfer();
    for (const f of list) {
      const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
      data.items.add(new File([bytes], f.name, { type: 'application/octet-stream' }));
    }
    const view = document.getElementById('view')!;
    const rect = view.getBoundingClientRect();
    const at = { clientX: rect.left + rect.width / 2, clientY: rect.top + rect.height / 2 };
    view.dispatchEvent(new DragEvent('dragenter', { bubbles: true, cancelable: true, dataTransfer: data, ...at }));
    view.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: data, ...at }));
    view.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: data, ...at }));
  }, files);
}

async function openWithAgent(browser: Browser, url: string): Promise<Page> {
  const page = await openSessionPage(browser, url, 30_000);
  // The agent announces its capabilities just after it connects; the page learns them with the
  // monitors-config flag (spice-vdagent always has it), and files need them known.
  await waitFor("the guest agent and its capabilities", async () => {
    const agent = (await state(page)).agent;
    return agent.connected && agent.monitorsConfig ? true : undefined;
  });
  return page;
}

describe('files dropped on the page', () => {
  const peers = useGatewayPeers({ vdagent: true });

  it('land whole in the agent download folder, two at once, with progress to 100%', async () => {
    const page = await openWithAgent(peers.browser, peers.serve.url);
    try {
      // Larger than the host's credit window (1 MiB): the page must wait for credit on the way.
      const big = randomBytes(2_500_000);
      const small = Buffer.from('a small text file ✓\n');
      await dropFiles(page, [
        { name: 'dropped big.bin', base64: big.toString('base64') },
        { name: 'notes ✓.txt', base64: small.toString('base64') },
      ]);
      const rows = await waitFor('both files saved', async () => {
        const r = (await state(page)).files.rows;
        return r.length === 2 && r.every((row) => row.state === 'saved' || row.state === 'failed') ? r : undefined;
      }, 60_000);
      expect(rows.map((r) => [r.name, r.state, r.sent, r.size])).toEqual([
        ['dropped big.bin', 'saved', big.byteLength, big.byteLength],
        ['notes ✓.txt', 'saved', small.byteLength, small.byteLength],
      ]);
      expect(rows[0].message).toBe('Saved: saved in the guest (2.5 MB)');
      // The row shows a full bar and no cancel button any more.
      const bar = await page.locator('#transfers .transfer[data-state="saved"] progress').first().evaluate((p: HTMLProgressElement) => p.value);
      expect(bar).toBe(1);
      const downloads = peers.xs.agent!.downloadDir!;
      await waitFor('the files in the download folder', async () => {
        const names = readdirSync(downloads);
        return names.includes('dropped big.bin') && names.includes('notes ✓.txt') ? names : undefined;
      });
      expect(Buffer.compare(readFileSync(join(downloads, 'dropped big.bin')), big)).toBe(0);
      expect(Buffer.compare(readFileSync(join(downloads, 'notes ✓.txt')), small)).toBe(0);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);
});

describe('files dropped on the page when the agent has file transfer disabled', () => {
  const peers = useGatewayPeers({ vdagent: { downloadDir: false } });

  it('shows "disabled" for each file, by name', async () => {
    const page = await openWithAgent(peers.browser, peers.serve.url);
    try {
      await dropFiles(page, [
        { name: 'refused-one.txt', base64: Buffer.from('one').toString('base64') },
        { name: 'refused-two.txt', base64: Buffer.from('two').toString('base64') },
      ]);
      const rows = await waitFor('both files failed', async () => {
        const r = (await state(page)).files.rows;
        return r.length === 2 && r.every((row) => row.state === 'failed') ? r : undefined;
      });
      for (const [i, name] of ['refused-one.txt', 'refused-two.txt'].entries()) {
        expect(rows[i].name).toBe(name);
        expect(rows[i].message).toBe('Not sent: the agent has file transfer disabled');
        const row = page.locator(`#transfers .transfer[data-id="${rows[i].id}"]`);
        expect(await row.locator('.name').textContent()).toBe(name);
        expect(await row.locator('.message').textContent()).toMatch(/disabled/);
      }
    } finally {
      await page.close();
    }
  }, 90_000);
});

describe('files with serve --clipboard none --file-transfer none', () => {
  const peers = useGatewayPeers({ vdagent: true }, (_xs, target) => ['--clipboard', 'none', '--file-transfer', 'none', target]);

  it('the page is no drop target and says why; nothing reaches the guest', async () => {
    const page = await openWithAgent(peers.browser, peers.serve.url);
    try {
      expect((await state(page)).files.allowed).toBe(false);
      expect(await page.locator('#view').getAttribute('title')).toContain('--file-transfer none');
      await dropFiles(page, [{ name: 'kept-out.txt', base64: Buffer.from('secret').toString('base64') }]);
      const rows = await waitFor('the refused row', async () => {
        const r = (await state(page)).files.rows;
        return r.length === 1 && r[0].state === 'failed' ? r : undefined;
      });
      expect(rows[0].message).toBe('Not sent: file transfer to the guest is turned off here (--file-transfer none)');
      expect((await state(page)).files.offered).toBe(0);
      expect(readdirSync(peers.xs.agent!.downloadDir!)).toEqual([]);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 90_000);

  it('a file offer sent anyway is refused by the host, naming the setting', async () => {
    const received: HostMessage[] = [];
    const ws = new WebSocket(`${peers.serve.origin.replace('http:', 'ws:')}/${peers.serve.token}/ws`, { origin: peers.serve.origin });
    try {
      ws.on('message', (data: Buffer) => received.push(...decodeHostPacket(new Uint8Array(data))));
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      ws.send(encodeUiMessage({ kind: 'hello', version: BRIDGE_VERSION, target: 0 }));
      await waitFor('the session linked', async () => (received.some((m) => m.kind === 'status' && m.status.state === 'connected') ? true : undefined));
      ws.send(encodeUiMessage({ kind: 'file-offer', id: 1, name: 'sneaked.txt', size: 6 }));
      ws.send(encodeUiMessage({ kind: 'file-data', id: 1, offset: 0, data: new TextEncoder().encode('secret') }));
      const result = await waitFor('the file result', async () => received.find((m) => m.kind === 'file-result'));
      expect(result).toEqual({ kind: 'file-result', id: 1, outcome: 'disabled', message: 'file transfer to the guest is turned off here (--file-transfer none)' });
      expect(readdirSync(peers.xs.agent!.downloadDir!)).toEqual([]);
    } finally {
      ws.terminate();
    }
  }, 60_000);

  it('--file-transfer takes none or to-guest only: anything else is a usage error (exit 2)', async () => {
    for (const command of ['serve', 'open']) {
      for (const value of ['constructor', '__proto__', 'off']) {
        const r = await runCli([command, '--file-transfer', value, 'spice://127.0.0.1:1']);
        expect(r.code, `${command} ${value}`).toBe(2);
        expect(r.stderr).toContain(`--file-transfer must be none or to-guest, got "${value}"`);
      }
    }
  });
});
