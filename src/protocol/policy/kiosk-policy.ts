// The one place that decides what a session's window and page may do, from the connection profile
// and the command line's --kiosk / --kiosk-quit, as remote-viewer does it (virt-viewer's
// virt-viewer-app.c and virt-viewer-window.c):
// - kiosk: fullscreen on every head, no window controls, no menu, no developer tools, no quit, no
//   status bar or buttons in the page; hotkeys only those the profile names (no built-in F11,
//   shift+F12 or Ctrl+Alt+End), and keys Electron would act on locally swallowed;
// - --kiosk-quit never (the default): when the session ends, a reconnect screen, credentials asked
//   again; on-disconnect: quit (a supervisor such as systemd starts spicedesk again).
// Everything here is data; src/main/electron and src/renderer apply it.
import type { ConnectionProfile, HotkeyAction } from '../profile/types.ts';
import { HOTKEY_ACTIONS } from '../profile/types.ts';
import { SpiceError } from '../wire/errors.ts';
import { parseHotkey, type Hotkey } from './hotkey-combo.ts';

export const KIOSK_QUIT_VALUES = ['never', 'on-disconnect'] as const;
export type KioskQuit = (typeof KIOSK_QUIT_VALUES)[number];

/**
 * `--file-transfer`: whether files dropped on the page or window go into the guest. Its own switch,
 * apart from `--clipboard`: a deployment that keeps data in or out needs both off.
 */
export type FileTransferPolicy = 'none' | 'to-guest';
/** Looked up in a Map, never on an object: `constructor` or `__proto__` is no value of it. */
const fileTransferValues = new Map<string, FileTransferPolicy>([
  ['none', 'none'],
  ['to-guest', 'to-guest'],
]);
export const FILE_TRANSFER_VALUES: readonly FileTransferPolicy[] = [...fileTransferValues.values()];
export const DEFAULT_FILE_TRANSFER: FileTransferPolicy = 'to-guest';

/** `--file-transfer`'s value, checked. */
export function parseFileTransfer(value: string): FileTransferPolicy {
  const policy = fileTransferValues.get(value);
  if (policy === undefined) throw new SpiceError('usage', `--file-transfer must be ${FILE_TRANSFER_VALUES.join(' or ')}, got "${value}"`);
  return policy;
}

/** The command line's part: `--kiosk`, `--kiosk-quit` and `--file-transfer`. */
export interface KioskFlags {
  kiosk: boolean;
  kioskQuit: KioskQuit;
  /** Absent: DEFAULT_FILE_TRANSFER, in kiosk mode too (a kiosk that must keep files out says --file-transfer none). */
  fileTransfer?: FileTransferPolicy;
}

export const NOT_KIOSK: KioskFlags = { kiosk: false, kioskQuit: 'never' };

/** `--kiosk-quit`'s value, checked. */
export function parseKioskQuit(value: string): KioskQuit {
  const v = value.trim().toLowerCase();
  if ((KIOSK_QUIT_VALUES as readonly string[]).includes(v)) return v as KioskQuit;
  throw new SpiceError('usage', `--kiosk-quit must be never or on-disconnect, got "${value}"`);
}

/** What the Electron window is allowed to be. */
export interface WindowRules {
  /** Electron's kiosk mode (fullscreen that the user cannot leave). */
  kiosk: boolean;
  /** Start fullscreen. */
  fullscreen: boolean;
  /** Every head's window fullscreen on its own monitor, not only the first. */
  fullscreenOnEveryHead: boolean;
  /** Whether fullscreen may be left (toggle-fullscreen, the menu). */
  leaveFullscreen: boolean;
  /** Title bar and borders. */
  frame: boolean;
  closable: boolean;
  minimizable: boolean;
  maximizable: boolean;
  resizable: boolean;
  movable: boolean;
  /** The application menu (File, View, Send Key). */
  menu: boolean;
  devTools: boolean;
  /** Whether the user may quit (a window's close button, Alt+F4, Cmd+Q, the menu). */
  quit: boolean;
}

/** The page's own controls. */
export interface PageControls {
  /** The bar at the top: status, detail, "Fit guest to window", Ctrl+Alt+Del. */
  bar: boolean;
  ctrlAltDelButton: boolean;
  resizeToggle: boolean;
  /**
   * The VM menu (pause, resume, reset, power down, force off) where the server offers QEMU's
   * monitor port: hidden in kiosk mode, as remote-viewer hides its menus, and the host then refuses
   * the page's power actions too.
   */
  vmMenu: boolean;
}

/**
 * When the session ends for good (the host gave up reconnecting, or the page's bridge closed):
 * 'status' shows why in the status bar; 'reconnect-screen' covers the page with a screen whose
 * button (or Enter) starts a new session; 'quit' ends the app.
 */
