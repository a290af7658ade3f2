#!/usr/bin/env node
// The `spicedesk` command. Runs dist/cli.cjs (built by `npm ci` through the prepare script, or by
// `npm run build`) through a V8 code cache kept beside it: compiling the bundle is a large part of
// start-up, and a capture should not pay it every time.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const bundle = path.join(__dirname, '..', 'dist', 'cli.cjs');
// One cache per command: each holds the functions its command compiled, which differ widely
// (capture draws, info does not).
const command = /^[a-z]{1,20}$/.test(process.argv[2] || '') ? process.argv[2] : 'other';
const cacheFile = `${bundle}.${command}.cache`;
let source;
try {
  source = fs.readFileSync(bundle, 'utf8');
} catch {
  process.stderr.write('spicedesk: dist/cli.cjs is missing; run `npm run build` in the checkout first.\n');
  process.exit(1);
}
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  // No cache yet: this run makes one.
}
const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
if (!cachedData || script.cachedDataRejected) {
  // Made at exit, so that the functions this run compiled lazily are in the cache too. A
  // read-only install simply goes without.
  process.once('exit', () => {
    try {
      fs.writeFileSync(cacheFile, script.createCachedData());
    } catch {
      // not writable: fine
    }
  });
}
const cliModule = { exports: {} };
script.runInThisContext()(cliModule.exports, Module.createRequire(bundle), cliModule, bundle, path.dirname(bundle));
