// The committed WebAssembly bytes (src/protocol/codecs/wasm/decoders-wasm.generated.ts) must come
// from the C sources beside them: the generated file records a SHA-256 of the sources and the
// compiler flags (scripts/build-wasm.mjs), which this recomputes. Needs no clang; when clang is
// installed, `node scripts/build-wasm.mjs --check` also rebuilds and compares the bytes.
import { describe, expect, it } from 'vitest';
import { WASM_SOURCE_SHA256 } from '../../../src/protocol/codecs/wasm/decoders-wasm.generated.ts';
// @ts-expect-error a plain .mjs script without type declarations
import { sourceHash } from '../../../scripts/build-wasm-sources.mjs';

describe('WebAssembly decoders build', () => {
  it('the committed module was built from the current C sources (else run node scripts/build-wasm.mjs)', () => {
    expect(WASM_SOURCE_SHA256).toMatch(/^[0-9a-f]{64}$/);
    expect(sourceHash(import.meta.dirname + '/../../..')).toBe(WASM_SOURCE_SHA256);
  });
});
