// Where the fuzzer's files are, found from the repository root, so that the same code works from
// test/fuzz (vitest) and bundled into dist/fuzz.js (`npm run fuzz`).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function repositoryRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'test/fuzz'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no spicedesk checkout above ${from}`);
  }
}

export const repoRoot = repositoryRoot(import.meta.dirname);
export const fuzzDir = join(repoRoot, 'test/fuzz');
export const fixturesDir = join(fuzzDir, 'fixtures');
export const trafficDir = join(fuzzDir, 'traffic');
export const imagesDir = join(repoRoot, 'test/fixtures/images');
export const clipboardDir = join(repoRoot, 'test/fixtures/clipboard');
export const audioFixturesDir = join(repoRoot, 'test/fixtures/audio');
