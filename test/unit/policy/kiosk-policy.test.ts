// The session policy: window rules, controls, hotkeys, what happens at the session's end and the
// keys a kiosk window swallows, from the profile and --kiosk / --kiosk-quit.
import { describe, expect, it } from 'vitest';
import { parseHotkey, hotkeyMatches, type KeyInput } from '../../../src/protocol/policy/hotkey-combo.ts';
import { kioskFlagsOf, parseKioskQuit, sessionPolicy, type KioskFlags, type PolicyInput } from '../../../src/protocol/policy/kiosk-policy.ts';
import type { HotkeyAction } from '../../../src/protocol/profile/types.ts';

const KIOSK: KioskFlags = { kiosk: true, kioskQuit: 'never' };
const KIOSK_QUIT: KioskFlags = { kiosk: true, kioskQuit: 'on-disconnect' };
const PLAIN: KioskFlags = { kiosk: false, kioskQuit: 'never' };

const vv = (hotkeys: Partial<Record<HotkeyAction, string>>, fullscreen?: boolean): PolicyInput['profile'] => ({ source: 'vv', hotkeys, fullscreen });
const uri: PolicyInput['profile'] = { source: 'uri', hotkeys: {} };

/** action -> hotkey text, for comparing. */
const hotkeysOf = (input: PolicyInput): Record<string, string> => Object.fromEntries(sessionPolicy(input).hotkeys.map((h) => [h.action, h.hotkey.text]));

const press = (code: string, mods: Partial<KeyInput> = {}): KeyInput => ({ type: 'keyDown', code, control: false, shift: false, alt: false, meta: false, ...mods });
const swallows = (flags: KioskFlags, profile: PolicyInput['profile'], input: KeyInput): boolean =>
  sessionPolicy({ profile, flags }).swallowedKeys.some((h) => hotkeyMatches(h, input));

describe('--kiosk-quit', () => {
  it('takes never and on-disconnect, and refuses anything else naming it', () => {
    expect(parseKioskQuit('never')).toBe('never');
    expect(parseKioskQuit('On-Disconnect')).toBe('on-disconnect');
    expect(() => parseKioskQuit('always')).toThrow('--kiosk-quit must be never or on-disconnect, got "always"');
    expect(() => parseKioskQuit('')).toThrow(/got ""/);
  });

  it('means nothing without --kiosk, and says so', () => {
    const warnings: string[] = [];
    expect(kioskFlagsOf(undefined, 'on-disconnect', (w) => warnings.push(w))).toEqual({ kiosk: false, kioskQuit: 'on-disconnect' });
    expect(warnings).toEqual(['--kiosk-quit has no effect without --kiosk']);
    expect(kioskFlagsOf(true, undefined, (w) => warnings.push(w))).toEqual({ kiosk: true, kioskQuit: 'never' });
    expect(warnings).toHaveLength(1);
  });
});

describe('the window', () => {
  it('in kiosk: fullscreen on every head, no frame, close, menu, developer tools or quit', () => {
    const w = sessionPolicy({ profile: vv({}, false), flags: KIOSK, development: true }).window;
    expect(w).toEqual({
      kiosk: true,
      fullscreen: true,
      fullscreenOnEveryHead: true,
      leaveFullscreen: false,
      frame: false,
      closable: false,
      minimizable: false,
      maximizable: false,
      resizable: false,
      movable: false,
      menu: false,
      devTools: false,
      quit: false,
    });
  });

  it("outside kiosk: an ordinary window, fullscreen as the .vv file says, developer tools in development only", () => {
    const w = sessionPolicy({ profile: vv({}, true), flags: PLAIN, development: true }).window;
    expect(w).toMatchObject({ kiosk: false, fullscreen: true, fullscreenOnEveryHead: true, leaveFullscreen: true, frame: true, closable: true, menu: true, devTools: true, quit: true });
    expect(sessionPolicy({ profile: uri, flags: PLAIN }).window).toMatchObject({ fullscreen: false, devTools: false });
  });
});

describe('the page', () => {
  it('shows no controls in kiosk and all of them otherwise', () => {
    expect(sessionPolicy({ flags: KIOSK }).controls).toEqual({ bar: false, ctrlAltDelButton: false, resizeToggle: false, vmMenu: false });
    expect(sessionPolicy({ flags: PLAIN }).controls).toEqual({ bar: true, ctrlAltDelButton: true, resizeToggle: true, vmMenu: true });
  });

  it('at the end of the session: the reconnect screen (never), quit (on-disconnect), or the status', () => {
    expect(sessionPolicy({ flags: KIOSK })).toMatchObject({ onSessionEnd: 'reconnect-screen', autoReconnect: true });
    expect(sessionPolicy({ flags: KIOSK_QUIT })).toMatchObject({ onSessionEnd: 'quit', autoReconnect: false });
    expect(sessionPolicy({ flags: { kiosk: false, kioskQuit: 'on-disconnect' } })).toMatchObject({ onSessionEnd: 'status', autoReconnect: true });
  });
});

