import { describe, expect, it } from 'vitest';
import { textToKeySteps } from '../../../src/protocol/input/text-keys.ts';
import type { KeyStep } from '../../../src/protocol/input/key-steps.ts';

const show = (steps: KeyStep[]): string => steps.map((s) => `${s.down ? '+' : '-'}${s.code}`).join(' ');

describe('typing text on a US layout', () => {
  it('taps lower-case letters and digits without shift', () => {
    expect(show(textToKeySteps('hi5'))).toBe('+KeyH -KeyH +KeyI -KeyI +Digit5 -Digit5');
    expect(textToKeySteps('a').map((s) => s.scancode)).toEqual([0x1e, 0x1e]);
  });

  it('holds shift around capitals and upper symbols', () => {
    expect(show(textToKeySteps('A!'))).toBe('+ShiftLeft +KeyA -KeyA -ShiftLeft +ShiftLeft +Digit1 -Digit1 -ShiftLeft');
    const shifted: [string, string][] = [
      ['~', 'Backquote'], ['@', 'Digit2'], ['#', 'Digit3'], ['$', 'Digit4'], ['%', 'Digit5'], ['^', 'Digit6'], ['&', 'Digit7'],
      ['*', 'Digit8'], ['(', 'Digit9'], [')', 'Digit0'], ['_', 'Minus'], ['+', 'Equal'], ['{', 'BracketLeft'], ['}', 'BracketRight'],
      ['|', 'Backslash'], [':', 'Semicolon'], ['"', 'Quote'], ['<', 'Comma'], ['>', 'Period'], ['?', 'Slash'],
    ];
    for (const [ch, code] of shifted) expect(show(textToKeySteps(ch)), ch).toBe(`+ShiftLeft +${code} -${code} -ShiftLeft`);
    const plain: [string, string][] = [
      ['`', 'Backquote'], ['-', 'Minus'], ['=', 'Equal'], ['[', 'BracketLeft'], [']', 'BracketRight'], ['\\', 'Backslash'],
      [';', 'Semicolon'], ["'", 'Quote'], [',', 'Comma'], ['.', 'Period'], ['/', 'Slash'], [' ', 'Space'],
    ];
    for (const [ch, code] of plain) expect(show(textToKeySteps(ch)), ch).toBe(`+${code} -${code}`);
  });

  it('types newlines as Enter (CR LF once) and tabs as Tab', () => {
    expect(show(textToKeySteps('a\nb'))).toBe('+KeyA -KeyA +Enter -Enter +KeyB -KeyB');
    expect(show(textToKeySteps('\r\n\t'))).toBe('+Enter -Enter +Tab -Tab');
  });

  it('inverts shift for letters only when the guest has Caps Lock on', () => {
    expect(show(textToKeySteps('aB1', { capsLock: true }))).toBe('+ShiftLeft +KeyA -KeyA -ShiftLeft +KeyB -KeyB +Digit1 -Digit1');
  });

  it('names a character no key types, and where it is', () => {
    expect(() => textToKeySteps('café')).toThrow(/cannot type "é" \(U\+00E9\) \(character 4 of the text\): no key types it on a US keyboard layout/);
    expect(() => textToKeySteps('a\u0007')).toThrow(/cannot type U\+0007 \(character 2/);
    expect(() => textToKeySteps('😀')).toThrow(/"😀" \(U\+1F600\) \(character 1 /);
  });

  it('types nothing for empty text', () => {
    expect(textToKeySteps('')).toEqual([]);
  });
});
