import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../../src/main/commands/args/parse-command-line.ts';
import { serveCommand } from '../../../../src/main/commands/serve-command.ts';
import { monitorMappingArg, monitorMappingFromArgv } from '../../../../src/main/monitors/mapping-option.ts';
import { MonitorMappingSource, vmUuidOf } from '../../../../src/main/monitors/session-mapping.ts';
import { SettingsStore } from '../../../../src/main/monitors/settings-store.ts';
import type { Logger } from '../../../../src/protocol/logger.ts';

describe('--monitor-mapping', () => {
  const serve = (args: string[]) => {
    const parsed = parseCommandLine(serveCommand, args);
    if (parsed.help) throw new Error('help');
    return parsed.input;
  };

  it('is read by the shared parser, in both spellings', () => {
    const given = serve(['--monitor-mapping', '1:2;2:1', 'spice://h:1']);
    expect(given.values.monitorMapping).toEqual([1, 0]);
    expect(given.operands).toEqual(['spice://h:1']);
    const inline = serve(['-v', '--monitor-mapping=1:1', 'x.vv']);
    expect(inline.values.monitorMapping).toEqual([0]);
    expect(inline.operands).toEqual(['x.vv']);
    const none = serve(['spice://h:1', '--', '--monitor-mapping', '1:1']);
    expect(none.values.monitorMapping).toBeUndefined();
    expect(none.operands).toHaveLength(3);
  });

  it('is refused with a usage error naming what is wrong', () => {
    const err = (args: string[]) => {
      try {
        serve(args);
      } catch (e) {
        return e as { kind: string; message: string };
      }
      throw new Error('no error');
    };
    expect(err(['--monitor-mapping'])).toMatchObject({ kind: 'usage', message: '--monitor-mapping needs a value such as 1:2;2:1' });
    expect(err(['--monitor-mapping', '-v'])).toMatchObject({ kind: 'usage', message: '--monitor-mapping needs a value such as 1:2;2:1' });
    expect(err(['--monitor-mapping=1:1;1:2']).message).toBe('--monitor-mapping: monitor mapping "1:1;1:2": guest head 1 is mapped twice');
    expect(err(['--monitor-mapping=1:1', '--monitor-mapping=1:2']).message).toBe('--monitor-mapping was given more than once');
  });

  it('goes to the Electron app as one switch, read back there', () => {
    expect(monitorMappingArg([1, 0])).toBe('--monitor-mapping=1:2;2:1');
    expect(monitorMappingFromArgv(['electron', '.', '--monitor-mapping=1:2;2:1', 'spice://h:1'])).toEqual([1, 0]);
    expect(monitorMappingFromArgv(['electron', 'spice://h:1'])).toBeUndefined();
    expect(monitorMappingFromArgv(['electron', '--monitor-mapping=9:9'])).toEqual({ error: expect.stringMatching(/outside 1\.\.4/) });
  });
});

const VM = '6485b20f-e9da-614c-72b0-60a7857e7886';
const log: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => log } as unknown as Logger;

describe('MonitorMappingSource', () => {
  it('remembers a given mapping for the VM and uses it again when none is given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spicedesk-mapping-'));
    try {
      const warn = (l: string) => {
        throw new Error(l);
      };
      expect(new MonitorMappingSource([1, 0], new SettingsStore(dir, { warn })).forSession(VM.toUpperCase(), 'win11', log)).toEqual({ mapping: [1, 0], source: 'given' });
      const later = new MonitorMappingSource(undefined, new SettingsStore(dir, { warn }));
      expect(later.forSession(VM, undefined, log)).toEqual({ mapping: [1, 0], source: 'remembered' });
      expect(later.forSession('11111111-2222-3333-4444-555555555555', undefined, log)).toEqual({ mapping: null, source: 'none' });
      // No UUID (Xspice) or QEMU's all-zero one: used, never stored, never looked up.
      expect(new MonitorMappingSource([0], new SettingsStore(dir, { warn })).forSession('00000000-0000-0000-0000-000000000000', undefined, log)).toEqual({ mapping: [0], source: 'given' });
      expect(later.forSession(undefined, undefined, log)).toEqual({ mapping: null, source: 'none' });
      expect(new MonitorMappingSource(undefined, new SettingsStore(dir, { warn })).forSession(VM, undefined, log).mapping).toEqual([1, 0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('knows a VM UUID from none', () => {
    expect(vmUuidOf(undefined)).toBeNull();
    expect(vmUuidOf('00000000-0000-0000-0000-000000000000')).toBeNull();
    expect(vmUuidOf('00000000-0000-0000-0000-000000000001')).toBe('00000000-0000-0000-0000-000000000001');
  });
});

describe('monitorMappingsOf (the Electron app)', () => {
  it('takes the handed-over mapping, and reports a bad one instead of failing', async () => {
    const { monitorMappingsOf } = await import('../../../../src/main/monitors/app-mappings.ts');
    const lines: string[] = [];
    expect(monitorMappingsOf(['electron', '--monitor-mapping=2:1;1:2'], (l) => lines.push(l)).given).toEqual([1, 0]);
    expect(monitorMappingsOf(['electron', '--monitor-mapping=2:2'], (l) => lines.push(l)).given).toBeUndefined();
    expect(lines).toEqual(['--monitor-mapping: monitor mapping "2:2": guest head 1 is missing: the mapping must name every head from 1 to 2; ignored']);
  });
});
