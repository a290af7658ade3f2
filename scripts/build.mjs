// Bundles the CLI and the Electron main process into dist/ with esbuild: one file each keeps
// `spicedesk` start-up fast (no module resolution of hundreds of files at run time).
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
  // Native modules and electron are resolved at run time, never bundled.
  external: ['electron', 'usb', 'node-hid', 'pino', 'pino-pretty'],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
};

await build({ ...common, entryPoints: { cli: 'src/main/cli.ts' }, outdir: 'dist' });
