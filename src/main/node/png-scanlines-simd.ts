// PNG scanlines from SPICE's 0xAARRGGBB surface words in WebAssembly SIMD: 4 pixels per step, the
// Sub filter as one byte-wise subtraction of the pixels shifted by one (i8x16.shuffle, i8x16.sub),
// then the BGRX bytes reordered to RGB (i8x16.swizzle) and stored 12 bytes on. The JavaScript
// loop in png.ts (`scanlines`, the reference of the tests) took 16-40 ms for a 1920x1080 screen,
// most of a photo capture's own work once the PNG is stored (bench/README.md, capture-photo).
// Like the renderer's rgba-swizzle.ts, the module is written out below, an instruction a line.
//
// One call converts every row: the filter byte, then the row's pixels in groups of 4. A row whose
// width is not a multiple of 4 converts up to 3 pixels past its end (the next row's, or the
// padding after the last); their bytes land where the next row's filter byte and pixels are
// written after them, or in the padding, and the row's end is then set back to where it belongs.

import type { WebAssemblyApi } from '../../protocol/codecs/wasm/wasm-decoders.ts';

/** Bytes of padding after the source and the output: what the last group of 4 reads or writes past the end. */
const PAD = 16;
const PAGE_BYTES = 65536;

// Locals: 0 src, 1 dst, 2 width, 3 height, 4 sub (params); 5 rowEnd, 6 over (i32); 7 prev, 8 cur, 9 mask (v128).
const CODE = [
  0x02, 0x02, 0x7f, 0x03, 0x7b, // locals: 2 i32 (5 rowEnd, 6 over), 3 v128 (7 prev, 8 cur, 9 mask)
  // mask = every byte 0xff when filtering (sub = 1), 0 when not: the shifted pixels are kept or zeroed.
  0x41, 0x00, 0x20, 0x04, 0x6b, // i32.const 0; local.get sub; i32.sub -> 0 - sub
  0xfd, 0x0f, // i8x16.splat
  0x21, 0x09, // local.set mask
  0x02, 0x40, // block $done
  0x03, 0x40, // loop $rows
  0x20, 0x03, 0x45, 0x0d, 0x01, // local.get height; i32.eqz; br_if $done
  0x20, 0x01, 0x20, 0x04, 0x3a, 0x00, 0x00, // i32.store8 [dst] = sub (the filter type: 1 Sub, 0 None)
  0x20, 0x01, 0x41, 0x01, 0x6a, 0x21, 0x01, // dst += 1
  0x20, 0x00, 0x20, 0x02, 0x41, 0x02, 0x74, 0x6a, 0x21, 0x05, // rowEnd = src + (width << 2)
  0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // v128.const 0
  0x21, 0x07, // local.set prev: the row starts after zeros (PNG's Sub treats bytes before the row as 0)
  0x02, 0x40, // block $rowDone
  0x03, 0x40, // loop $pixels
  0x20, 0x00, 0x20, 0x05, 0x4f, 0x0d, 0x01, // src >= rowEnd: br_if $rowDone
  0x20, 0x00, 0xfd, 0x00, 0x02, 0x00, 0x22, 0x08, // cur = v128.load [src] (local.tee)
  0x20, 0x07, 0x20, 0x08, // prev, cur
  0xfd, 0x0d, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, // i8x16.shuffle: prev's last pixel, cur's first three
  0x20, 0x09, 0xfd, 0x4e, // v128.and mask
  0xfd, 0x71, // i8x16.sub: cur - (the pixel before each, or 0)
  0x20, 0x08, 0x21, 0x07, // prev = cur
  0xfd, 0x0c, 2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, 0x80, 0x80, 0x80, 0x80, // v128.const: R, G, B of each pixel
  0xfd, 0x0e, // i8x16.swizzle
  0x21, 0x08, // local.set cur (the 12 RGB bytes)
  0x20, 0x01, 0x20, 0x08, 0xfd, 0x0b, 0x00, 0x00, // v128.store [dst] (align 1)
  0x20, 0x01, 0x41, 0x0c, 0x6a, 0x21, 0x01, // dst += 12
  0x20, 0x00, 0x41, 0x10, 0x6a, 0x21, 0x00, // src += 16
  0x0c, 0x00, // br $pixels
  0x0b, 0x0b, // end loop, block
  // Back to the row's true end: `over` bytes of source (0, 4, 8 or 12) were pixels past it.
  0x20, 0x00, 0x20, 0x05, 0x6b, 0x21, 0x06, // over = src - rowEnd
  0x20, 0x01, 0x20, 0x06, 0x41, 0x02, 0x76, 0x41, 0x03, 0x6c, 0x6b, 0x21, 0x01, // dst -= (over >> 2) * 3
  0x20, 0x05, 0x21, 0x00, // src = rowEnd
  0x20, 0x03, 0x41, 0x01, 0x6b, 0x21, 0x03, // height -= 1
  0x0c, 0x00, // br $rows
  0x0b, 0x0b, // end loop, block
  0x0b, // end function
];

const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x09, 0x01, 0x60, 0x05, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x00, // types: (src, dst, width, height, sub) -> ()
  0x03, 0x02, 0x01, 0x00, // functions: one, of type 0
  0x05, 0x03, 0x01, 0x00, 0x01, // memory: one, at least 1 page
  0x07, 0x16, 0x02, // exports: two
  0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, // "memory": memory 0
  0x09, 0x73, 0x63, 0x61, 0x6e, 0x6c, 0x69, 0x6e, 0x65, 0x73, 0x00, 0x00, // "scanlines": function 0
  0x0a, ...leb(CODE.length + leb(CODE.length).length + 1), 0x01, ...leb(CODE.length), ...CODE, // code: one body
]);

/** An unsigned LEB128, for the section and body sizes. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

interface ScanlineExports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  scanlines(src: number, dst: number, width: number, height: number, sub: number): void;
}

export interface SurfacePixels {
  width: number;
  height: number;
  data: Uint32Array;
}

export type PngScanlines = (surface: SurfacePixels, filter: 'sub' | 'none') => Buffer;

/**
 * The SIMD scanlines, or null where WebAssembly SIMD is missing. The Buffer it returns is a view of
 * the module's memory, valid until its next call: png.ts deflates or copies it at once.
 */
export function createSimdScanlines(): PngScanlines | null {
  const wasm = (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  let exports: ScanlineExports;
  try {
    if (!wasm || !wasm.validate(MODULE)) return null;
    exports = new wasm.Instance(new wasm.Module(MODULE), {}).exports as ScanlineExports;
  } catch {
    return null;
  }
  const { memory, scanlines } = exports;
  return (surface, filter) => {
    const { width, height, data } = surface;
    const srcBytes = width * height * 4;
    const dstOffset = srcBytes + PAD;
    const dstBytes = (1 + width * 3) * height;
    const need = dstOffset + dstBytes + PAD;
    if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE_BYTES));
    new Uint32Array(memory.buffer, 0, width * height).set(data.subarray(0, width * height));
    scanlines(0, dstOffset, width, height, filter === 'sub' ? 1 : 0);
    return Buffer.from(memory.buffer, dstOffset, dstBytes);
  };
}
