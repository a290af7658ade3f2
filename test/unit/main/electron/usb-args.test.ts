// The desktop window's USB options (src/main/electron/usb-args.ts): what `spicedesk open` hands the
// app and what the app reads back, relative ISO paths, repeated CDs, bad rules refused with their
// sentence; their values are never taken for TARGETs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { windowUsbSwitches } from '../../../../src/main/commands/open-command.ts';
import { targetsFromArgv } from '../../../../src/main/electron/launch-args.ts';
import { usbCommandLineFromArgv, usbSwitches } from '../../../../src/main/electron/usb-args.ts';

const exe = '/opt/spicedesk/spicedesk';

describe('the window\'s USB options', () => {
  it('reads both forms, resolves relative ISO paths against the cwd, keeps each CD once; nothing after --', () => {
    const argv = [exe, '--spice-share-cd', 'a.iso', '--spice-share-cd=/srv/b.iso', '--spice-share-cd', '/home/bob/a.iso',
      '--spice-usbredir-redirect-on-connect', '-1,-1,-1,-1,1', '--spice-usbredir-auto-redirect-filter=0x08,-1,-1,-1,1|-1,-1,-1,-1,0',
      '--', '--spice-share-cd=c.iso', 'vm.vv'];
    expect(usbCommandLineFromArgv(argv, '/home/bob')).toEqual({
      usb: { shareCds: ['/home/bob/a.iso', '/srv/b.iso'], redirectOnConnect: '-1,-1,-1,-1,1', autoRedirectFilter: '0x08,-1,-1,-1,1|-1,-1,-1,-1,0' },
    });
    expect(usbCommandLineFromArgv([exe, 'vm.vv'], '/')).toEqual({ usb: {} });
  });

  it('refuses a missing value, rules that do not parse, and a rule switch given twice', () => {
    expect(usbCommandLineFromArgv([exe, '--spice-share-cd'], '/')).toEqual({ error: '--spice-share-cd needs a value: an ISO file' });
    expect(usbCommandLineFromArgv([exe, '--spice-usbredir-redirect-on-connect='], '/')).toMatchObject({ error: expect.stringMatching(/^--spice-usbredir-redirect-on-connect needs a value/) });
    expect(usbCommandLineFromArgv([exe, '--spice-usbredir-auto-redirect-filter', 'usb please'], '/')).toMatchObject({ error: expect.stringMatching(/^--spice-usbredir-auto-redirect-filter: /) });
    expect(usbCommandLineFromArgv([exe, '--spice-usbredir-redirect-on-connect=-1,-1,-1,-1,1', '--spice-usbredir-redirect-on-connect=-1,-1,-1,-1,0'], '/'))
      .toEqual({ error: '--spice-usbredir-redirect-on-connect is given twice' });
  });

  it('what open hands over reads back the same, and its values are not TARGETs', () => {
    const usb = { shareCds: ['/srv/a b.iso', '/srv/c.iso'], autoRedirectFilter: '-1,-1,-1,-1,1', redirectOnConnect: '0x08,-1,-1,-1,1|-1,-1,-1,-1,0' };
    const argv = [exe, ...usbSwitches(usb), 'spice://h:5900'];
    expect(usbCommandLineFromArgv(argv, '/elsewhere')).toEqual({ usb });
    expect(targetsFromArgv(argv, { defaultApp: false, cwd: '/' })).toEqual({ targets: ['spice://h:5900'], ignored: [] });
    // The spaced form: the value after the switch is not a TARGET either, even when it starts with "-".
    const spaced = [exe, '--spice-share-cd', 'x.iso', '--spice-usbredir-redirect-on-connect', '-1,-1,-1,-1,1', 'vm.vv'];
    expect(targetsFromArgv(spaced, { defaultApp: false, cwd: '/home/bob' })).toEqual({ targets: ['/home/bob/vm.vv'], ignored: [] });
    expect(usbSwitches({})).toEqual([]);
  });

  it('open hands over absolute, readable ISO files and the rules; an unreadable ISO is a usage error on the terminal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spicedesk-open-usb-'));
    try {
      const iso = join(dir, 'a.iso');
      writeFileSync(iso, new Uint8Array(2048));
      const switches = windowUsbSwitches({ spiceShareCd: [relative(process.cwd(), iso)], spiceUsbredirAutoRedirectFilter: undefined, spiceUsbredirRedirectOnConnect: '-1,-1,-1,-1,1' });
      expect(switches).toEqual([`--spice-share-cd=${iso}`, '--spice-usbredir-redirect-on-connect=-1,-1,-1,-1,1']);
      expect(usbCommandLineFromArgv([exe, ...switches], '/elsewhere')).toEqual({ usb: { shareCds: [iso], redirectOnConnect: '-1,-1,-1,-1,1' } });
      expect(() => windowUsbSwitches({ spiceShareCd: [join(dir, 'nope.iso')], spiceUsbredirAutoRedirectFilter: undefined, spiceUsbredirRedirectOnConnect: undefined }))
        .toThrow(/--spice-share-cd: cannot read .*nope\.iso: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
