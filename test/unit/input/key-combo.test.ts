import { describe, expect, it } from 'vitest';
import { parseKeyCombo } from '../../../src/protocol/input/key-combo.ts';
import type { KeyStep } from '../../../src/protocol/input/key-steps.ts';
import { SpiceError } from '../../../src/protocol/wire/errors.ts';

/** "+ControlLeft" for a press, "-ControlLeft" for a release. */
const show = (steps: KeyStep[]): string[] => steps.map((s) => `${s.down ? '+' : '-'}${s.code}`);

describe('key combinations', () => {
  it('presses modifiers in order, taps the key, releases modifiers in reverse', () => {
    expect(show(parseKeyCombo('ctrl+alt+delete'))).toEqual(['+ControlLeft', '+AltLeft', '+Delete', '-Delete', '-AltLeft', '-ControlLeft']);
    const steps = parseKeyCombo('ctrl+alt+delete');
    expect(steps.map((s) => s.scancode)).toEqual([0x1d, 0x38, 0xe053, 0xe053, 0x38, 0x1d]);
  });

  it('parses single keys and .vv hotkeys, whatever the case', () => {
    expect(show(parseKeyCombo('enter'))).toEqual(['+Enter', '-Enter']);
    expect(show(parseKeyCombo('Shift+F12'))).toEqual(['+ShiftLeft', '+F12', '-F12', '-ShiftLeft']);
    expect(show(parseKeyCombo('CTRL+C'))).toEqual(['+ControlLeft', '+KeyC', '-KeyC', '-ControlLeft']);
    expect(show(parseKeyCombo('ctrl+alt+end'))).toEqual(['+ControlLeft', '+AltLeft', '+End', '-End', '-AltLeft', '-ControlLeft']);
    expect(show(parseKeyCombo('shift+f11'))[1]).toBe('+F11');
  });

  it('knows GDK keysym names, aliases, characters and KeyboardEvent.code names', () => {
    const key = (name: string) => parseKeyCombo(name)[0].code;
    expect(key('Return')).toBe('Enter');
    expect(key('Page_Up')).toBe('PageUp');
    expect(key('Next')).toBe('PageDown');
    expect(key('BackSpace')).toBe('Backspace');
    expect(key('esc')).toBe('Escape');
    expect(key('Super_L')).toBe('MetaLeft');
    expect(key('KP_Enter')).toBe('NumpadEnter');
    expect(key('kp_7')).toBe('Numpad7');
    expect(key('ControlRight')).toBe('ControlRight');
    expect(key('numpad5')).toBe('Numpad5');
    expect(key('/')).toBe('Slash');
    expect(key('7')).toBe('Digit7');
    expect(key('f24')).toBe('F24');
    expect(key('print')).toBe('PrintScreen');
    expect(key('pause')).toBe('Pause');
    expect(key('shift')).toBe('ShiftLeft');
    expect(show(parseKeyCombo('ctrl + shift + t'))).toEqual(['+ControlLeft', '+ShiftLeft', '+KeyT', '-KeyT', '-ShiftLeft', '-ControlLeft']);
  });

  it('names the unknown key in its error', () => {
    expect(() => parseKeyCombo('ctrl+foo')).toThrow(/unknown key "foo" in "ctrl\+foo"/);
    expect(() => parseKeyCombo('ctrl+!')).toThrow(/shifted character.*shift\+1/);
    expect(() => parseKeyCombo('ctrl++')).toThrow(/unknown key "\+"/);
    expect(() => parseKeyCombo('toString')).toThrow(/unknown key "toString"/);
  });

  it('refuses empty parts, non-modifiers before the key, and repeats', () => {
    expect(() => parseKeyCombo('')).toThrow(/empty key combination/);
    expect(() => parseKeyCombo('ctrl+')).toThrow(/empty key name/);
    expect(() => parseKeyCombo('+a')).toThrow(/empty key name/);
    expect(() => parseKeyCombo('a+b')).toThrow(/"a" in "a\+b" is not a modifier/);
    expect(() => parseKeyCombo('ctrl+control+x')).toThrow(/appears twice/);
    expect(() => parseKeyCombo('shift+shift')).toThrow(/appears twice/);
  });

  it('throws usage SpiceErrors', () => {
    try {
      parseKeyCombo('hyper+x');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SpiceError);
      expect((e as SpiceError).kind).toBe('usage');
    }
  });
});
