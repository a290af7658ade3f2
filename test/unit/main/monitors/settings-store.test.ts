import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSettings, SettingsStore, settingsDir } from '../../../../src/main/monitors/settings-store.ts';

const VM = '6485b20f-e9da-614c-72b0-60a7857e7886';
const OTHER = '00000000-0000-0000-0000-0000000000aa';

let dir: string;
let warnings: string[];
const store = (d = dir): SettingsStore => new SettingsStore(d, { warn: (l) => warnings.push(l), now: () => new Date('2024-05-06T07:08:09.010Z') });

beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'spicedesk-settings-')), 'spicedesk');
  warnings = [];
});
afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

describe('settingsDir', () => {
  it('follows each platform', () => {
    expect(settingsDir('linux', {}, '/home/ann')).toBe('/home/ann/.config/spicedesk');
    expect(settingsDir('linux', { XDG_CONFIG_HOME: '/cfg' }, '/home/ann')).toBe('/cfg/spicedesk');
    // A relative XDG_CONFIG_HOME is invalid by the XDG spec.
    expect(settingsDir('linux', { XDG_CONFIG_HOME: 'cfg' }, '/home/ann')).toBe('/home/ann/.config/spicedesk');
    expect(settingsDir('freebsd', {}, '/home/ann')).toBe('/home/ann/.config/spicedesk');
    expect(settingsDir('darwin', { XDG_CONFIG_HOME: '/cfg' }, '/Users/ann')).toBe('/Users/ann/Library/Application Support/spicedesk');
    expect(settingsDir('win32', { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, 'C:\\Users\\ann')).toMatch(/^C:\\Users\\ann\\AppData\\Roaming[\\/]spicedesk$/);
    expect(settingsDir('linux', { SPICEDESK_CONFIG_DIR: '/portable/cfg', XDG_CONFIG_HOME: '/cfg' }, '/home/ann')).toBe('/portable/cfg');
  });
});

describe('SettingsStore', () => {
  it('has nothing for a VM before anything is stored, without a warning', () => {
    expect(store().monitorMapping(VM)).toBeNull();
    expect(warnings).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  it('remembers a mapping per VM UUID across instances, in a file a person can read', () => {
    expect(store().rememberMonitorMapping(VM.toUpperCase(), [1, 0], 'win11')).toBe(true);
    expect(store().rememberMonitorMapping(OTHER, [0])).toBe(true);
    const again = store();
    expect(again.monitorMapping(VM)).toEqual([1, 0]);
    expect(again.monitorMapping(OTHER)).toEqual([0]);
    expect(again.monitorMapping('11111111-2222-3333-4444-555555555555')).toBeNull();
    const json = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'));
    expect(json).toEqual({ version: 1, vms: { [VM]: { name: 'win11', monitorMapping: '1:2;2:1' }, [OTHER]: { monitorMapping: '1:1' } } });
    // Only the file itself is left: the temporary file was renamed over it.
    expect(readdirSync(dir)).toEqual(['settings.json']);
    expect(warnings).toEqual([]);
  });

  it('uses the fallback entry for VMs without one, as virt-viewer does', () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ version: 1, vms: { [VM]: { monitorMapping: '1:2' } }, fallback: { monitorMapping: '1:2;2:3' } }));
    expect(store().monitorMapping(VM)).toEqual([1]);
    expect(store().monitorMapping(OTHER)).toEqual([1, 2]);
  });

  it('refuses something that is not a VM UUID', () => {
    expect(store().rememberMonitorMapping('not-a-uuid', [0])).toBe(false);
    expect(warnings).toEqual(['not remembering the monitor mapping: "not-a-uuid" is not a VM UUID']);
    expect(existsSync(join(dir, 'settings.json'))).toBe(false);
  });

  const corrupt: [string, string | Buffer, RegExp][] = [
    ['truncated JSON', '{"version": 1, "vms": {', /not JSON/],
    ['an array', '[]', /the file must be a JSON object/],
    ['another version', '{"version": 2}', /"version" is 2, this spicedesk reads version 1/],
    ['an unknown key', '{"version": 1, "rm -rf": true}', /unknown key "rm -rf"/],
    ['a key that is not a UUID', '{"version": 1, "vms": {"../../etc": {}}}', /"\.\.\/\.\.\/etc" is not a lower-case VM UUID/],
    ['a bad mapping', `{"version": 1, "vms": {"${VM}": {"monitorMapping": "1:1;1:2"}}}`, /guest head 1 is mapped twice/],
    ['a mapping of the wrong type', `{"version": 1, "vms": {"${VM}": {"monitorMapping": [1, 2]}}}`, /must be a string/],
    ['an allowed link host in upper case', '{"version": 1, "allowedLinkHosts": ["Evil.Example"]}', /"allowedLinkHosts" entry 1 is not a lower-case host/],
    ['allowed link hosts that are not an array', '{"version": 1, "allowedLinkHosts": "a.example"}', /"allowedLinkHosts" must be a JSON array/],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /not UTF-8/],
    ['a file far too large', ' '.repeat(1024 * 1024 + 1), /more than spicedesk ever writes/],
  ];
  for (const [what, content, why] of corrupt) {
    it(`reports ${what} in one line, ignores it, and keeps it aside before writing a new file`, () => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'settings.json'), content);
      const s = store();
      expect(s.monitorMapping(VM)).toBeNull();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(why);
      expect(warnings[0]).toContain(join(dir, 'settings.json'));
      expect(warnings[0]).not.toContain('\n');
      // Still there, untouched, until something is saved.
      expect(readFileSync(join(dir, 'settings.json')).equals(Buffer.from(content))).toBe(true);
      expect(s.rememberMonitorMapping(VM, [0, 1])).toBe(true);
      const aside = join(dir, 'settings.json.corrupt-2024-05-06T07-08-09-010Z');
      expect(readFileSync(aside).equals(Buffer.from(content))).toBe(true);
      expect(warnings[1]).toBe(`kept the unusable settings file as ${aside}`);
      expect(store().monitorMapping(VM)).toEqual([0, 1]);
    });
  }

  it('does not write over a file it cannot read', () => {
    if (process.getuid?.() === 0) {
      // root reads any file whatever its mode: a folder in the file's place gives EISDIR instead.
      mkdirSync(join(dir, 'settings.json'), { recursive: true });
    } else {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'settings.json'), '{"version": 1}');
      chmodSync(join(dir, 'settings.json'), 0o000);
    }
    const s = store();
    expect(s.monitorMapping(VM)).toBeNull();
    expect(warnings[0]).toMatch(/cannot be read.*not saving settings this time/);
    expect(s.rememberMonitorMapping(VM, [0])).toBe(false);
    expect(readdirSync(dir)).toEqual(['settings.json']);
  });

  it('writes nothing when the mapping is already the stored one', () => {
    const s = store();
    s.rememberMonitorMapping(VM, [1, 0]);
    writeFileSync(join(dir, 'settings.json'), readFileSync(join(dir, 'settings.json'), 'utf8').replace('"version": 1', '"version":1'));
    const before = readFileSync(join(dir, 'settings.json'), 'utf8');
    expect(s.rememberMonitorMapping(VM, [1, 0])).toBe(true);
    expect(readFileSync(join(dir, 'settings.json'), 'utf8')).toBe(before);
  });
});

