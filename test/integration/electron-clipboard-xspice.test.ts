// The desktop window's clipboard, the built app (dist/electron-main.cjs) run against a fake
// Electron (test/helpers/fake-electron.ts) and a real Xspice with spice-vdagent: main reads the
// local clipboard only when the window gets the focus and sharing to the guest is allowed (by
// --clipboard and the page's setting), what it read reaches the guest's clipboard (read back with
// xclip in the guest), nothing is read in the background, and with --clipboard none nothing is
// read or sent either way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HostMessage, UiMessage } from '../../src/protocol/bridge/bridge-messages.ts';
import { decodeHostPacket } from '../../src/protocol/bridge/host-codec.ts';
import { BRIDGE_VERSION } from '../../src/protocol/bridge/kinds.ts';
import { encodeUiMessage } from '../../src/protocol/bridge/ui-codec.ts';
import { APP_ENTRY_URL } from '../../src/main/electron/window-policy.ts';
import { FakeElectron, loadElectronMain, type FakeWindow } from '../helpers/fake-electron.ts';
import { waitFor, waitUntil } from '../helpers/wait.ts';
import { runToCompletion } from '../peers/processes.ts';
import { requireTool } from '../peers/require-tool.ts';
import { startXspice, type XspiceServer } from '../peers/xspice.ts';

let xs: XspiceServer;
let configDir: string;
const savedConfigDir = process.env.SPICEDESK_CONFIG_DIR;
let app: FakeElectron | null = null;

beforeAll(async () => {
  requireTool('xclip', 'xclip');
  configDir = mkdtempSync(join(tmpdir(), 'spicedesk-clipboard-'));
  process.env.SPICEDESK_CONFIG_DIR = configDir;
  xs = await startXspice({ vdagent: true });
});
afterEach(() => {
  app?.closeAll();
  app = null;
});
afterAll(async () => {
  await xs?.stop();
  if (savedConfigDir === undefined) delete process.env.SPICEDESK_CONFIG_DIR;
  else process.env.SPICEDESK_CONFIG_DIR = savedConfigDir;
  rmSync(configDir, { recursive: true, force: true });
});

interface OpenWindow {
  fake: FakeElectron;
  win: FakeWindow;
  got: HostMessage[];
  send(m: UiMessage): void;
}

/** Starts the app on the Xspice with `args`, and plays the window's page until the guest agent is there. */
async function openWindow(args: string[]): Promise<OpenWindow> {
  const fake = new FakeElectron();
  app = fake;
  loadElectronMain(fake, ['/opt/spicedesk/spicedesk', ...args, `spice://127.0.0.1:${xs.port}`]);
  await waitUntil('the window', () => fake.windows.length === 1 || fake.fatal.length > 0, 5000);
  expect(fake.fatal).toEqual([]);
  const win = fake.windows[0];
  const port: MessagePort = fake.openBridge(win);
  const got: HostMessage[] = [];
  port.on('message', (data: Uint8Array) => got.push(...decodeHostPacket(data)));
  const send = (m: UiMessage): void => port.postMessage(encodeUiMessage(m));
  send({ kind: 'hello', version: BRIDGE_VERSION, target: 0 });
  await waitUntil('the guest agent, sharing the clipboard', () => got.some((m) => m.kind === 'agent' && m.connected && m.clipboard), 20_000, {
    explain: () => JSON.stringify(got.filter((m) => m.kind === 'status' || m.kind === 'agent')),
  });
  return { fake, win, got, send };
}

async function guestText(): Promise<string | undefined> {
  const r = await runToCompletion('xclip', ['-selection', 'clipboard', '-t', 'UTF8_STRING', '-o'], { env: xs.env, timeoutMs: 3000 });
  return r.code === 0 ? r.stdout.toString('utf8') : undefined;
}

function waitForGuestText(text: string): Promise<string> {
  return waitFor(`"${text}" on the guest's clipboard`, async () => ((await guestText()) === text ? text : undefined), 15_000, {
    pollMs: 200,
    explain: async () => `it holds ${JSON.stringify(await guestText())}`,
  });
}