describe('hotkeys', () => {
  it("without a .vv file: remote-viewer's defaults for what spicedesk does (no zoom, USB or smartcard keys)", () => {
    expect(hotkeysOf({ profile: uri, flags: PLAIN })).toEqual({ 'toggle-fullscreen': 'f11', 'release-cursor': 'shift+f12', 'secure-attention': 'ctrl+alt+end' });
    expect(hotkeysOf({ flags: PLAIN })).toEqual({ 'toggle-fullscreen': 'f11', 'release-cursor': 'shift+f12', 'secure-attention': 'ctrl+alt+end' });
  });

  it("with a .vv file: only the file's keys, release-cursor falling back to Ctrl+Alt as in remote-viewer", () => {
    expect(hotkeysOf({ profile: vv({ 'secure-attention': 'ctrl+alt+insert', 'zoom-in': 'ctrl+equals' }), flags: PLAIN })).toEqual({
      'release-cursor': 'ctrl+alt',
      'secure-attention': 'ctrl+alt+insert',
      'zoom-in': 'ctrl+equals',
    });
    // An empty value turns the action off, the fallback included.
    expect(hotkeysOf({ profile: vv({ 'release-cursor': '', 'toggle-fullscreen': 'shift+f11' }), flags: PLAIN })).toEqual({ 'toggle-fullscreen': 'shift+f11' });
  });

  it('in kiosk: only what the profile names, never toggle-fullscreen, no defaults or fallback', () => {
    expect(hotkeysOf({ profile: uri, flags: KIOSK })).toEqual({});
    expect(hotkeysOf({ flags: KIOSK })).toEqual({});
    const p = sessionPolicy({ profile: vv({ 'secure-attention': 'ctrl+alt+insert', 'toggle-fullscreen': 'f11', 'release-cursor': 'shift+f12', 'smartcard-insert': 'shift+f8' }), flags: KIOSK });
    expect(Object.fromEntries(p.hotkeys.map((h) => [h.action, h.hotkey.text]))).toEqual({
      'release-cursor': 'shift+f12',
      'secure-attention': 'ctrl+alt+insert',
      'smartcard-insert': 'shift+f8',
    });
    expect(p.ignoredHotkeys).toEqual([{ action: 'toggle-fullscreen', text: 'f11', why: 'a kiosk window stays fullscreen' }]);
  });

  it('leaves out, with why, a key it cannot read and a second action on the same keys', () => {
    const p = sessionPolicy({ profile: vv({ 'zoom-in': 'ctrl+hyper', 'zoom-out': 'ctrl+alt+end', 'secure-attention': 'Ctrl+Alt+End' }), flags: PLAIN });
    // The first action in remote-viewer's order keeps the keys.
    expect(p.hotkeys.map((h) => h.action)).toEqual(['release-cursor', 'zoom-out']);
    expect(p.ignoredHotkeys).toEqual([
      { action: 'zoom-in', text: 'ctrl+hyper', why: 'hotkey "ctrl+hyper": unknown key "hyper"' },
      { action: 'secure-attention', text: 'Ctrl+Alt+End', why: '"Ctrl+Alt+End" is the same keys as zoom-out' },
    ]);
  });
});

describe('keys a kiosk window swallows', () => {
  it('close, quit, reload, developer tools and leaving fullscreen, on every platform', () => {
    for (const [code, mods] of [
      ['F4', { alt: true }],
      ['KeyW', { control: true }],
      ['KeyQ', { control: true }],
      ['KeyQ', { meta: true }],
      ['KeyH', { meta: true }],
      ['F11', {}],
      ['KeyI', { control: true, shift: true }],
      ['KeyI', { meta: true, alt: true }],
      ['F12', {}],
      ['KeyR', { control: true }],
      ['KeyR', { control: true, shift: true }],
      ['F5', {}],
    ] as const) {
      expect(swallows(KIOSK, uri, press(code, mods)), `${code} ${JSON.stringify(mods)}`).toBe(true);
    }
  });

  it('lets ordinary keys, Escape and Ctrl+Alt+Del through to the guest', () => {
    for (const [code, mods] of [
      ['KeyW', {}],
      ['KeyR', { alt: true }],
      ['Escape', {}],
      ['Delete', { control: true, alt: true }],
      ['Tab', { alt: true }],
      ['F4', {}],
    ] as const) {
      expect(swallows(KIOSK, uri, press(code, mods)), `${code} ${JSON.stringify(mods)}`).toBe(false);
    }
  });

  it('swallows nothing outside kiosk', () => {
    expect(sessionPolicy({ profile: uri, flags: PLAIN }).swallowedKeys).toEqual([]);
  });

  it("gives a key to the profile's hotkey when it names one", () => {
    const profile = vv({ 'secure-attention': 'ctrl+r' });
    expect(swallows(KIOSK, profile, press('KeyR', { control: true }))).toBe(false);
    expect(sessionPolicy({ profile, flags: KIOSK }).hotkeys.find((h) => hotkeyMatches(h.hotkey, press('KeyR', { control: true })))?.action).toBe('secure-attention');
  });
});

describe('hotkey matching', () => {
  it('needs exactly the modifiers, left or right alike, on key down', () => {
    const h = parseHotkey('ctrl+alt+insert')!;
    expect(hotkeyMatches(h, press('Insert', { control: true, alt: true }))).toBe(true);
    expect(hotkeyMatches(h, press('Insert', { control: true, alt: true, shift: true }))).toBe(false);
    expect(hotkeyMatches(h, { ...press('Insert', { control: true, alt: true }), type: 'keyUp' })).toBe(false);
  });
});