export type SessionEndAction = 'status' | 'reconnect-screen' | 'quit';

/** A hotkey that is on, with the action it runs. */
export interface ActiveHotkey {
  action: HotkeyAction;
  hotkey: Hotkey;
}

/** A hotkey named somewhere that is not on, and why (for a warning). */
export interface IgnoredHotkey {
  action: HotkeyAction;
  text: string;
  why: string;
}

export interface SessionPolicy {
  kiosk: boolean;
  window: WindowRules;
  controls: PageControls;
  hotkeys: ActiveHotkey[];
  ignoredHotkeys: IgnoredHotkey[];
  onSessionEnd: SessionEndAction;
  /** Whether a dropped session is retried automatically (the host's reconnect with backoff). */
  autoReconnect: boolean;
  /** Files from the page into the guest; the host refuses offers under 'none', the page shows no drop target. */
  fileTransfer: FileTransferPolicy;
  /**
   * Keys the Electron window swallows before the page (and the guest) sees them, because Chromium,
   * Electron or the OS could act on them locally: close, quit, hide, reload, developer tools,
   * leaving fullscreen. Empty outside kiosk. A profile's hotkey on one of them runs its action.
   */
  swallowedKeys: Hotkey[];
}

/**
 * Hotkeys of a window opened without a .vv file, outside kiosk: remote-viewer's defaults for the
 * actions spicedesk has. remote-viewer's zoom defaults (Ctrl+plus, Ctrl+minus, Ctrl+0) are left
 * to the guest, where they are common shortcuts; usb-device-reset and the smartcard keys have no
 * default because spicedesk implements neither yet.
 */
export const DEFAULT_HOTKEYS: Readonly<Partial<Record<HotkeyAction, string>>> = {
  'toggle-fullscreen': 'f11',
  'release-cursor': 'shift+f12',
  'secure-attention': 'ctrl+alt+end',
};

/**
 * After a .vv file, remote-viewer clears every default hotkey and the release-cursor key falls
 * back to spice-gtk's grab sequence, Ctrl+Alt (virt_viewer_app_clear_hotkeys).
 */
export const VV_RELEASE_CURSOR_FALLBACK = 'ctrl+alt';

/** Actions a hotkey may name that spicedesk does not implement yet; pressing one says so. */
export const UNIMPLEMENTED_ACTIONS: Readonly<Partial<Record<HotkeyAction, string>>> = {
  'usb-device-reset': 'USB redirection is not implemented in spicedesk yet',
  'smartcard-insert': 'smartcard redirection is not implemented in spicedesk yet',
  'smartcard-remove': 'smartcard redirection is not implemented in spicedesk yet',
};

/**
 * What kiosk mode swallows in the Electron window, by what it would do. The browser gateway's page
 * cannot stop the browser's own shortcuts: a browser kiosk needs the browser's kiosk mode
 * (resources/thin-client/README.md).
 */
export const KIOSK_SWALLOWED_KEYS: Readonly<Record<string, readonly string[]>> = {
  'close the window': ['alt+f4', 'ctrl+w', 'ctrl+shift+w', 'ctrl+f4', 'meta+w'],
  quit: ['ctrl+q', 'ctrl+shift+q', 'meta+q'],
  'hide or minimize': ['meta+h', 'meta+alt+h', 'meta+m'],
  'leave fullscreen': ['f11', 'meta+ctrl+f'],
  'developer tools': ['ctrl+shift+i', 'ctrl+shift+j', 'ctrl+shift+c', 'f12', 'meta+alt+i', 'meta+alt+j', 'meta+alt+c'],
  reload: ['ctrl+r', 'ctrl+shift+r', 'f5', 'ctrl+f5', 'shift+f5', 'meta+r', 'meta+shift+r'],
};

export interface PolicyInput {
  /** The target's profile; undefined for a window without a target. */
  profile?: Pick<ConnectionProfile, 'source' | 'hotkeys' | 'fullscreen'>;
  flags: KioskFlags;
  /** A development run (Electron's app not packaged): developer tools exist outside kiosk. */
  development?: boolean;
}

export function sessionPolicy(input: PolicyInput): SessionPolicy {
  const kiosk = input.flags.kiosk;
  const { hotkeys, ignoredHotkeys } = activeHotkeys(input.profile, kiosk);
  return {
    kiosk,
    window: windowRules(kiosk, input.profile?.fullscreen === true, input.development === true),
    controls: { bar: !kiosk, ctrlAltDelButton: !kiosk, resizeToggle: !kiosk, vmMenu: !kiosk },
    hotkeys,
    ignoredHotkeys,
    onSessionEnd: kiosk ? (input.flags.kioskQuit === 'on-disconnect' ? 'quit' : 'reconnect-screen') : 'status',
    // remote-viewer quits at the first disconnect with on-disconnect; the supervisor brings it back.
    autoReconnect: !(kiosk && input.flags.kioskQuit === 'on-disconnect'),
    fileTransfer: input.flags.fileTransfer ?? DEFAULT_FILE_TRANSFER,
    swallowedKeys: kiosk ? swallowedKeys(hotkeys) : [],
  };
}

