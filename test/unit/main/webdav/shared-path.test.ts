// The shared folder's own path: a folder removed before any request came is an error for the
// requests, never an unhandled rejection (which would end the gateway or the CLI), and a folder
// put back is served again.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SharedFolder } from '../../../../src/main/webdav/shared-path.ts';

const base = mkdtempSync(join(tmpdir(), 'spicedesk-shared-path-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('SharedFolder', () => {
  it('survives its folder being removed before the first request, and serves it once it is back', async () => {
    const root = join(base, 'shared');
    mkdirSync(root);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      rmSync(root, { recursive: true });
      const folder = new SharedFolder(root);
      // Long enough for the lookup to fail and for Node to report it, were it unhandled.
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
      await expect(folder.resolve('/a.txt')).rejects.toMatchObject({ code: 'ENOENT' });
      mkdirSync(root);
      writeFileSync(join(root, 'a.txt'), 'a');
      await expect(folder.resolve('/a.txt')).resolves.toEqual({ file: join(root, 'a.txt'), segments: ['a.txt'] });
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
