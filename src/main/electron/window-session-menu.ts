// The desktop window's own "VM" and "Folder" menus, beside the page's bar: what they offer is
// decided here from the host's own messages to the window's page (VM_STATE, FOLDER_STATE), so
// the menu and the page never disagree; a choice goes to the window's bridge host as the page's
// would (BridgeHost.fromWindowMenu), with the same checks there. Electron-free but its types:
// electron-main.ts rebuilds the application menu from sessionMenus() when the focused window's
// state changes, and a folder comes from the system's folder dialog (chooseSharedFolder).
import type { BaseWindow, Dialog, MenuItemConstructorOptions, OpenDialogOptions } from 'electron';
import type { HostMessage } from '../../protocol/bridge/bridge-messages.ts';
import type { FolderStateMessage } from '../../protocol/bridge/folder-messages.ts';
import { powerActionConfirmations, type VmStateMessage } from '../../protocol/bridge/vm-messages.ts';
import type { PowerAction } from '../../protocol/channels/port/qmp-port.ts';

/** remote-viewer's names for the actions, in its order. */
const ACTION_LABELS: Record<PowerAction, string> = { pause: 'Pause', resume: 'Resume', reset: 'Reset', powerdown: 'Power Down', off: 'Force Off' };

export interface SessionMenuActions {
  vm(action: PowerAction): void;
  /** Asks for a folder (the system dialog), then shares it. */
  chooseFolder(readOnly: boolean): void;
  stopSharing(): void;
}

/** What the window's menus show, kept from the host's messages to its page. */
export class SessionMenuState {
  vm: VmStateMessage | null = null;
  folders: FolderStateMessage | null = null;

  /** True when the message changed what the menus show (the menu is rebuilt then). */
  observe(m: HostMessage): boolean {
    if (m.kind === 'vm-state') {
      const changed = JSON.stringify(m) !== JSON.stringify(this.vm);
      this.vm = m;
      return changed;
    }
    if (m.kind === 'folder-state') {
      const changed = JSON.stringify(m) !== JSON.stringify(this.folders);
      this.folders = m;
      return changed;
    }
    return false;
  }

  /** The session is gone (a new bridge): nothing to offer until the host says again. */
  reset(): void {
    this.vm = null;
    this.folders = null;
  }
}

/** The "VM" and "Folder" menus for the focused window's state (none: no session window focused). */
export function sessionMenus(state: SessionMenuState | null, act: SessionMenuActions | null): MenuItemConstructorOptions[] {
  const vm = state?.vm;
  const folders = state?.folders;
  const offered = new Set(vm?.available ? vm.actions : []);
  const vmStatus = !vm?.available ? 'No VM monitor' : `VM: ${vm.status || (vm.running ? 'running' : 'stopped')}`;
  const vmMenu: MenuItemConstructorOptions = {
    label: 'VM',
    submenu: [
      { label: vmStatus, enabled: false },
      { type: 'separator' },
      ...(Object.keys(ACTION_LABELS) as PowerAction[]).map((a) => ({ label: ACTION_LABELS[a], enabled: act !== null && offered.has(a), click: () => act?.vm(a) })),
    ],
  };
  const sharing = !folders?.offered ? 'Folder sharing is not offered' : folders.shared ? `Sharing ${folders.shared}${folders.readOnly ? ' (read-only)' : ''}` : 'Not shared';
  const canChoose = act !== null && folders?.offered === true;
  const folderMenu: MenuItemConstructorOptions = {
    label: 'Folder',
    submenu: [
      { label: sharing, enabled: false },
      ...(folders?.note ? [{ label: folders.note, enabled: false }] : []),
      { type: 'separator' },
      { label: 'Share a Folder…', enabled: canChoose, click: () => act?.chooseFolder(false) },
      { label: 'Share a Folder Read-Only…', enabled: canChoose, click: () => act?.chooseFolder(true) },
      { label: 'Stop Sharing', enabled: canChoose && Boolean(folders?.shared), click: () => act?.stopSharing() },
    ],
  };
  return [vmMenu, folderMenu];
}

/** Asks first for the actions that lose the guest's unsaved work (reset, force off), as the page does; true: go. */
export async function confirmVmAction(dialog: Pick<Dialog, 'showMessageBox'>, parent: BaseWindow | null, action: PowerAction): Promise<boolean> {
  const question = powerActionConfirmations[action];
  if (!question) return true;
  const options = { type: 'warning' as const, message: question, buttons: [ACTION_LABELS[action], 'Cancel'], defaultId: 1, cancelId: 1 };
  const r = parent ? await dialog.showMessageBox(parent, options) : await dialog.showMessageBox(options);
  return r.response === 0;
}

/** The system's folder dialog, opened in the shared root: the chosen folder, or none when cancelled. */
export async function chooseSharedFolder(dialog: Pick<Dialog, 'showOpenDialog'>, parent: BaseWindow | null, root: string, readOnly: boolean): Promise<string | undefined> {
  const options: OpenDialogOptions = {
    title: readOnly ? 'Share a Folder Read-Only' : 'Share a Folder',
    buttonLabel: 'Share',
    defaultPath: root,
    properties: ['openDirectory'],
  };
  const r = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
  return r.canceled ? undefined : r.filePaths[0];
}