/** Copies in the guest; spice-vdagent announces it to the client. */
function guestCopies(text: string): void {
  xs.run('sh', ['-c', 'printf "%s" "$TEXT" | xclip -selection clipboard -i'], { TEXT: text });
}

const permission = (fake: FakeElectron, name: string): boolean => {
  let granted: boolean | undefined;
  fake.permissionRequest!(fake.windows[0].webContents, name, (g: boolean) => (granted = g), { requestingUrl: APP_ENTRY_URL, isMainFrame: true });
  return granted === true;
};

describe('the desktop window and the local clipboard', () => {
  it('reads it on focus only, sends it to the guest, and not what the guest copied back', async () => {
    const { fake, win, got } = await openWindow([]);
    // The agent came while the window had no focus: nothing read.
    expect(fake.clipboard.reads).toBe(0);
    fake.clipboard.text = 'from the local clipboard ✓';
    win.focus();
    expect(fake.clipboard.reads).toBe(1);
    await waitForGuestText('from the local clipboard ✓');

    // In the background: the guest copies (and the page is told), the local clipboard changes, nothing is read.
    win.blur();
    fake.clipboard.text = 'copied in another window';
    guestCopies('copied in the guest');
    await waitUntil('the guest copy at the page', () => got.some((m) => m.kind === 'clipboard-text' && m.text === 'copied in the guest'));
    expect(fake.clipboard.reads).toBe(1);

    // Back to the window: the newer local text goes to the guest.
    win.focus();
    expect(fake.clipboard.reads).toBe(2);
    await waitForGuestText('copied in another window');
    // The page may still write what the guest copies.
    expect(permission(fake, 'clipboard-sanitized-write')).toBe(true);
    // The page never reads the clipboard itself.
    expect(permission(fake, 'clipboard-read')).toBe(false);
  });

  it('reads nothing once the page turned sharing to the guest off', async () => {
    const { fake, win, got, send } = await openWindow([]);
    send({ kind: 'clipboard-sharing', toGuest: false, fromGuest: true });
    // The guest's copy reaching the page shows the host has the page's setting (it came after it).
    guestCopies('after the setting');
    await waitUntil('the guest copy at the page', () => got.some((m) => m.kind === 'clipboard-text' && m.text === 'after the setting'));
    fake.clipboard.text = 'must not leave';
    win.focus();
    win.blur();
    win.focus();
    expect(fake.clipboard.reads).toBe(0);
    expect(await guestText()).toBe('after the setting');
  });

  it('with --clipboard none reads nothing, sends nothing and lets nothing out', async () => {
    const { fake, win, got, send } = await openWindow(['--clipboard', 'none']);
    expect(got).toContainEqual({ kind: 'clipboard-policy', toGuest: false, fromGuest: false });
    // Even a page that asks for both directions gets none.
    send({ kind: 'clipboard-sharing', toGuest: true, fromGuest: true });
    fake.clipboard.text = 'must not leave either';
    win.focus();
    win.blur();
    win.focus();
    expect(fake.clipboard.reads).toBe(0);
    // The page's own paste is refused by the host too; and the guest's copy does not come out.
    send({ kind: 'clipboard-text', text: 'pasted in the page' });
    guestCopies('stays in the guest');
    await waitForGuestText('stays in the guest');
    expect(got.filter((m) => m.kind === 'clipboard-text' || m.kind === 'clipboard-image')).toEqual([]);
    expect(permission(fake, 'clipboard-sanitized-write')).toBe(false);
    expect(permission(fake, 'clipboard-read')).toBe(false);
  });

  it('refuses a wrong --clipboard value at start, naming the choices', async () => {
    const fake = new FakeElectron();
    app = fake;
    loadElectronMain(fake, ['/opt/spicedesk/spicedesk', '--clipboard=off', `spice://127.0.0.1:${xs.port}`]);
    await waitUntil('the start-up error', () => fake.fatal.length > 0, 5000);
    expect(fake.fatal[0]).toMatch(/--clipboard must be one of both, to-guest, from-guest, none, got "off"/);
    expect(fake.windows).toHaveLength(0);
  });
});
