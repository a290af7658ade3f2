// The window's hotkeys: .vv hotkey strings, matching Electron's before-input-event Input, and
// which events the page must not see.
import { describe, expect, it } from 'vitest';
import { HotkeyFilter, hotkeyMatches, parseHotkey, policyWindowHotkeys, windowHotkeys, type KeyInput } from '../../../../src/main/electron/hotkeys.ts';
import { sessionPolicy } from '../../../../src/protocol/policy/kiosk-policy.ts';

const key = (code: string, mods: Partial<KeyInput> = {}, type = 'keyDown'): KeyInput => ({
  type,
  code,
  control: false,
  shift: false,
  alt: false,
  meta: false,
  ...mods,
});

describe('parseHotkey', () => {
  it('reads .vv hotkeys, modifiers left or right alike', () => {
    expect(parseHotkey('shift+f11')).toEqual({ modifiers: 2, code: 'F11', text: 'shift+f11' });
    expect(parseHotkey('Ctrl+Alt+End')).toEqual({ modifiers: 1 | 4, code: 'End', text: 'Ctrl+Alt+End' });
    expect(parseHotkey('ctrl_r+alt')?.modifiers).toBe(1 | 4);
    expect(parseHotkey('ctrl+alt')?.code).toBeNull();
  });

  it('is null for a hotkey the file turned off', () => {
    expect(parseHotkey('')).toBeNull();
    expect(parseHotkey('  ')).toBeNull();
  });

  it('refuses unknown keys and an ordinary key before the last', () => {
    expect(() => parseHotkey('ctrl+hyper')).toThrow(/unknown key "hyper"/);
    expect(() => parseHotkey('a+ctrl')).toThrow(/"a" is not a modifier/);
    expect(() => parseHotkey('ctrl++')).toThrow(/unknown key ""/);
  });
});

describe('hotkeyMatches', () => {
  const f11 = parseHotkey('f11')!;
  const sas = parseHotkey('ctrl+alt+end')!;

  it('matches the key with exactly its modifiers, on key down', () => {
    expect(hotkeyMatches(f11, key('F11'))).toBe(true);
    expect(hotkeyMatches(f11, key('F11', { shift: true }))).toBe(false);
    expect(hotkeyMatches(f11, key('F11', {}, 'keyUp'))).toBe(false);
    expect(hotkeyMatches(sas, key('End', { control: true, alt: true }))).toBe(true);
    expect(hotkeyMatches(sas, key('End', { control: true }))).toBe(false);
    expect(hotkeyMatches(sas, key('Delete', { control: true, alt: true }))).toBe(false);
  });

  it('fires a modifier-only hotkey on the press that completes it, whichever side', () => {
    const release = parseHotkey('ctrl+alt')!;
    expect(hotkeyMatches(release, key('AltRight', { control: true, alt: true }))).toBe(true);
    expect(hotkeyMatches(release, key('ControlLeft', { control: true, alt: true }))).toBe(true);
    expect(hotkeyMatches(release, key('ControlLeft', { control: true }))).toBe(false);
    expect(hotkeyMatches(release, key('KeyA', { control: true, alt: true }))).toBe(false);
  });
});

describe('windowHotkeys', () => {
  it('defaults to F11 and Ctrl+Alt+End, with no zoom keys', () => {
    const h = windowHotkeys({}, () => {});
    expect([...h.keys()].sort()).toEqual(['secure-attention', 'toggle-fullscreen']);
    expect(h.get('toggle-fullscreen')?.code).toBe('F11');
    expect(h.get('secure-attention')?.code).toBe('End');
  });

  it("takes the file's keys, and an empty one turns the action's hotkey off", () => {
    const h = windowHotkeys({ 'toggle-fullscreen': 'shift+f11', 'secure-attention': '', 'zoom-in': 'ctrl+equals' }, () => {});
    expect(h.get('toggle-fullscreen')?.text).toBe('shift+f11');
    expect(h.has('secure-attention')).toBe(false);
    expect(h.get('zoom-in')?.code).toBe('Equal');
  });

  it('leaves out, with a warning, a key it cannot read', () => {
    const warnings: string[] = [];
    const h = windowHotkeys({ 'toggle-fullscreen': 'ctrl+hyper' }, (w) => warnings.push(w));
    expect(h.has('toggle-fullscreen')).toBe(false);
    expect(warnings).toEqual(['toggle-fullscreen: hotkey "ctrl+hyper": unknown key "hyper"']);
  });
});

describe('HotkeyFilter', () => {
  it("runs the action and hides the hotkey's press, repeats and release from the page", () => {
    const f = new HotkeyFilter(windowHotkeys({}, () => {}));
    expect(f.take(key('End', { control: true, alt: true }))).toEqual({ action: 'secure-attention', swallow: true });
    expect(f.take(key('End', { control: true, alt: true }))).toEqual({ action: 'secure-attention', swallow: true });
    expect(f.take(key('End', { control: true, alt: true }, 'keyUp'))).toEqual({ swallow: true });
    // The modifiers' own releases are the page's: it saw them go down.
    expect(f.take(key('AltLeft', { control: true }, 'keyUp'))).toEqual({ swallow: false });
  });

  it('lets every other key through', () => {
    const f = new HotkeyFilter(windowHotkeys({}, () => {}));
    expect(f.take(key('KeyA'))).toEqual({ swallow: false });
    expect(f.take(key('End'))).toEqual({ swallow: false });
    expect(f.take(key('End', {}, 'keyUp'))).toEqual({ swallow: false });
  });

  it('lets a modifier-only hotkey through to the page while running it', () => {
    const f = new HotkeyFilter(windowHotkeys({ 'zoom-reset': 'ctrl+alt' }, () => {}));
    expect(f.take(key('AltLeft', { control: true, alt: true }))).toEqual({ action: 'zoom-reset', swallow: false });
    expect(f.take(key('AltLeft', { control: true }, 'keyUp'))).toEqual({ swallow: false });
  });
});

describe('HotkeyFilter in kiosk mode', () => {
  const policy = sessionPolicy({ profile: { source: 'vv', hotkeys: { 'secure-attention': 'ctrl+alt+insert', 'zoom-in': 'ctrl+r' } }, flags: { kiosk: true, kioskQuit: 'never' } });
  const filter = (): HotkeyFilter => new HotkeyFilter(policyWindowHotkeys(policy, () => {}), policy.swallowedKeys);

  it("runs only the profile's hotkeys: F11 and Ctrl+Alt+End do nothing of the window's", () => {
    const f = filter();
    expect(f.take(key('Insert', { control: true, alt: true }))).toEqual({ action: 'secure-attention', swallow: true });
    expect(f.take(key('End', { control: true, alt: true }))).toEqual({ swallow: false });
    expect(f.take(key('F11'))).toEqual({ swallow: true });
  });

  it('swallows Alt+F4, Ctrl+W, Ctrl+Shift+I and their releases, and lets the profile have Ctrl+R', () => {
    const f = filter();
    expect(f.take(key('F4', { alt: true }))).toEqual({ swallow: true });
    expect(f.take(key('F4', { alt: true }, 'keyUp'))).toEqual({ swallow: true });
    expect(f.take(key('KeyW', { control: true }))).toEqual({ swallow: true });
    expect(f.take(key('KeyI', { control: true, shift: true }))).toEqual({ swallow: true });
    expect(f.take(key('KeyR', { control: true }))).toEqual({ action: 'zoom-in', swallow: true });
    expect(f.take(key('KeyW', {}, 'keyUp'))).toEqual({ swallow: true });
    expect(f.take(key('KeyW'))).toEqual({ swallow: false });
  });
});
