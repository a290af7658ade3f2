// The scan code table, checked entry by entry against an independent description of the PC
// keyboard written here: the rows of the main block run in sequence, the navigation keys are their
// keypad twins with E0, the right-hand modifiers are the left ones with E0, and the rest are listed
// from the XT/keycodemapdb references by hand.
import { describe, expect, it } from 'vitest';
import { formatScancode, isValidScancode, PAUSE_SCANCODE, scancodeForCode, scancodeTable, wireCodesFor } from '../../../src/protocol/input/scancodes.ts';

const expected = new Map<string, number>();
const put = (code: string, value: number): void => {
  if (expected.has(code)) throw new Error(`test table lists ${code} twice`);
  expected.set(code, value);
};
/** Keys of one physical row, whose codes run up by one from `first`. */
const row = (first: number, codes: string[]): void => codes.forEach((c, i) => put(c, first + i));

row(0x01, ['Escape', 'Digit1', 'Digit2', 'Digit3', 'Digit4', 'Digit5', 'Digit6', 'Digit7', 'Digit8', 'Digit9', 'Digit0', 'Minus', 'Equal', 'Backspace']);
row(0x0f, ['Tab', 'KeyQ', 'KeyW', 'KeyE', 'KeyR', 'KeyT', 'KeyY', 'KeyU', 'KeyI', 'KeyO', 'KeyP', 'BracketLeft', 'BracketRight', 'Enter']);
row(0x1d, ['ControlLeft', 'KeyA', 'KeyS', 'KeyD', 'KeyF', 'KeyG', 'KeyH', 'KeyJ', 'KeyK', 'KeyL', 'Semicolon', 'Quote', 'Backquote']);
row(0x2a, ['ShiftLeft', 'Backslash', 'KeyZ', 'KeyX', 'KeyC', 'KeyV', 'KeyB', 'KeyN', 'KeyM', 'Comma', 'Period', 'Slash', 'ShiftRight']);
row(0x37, ['NumpadMultiply', 'AltLeft', 'Space', 'CapsLock']);
row(0x3b, ['F1', 'F2', 'F3', 'F4', 'F5', 'F6', 'F7', 'F8', 'F9', 'F10', 'NumLock', 'ScrollLock']);
row(0x47, ['Numpad7', 'Numpad8', 'Numpad9', 'NumpadSubtract', 'Numpad4', 'Numpad5', 'Numpad6', 'NumpadAdd', 'Numpad1', 'Numpad2', 'Numpad3', 'Numpad0', 'NumpadDecimal']);
put('F11', 0x57);
put('F12', 0x58);
put('PrintScreen', 0xe037);
put('IntlBackslash', 0x56);
put('NumpadEqual', 0x59);
// The navigation cluster shares codes with the keypad keys it duplicates, plus E0.
const twins: [string, string][] = [
  ['Home', 'Numpad7'], ['ArrowUp', 'Numpad8'], ['PageUp', 'Numpad9'], ['ArrowLeft', 'Numpad4'], ['ArrowRight', 'Numpad6'],
  ['End', 'Numpad1'], ['ArrowDown', 'Numpad2'], ['PageDown', 'Numpad3'], ['Insert', 'Numpad0'], ['Delete', 'NumpadDecimal'],
  ['ControlRight', 'ControlLeft'], ['AltRight', 'AltLeft'], ['NumpadEnter', 'Enter'], ['NumpadDivide', 'Slash'],
];
for (const [key, twin] of twins) put(key, 0xe000 | expected.get(twin)!);
put('MetaLeft', 0xe05b);
put('MetaRight', 0xe05c);
put('ContextMenu', 0xe05d);
put('Pause', PAUSE_SCANCODE);
// F13-F24 in keycodemapdb's numbering.
const fKeys = [0x5d, 0x5e, 0x5f, 0x55, 0xe003, 0xe077, 0xe004, 0x5a, 0x74, 0xe079, 0x6d, 0x6f];
fKeys.forEach((v, i) => put(`F${13 + i}`, v));
for (const [code, v] of Object.entries({
  KanaMode: 0x70, Lang2: 0x71, Lang1: 0x72, IntlRo: 0x73, Lang5: 0x76, Lang4: 0x77, Lang3: 0x78, Convert: 0x79, NonConvert: 0x7b,
  IntlYen: 0x7d, NumpadComma: 0x7e, NumpadParenLeft: 0xe076, NumpadParenRight: 0xe07b,
  MediaTrackPrevious: 0xe010, MediaTrackNext: 0xe019, AudioVolumeMute: 0xe020, LaunchApp2: 0xe021, MediaPlayPause: 0xe022,
  MediaStop: 0xe024, AudioVolumeDown: 0xe02e, AudioVolumeUp: 0xe030, BrowserHome: 0xe032, Power: 0xe05e, Sleep: 0xe05f,
  WakeUp: 0xe063, BrowserSearch: 0xe065, BrowserFavorites: 0xe066, BrowserRefresh: 0xe067, BrowserStop: 0xe068,
  BrowserForward: 0xe069, BrowserBack: 0xe06a, LaunchApp1: 0xe06b, LaunchMail: 0xe06c, MediaSelect: 0xe06d, Eject: 0xe07d,
  Again: 0xe005, Props: 0xe006, Undo: 0xe007, Cut: 0xe03c, Find: 0xe041, Open: 0x64, Paste: 0x65, Help: 0xe075, Copy: 0xe078,
})) put(code, v);

