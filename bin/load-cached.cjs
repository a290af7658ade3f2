// Runs a CommonJS bundle through a V8 code cache kept beside it (Node 20 has no compile cache of
// its own): compiling a bundle is a large part of start-up, for the CLI and for its worker.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

/**
 * Loads `bundle` as a CommonJS module using `cacheFile` when it is valid; otherwise writes a new
 * cache at exit, so that the functions this run compiled lazily are in it too. A read-only install
 * simply goes without.
 */
function runCached(bundle, cacheFile) {
  const source = fs.readFileSync(bundle, 'utf8');
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    // No cache yet: this run makes one.
  }
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  if (!cachedData || script.cachedDataRejected) {
    const save = () => {
      try {
        fs.writeFileSync(cacheFile, script.createCachedData());
      } catch {
        // not writable: fine
      }
    };
    process.once('exit', save);
    // A worker thread is usually terminated rather than exiting: it saves through this hook at
    // a moment of its choosing (after its first complete piece of work).
    globalThis.spicedeskSaveCodeCache = () => {
      delete globalThis.spicedeskSaveCodeCache;
      save();
    };
  }
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, Module.createRequire(bundle), mod, bundle, path.dirname(bundle));
  return mod.exports;
}

module.exports = { runCached };
