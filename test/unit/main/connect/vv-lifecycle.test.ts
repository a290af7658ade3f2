import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyProfile } from '../../../../src/protocol/profile/index.ts';
import type { ResolvedTarget } from '../../../../src/main/connect/target.ts';
import { applyDeleteThisFile } from '../../../../src/main/connect/vv-lifecycle.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-vvlife-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function target(path: string | undefined, deleteThisFile: boolean | undefined, source: 'vv' | 'uri' = 'vv'): ResolvedTarget {
  const profile = emptyProfile(source);
  if (deleteThisFile !== undefined) profile.deleteThisFile = deleteThisFile;
  return path === undefined ? { profile } : { profile, vvPath: path };
}

function file(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, '[virt-viewer]\n');
  return path;
}

describe('applyDeleteThisFile', () => {
  it('deletes a regular .vv file that asks for it', async () => {
    const path = file('a.vv');
    const warnings: string[] = [];
    expect(await applyDeleteThisFile(target(path, true), { env: {}, warn: (l) => warnings.push(l) })).toBe('deleted');
    expect(existsSync(path)).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('accepts .VV in capitals', async () => {
    const path = file('B.VV');
    expect(await applyDeleteThisFile(target(path, true), { env: {}, warn: () => {} })).toBe('deleted');
    expect(existsSync(path)).toBe(false);
  });

  it('keeps the file when not asked, when asked with 0, and for stdin or URIs', async () => {
    const path = file('c.vv');
    expect(await applyDeleteThisFile(target(path, undefined), { env: {}, warn: () => {} })).toBe('not-asked');
    expect(await applyDeleteThisFile(target(path, false), { env: {}, warn: () => {} })).toBe('not-asked');
    expect(await applyDeleteThisFile(target(undefined, true), { env: {}, warn: () => {} })).toBe('not-asked');
    expect(await applyDeleteThisFile(target(path, true, 'uri'), { env: {}, warn: () => {} })).toBe('not-asked');
    expect(existsSync(path)).toBe(true);
  });

  it('VIRT_VIEWER_KEEP_FILE keeps it, whatever its value', async () => {
    const path = file('d.vv');
    expect(await applyDeleteThisFile(target(path, true), { env: { VIRT_VIEWER_KEEP_FILE: '1' }, warn: () => {} })).toBe('kept');
    expect(await applyDeleteThisFile(target(path, true), { env: { VIRT_VIEWER_KEEP_FILE: '' }, warn: () => {} })).toBe('kept');
    expect(existsSync(path)).toBe(true);
  });

  it('refuses a FIFO named .vv, with a warning', async () => {
    const fifo = join(dir, 'pipe.vv');
    execFileSync('mkfifo', [fifo]);
    const warnings: string[] = [];
    expect(await applyDeleteThisFile(target(fifo, true), { env: {}, warn: (l) => warnings.push(l) })).toBe('refused');
    expect(existsSync(fifo)).toBe(true);
    expect(warnings[0]).toMatch(/"pipe\.vv" is not a regular file; it was left in place/);
  });

  it('a file that is already gone counts as deleted', async () => {
    expect(await applyDeleteThisFile(target(join(dir, 'gone.vv'), true), { env: {}, warn: () => {} })).toBe('deleted');
  });
});
