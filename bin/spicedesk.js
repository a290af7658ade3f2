#!/usr/bin/env node
// The `spicedesk` command. The bundle is built by `npm ci` (the prepare script) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(bundle))) {
  process.stderr.write('spicedesk: dist/cli.js is missing; run `npm run build` in the checkout first.\n');
  process.exit(1);
}
await import(bundle.href);
