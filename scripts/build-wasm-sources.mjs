// What the WebAssembly decoders are built from: the C sources and the compiler flags, and the
// SHA-256 over both that decoders-wasm.generated.ts records. Shared by scripts/build-wasm.mjs and
// the test that checks the committed module against its sources
// (test/unit/codecs/wasm-build.test.ts).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const WASM_DIR = 'src/protocol/codecs/wasm';
export const WASM_SOURCES = ['common.h', 'quic.c', 'lz.c'];
export const GENERATED = `${WASM_DIR}/decoders-wasm.generated.ts`;
// Features every runtime of the page and the CLI has (Node 20, Chromium 111+, Firefox 113+,
// Safari 16.4+): bulk memory turns the copies into memory.copy, SIMD makes the run fills 16 bytes a
// store.
export const CLANG_FLAGS = [
  '--target=wasm32',
  '-O3',
  '-nostdlib',
  '-ffreestanding',
  '-fno-builtin-memcpy',
  '-mbulk-memory',
  '-msimd128',
  '-msign-ext',
  '-mmutable-globals',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-Wl,--no-entry',
  '-Wl,--stack-first',
  '-Wl,-z,stack-size=65536',
  '-Wl,--export=__heap_base',
  '-Wl,--strip-all',
];

/** SHA-256 over the flags and every source file, the input of the build. */
export function sourceHash(root = '.') {
  const hash = createHash('sha256');
  hash.update(CLANG_FLAGS.join(' '));
  for (const f of WASM_SOURCES) {
    hash.update(`\0${f}\0`);
    hash.update(readFileSync(join(root, WASM_DIR, f)));
  }
  return hash.digest('hex');
}