function windowRules(kiosk: boolean, fullscreen: boolean, development: boolean): WindowRules {
  if (kiosk) {
    return {
      kiosk: true,
      fullscreen: true,
      fullscreenOnEveryHead: true,
      leaveFullscreen: false,
      frame: false,
      closable: false,
      minimizable: false,
      maximizable: false,
      resizable: false,
      movable: false,
      menu: false,
      devTools: false,
      quit: false,
    };
  }
  return {
    kiosk: false,
    fullscreen,
    fullscreenOnEveryHead: fullscreen,
    leaveFullscreen: true,
    frame: true,
    closable: true,
    minimizable: true,
    maximizable: true,
    resizable: true,
    movable: true,
    menu: true,
    devTools: development,
    quit: true,
  };
}

/**
 * Which hotkeys are on. Without a .vv file: DEFAULT_HOTKEYS. With one: only its keys (an empty
 * value turns one off), release-cursor falling back to Ctrl+Alt, as remote-viewer. In kiosk: only
 * the profile's keys, and never toggle-fullscreen (a kiosk window stays fullscreen) nor the
 * release-cursor fallback (remote-viewer turns the grab sequence off in kiosk, "to prevent escape").
 */
function activeHotkeys(profile: PolicyInput['profile'], kiosk: boolean): { hotkeys: ActiveHotkey[]; ignoredHotkeys: IgnoredHotkey[] } {
  const fromFile = profile?.source === 'vv';
  const named = profile?.hotkeys ?? {};
  const hotkeys: ActiveHotkey[] = [];
  const ignoredHotkeys: IgnoredHotkey[] = [];
  const taken = new Map<string, HotkeyAction>();
  for (const action of HOTKEY_ACTIONS) {
    let text: string | undefined;
    if (Object.hasOwn(named, action)) text = named[action];
    else if (kiosk) text = undefined;
    else if (fromFile) text = action === 'release-cursor' ? VV_RELEASE_CURSOR_FALLBACK : undefined;
    else text = DEFAULT_HOTKEYS[action];
    if (text === undefined || text.trim() === '') continue;
    if (kiosk && action === 'toggle-fullscreen') {
      ignoredHotkeys.push({ action, text, why: 'a kiosk window stays fullscreen' });
      continue;
    }
    let hotkey: Hotkey | null;
    try {
      hotkey = parseHotkey(text);
    } catch (e) {
      ignoredHotkeys.push({ action, text, why: e instanceof Error ? e.message : String(e) });
      continue;
    }
    if (!hotkey) continue;
    const key = `${hotkey.modifiers}:${hotkey.code ?? '*'}`;
    const other = taken.get(key);
    if (other) {
      ignoredHotkeys.push({ action, text, why: `"${text}" is the same keys as ${other}` });
      continue;
    }
    taken.set(key, action);
    hotkeys.push({ action, hotkey });
  }
  return { hotkeys, ignoredHotkeys };
}

function swallowedKeys(hotkeys: readonly ActiveHotkey[]): Hotkey[] {
  const own = new Set(hotkeys.map((h) => `${h.hotkey.modifiers}:${h.hotkey.code ?? '*'}`));
  const out: Hotkey[] = [];
  for (const combos of Object.values(KIOSK_SWALLOWED_KEYS)) {
    for (const text of combos) {
      const h = parseHotkey(text);
      if (h && !own.has(`${h.modifiers}:${h.code ?? '*'}`)) out.push(h);
    }
  }
  return out;
}

/**
 * The command line's `--kiosk` and `--kiosk-quit` values (as node:util parseArgs gives them).
 * `--kiosk-quit` alone is accepted and means nothing, as in remote-viewer; `warn` says so.
 */
export function kioskFlagsOf(kiosk: unknown, kioskQuit: unknown, warn: (line: string) => void, fileTransfer?: FileTransferPolicy): KioskFlags {
  const quit = typeof kioskQuit === 'string' ? parseKioskQuit(kioskQuit) : 'never';
  if (kiosk !== true && typeof kioskQuit === 'string') warn('--kiosk-quit has no effect without --kiosk');
  return { kiosk: kiosk === true, kioskQuit: quit, ...(fileTransfer === undefined ? {} : { fileTransfer }) };
}
