// Loads another bundle of dist/ (serve.cjs, image-decoders.cjs) at run time through the same V8
// code cache as the CLI (bin/load-cached.cjs, its cache beside the bundle) where that loader is
// there, a plain require otherwise. Run-time paths, so esbuild leaves these requires alone instead
// of bundling the other bundle's code into the CLI's.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function requireCachedBundle(distDir: string, file: string): unknown {
  const bundle = join(distDir, file);
  const loader = join(distDir, '..', 'bin', 'load-cached.cjs');
  if (existsSync(loader)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runCached } = require(loader) as { runCached(bundle: string, cacheFile: string): unknown };
    return runCached(bundle, `${bundle}.cache`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(bundle);
}
