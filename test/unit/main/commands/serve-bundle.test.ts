import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadServeBundle } from '../../../../src/main/commands/serve-command.ts';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A checkout's layout: dist/serve.cjs, and bin/load-cached.cjs when `loader` is given. */
function layout(loader?: string): string {
  const root = mkdtempSync(join(tmpdir(), 'spicedesk-serve-bundle-'));
  made.push(root);
  mkdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'dist', 'serve.cjs'), "exports.runServe = () => 'the gateway';\n");
  if (loader !== undefined) {
    mkdirSync(join(root, 'bin'));
    writeFileSync(join(root, 'bin', 'load-cached.cjs'), loader);
  }
  return join(root, 'dist');
}

describe("the gateway's bundle", () => {
  it('is loaded through bin/load-cached.cjs, with its cache beside it, where the loader is there', () => {
    const dist = layout("exports.runCached = (bundle, cache) => ({ runServe: () => `cached ${require('node:path').basename(bundle)} ${require('node:path').basename(cache)}` });\n");
    expect((loadServeBundle(dist).runServe as unknown as () => string)()).toBe('cached serve.cjs serve.cjs.cache');
  });

  it('is required as it is without the loader (an install without bin/)', () => {
    const dist = layout();
    expect((loadServeBundle(dist).runServe as unknown as () => string)()).toBe('the gateway');
  });
});
