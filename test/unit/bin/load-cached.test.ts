import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const loader = createRequire(import.meta.url)('../../../bin/load-cached.cjs') as { runCached(bundle: string, cacheFile: string): { value: number }; DIGEST_BYTES: number };
const g = globalThis as { spicedeskSaveCodeCache?: () => void };

const made: string[] = [];
afterEach(() => {
  delete g.spicedeskSaveCodeCache;
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function bundleDir(): { bundle: string; cache: string } {
  const dir = mkdtempSync(join(tmpdir(), 'spicedesk-load-cached-'));
  made.push(dir);
  return { bundle: join(dir, 'bundle.cjs'), cache: join(dir, 'bundle.cjs.cache') };
}

/** Runs the bundle through the loader and saves the cache it made (as a worker does), if it made one. */
function run(bundle: string, cache: string): number {
  const value = loader.runCached(bundle, cache).value;
  g.spicedeskSaveCodeCache?.();
  return value;
}

describe("bin/load-cached.cjs, the bundles' V8 code cache", () => {
  it('makes a cache that starts with the digest of the source it was made from, and uses it on the next run', () => {
    const { bundle, cache } = bundleDir();
    const source = 'exports.value = 15;\n';
    writeFileSync(bundle, source);
    expect(run(bundle, cache)).toBe(15);
    const file = readFileSync(cache);
    expect(file.subarray(0, loader.DIGEST_BYTES).equals(createHash('sha1').update(source).digest())).toBe(true);
    expect(run(bundle, cache)).toBe(15);
    // Taken: no new cache to save.
    expect(g.spicedeskSaveCodeCache).toBeUndefined();
  });

  it('runs a rebuilt bundle of the same length as it is now, not the code its old cache holds', () => {
    const { bundle, cache } = bundleDir();
    writeFileSync(bundle, 'exports.value = 15;\n');
    expect(run(bundle, cache)).toBe(15);
    // V8 itself would take the old cache for this source (it checks only the length).
    writeFileSync(bundle, 'exports.value = 60;\n');
    expect(run(bundle, cache)).toBe(60);
    expect(readFileSync(cache).subarray(0, loader.DIGEST_BYTES).equals(createHash('sha1').update('exports.value = 60;\n').digest())).toBe(true);
  });

  it('goes without a cache that is too short or not one of its own, and replaces it', () => {
    const { bundle, cache } = bundleDir();
    writeFileSync(bundle, 'exports.value = 7;\n');
    writeFileSync(cache, Buffer.from('not a cache'));
    expect(run(bundle, cache)).toBe(7);
    expect(readFileSync(cache).length).toBeGreaterThan(loader.DIGEST_BYTES);
  });
});
