// The desktop window's VM and Folder menus (window-session-menu.ts) from the host's messages, the
// folder dialog's options, and the window's --print-to / --spice-shared-dir switches
// (window-devices.ts) as `spicedesk open` hands them over and the app reads them back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseSharedFolder, confirmVmAction, SessionMenuState, sessionMenus, type SessionMenuActions } from '../../../../src/main/electron/window-session-menu.ts';
import { windowDeviceArgs, windowDevicesFromArgv } from '../../../../src/main/electron/window-devices.ts';
import type { PowerAction } from '../../../../src/protocol/channels/port/qmp-port.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-window-menu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const items = (menu: MenuItemConstructorOptions): MenuItemConstructorOptions[] => menu.submenu as MenuItemConstructorOptions[];
const byLabel = (menu: MenuItemConstructorOptions, label: string): MenuItemConstructorOptions => {
  const item = items(menu).find((i) => i.label === label);
  if (!item) throw new Error(`no "${label}" in ${items(menu).map((i) => i.label).join(', ')}`);
  return item;
};
const click = (item: MenuItemConstructorOptions): void => (item.click as () => void)();

function recorder(): { act: SessionMenuActions; calls: string[] } {
  const calls: string[] = [];
  return { calls, act: { vm: (a: PowerAction) => calls.push(`vm ${a}`), chooseFolder: (ro) => calls.push(`choose ${ro}`), stopSharing: () => calls.push('stop') } };
}

describe('the window VM menu', () => {
  it('offers the actions the host offers, each enabled when QEMU state allows it, and sends them', () => {
    const state = new SessionMenuState();
    const { act, calls } = recorder();
    let [vm] = sessionMenus(state, act);
    expect(items(vm)[0]).toMatchObject({ label: 'No VM monitor', enabled: false });
    expect(items(vm).filter((i) => i.enabled).map((i) => i.label)).toEqual([]);
    expect(state.observe({ kind: 'vm-state', available: true, running: true, status: 'running', actions: ['pause', 'reset', 'powerdown', 'off'] })).toBe(true);
    expect(state.observe({ kind: 'vm-state', available: true, running: true, status: 'running', actions: ['pause', 'reset', 'powerdown', 'off'] })).toBe(false);
    [vm] = sessionMenus(state, act);
    expect(items(vm)[0].label).toBe('VM: running');
    expect(items(vm).filter((i) => i.enabled).map((i) => i.label)).toEqual(['Pause', 'Reset', 'Power Down', 'Force Off']);
    click(byLabel(vm, 'Pause'));
    state.observe({ kind: 'vm-state', available: true, running: false, status: 'paused', actions: ['resume', 'reset', 'off'] });
    [vm] = sessionMenus(state, act);
    expect(items(vm)[0].label).toBe('VM: paused');
    expect(byLabel(vm, 'Pause').enabled).toBe(false);
    click(byLabel(vm, 'Resume'));
    expect(calls).toEqual(['vm pause', 'vm resume']);
    // No focused session window: everything disabled.
    expect(items(sessionMenus(state, null)[0]).some((i) => i.enabled)).toBe(false);
    // Other messages change nothing; a new bridge forgets the state.
    expect(state.observe({ kind: 'printers', choices: [], chosen: '', note: '' })).toBe(false);
    state.reset();
    expect(items(sessionMenus(state, act)[0])[0].label).toBe('No VM monitor');
  });
});

describe('the window VM menu asks first', () => {
  it('for reset and force off (the page asks the same), not for pause, resume, power down', async () => {
    const asked: unknown[][] = [];
    let response = 1;
    const dialog = { showMessageBox: (...args: unknown[]) => (asked.push(args), Promise.resolve({ response, checkboxChecked: false })) } as never;
    expect(await confirmVmAction(dialog, null, 'pause')).toBe(true);
    expect(await confirmVmAction(dialog, null, 'powerdown')).toBe(true);
    expect(asked).toHaveLength(0);
    expect(await confirmVmAction(dialog, null, 'reset')).toBe(false);
    expect(asked[0][0]).toMatchObject({ message: 'Reset the VM? Whatever the guest has not saved is lost.', buttons: ['Reset', 'Cancel'], cancelId: 1 });
    response = 0;
    expect(await confirmVmAction(dialog, null, 'off')).toBe(true);
    expect(asked[1][0]).toMatchObject({ message: expect.stringMatching(/^Force the VM off\?/), buttons: ['Force Off', 'Cancel'] });
  });
});