describe('SettingsStore link hosts', () => {
  it('remembers allowed link hosts beside the monitor mappings, across instances', () => {
    const s = store();
    expect(s.linkHostAllowed('vm.example')).toBe(false);
    expect(s.rememberMonitorMapping(VM, [1, 0])).toBe(true);
    expect(s.allowLinkHost('vm.example')).toBe(true);
    expect(s.allowLinkHost('unix:/run/vm.sock')).toBe(true);
    expect(s.allowLinkHost('vm.example')).toBe(true);
    const again = store();
    expect(again.linkHostAllowed('vm.example')).toBe(true);
    expect(again.linkHostAllowed('other.example')).toBe(false);
    expect(again.monitorMapping(VM)).toEqual([1, 0]);
    const json = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'));
    expect(json.allowedLinkHosts).toEqual(['unix:/run/vm.sock', 'vm.example']);
    expect(warnings).toEqual([]);
  });

  it('refuses a key link-consent.ts never makes', () => {
    expect(store().allowLinkHost('Evil.Example')).toBe(false);
    expect(store().allowLinkHost('a b')).toBe(false);
    expect(warnings).toHaveLength(2);
    expect(existsSync(join(dir, 'settings.json'))).toBe(false);
  });

  it('keeps a corrupt file aside before remembering a host, never writing over it', () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'settings.json'), '{"version": 1, "allowedLinkHosts": [');
    const s = store();
    expect(s.linkHostAllowed('vm.example')).toBe(false);
    expect(s.allowLinkHost('vm.example')).toBe(true);
    expect(readFileSync(join(dir, 'settings.json.corrupt-2024-05-06T07-08-09-010Z'), 'utf8')).toBe('{"version": 1, "allowedLinkHosts": [');
    expect(store().linkHostAllowed('vm.example')).toBe(true);
  });
});

describe('parseSettings', () => {
  it('accepts an empty file of version 1', () => {
    expect(parseSettings('{"version": 1}')).toEqual({ vms: new Map(), allowedLinkHosts: [] });
  });
  it('refuses an upper-case UUID key (spicedesk writes lower case)', () => {
    expect(() => parseSettings(`{"version": 1, "vms": {"${VM.toUpperCase()}": {}}}`)).toThrow(/lower-case VM UUID/);
  });
  it('refuses an over-long name', () => {
    expect(() => parseSettings(`{"version": 1, "vms": {"${VM}": {"name": "${'x'.repeat(300)}"}}}`)).toThrow(/"name" must be a string/);
  });
});
