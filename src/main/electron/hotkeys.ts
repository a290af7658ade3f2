// The window's own hotkeys, taken in main before the page sees the key (webContents'
// before-input-event): fullscreen (F11, or the .vv toggle-fullscreen key), Ctrl+Alt+Del to the
// guest (the .vv secure-attention key, Ctrl+Alt+End by default as in remote-viewer), and the
// .vv zoom keys when a file gives them. Everything else goes to the guest.
import type { HotkeyAction } from '../../protocol/profile/index.ts';
import { codeForKeyName, isModifierCode } from '../../protocol/input/key-combo.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';

export type WindowAction = Extract<HotkeyAction, 'toggle-fullscreen' | 'secure-attention' | 'zoom-in' | 'zoom-out' | 'zoom-reset'>;

/** Modifier bits; left and right keys are one modifier, as in .vv files. */
const Mod = { CTRL: 1, SHIFT: 2, ALT: 4, META: 8 } as const;

export interface Hotkey {
  /** The modifiers held, the key's own included when it is a modifier. */
  modifiers: number;
  /** The KeyboardEvent.code of the key, or null when the key is a modifier (matched by kind). */
  code: string | null;
  text: string;
}

/** What of Electron's Input (before-input-event) this reads. */
export interface KeyInput {
  type: string;
  code: string;
  control: boolean;
  shift: boolean;
  alt: boolean;
  meta: boolean;
}

function modifierOf(code: string): number {
  if (code.startsWith('Control')) return Mod.CTRL;
  if (code.startsWith('Shift')) return Mod.SHIFT;
  if (code.startsWith('Alt')) return Mod.ALT;
  if (code.startsWith('Meta')) return Mod.META;
  return 0;
}

/** A .vv hotkey (`shift+f11`, `ctrl+alt+end`, `ctrl+alt`); null for '' (the file turned it off). */
export function parseHotkey(text: string): Hotkey | null {
  if (text.trim() === '') return null;
  const parts = text.split('+').map((p) => p.trim());
  let modifiers = 0;
  let code: string | null = null;
  for (const [i, part] of parts.entries()) {
    const c = part === '' ? undefined : codeForKeyName(part);
    if (c === undefined) throw new SpiceError('usage', `hotkey "${text}": unknown key "${part}"`);
    const last = i === parts.length - 1;
    if (isModifierCode(c)) modifiers |= modifierOf(c);
    else if (last) code = c;
    else throw new SpiceError('usage', `hotkey "${text}": "${part}" is not a modifier; only the last key may be an ordinary key`);
  }
  return { modifiers, code, text };
}

export function hotkeyMatches(h: Hotkey, input: KeyInput): boolean {
  if (input.type !== 'keyDown') return false;
  const own = modifierOf(input.code);
  const held =
    (input.control ? Mod.CTRL : 0) | (input.shift ? Mod.SHIFT : 0) | (input.alt ? Mod.ALT : 0) | (input.meta ? Mod.META : 0) | (isModifierCode(input.code) ? own : 0);
  if (held !== h.modifiers) return false;
  // A modifier-only hotkey fires on the press that completes it.
  return h.code === null ? isModifierCode(input.code) : input.code === h.code;
}

const DEFAULTS: Partial<Record<WindowAction, string>> = {
  'toggle-fullscreen': 'f11',
  'secure-attention': 'ctrl+alt+end',
};

const ACTIONS: readonly WindowAction[] = ['toggle-fullscreen', 'secure-attention', 'zoom-in', 'zoom-out', 'zoom-reset'];

/**
 * The window's hotkeys from a profile's: the file's key when it names one (an empty value turns
 * the action's hotkey off), the default otherwise. A key the window cannot read is left out, with
 * a warning, rather than failing the window.
 */
export function windowHotkeys(fromProfile: Partial<Record<HotkeyAction, string>>, warn: (line: string) => void): Map<WindowAction, Hotkey> {
  const out = new Map<WindowAction, Hotkey>();
  for (const action of ACTIONS) {
    const text = Object.hasOwn(fromProfile, action) ? fromProfile[action] : DEFAULTS[action];
    if (text === undefined) continue;
    try {
      const h = parseHotkey(text);
      if (h) out.set(action, h);
    } catch (e) {
      warn(`${action}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return out;
}

/**
 * Decides per key event whether it is the window's: a hotkey's press runs its action and neither
 * it nor its release reaches the page (the guest never sees half a key).
 */
export class HotkeyFilter {
  private readonly swallowed = new Set<string>();

  constructor(private readonly hotkeys: ReadonlyMap<WindowAction, Hotkey>) {}

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
    // An auto-repeat of a swallowed key is the window's too.
    return { swallow: input.type === 'keyDown' && this.swallowed.has(input.code) };
  }
}
