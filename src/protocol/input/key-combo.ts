// Key combinations written as in .vv hotkeys and on command lines: `ctrl+alt+delete`,
// `shift+f12`, `enter`. Parts are separated by '+', case does not matter; every part but the last
// must be a modifier. A part is a common key name (GDK keysym names included, as .vv files use
// them), a single unshifted US character, or a KeyboardEvent.code (`ControlRight`, `Numpad5`).
import { SpiceError } from '../wire/errors.ts';
import { chord, type KeyStep } from './key-steps.ts';
import { scancodeForCode, scancodeTable } from './scancodes.ts';

const modifierCodes = new Set(['ControlLeft', 'ControlRight', 'ShiftLeft', 'ShiftRight', 'AltLeft', 'AltRight', 'MetaLeft', 'MetaRight']);

/** Names beyond the KeyboardEvent.code values, lower case -> code. */
const aliases: Record<string, string> = {
  ctrl: 'ControlLeft',
  control: 'ControlLeft',
  ctrl_l: 'ControlLeft',
  control_l: 'ControlLeft',
  lctrl: 'ControlLeft',
  ctrl_r: 'ControlRight',
  control_r: 'ControlRight',
  rctrl: 'ControlRight',
  shift: 'ShiftLeft',
  shift_l: 'ShiftLeft',
  lshift: 'ShiftLeft',
  shift_r: 'ShiftRight',
  rshift: 'ShiftRight',
  alt: 'AltLeft',
  alt_l: 'AltLeft',
  lalt: 'AltLeft',
  alt_r: 'AltRight',
  ralt: 'AltRight',
  altgr: 'AltRight',
  iso_level3_shift: 'AltRight',
  super: 'MetaLeft',
  super_l: 'MetaLeft',
  meta: 'MetaLeft',
  meta_l: 'MetaLeft',
  win: 'MetaLeft',
  windows: 'MetaLeft',
  cmd: 'MetaLeft',
  super_r: 'MetaRight',
  meta_r: 'MetaRight',
  return: 'Enter',
  ret: 'Enter',
  esc: 'Escape',
  del: 'Delete',
  ins: 'Insert',
  bksp: 'Backspace',
  pgup: 'PageUp',
  page_up: 'PageUp',
  prior: 'PageUp',
  pgdn: 'PageDown',
  page_down: 'PageDown',
  next: 'PageDown',
  up: 'ArrowUp',
  down: 'ArrowDown',
  left: 'ArrowLeft',
  right: 'ArrowRight',
  print: 'PrintScreen',
  prtsc: 'PrintScreen',
  sysrq: 'PrintScreen',
  sys_req: 'PrintScreen',
  break: 'Pause',
  caps_lock: 'CapsLock',
  num_lock: 'NumLock',
  scroll_lock: 'ScrollLock',
  menu: 'ContextMenu',
  apps: 'ContextMenu',
  minus: 'Minus',
  equals: 'Equal',
  bracketleft: 'BracketLeft',
  bracketright: 'BracketRight',
  semicolon: 'Semicolon',
  apostrophe: 'Quote',
  grave: 'Backquote',
  dead_grave: 'Backquote',
  comma: 'Comma',
  period: 'Period',
  dot: 'Period',
  kp_enter: 'NumpadEnter',
  kp_add: 'NumpadAdd',
  kp_subtract: 'NumpadSubtract',
  kp_multiply: 'NumpadMultiply',
  kp_divide: 'NumpadDivide',
  kp_decimal: 'NumpadDecimal',
  kp_delete: 'NumpadDecimal',
  kp_equal: 'NumpadEqual',
  '-': 'Minus',
  '=': 'Equal',
  '[': 'BracketLeft',
  ']': 'BracketRight',
  '\\': 'Backslash',
  ';': 'Semicolon',
  "'": 'Quote',
  '`': 'Backquote',
  ',': 'Comma',
  '.': 'Period',
  '/': 'Slash',
  ' ': 'Space',
};
for (let i = 0; i <= 9; i++) {
  aliases[String(i)] = `Digit${i}`;
  aliases[`kp_${i}`] = `Numpad${i}`;
}
for (let c = 0; c < 26; c++) {
  const letter = String.fromCharCode(97 + c);
  aliases[letter] = `Key${letter.toUpperCase()}`;
}

/** Every KeyboardEvent.code of the table, by its lower-case spelling. */
const codesByLowerName = new Map(Object.keys(scancodeTable).map((code) => [code.toLowerCase(), code]));

/** The KeyboardEvent.code a key name stands for, or undefined. */
export function codeForKeyName(name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.hasOwn(aliases, lower) ? aliases[lower] : codesByLowerName.get(lower);
}

export function isModifierCode(code: string): boolean {
  return modifierCodes.has(code);
}

const shiftedUsCharacters = '~!@#$%^&*()_+{}|:"<>?';

function unknownKey(part: string, combo: string): SpiceError {
  const hint = part.length === 1 && shiftedUsCharacters.includes(part)
    ? `"${part}" is a shifted character: write the key under it with shift, e.g. shift+1 for "!"`
    : 'keys are named like a, 5, f12, enter, esc, tab, space, backspace, delete, home, pageup, up, ctrl, alt, shift, super, or a KeyboardEvent.code such as ControlRight';
  return new SpiceError('usage', `unknown key "${part}" in "${combo}": ${hint}`);
}

/**
 * Parses a combination into the key steps that type it: modifiers down in order, the key down and
 * up, modifiers up in reverse order. Throws a usage SpiceError naming the part that is wrong.
 */
export function parseKeyCombo(combo: string): KeyStep[] {
  if (combo.trim() === '') throw new SpiceError('usage', 'empty key combination; write it like ctrl+alt+delete or enter');
  // "ctrl++" ends in the key '+', which is shift+= on a US keyboard: say so rather than misparse.
  if (/\+\s*\+$/.test(combo) || combo === '+') throw unknownKey('+', combo);
  const parts = combo.split('+').map((p) => (p === ' ' ? p : p.trim()));
  const keys = parts.map((part) => {
    if (part === '') throw new SpiceError('usage', `empty key name in "${combo}" (two "+" in a row, or one at an end)`);
    const code = codeForKeyName(part);
    const scancode = code === undefined ? undefined : scancodeForCode(code);
    if (code === undefined || scancode === undefined) throw unknownKey(part, combo);
    return { code, scancode, part };
  });
  const held = keys.slice(0, -1);
  const key = keys[keys.length - 1];
  const seen = new Set<string>();
  for (const h of held) {
    if (!isModifierCode(h.code)) {
      throw new SpiceError('usage', `"${h.part}" in "${combo}" is not a modifier: only the last key of a combination may be an ordinary key`);
    }
    if (seen.has(h.code)) throw new SpiceError('usage', `"${h.part}" appears twice in "${combo}"`);
    seen.add(h.code);
  }
  if (seen.has(key.code)) throw new SpiceError('usage', `"${key.part}" appears twice in "${combo}"`);
  return chord(
    held.map(({ code, scancode }) => ({ code, scancode })),
    { code: key.code, scancode: key.scancode },
  );
}
