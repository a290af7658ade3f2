// The host -> page PAGE_POLICY message (kind 0x18, the kiosk range): whether the page is in kiosk
// mode, which of its controls it shows, what it does when the session ends, and its hotkeys. The
// host sends it once the page has picked its target, before anything of the session. The shared
// host codec hands kind 0x18 over to the functions here.
import { HOTKEY_ACTIONS, type HotkeyAction } from '../profile/types.ts';
import { WireWriter } from '../wire/writer.ts';
import { encodeString, FieldReader } from './bridge-fields.ts';
import { HostKind } from './kinds.ts';
import { parseHotkey } from '../policy/hotkey-combo.ts';
import type { FileTransferPolicy, PageControls, SessionEndAction, SessionPolicy } from '../policy/kiosk-policy.ts';

/** A hotkey's text in bytes: longer than any real combination, short enough to be harmless. */
export const MAX_HOTKEY_TEXT_BYTES = 64;

const Flag = { KIOSK: 1, BAR: 2, CAD_BUTTON: 4, RESIZE_TOGGLE: 8, NO_FILE_TRANSFER: 16, VM_MENU: 32 } as const;
const ALL_FLAGS = 0x3f;
const sessionEndActions: readonly SessionEndAction[] = ['status', 'reconnect-screen', 'quit'];

export interface PagePolicyMessage {
  kind: 'page-policy';
  kiosk: boolean;
  controls: PageControls;
  onSessionEnd: SessionEndAction;
  /** Whether files may be dropped for the guest (--file-transfer); the host refuses them anyway under 'none'. */
  fileTransfer: FileTransferPolicy;
  /** The hotkeys that are on, as their text (the page parses them with the same rules). */
  hotkeys: { action: HotkeyAction; text: string }[];
}

export type PolicyHostMessage = PagePolicyMessage;

/** The page's part of a session policy. */
export function pagePolicyMessage(p: SessionPolicy): PagePolicyMessage {
  return {
    kind: 'page-policy',
    kiosk: p.kiosk,
    controls: { ...p.controls },
    onSessionEnd: p.onSessionEnd,
    fileTransfer: p.fileTransfer,
    hotkeys: p.hotkeys.map((h) => ({ action: h.action, text: h.hotkey.text })),
  };
}

export function encodePolicyHostMessage(m: PolicyHostMessage): Uint8Array {
  const flags =
    (m.kiosk ? Flag.KIOSK : 0) | (m.controls.bar ? Flag.BAR : 0) | (m.controls.ctrlAltDelButton ? Flag.CAD_BUTTON : 0) | (m.controls.resizeToggle ? Flag.RESIZE_TOGGLE : 0) |
    (m.fileTransfer === 'none' ? Flag.NO_FILE_TRANSFER : 0) | (m.controls.vmMenu ? Flag.VM_MENU : 0);
  const w = new WireWriter(8 + m.hotkeys.length * 16)
    .u8(HostKind.PAGE_POLICY)
    .u8(flags)
    .u8(sessionEndActions.indexOf(m.onSessionEnd))
    .u8(m.hotkeys.length);
  for (const h of m.hotkeys) w.u8(HOTKEY_ACTIONS.indexOf(h.action)).bytes(encodeString(h.text, MAX_HOTKEY_TEXT_BYTES));
  return w.finish();
}

/** Null when the kind is not this file's; a BridgeError for a malformed PAGE_POLICY. */
export function decodePolicyHostMessage(bytes: Uint8Array): PolicyHostMessage | null {
  if (bytes[0] !== HostKind.PAGE_POLICY) return null;
  const r = new FieldReader(bytes, 'host', 'PAGE_POLICY');
  const flags = r.u8('flags');
  if (flags & ~ALL_FLAGS) r.fail(`unknown flags 0x${flags.toString(16)}`);
  const onSessionEnd = sessionEndActions[r.range(r.u8('session end'), 'session end', 0, sessionEndActions.length - 1)];
  const n = r.range(r.u8('hotkey count'), 'hotkey count', 0, HOTKEY_ACTIONS.length);
  const hotkeys: PagePolicyMessage['hotkeys'] = [];
  for (let i = 0; i < n; i++) {
    const action = HOTKEY_ACTIONS[r.range(r.u8('hotkey action'), 'hotkey action', 0, HOTKEY_ACTIONS.length - 1)];
    if (hotkeys.some((h) => h.action === action)) r.fail(`hotkey ${action} given twice`);
    const text = r.string(`${action} hotkey`, MAX_HOTKEY_TEXT_BYTES);
    let parsed;
    try {
      parsed = parseHotkey(text);
    } catch (e) {
      r.fail(e instanceof Error ? e.message : String(e));
    }
    if (!parsed) r.fail(`${action} hotkey is empty`);
    hotkeys.push({ action, text });
  }
  r.end();
  return {
    kind: 'page-policy',
    kiosk: (flags & Flag.KIOSK) !== 0,
    controls: {
      bar: (flags & Flag.BAR) !== 0,
      ctrlAltDelButton: (flags & Flag.CAD_BUTTON) !== 0,
      resizeToggle: (flags & Flag.RESIZE_TOGGLE) !== 0,
      vmMenu: (flags & Flag.VM_MENU) !== 0,
    },
    onSessionEnd,
    fileTransfer: flags & Flag.NO_FILE_TRANSFER ? 'none' : 'to-guest',
    hotkeys,
  };
}
