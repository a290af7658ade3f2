// The 2D presenter's BGRX to RGBA conversion in WebAssembly SIMD: the surface's 0xAARRGGBB words
// (bytes B, G, R, X in memory) become the R, G, B, 255 bytes ImageData holds, 4 pixels per
// instruction (i8x16.swizzle, then an OR for the alpha). The patch's rows are copied into the
// module's memory (a memcpy each), converted in place, and putImageData reads them from there:
// in the worker's V8 profile the JavaScript loop (patchToRgba) was 13-21 ms a second of the live
// session (bench/README.md, interactive). The module is a few bytes written out below, not
// compiled from C: it has one loop. Where WebAssembly or its SIMD is missing or refused (a page
// whose Content-Security-Policy lacks 'wasm-unsafe-eval'), `createRgbaSwizzle` returns null and
// the presenter keeps patchToRgba, which stays the reference for the tests.
import type { PixelPatch } from './presenter.ts';

const SWIZZLE_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x06, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x00, // types: (i32 ptr, i32 pixels) -> ()
  0x03, 0x02, 0x01, 0x00, // functions: one, of type 0
  0x05, 0x03, 0x01, 0x00, 0x01, // memory: one, at least 1 page
  0x07, 0x14, 0x02, // exports: two
  0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, // "memory": memory 0
  0x07, 0x73, 0x77, 0x69, 0x7a, 0x7a, 0x6c, 0x65, 0x00, 0x00, // "swizzle": function 0
  0x0a, 0x5a, 0x01, 0x58, // code: one body of 88 bytes
  0x01, 0x01, 0x7f, // one i32 local (2: the end)
  0x20, 0x00, 0x20, 0x01, 0x41, 0x02, 0x74, 0x6a, 0x21, 0x02, // end = ptr + (pixels << 2)
  0x02, 0x40, 0x03, 0x40, // block, loop
  0x20, 0x00, 0x20, 0x02, 0x4f, 0x0d, 0x01, // ptr >= end: out of the block
  0x20, 0x00, // the store's address
  0x20, 0x00, 0xfd, 0x00, 0x02, 0x00, // v128.load ptr
  0xfd, 0x0c, 2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11, 14, 13, 12, 15, // v128.const: each pixel's bytes R, G, B, X
  0xfd, 0x0e, // i8x16.swizzle
  0xfd, 0x0c, 0, 0, 0, 0xff, 0, 0, 0, 0xff, 0, 0, 0, 0xff, 0, 0, 0, 0xff, // v128.const: alpha 255
  0xfd, 0x50, // v128.or
  0xfd, 0x0b, 0x02, 0x00, // v128.store
  0x20, 0x00, 0x41, 0x10, 0x6a, 0x21, 0x00, // ptr += 16
  0x0c, 0x00, // again
  0x0b, 0x0b, 0x0b, // end loop, block, function
]);

const PAGE_BYTES = 65536;

interface SwizzleExports {
  memory: WebAssembly.Memory;
  swizzle(ptr: number, pixels: number): void;
}

export interface RgbaSwizzle {
  /** The patch's pixels as RGBA bytes (alpha 255), rows packed: valid until the next call. */
  toRgba(p: PixelPatch): Uint8ClampedArray<ArrayBuffer>;
}

/** The SIMD conversion, or null where this runtime cannot compile or run it. */
export function createRgbaSwizzle(): RgbaSwizzle | null {
  let exports: SwizzleExports;
  try {
    if (typeof WebAssembly !== 'object' || !WebAssembly.validate(SWIZZLE_MODULE)) return null;
    exports = new WebAssembly.Instance(new WebAssembly.Module(SWIZZLE_MODULE), {}).exports as unknown as SwizzleExports;
  } catch {
    return null;
  }
  const { memory, swizzle } = exports;
  let words = new Uint32Array(memory.buffer);
  return {
    toRgba(p) {
      const { width, height, data, stride } = p;
      const size = width * height;
      // Whole 16-byte blocks: the last one may convert up to 3 words past the patch, which are the module's own.
      const bytes = Math.ceil(size / 4) * 16;
      if (memory.buffer.byteLength < bytes) {
        memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE_BYTES));
        words = new Uint32Array(memory.buffer);
      }
      if (stride === width) words.set(data.subarray(p.offset, p.offset + size));
      else for (let y = 0; y < height; y++) words.set(data.subarray(p.offset + y * stride, p.offset + y * stride + width), y * width);
      swizzle(0, size);
      return new Uint8ClampedArray(memory.buffer, 0, size * 4);
    },
  };
}
