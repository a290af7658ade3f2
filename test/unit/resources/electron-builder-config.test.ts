// The packaging config sets Electron's fuses so that a packaged spicedesk cannot be run as a plain
// Node or debugged into by whoever starts it, and loads only its own integrity-checked code.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FROM_LINK_SWITCH } from '../../../src/main/electron/link-consent.ts';

/** The `key: value` lines of one top-level block of a YAML file (this config's flat blocks only). */
function topLevelBlock(yaml: string, name: string): Map<string, string> {
  const lines = yaml.split('\n');
  const start = lines.findIndex((l) => l === `${name}:`);
  if (start < 0) throw new Error(`electron-builder.yml has no top-level ${name}:`);
  const block = new Map<string, string>();
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (!line.startsWith('  ')) break;
    const m = /^ {2}([A-Za-z]+):\s*(\S+)\s*$/.exec(line);
    if (!m) throw new Error(`unexpected line in ${name}: ${line}`);
    block.set(m[1], m[2]);
  }
  return block;
}

describe('electron-builder.yml', () => {
  const yaml = readFileSync('electron-builder.yml', 'utf8');

  it('flips the fuses: no run-as-node, NODE_OPTIONS or --inspect; cookie encryption; only the checked app.asar', () => {
    const fuses = topLevelBlock(yaml, 'electronFuses');
    expect(Object.fromEntries(fuses)).toEqual({
      runAsNode: 'false',
      enableNodeOptionsEnvironmentVariable: 'false',
      enableNodeCliInspectArguments: 'false',
      enableCookieEncryption: 'true',
      enableEmbeddedAsarIntegrityValidation: 'true',
      onlyLoadAppFromAsar: 'true',
      grantFileProtocolExtraPrivileges: 'false',
    });
  });

  it('names only fuses that electron-builder knows', () => {
    const schema = JSON.parse(readFileSync('node_modules/app-builder-lib/scheme.json', 'utf8')) as {
      definitions: Record<string, { properties?: Record<string, unknown> }>;
    };
    const known = Object.keys(schema.definitions.FuseOptionsV1?.properties ?? {});
    expect(known.length).toBeGreaterThan(0);
    for (const fuse of topLevelBlock(yaml, 'electronFuses').keys()) expect(known).toContain(fuse);
  });

  it('starts the Linux app for a link with the switch that makes it ask, then `--` before the URI', () => {
    const lines = yaml.split('\n');
    const linux = lines.slice(lines.indexOf('linux:') + 1);
    const end = linux.findIndex((l) => l !== '' && !l.startsWith(' '));
    const args = linux.slice(0, end).map((l) => /^ {2}executableArgs:\s*\[(.*)\]\s*$/.exec(l)).find((m) => m !== null);
    expect(args?.[1].split(',').map((a) => a.trim())).toEqual([FROM_LINK_SWITCH, '--']);
  });
});

describe('macOS signing config', () => {
  const yaml = readFileSync('electron-builder.yml', 'utf8');
  const mac = yaml.slice(yaml.indexOf('\nmac:\n'));

  it('gives the hardened runtime the microphone (the record channel) with a usage text, besides Electron’s own exceptions', () => {
    const file = /^ {2}entitlements: (\S+)$/m.exec(mac)?.[1];
    expect(file).toBe('resources/mac/entitlements.mac.plist');
    expect(mac).toMatch(new RegExp(`^ {2}entitlementsInherit: ${file}$`, 'm'));
    const plist = readFileSync(file!, 'utf8');
    const granted = [...plist.matchAll(/<key>([^<]+)<\/key>\s*<true\/>/g)].map((m) => m[1]).sort();
    expect(granted).toEqual([
      'com.apple.security.cs.allow-jit',
      'com.apple.security.cs.allow-unsigned-executable-memory',
      'com.apple.security.cs.disable-library-validation',
      'com.apple.security.device.audio-input',
    ]);
    expect(mac).toMatch(/^ {4}NSMicrophoneUsageDescription: \S.{10,}$/m);
  });
});
