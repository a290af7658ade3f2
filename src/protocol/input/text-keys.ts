// Text -> key steps for a US keyboard layout: what a person would press to type it. Shift for
// capitals and the upper symbols, Enter for a newline, Tab for a tab. The guest must use a US
// layout too; other layouts give other characters for the same keys.
import { SpiceError } from '../wire/errors.ts';
import { chord, type KeyStep } from './key-steps.ts';
import { scancodeTable } from './scancodes.ts';

interface UsKey {
  code: string;
  shift: boolean;
}

/** Unshifted and shifted character of each key that types one. */
const usKeys: [code: string, plain: string, shifted: string][] = [
  ['Backquote', '`', '~'],
  ['Digit1', '1', '!'],
  ['Digit2', '2', '@'],
  ['Digit3', '3', '#'],
  ['Digit4', '4', '$'],
  ['Digit5', '5', '%'],
  ['Digit6', '6', '^'],
  ['Digit7', '7', '&'],
  ['Digit8', '8', '*'],
  ['Digit9', '9', '('],
  ['Digit0', '0', ')'],
  ['Minus', '-', '_'],
  ['Equal', '=', '+'],
  ['BracketLeft', '[', '{'],
  ['BracketRight', ']', '}'],
  ['Backslash', '\\', '|'],
  ['Semicolon', ';', ':'],
  ['Quote', "'", '"'],
  ['Comma', ',', '<'],
  ['Period', '.', '>'],
  ['Slash', '/', '?'],
  ['Space', ' ', ' '],
];

const keyForChar = new Map<string, UsKey>();
for (const [code, plain, shifted] of usKeys) {
  keyForChar.set(plain, { code, shift: false });
  if (shifted !== plain) keyForChar.set(shifted, { code, shift: true });
}
for (let c = 0; c < 26; c++) {
  const code = `Key${String.fromCharCode(65 + c)}`;
  keyForChar.set(String.fromCharCode(97 + c), { code, shift: false });
  keyForChar.set(String.fromCharCode(65 + c), { code, shift: true });
}
keyForChar.set('\n', { code: 'Enter', shift: false });
keyForChar.set('\t', { code: 'Tab', shift: false });

const SHIFT = { code: 'ShiftLeft', scancode: scancodeTable.ShiftLeft };

function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return cp < 0x20 || cp === 0x7f ? hex : `"${ch}" (${hex})`;
}

export interface TypeTextOptions {
  /** The guest's Caps Lock is on: letters need the opposite shift. */
  capsLock?: boolean;
}

/**
 * The key steps that type `text`. "\r\n" and "\r" count as one newline. Throws a usage
 * SpiceError naming the first character no US key types, and where it is.
 */
export function textToKeySteps(text: string, options: TypeTextOptions = {}): KeyStep[] {
  const steps: KeyStep[] = [];
  const chars = Array.from(text.replace(/\r\n?/g, '\n'));
  chars.forEach((ch, index) => {
    const key = keyForChar.get(ch);
    if (!key) {
      throw new SpiceError('usage', `cannot type ${describeChar(ch)} (character ${index + 1} of the text): no key types it on a US keyboard layout`);
    }
    const isLetter = /^[a-zA-Z]$/.test(ch);
    const shift = isLetter && options.capsLock ? !key.shift : key.shift;
    const tap = { code: key.code, scancode: scancodeTable[key.code] };
    steps.push(...chord(shift ? [SHIFT] : [], tap));
  });
  return steps;
}
