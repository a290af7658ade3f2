// The built app (dist/electron-main.cjs) against the fake electron: the window takes --print-to
// and --spice-shared-dir from `spicedesk open`, its page gets the printer chooser and the folder
// chooser from them, and the application menu carries the focused window's VM and Folder menus:
// "Share a Folder…" opens the system's folder dialog and the chosen folder is shared by the
// window's host (FOLDER_STATE to the page says so); a folder outside the home is refused.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import type { FolderStateMessage } from '../../../../src/protocol/bridge/folder-messages.ts';
import { BRIDGE_VERSION } from '../../../../src/protocol/bridge/kinds.ts';
import { decodeHostPacket } from '../../../../src/protocol/bridge/host-codec.ts';
import { encodeUiMessage } from '../../../../src/protocol/bridge/ui-codec.ts';
import { FakeElectron, loadElectronMain } from '../../../helpers/fake-electron.ts';
import { waitFor } from '../../../helpers/wait.ts';

const work = mkdtempSync(join(tmpdir(), 'spicedesk-window-menus-'));
const home = join(work, 'home');
const saveDir = join(work, 'prints');
const fake = new FakeElectron();
const savedHome = process.env.HOME;
/** A server that takes the connection and never answers: the window's session stays linking. */
let silent: Server;
const sockets: Socket[] = [];

beforeAll(async () => {
  mkdirSync(join(home, 'Public'), { recursive: true });
  mkdirSync(saveDir);
  process.env.HOME = home;
  silent = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as { port: number }).port;
  loadElectronMain(fake, ['/opt/spicedesk/spicedesk', `--print-to=save:${saveDir}`, `spice://127.0.0.1:${port}`]);
  await waitFor('the window', () => fake.windows[0], 5000);
});
afterAll(() => {
  fake.closeAll();
  for (const s of sockets) s.destroy();
  silent.close();
  process.env.HOME = savedHome;
  rmSync(work, { recursive: true, force: true });
});

const menu = (label: string): MenuItemConstructorOptions => {
  const m = (fake.menu as MenuItemConstructorOptions[] | null)?.find((x) => x.label === label);
  if (!m) throw new Error(`no ${label} menu`);
  return m;
};
const item = (m: MenuItemConstructorOptions, label: string): MenuItemConstructorOptions => (m.submenu as MenuItemConstructorOptions[]).find((i) => i.label === label)!;

describe('the window menus and choosers', () => {
  const got: HostMessage[] = [];
  const folderState = (): FolderStateMessage | undefined => got.filter((m): m is FolderStateMessage => m.kind === 'folder-state').at(-1);

  it('has VM and Folder menus, disabled before a session', () => {
    expect(fake.fatal).toEqual([]);
    expect(item(menu('VM'), 'Pause').enabled).toBe(false);
    expect(item(menu('Folder'), 'Share a Folder…').enabled).toBe(false);
  });

  it("gives the page the printer chooser from --print-to and the folder chooser, and the menu follows", async () => {
    const w = fake.windows[0];
    w.focus();
    const page = fake.openBridge(w);
    page.on('message', (data: Uint8Array) => got.push(...decodeHostPacket(data)));
    page.postMessage(encodeUiMessage({ kind: 'hello', version: BRIDGE_VERSION, target: 0 }));
    const printers = await waitFor('PRINTERS', () => got.find((m) => m.kind === 'printers'), 10_000);
    expect(printers).toMatchObject({ chosen: 'save' });
    expect(await waitFor('FOLDER_STATE', () => folderState(), 5000)).toMatchObject({ offered: true, root: home, shared: '' });
    await waitFor('the menu to offer sharing', () => (item(menu('Folder'), 'Share a Folder…').enabled ? true : undefined), 5000);
    expect(item(menu('Folder'), 'Not shared')).toBeDefined();
  });

  it('shares the folder chosen in the system dialog; refuses one outside the home; stops', async () => {
    (item(menu('Folder'), 'Share a Folder Read-Only…').click as () => void)();
    const asked = await waitFor('the folder dialog', () => fake.openDialogs[0], 5000);
    expect(asked.options).toMatchObject({ properties: ['openDirectory'], defaultPath: home });
    asked.answer([join(home, 'Public')]);
    expect(await waitFor('the folder shared', () => (folderState()?.shared ? folderState() : undefined), 5000)).toMatchObject({ shared: join(home, 'Public'), readOnly: true });
    await waitFor('the menu to say so', () => (item(menu('Folder'), `Sharing ${join(home, 'Public')} (read-only)`) ? true : undefined), 5000);

    (item(menu('Folder'), 'Share a Folder…').click as () => void)();
    const second = await waitFor('the second dialog', () => fake.openDialogs[1], 5000);
    second.answer([saveDir]);
    expect(await waitFor('the refusal', () => (folderState()?.note ? folderState() : undefined), 5000)).toMatchObject({ shared: join(home, 'Public'), note: `${saveDir} is outside ${home}` });

    (item(menu('Folder'), 'Stop Sharing').click as () => void)();
    await waitFor('not shared', () => (folderState()?.shared === '' ? true : undefined), 5000);
  });
});
