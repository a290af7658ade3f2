// What the Electron app opens from its command line, a second instance and macOS's events.
import { describe, expect, it } from 'vitest';
import {
  MAX_TARGETS_PER_LAUNCH,
  instanceData,
  kioskFlagsFromArgv,
  parseInstanceData,
  secondInstanceTargets,
  targetOfOpenFile,
  targetOfOpenUrl,
  targetsFromArgv,
} from '../../../../src/main/electron/launch-args.ts';

const packaged = { defaultApp: false, cwd: '/home/ann/Downloads' };
const dev = { defaultApp: true, cwd: '/work/spicedesk' };

describe('targetsFromArgv', () => {
  it('takes a packaged app argument: a .vv path resolved against the working directory, a URI as is', () => {
    expect(targetsFromArgv(['/opt/spicedesk/spicedesk', 'console.vv', 'spice://host:5900'], packaged)).toEqual({
      targets: ['/home/ann/Downloads/console.vv', 'spice://host:5900'],
      ignored: [],
    });
  });

  it('skips the app path of a development run (electron . TARGET)', () => {
    expect(targetsFromArgv(['/x/electron', '.', 'spice+unix:///run/vm.sock'], dev).targets).toEqual(['spice+unix:///run/vm.sock']);
    expect(targetsFromArgv(['/x/electron', 'dist/electron-main.cjs'], dev).targets).toEqual([]);
  });

  it('drops Chromium and Electron switches, before and after the app path', () => {
    const argv = ['/x/electron', '--no-sandbox', '.', '--original-process-start-time=13371', '-psn_0_12345', 'a.vv', '--enable-logging'];
    expect(targetsFromArgv(argv, dev)).toEqual({ targets: ['/work/spicedesk/a.vv'], ignored: [] });
  });

  it('takes what follows -- as targets even when it starts with a dash', () => {
    expect(targetsFromArgv(['/x/spicedesk', '--', '-odd-name.vv'], packaged).targets).toEqual(['/home/ann/Downloads/-odd-name.vv']);
  });

  it('keeps absolute paths and file:// URIs (desktop launchers pass %u)', () => {
    expect(targetsFromArgv(['/x/spicedesk', '/tmp/a.vv', 'file:///tmp/b%20c.vv'], packaged).targets).toEqual(['/tmp/a.vv', 'file:///tmp/b%20c.vv']);
  });

  it('ignores - (no standard input in a window), other schemes, control characters and overlong arguments', () => {
    const r = targetsFromArgv(['/x/spicedesk', '-', 'https://evil.example/x.vv', 'javascript://x', 'a\nb.vv', 'x'.repeat(5000), 'ok.vv'], packaged);
    expect(r.targets).toEqual(['/home/ann/Downloads/ok.vv']);
    expect(r.ignored).toHaveLength(5);
    expect(r.ignored[0]).toMatch(/standard input/);
    expect(r.ignored[1]).toMatch(/^https:\/\/evil.example\/x.vv: not a spice:/);
    expect(r.ignored[3]).toMatch(/control characters/);
    expect(r.ignored[4]).toMatch(/longer than 4096/);
  });

  it('opens at most MAX_TARGETS_PER_LAUNCH windows', () => {
    const many = Array.from({ length: MAX_TARGETS_PER_LAUNCH + 3 }, (_, i) => `spice://h:${5900 + i}`);
    const r = targetsFromArgv(['/x/spicedesk', ...many], packaged);
    expect(r.targets).toEqual(many.slice(0, MAX_TARGETS_PER_LAUNCH));
    expect(r.ignored).toHaveLength(3);
  });
});

describe('second instance', () => {
  it('hands over its resolved targets as additionalData, which the first instance accepts', () => {
    const data = instanceData(['/home/bob/a.vv', 'spice://h:1']);
    // Structured clone on the way, as Electron does.
    expect(parseInstanceData(structuredClone(data))).toEqual({ targets: ['/home/bob/a.vv', 'spice://h:1'] });
    expect(secondInstanceTargets(['/x/spicedesk', 'ignored.vv'], '/elsewhere', data, false).targets).toEqual(['/home/bob/a.vv', 'spice://h:1']);
  });

  it('refuses additionalData that is not what a second instance sends', () => {
    expect(parseInstanceData(undefined)).toBeNull();
    expect(parseInstanceData({})).toBeNull();
    expect(parseInstanceData({ targets: 'spice://h:1' })).toBeNull();
    expect(parseInstanceData({ targets: ['spice://h:1'], run: 'rm -rf /' })).toBeNull();
    expect(parseInstanceData({ targets: [1] })).toBeNull();
    expect(parseInstanceData({ targets: ['relative.vv'] })).toBeNull();
    expect(parseInstanceData({ targets: ['http://h/x'] })).toBeNull();
    expect(parseInstanceData({ targets: Array(MAX_TARGETS_PER_LAUNCH + 1).fill('spice://h:1') })).toBeNull();
    expect(parseInstanceData(JSON.parse('{"targets":[],"__proto__":{"x":1}}'))).toBeNull();
  });

  it('falls back to its argv, resolved against its own working directory', () => {
    expect(secondInstanceTargets(['/x/spicedesk', 'b.vv'], '/home/bob', { junk: true }, false).targets).toEqual(['/home/bob/b.vv']);
  });
});