describe('the window Folder menu', () => {
  it('follows FOLDER_STATE: not offered (kiosk) disables everything; stop only while something is shared', () => {
    const state = new SessionMenuState();
    const { act, calls } = recorder();
    state.observe({ kind: 'folder-state', offered: false, root: '/home/me', shared: '/srv/fixed', readOnly: true, note: '' });
    let [, folder] = sessionMenus(state, act);
    expect(items(folder)[0].label).toBe('Folder sharing is not offered');
    expect(items(folder).some((i) => i.enabled)).toBe(false);
    state.observe({ kind: 'folder-state', offered: true, root: '/home/me', shared: '', readOnly: false, note: '' });
    [, folder] = sessionMenus(state, act);
    expect(items(folder)[0].label).toBe('Not shared');
    expect(byLabel(folder, 'Stop Sharing').enabled).toBe(false);
    click(byLabel(folder, 'Share a Folder…'));
    click(byLabel(folder, 'Share a Folder Read-Only…'));
    state.observe({ kind: 'folder-state', offered: true, root: '/home/me', shared: '/home/me/Public', readOnly: true, note: '/etc is outside /home/me' });
    [, folder] = sessionMenus(state, act);
    expect(items(folder).slice(0, 2).map((i) => i.label)).toEqual(['Sharing /home/me/Public (read-only)', '/etc is outside /home/me']);
    click(byLabel(folder, 'Stop Sharing'));
    expect(calls).toEqual(['choose false', 'choose true', 'stop']);
  });

  it('asks the system dialog for one folder, opened at the root; cancel is nothing', async () => {
    const asked: unknown[][] = [];
    let answer: { canceled: boolean; filePaths: string[] } = { canceled: false, filePaths: ['/home/me/Public'] };
    const dialog = { showOpenDialog: (...args: unknown[]) => (asked.push(args), Promise.resolve(answer)) } as never;
    expect(await chooseSharedFolder(dialog, null, '/home/me', true)).toBe('/home/me/Public');
    expect(asked[0]).toEqual([{ title: 'Share a Folder Read-Only', buttonLabel: 'Share', defaultPath: '/home/me', properties: ['openDirectory'] }]);
    answer = { canceled: true, filePaths: [] };
    const parent = {} as never;
    expect(await chooseSharedFolder(dialog, parent, '/home/me', false)).toBeUndefined();
    expect(asked[1][0]).toBe(parent);
  });
});

describe('the window print and folder switches', () => {
  it('round-trip from the open command to the app, checked as serve checks them', () => {
    const args = windowDeviceArgs({ printTo: 'office', printMaxMb: 20, spiceSharedDir: dir, spiceSharedDirRo: true });
    expect(args).toEqual(['--print-to=office', '--print-max-mb=20', `--spice-shared-dir=${dir}`, '--spice-shared-dir-ro']);
    expect(windowDevicesFromArgv(['/opt/spicedesk', ...args, 'spice://h:1'])).toEqual({
      devices: { print: { kind: 'printer', printer: 'office', maxBytes: 20 * 1024 * 1024 }, sharedDir: { dir, readOnly: true } },
    });
    expect(windowDevicesFromArgv(['/opt/spicedesk', `--print-to=save:${dir}`])).toEqual({ devices: { print: { kind: 'save', dir, maxBytes: 512 * 1024 * 1024 } } });
    expect(windowDevicesFromArgv(['/opt/spicedesk', 'spice://h:1'])).toEqual({ devices: {} });
  });

  it('refuses what serve refuses, with the reason', () => {
    expect(windowDevicesFromArgv(['x', '--spice-shared-dir=/no/such/folder'])).toEqual({ error: expect.stringMatching(/no such folder/) });
    expect(windowDevicesFromArgv(['x', '--spice-shared-dir-ro'])).toEqual({ error: expect.stringMatching(/needs --spice-shared-dir/) });
    expect(windowDevicesFromArgv(['x', '--print-to=-bad'])).toEqual({ error: expect.stringMatching(/not a printer name/) });
    expect(windowDevicesFromArgv(['x', '--print-max-mb=0', '--print-to=q'])).toEqual({ error: expect.stringMatching(/--print-max-mb 0/) });
    // After "--" everything is a TARGET.
    expect(windowDevicesFromArgv(['x', '--', '--print-to=q'])).toEqual({ devices: {} });
  });
});
