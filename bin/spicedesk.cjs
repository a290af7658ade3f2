#!/usr/bin/env node
// The `spicedesk` command: runs dist/cli.cjs (built by `npm ci` through the prepare script, or by
// `npm run build`) through a V8 code cache, so that a capture does not pay for compiling it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { runCached, startWorkerCached } = require('./load-cached.cjs');

const bundle = path.join(__dirname, '..', 'dist', 'cli.cjs');
if (!fs.existsSync(bundle)) {
  process.stderr.write('spicedesk: dist/cli.cjs is missing; run `npm run build` in the checkout first.\n');
  process.exit(1);
}
// One cache per command: each holds the functions its command compiled, which differ widely
// (capture draws, info does not).
const command = /^[a-z]{1,20}$/.test(process.argv[2] || '') ? process.argv[2] : 'other';
// Commands that decode a display start its worker thread first, so that it boots while the CLI
// loads and connects (src/main/display-worker/worker-sink.ts picks it up).
const displayWorker = path.join(__dirname, '..', 'dist', 'display-worker.cjs');
if (['capture', 'info', 'demo', 'do'].includes(command) && fs.existsSync(displayWorker)) {
  globalThis.spicedeskDisplayWorker = startWorkerCached(displayWorker);
}
runCached(bundle, `${bundle}.${command}.cache`);