describe('scan code table', () => {
  it('has exactly the keys of the independent description, each with its code', () => {
    expect(Object.keys(scancodeTable).sort()).toEqual([...expected.keys()].sort());
    for (const [code, value] of expected) expect(formatScancode(scancodeTable[code]), code).toBe(formatScancode(value));
  });

  it('covers every key a 105-key PC keyboard has', () => {
    const pc105 = [
      ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('').map((c) => `Key${c}`),
      ...'0123456789'.split('').map((d) => `Digit${d}`),
      ...Array.from({ length: 24 }, (_, i) => `F${i + 1}`),
      ...'0123456789'.split('').map((d) => `Numpad${d}`),
      'Escape', 'Tab', 'CapsLock', 'ShiftLeft', 'ShiftRight', 'ControlLeft', 'ControlRight', 'AltLeft', 'AltRight', 'MetaLeft', 'MetaRight',
      'ContextMenu', 'Space', 'Enter', 'Backspace', 'PrintScreen', 'ScrollLock', 'Pause', 'Insert', 'Delete', 'Home', 'End', 'PageUp', 'PageDown',
      'ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'NumLock', 'NumpadDivide', 'NumpadMultiply', 'NumpadSubtract', 'NumpadAdd',
      'NumpadEnter', 'NumpadDecimal', 'IntlBackslash', 'IntlRo', 'IntlYen', 'Lang1', 'Lang2',
    ];
    for (const code of pc105) expect(scancodeForCode(code), code).toBeDefined();
  });

  it('gives no two keys the same code', () => {
    const seen = new Map<number, string>();
    for (const [code, value] of Object.entries(scancodeTable)) {
      expect(seen.get(value), `${code} and ${seen.get(value)} share ${formatScancode(value)}`).toBeUndefined();
      seen.set(value, code);
    }
  });

  it('uses only one-byte codes below 0x80, E0 codes and Pause', () => {
    for (const [code, value] of Object.entries(scancodeTable)) {
      expect(isValidScancode(value), code).toBe(true);
      if (value === PAUSE_SCANCODE) expect(code).toBe('Pause');
      else if (value > 0xff) expect(value >> 8, code).toBe(0xe0);
      else expect(value, code).toBeLessThan(0x80);
    }
  });

  it('answers undefined for codes a PC keyboard does not have, including inherited names', () => {
    expect(scancodeForCode('Fn')).toBeUndefined();
    expect(scancodeForCode('keya')).toBeUndefined();
    expect(scancodeForCode('toString')).toBeUndefined();
    expect(scancodeForCode('__proto__')).toBeUndefined();
  });
});

describe('wire encoding', () => {
  it('sends a one-byte key as its code and the code | 0x80', () => {
    expect(wireCodesFor(0x1e)).toEqual({ down: [0x1e], up: [0x9e] });
    expect(wireCodesFor(scancodeTable.Enter)).toEqual({ down: [0x1c], up: [0x9c] });
  });

  it('puts the E0 prefix in the low byte: right Ctrl is 0x1DE0 down and 0x9DE0 up', () => {
    expect(wireCodesFor(scancodeTable.ControlRight)).toEqual({ down: [0x1de0], up: [0x9de0] });
    expect(wireCodesFor(scancodeTable.Delete)).toEqual({ down: [0x53e0], up: [0xd3e0] });
  });

  it('sends Pause as E1 1D 45 and E1 9D C5', () => {
    const { down, up } = wireCodesFor(PAUSE_SCANCODE);
    const bytes = (codes: readonly number[]) => codes.flatMap((c) => [c & 0xff, (c >> 8) & 0xff, (c >> 16) & 0xff, c >>> 24].filter((b, i) => i === 0 || b));
    expect(bytes(down)).toEqual([0xe1, 0x1d, 0x45]);
    expect(bytes(up)).toEqual([0xe1, 0x9d, 0xc5]);
  });

  it('sends Print Screen as E0 2A E0 37 and E0 B7 E0 AA', () => {
    expect(wireCodesFor(scancodeTable.PrintScreen)).toEqual({ down: [0x2ae0, 0x37e0], up: [0xb7e0, 0xaae0] });
  });

  it('sends the Korean keys as ordinary keys, as QEMU reads them', () => {
    expect(wireCodesFor(scancodeTable.Lang1)).toEqual({ down: [0x72], up: [0xf2] });
    expect(wireCodesFor(scancodeTable.Lang2)).toEqual({ down: [0x71], up: [0xf1] });
  });

  it('refuses values that are not scan codes', () => {
    for (const bad of [0, -1, 1.5, 0x80, 0xf2, 0xe000, 0xe09d, 0xe11d, 0x1234, 0x10000]) expect(() => wireCodesFor(bad), String(bad)).toThrow(RangeError);
  });
});
