// Hotkeys as .vv files and remote-viewer write them (`shift+f12`, `ctrl+alt+end`, `ctrl+alt`), and
// matching them against a key press. Pure, so that the Electron main process (before-input-event)
// and the page (KeyboardEvent) match with the same rules.
import { codeForKeyName, isModifierCode } from '../input/key-combo.ts';
import { SpiceError } from '../wire/errors.ts';

/** Modifier bits; left and right keys are one modifier, as in .vv files. */
export const Mod = { CTRL: 1, SHIFT: 2, ALT: 4, META: 8 } as const;

export interface Hotkey {
  /** The modifiers held, the key's own included when it is a modifier. */
  modifiers: number;
  /** The KeyboardEvent.code of the key, or null when every key is a modifier (matched by kind). */
  code: string | null;
  text: string;
}

/** A key press as Electron's Input and the DOM's KeyboardEvent both describe it. */
export interface KeyInput {
  /** 'keyDown' or 'keyUp' (Electron's spelling; the page maps its events to it). */
  type: string;
  code: string;
  control: boolean;
  shift: boolean;
  alt: boolean;
  meta: boolean;
}

export function modifierOf(code: string): number {
  if (code.startsWith('Control')) return Mod.CTRL;
  if (code.startsWith('Shift')) return Mod.SHIFT;
  if (code.startsWith('Alt')) return Mod.ALT;
  if (code.startsWith('Meta')) return Mod.META;
  return 0;
}

/** A hotkey string; null for '' (a .vv file turning the action's hotkey off). Throws a usage SpiceError. */
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

/** Whether a key press is the hotkey: its key with exactly its modifiers. */
export function hotkeyMatches(h: Hotkey, input: KeyInput): boolean {
  if (input.type !== 'keyDown') return false;
  const modifierKey = isModifierCode(input.code);
  const held =
    (input.control ? Mod.CTRL : 0) |
    (input.shift ? Mod.SHIFT : 0) |
    (input.alt ? Mod.ALT : 0) |
    (input.meta ? Mod.META : 0) |
    (modifierKey ? modifierOf(input.code) : 0);
  if (held !== h.modifiers) return false;
  // A modifier-only hotkey fires on the press that completes it.
  return h.code === null ? modifierKey : input.code === h.code;
}
