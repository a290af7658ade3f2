// The thin-client files in resources/thin-client: the systemd unit passes systemd-analyze verify
// (but for cage, not installed here), the X session and xorg files say what the README says, and
// the session script runs the app with a command line the app reads as kiosk mode on the TARGET.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kioskFlagsFromArgv, targetsFromArgv } from '../../../src/main/electron/launch-args.ts';
import { requireTool } from '../../peers/require-tool.ts';

const here = join(__dirname, '../../../resources/thin-client');
const dir = mkdtempSync(join(tmpdir(), 'spicedesk-thin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** key=value lines of one [group] of an INI-like file. */
function group(text: string, name: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let inside = false;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t.startsWith('[')) inside = t === `[${name}]`;
    else if (inside && t && !t.startsWith('#')) {
      const eq = t.indexOf('=');
      (out[t.slice(0, eq)] ??= []).push(t.slice(eq + 1));
    }
  }
  return out;
}

describe('resources/thin-client', () => {
  it('the systemd unit verifies, and runs the session script under cage on tty1 as the kiosk user, restarted', () => {
    requireTool('systemd-analyze', 'systemd');
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(here, 'spicedesk-kiosk.service')], { encoding: 'utf8' });
    const problems = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() && !/Command \/usr\/bin\/cage is not executable/.test(l));
    expect(problems).toEqual([]);
    const service = group(readFileSync(join(here, 'spicedesk-kiosk.service'), 'utf8'), 'Service');
    expect(service.User).toEqual(['spicedesk-kiosk']);
    expect(service.TTYPath).toEqual(['/dev/tty1']);
    expect(service.Restart).toEqual(['always']);
    expect(service.ExecStart).toEqual(['/usr/bin/cage -d -- /usr/lib/spicedesk/spicedesk-kiosk-session']);
  });

  it('the X session runs the same script, and X refuses console switching and zapping', () => {
    const entry = group(readFileSync(join(here, 'spicedesk-kiosk.desktop'), 'utf8'), 'Desktop Entry');
    expect(entry.Type).toEqual(['Application']);
    expect(entry.Exec).toEqual(['/usr/lib/spicedesk/spicedesk-kiosk-session']);
    const xorg = readFileSync(join(here, '50-spicedesk-kiosk.conf'), 'utf8');
    for (const option of ['DontVTSwitch', 'DontZap', 'DontZoom']) expect(xorg).toContain(`Option "${option}" "true"`);
  });

  it("the session script starts the app in kiosk mode on kiosk.conf's TARGET", () => {
    const script = join(here, 'spicedesk-kiosk-session');
    execFileSync('sh', ['-n', script]);
    // A stand-in for the app that writes its arguments, one per line.
    const fakeApp = join(dir, 'spicedesk');
    writeFileSync(fakeApp, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > ${join(dir, 'args')}\n`);
    chmodSync(fakeApp, 0o755);
    const config = join(dir, 'kiosk.conf');
    writeFileSync(config, readFileSync(join(here, 'kiosk.conf'), 'utf8').replace('SPICEDESK=/usr/bin/spicedesk', `SPICEDESK=${fakeApp}`).replace('KIOSK_QUIT=never', 'KIOSK_QUIT=on-disconnect'));
    execFileSync(script, [], { env: { PATH: process.env.PATH, SPICEDESK_KIOSK_CONFIG: config } });
    const argv = ['spicedesk', ...readFileSync(join(dir, 'args'), 'utf8').trim().split('\n')];
    expect(kioskFlagsFromArgv(argv)).toEqual({ flags: { kiosk: true, kioskQuit: 'on-disconnect' } });
    expect(targetsFromArgv(argv, { defaultApp: false, cwd: '/' })).toEqual({ targets: ['/etc/spicedesk/kiosk.vv'], ignored: [] });
  });

  it('the session script refuses to start without a TARGET', () => {
    const config = join(dir, 'empty.conf');
    writeFileSync(config, 'KIOSK_QUIT=never\n');
    const r = spawnSync(join(here, 'spicedesk-kiosk-session'), [], { env: { PATH: process.env.PATH, SPICEDESK_KIOSK_CONFIG: config }, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/set TARGET in .*empty\.conf/);
  });
});
