// The window's keys, taken in main before the page sees them (webContents' before-input-event):
// the hotkeys the session policy turns on whose action is the window's (fullscreen, Ctrl+Alt+Del
// to the guest, zoom), and in kiosk mode the keys Electron or the OS could act on locally
// (src/protocol/policy/kiosk-policy.ts). The page handles the rest of the policy's hotkeys
// (release-cursor, and a note for actions spicedesk does not implement); every other key goes to
// the guest.
import type { HotkeyAction } from '../../protocol/profile/index.ts';
import { hotkeyMatches, parseHotkey, type Hotkey, type KeyInput } from '../../protocol/policy/hotkey-combo.ts';
import { NOT_KIOSK, sessionPolicy, type SessionPolicy } from '../../protocol/policy/kiosk-policy.ts';

export { hotkeyMatches, parseHotkey, type Hotkey, type KeyInput };

export type WindowAction = Extract<HotkeyAction, 'toggle-fullscreen' | 'secure-attention' | 'zoom-in' | 'zoom-out' | 'zoom-reset'>;

const WINDOW_ACTIONS: ReadonlySet<HotkeyAction> = new Set<WindowAction>(['toggle-fullscreen', 'secure-attention', 'zoom-in', 'zoom-out', 'zoom-reset']);

function isWindowAction(a: HotkeyAction): a is WindowAction {
  return WINDOW_ACTIONS.has(a);
}

/** The window's share of a policy's hotkeys; the ones it ignored are warned about. */
export function policyWindowHotkeys(policy: SessionPolicy, warn: (line: string) => void): Map<WindowAction, Hotkey> {
  for (const i of policy.ignoredHotkeys) warn(`${i.action}: ${i.why}`);
  const out = new Map<WindowAction, Hotkey>();
  for (const h of policy.hotkeys) if (isWindowAction(h.action)) out.set(h.action, h.hotkey);
  return out;
}

/**
 * The window's hotkeys for a profile's keys outside kiosk mode (a window given a .vv file's keys
 * is a .vv window: remote-viewer's defaults are replaced by the file's).
 */
export function windowHotkeys(fromProfile: Partial<Record<HotkeyAction, string>>, warn: (line: string) => void, source: 'uri' | 'vv' = 'uri'): Map<WindowAction, Hotkey> {
  return policyWindowHotkeys(sessionPolicy({ profile: { source, hotkeys: fromProfile }, flags: NOT_KIOSK }), warn);
}

/**
 * Decides per key event whether it is the window's: a hotkey's press runs its action and neither
 * it nor its release reaches the page (the guest never sees half a key); a swallowed key (kiosk)
 * does nothing at all.
 */
export class HotkeyFilter {
  private readonly swallowed = new Set<string>();

  constructor(
    private readonly hotkeys: ReadonlyMap<WindowAction, Hotkey>,
    private readonly blocked: readonly Hotkey[] = [],
  ) {}

  /** The action to run, if any, and whether the page must not see this event. */
  take(input: KeyInput): { action?: WindowAction; swallow: boolean } {
    if (input.type === 'keyUp') {
      return { swallow: this.swallowed.delete(input.code) };
    }
    for (const [action, h] of this.hotkeys) {
      if (hotkeyMatches(h, input)) {
        // A modifier-only hotkey's release must reach the page, which saw the press of the others.
        if (h.code !== null) this.swallowed.add(input.code);
        return { action, swallow: h.code !== null };
      }
    }
    if (this.blocked.some((h) => hotkeyMatches(h, input))) {
      this.swallowed.add(input.code);
      return { swallow: true };
    }
    // An auto-repeat of a swallowed key is the window's too.
    return { swallow: input.type === 'keyDown' && this.swallowed.has(input.code) };
  }
}