describe('macOS open-url and open-file', () => {
  it('takes only the SPICE schemes', () => {
    expect(targetOfOpenUrl('spice://h:5900')).toBe('spice://h:5900');
    expect(targetOfOpenUrl('SPICE+TLS://h?tls-port=5901')).toBe('SPICE+TLS://h?tls-port=5901');
    expect(targetOfOpenUrl('file:///etc/passwd')).toBeNull();
    expect(targetOfOpenUrl('https://h/')).toBeNull();
    expect(targetOfOpenUrl('spice://h:1\r\nx')).toBeNull();
  });

  it('takes absolute paths only', () => {
    expect(targetOfOpenFile('/Users/ann/a.vv')).toBe('/Users/ann/a.vv');
    expect(targetOfOpenFile('a.vv')).toBeNull();
    expect(targetOfOpenFile('/' + 'x'.repeat(5000))).toBeNull();
  });
});

describe('kioskFlagsFromArgv', () => {
  it('reads --kiosk, -k and --kiosk-quit in both spellings; without them, not kiosk', () => {
    expect(kioskFlagsFromArgv(['/x/spicedesk', 'a.vv'])).toEqual({ flags: { kiosk: false, kioskQuit: 'never' } });
    expect(kioskFlagsFromArgv(['/x/spicedesk', '--kiosk', 'a.vv'])).toEqual({ flags: { kiosk: true, kioskQuit: 'never' } });
    expect(kioskFlagsFromArgv(['/x/spicedesk', '-k', '--kiosk-quit', 'on-disconnect', 'a.vv'])).toEqual({ flags: { kiosk: true, kioskQuit: 'on-disconnect' } });
    expect(kioskFlagsFromArgv(['/x/spicedesk', '--kiosk-quit=never', '--kiosk'])).toEqual({ flags: { kiosk: true, kioskQuit: 'never' } });
    // After --, everything is a TARGET.
    expect(kioskFlagsFromArgv(['/x/spicedesk', '--', '--kiosk'])).toEqual({ flags: { kiosk: false, kioskQuit: 'never' } });
  });

  it('refuses a wrong or missing --kiosk-quit value', () => {
    expect(kioskFlagsFromArgv(['/x/spicedesk', '--kiosk', '--kiosk-quit', 'sometimes'])).toEqual({ error: '--kiosk-quit must be never or on-disconnect, got "sometimes"' });
    expect(kioskFlagsFromArgv(['/x/spicedesk', '--kiosk', '--kiosk-quit'])).toEqual({ error: '--kiosk-quit needs a value: never or on-disconnect' });
  });

  it("does not take --clipboard's value for a TARGET (focus-clipboard.ts reads it), nor the link switch and its --", () => {
    expect(targetsFromArgv(['/opt/spicedesk/spicedesk', '--clipboard', 'none', 'spice://h:5900'], packaged)).toEqual({ targets: ['spice://h:5900'], ignored: [] });
    expect(targetsFromArgv(['/opt/spicedesk/spicedesk', '--clipboard=none', 'console.vv'], packaged).targets).toEqual(['/home/ann/Downloads/console.vv']);
    expect(targetsFromArgv(['/opt/spicedesk/spicedesk', '--from-link', '--', 'spice://h:5900'], packaged)).toEqual({ targets: ['spice://h:5900'], ignored: [] });
  });

  it("does not take --kiosk-quit's value for a TARGET", () => {
    expect(targetsFromArgv(['/opt/spicedesk/spicedesk', '--kiosk', '--kiosk-quit', 'never', 'spice://h:5900'], packaged)).toEqual({ targets: ['spice://h:5900'], ignored: [] });
    expect(targetsFromArgv(['/opt/spicedesk/spicedesk', '--kiosk-quit=never', 'console.vv'], packaged).targets).toEqual(['/home/ann/Downloads/console.vv']);
  });
});
