#!/usr/bin/env node
// The `spicedesk` command: runs dist/cli.cjs (built by `npm ci` through the prepare script, or by
// `npm run build`) through a V8 code cache, so that a capture does not pay for compiling it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { runCached } = require('./load-cached.cjs');

const bundle = path.join(__dirname, '..', 'dist', 'cli.cjs');
if (!fs.existsSync(bundle)) {
  process.stderr.write('spicedesk: dist/cli.cjs is missing; run `npm run build` in the checkout first.\n');
  process.exit(1);
}
// One cache per command: each holds the functions its command compiled, which differ widely
// (capture draws, info does not).
const command = /^[a-z]{1,20}$/.test(process.argv[2] || '') ? process.argv[2] : 'other';
runCached(bundle, `${bundle}.${command}.cache`);
