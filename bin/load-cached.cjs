// Runs a CommonJS bundle through a V8 code cache kept beside it (Node 20 has no compile cache of
// its own): compiling a bundle is a large part of start-up, for the CLI and for its worker.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

/** Bytes of the SHA-1 of the bundle's source that the cache file starts with. */
const DIGEST_BYTES = 20;

/**
 * V8 accepts a code cache for any source of the length it was made for: a rebuilt bundle of the
 * same length (a constant changed, say) would run the old code. So the cache file starts with the
 * digest of the source it was made from (about 1 ms for the CLI's bundle) and counts only for that.
 */
function cachedDataFor(cacheFile, digest) {
  let file;
  try {
    file = fs.readFileSync(cacheFile);
  } catch {
    return undefined; // No cache yet: this run makes one.
  }
  return file.length > DIGEST_BYTES && file.subarray(0, DIGEST_BYTES).equals(digest) ? file.subarray(DIGEST_BYTES) : undefined;
}

/**
 * Loads `bundle` as a CommonJS module using `cacheFile` when it was made for this bundle and V8
 * takes it; otherwise writes a new cache at exit, so that the functions this run compiled lazily
 * are in it too. A read-only install simply goes without.
 */
function runCached(bundle, cacheFile) {
  const source = fs.readFileSync(bundle, 'utf8');
  const digest = crypto.createHash('sha1').update(source).digest();
  const cachedData = cachedDataFor(cacheFile, digest);
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  if (!cachedData || script.cachedDataRejected) {
    const save = () => {
      try {
        fs.writeFileSync(cacheFile, Buffer.concat([digest, script.createCachedData()]));
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

module.exports = { runCached, DIGEST_BYTES };
