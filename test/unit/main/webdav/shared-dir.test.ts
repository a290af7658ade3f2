// --spice-shared-dir and --spice-shared-dir-ro: checked before connecting; the default shares nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDoArgs } from '../../../../src/main/commands/do/do-command.ts';
import { sharedDirOf, sharedDirPorts } from '../../../../src/main/webdav/shared-dir.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-shared-dir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the shared folder setting', () => {
  it('is none by default, a folder with --spice-shared-dir, read-only with -ro', () => {
    expect(sharedDirOf({})).toBeUndefined();
    expect(sharedDirPorts(undefined, silentLogger)).toEqual({});
    expect(sharedDirOf({ spiceSharedDir: dir })).toEqual({ dir, readOnly: false });
    expect(sharedDirOf({ spiceSharedDir: dir, spiceSharedDirRo: true })).toEqual({ dir, readOnly: true });
    expect(sharedDirPorts({ dir, readOnly: true }, silentLogger).webdav?.describe()).toBe(`${dir} (read-only)`);
    expect(parseDoArgs(['spice://h:1', '--spice-shared-dir', dir, '--spice-shared-dir-ro', 'wait', '1']).sharedDir).toEqual({ dir, readOnly: true });
  });

  it('refuses a missing folder, a file, and -ro alone, naming them', () => {
    writeFileSync(join(dir, 'file'), 'x');
    expect(() => sharedDirOf({ spiceSharedDir: join(dir, 'nope') })).toThrow(/--spice-shared-dir .*nope: no such folder/);
    expect(() => sharedDirOf({ spiceSharedDir: join(dir, 'file') })).toThrow(/is not a folder/);
    expect(() => sharedDirOf({ spiceSharedDirRo: true })).toThrow(/--spice-shared-dir-ro needs --spice-shared-dir DIR/);
  });
});
