// The WebAssembly versions of the hot QUIC and LZ loops (quic.c, lz.c beside this file, built by
// scripts/build-wasm.mjs into decoders-wasm.generated.ts). quic.ts and lz.ts try them first and
// keep their TypeScript decoders as the fallback and the reference:
// - where WebAssembly is missing or refused (a page whose Content-Security-Policy lacks
//   'wasm-unsafe-eval'), the module fails to compile once and everything stays TypeScript;
// - when the WebAssembly decoder reports a corrupt stream, the TypeScript decoder runs on the
//   same bytes and throws the error that names what is wrong (the C code only says "failed").
// The module is compiled synchronously on first use (about 8 KB, a millisecond): decoding runs
// in workers and in Node, where synchronous compilation is allowed at any size.
//
// Memory layout of one call, from __heap_base on: 64 bytes for quic_begin, the compressed data (followed by zero padding,
// which both decoders rely on to read a little past the data without a check), then for LZ the
// output pixels, for QUIC the row contexts and a band of rows. The memory grows as images need
// and is reused; images over WASM_MAX_PIXELS are left to TypeScript so that one huge image does
// not keep a huge memory for the rest of the session.
import { MELCODE_J, TABRAND_CHAOS, FAMILY_5BPC, FAMILY_8BPC, LAST_WAIT_MASK_INDEX, waitMaskTrigger } from '../quic-tables.ts';
import { WASM_DECODERS_BASE64 } from './decoders-wasm.generated.ts';

/** Images above this many pixels are decoded in TypeScript (64 MiB of output). */
export const WASM_MAX_PIXELS = 1 << 24;

const PAGE_BYTES = 65536;
/** Zero bytes after the compressed data (the QUIC reader may look 16 words ahead). */
const INPUT_PADDING = 128;
/** Bytes before the input that quic_begin zeroes (it reads its stream backwards, see quic.c). */
const STREAM_LEAD = 64;
/**
 * Pixels per QUIC band: small enough that a band is still in the cache when it is copied out of
 * the WebAssembly memory (copying a whole decoded screen afterwards costs as much as decoding it).
 */
const QUIC_BAND_PIXELS = 16384;

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface DecoderExports {
  memory: WasmMemory;
  __heap_base: { value: number };
  quic_tables(): number;
  quic_begin(words: number, wordCount: number, startBit: number, band: number, width: number, height: number, type: number, contexts: number): number;
  quic_rows(count: number): number;
  quic_code_word(bpc: number, parameter: number, high: number, low: number): number;
  lz_decode_rgb(src: number, size: number, start: number, dst: number, count: number, withAlpha: number): number;
}

/** What src/protocol (and src/main, which has no DOM types) uses of the WebAssembly global (Node, browsers and workers have it). */
export interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function decodeBase64(text: string): Uint8Array {
  const value = new Uint8Array(128);
  for (let i = 0; i < BASE64.length; i++) value[BASE64.charCodeAt(i)] = i;
  const clean = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let count = 0;
  let o = 0;
  for (let i = 0; i < clean.length; i++) {
    bits = (bits << 6) | value[clean.charCodeAt(i)];
    count += 6;
    if (count >= 8) {
      count -= 8;
      out[o++] = (bits >>> count) & 0xff;
    }
  }
  return out;
}

export class WasmDecoders {
  private bytes: Uint8Array;
  private words: Uint32Array;
  private readonly heapBase: number;

  constructor(private readonly api: DecoderExports) {
    this.heapBase = ((api.__heap_base.value + 15) & ~15) + STREAM_LEAD;
    this.bytes = new Uint8Array(api.memory.buffer);
    this.words = new Uint32Array(api.memory.buffer);
    this.writeQuicTables();
  }

  private writeQuicTables(): void {
    const familySize = FAMILY_8BPC.decoderTable.length;
    let at = this.api.quic_tables() >>> 2;
    const ints = new Int32Array(this.api.memory.buffer);
    ints.set(FAMILY_8BPC.decoderTable, at);
    ints.set(FAMILY_5BPC.decoderTable, (at += familySize));
    ints.set(TABRAND_CHAOS, (at += familySize));
    ints.set(MELCODE_J, (at += TABRAND_CHAOS.length));
    at += 32;
    for (let i = 0; i <= LAST_WAIT_MASK_INDEX; i++) ints[at + i] = waitMaskTrigger(i);
  }

  /** Makes the memory at least `end` bytes long and the views current. */
  private reserve(end: number): void {
    const memory = this.api.memory;
    if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE_BYTES));
    if (this.bytes.buffer !== memory.buffer) {
      this.bytes = new Uint8Array(memory.buffer);
      this.words = new Uint32Array(memory.buffer);
    }
  }

  /** Copies `data` to the start of the heap, followed by zeros; returns where the output goes. */
  private input(data: Uint8Array, outputBytes: number, scratchBytes: number): number {
    const inputEnd = this.heapBase + ((data.length + INPUT_PADDING + 15) & ~15);
    this.reserve(inputEnd + outputBytes + scratchBytes);
    this.bytes.set(data, this.heapBase);
    return inputEnd;
  }

  /**
   * Decodes a QUIC stream whose header quic.ts has checked into `out` (width * height words),
   * band by band (see quic_rows). Returns false when the stream is corrupt or the image too large
   * for this path; `out` may then hold some rows.
   */
  quic(data: Uint8Array, headerBytes: number, type: number, width: number, height: number, out: Uint32Array): boolean {
    if (width * height > WASM_MAX_PIXELS) return false;
    const wordCount = data.length >>> 2;
    const bandRows = Math.max(1, Math.min(height, Math.floor(QUIC_BAND_PIXELS / width)));
    const contextsAt = this.input(data, 8 * (width + 1), (bandRows + 1) * width * 4);
    const bandAt = contextsAt + 8 * (width + 1);
    // A trailing partial word is not part of the stream (spice-common ignores it too).
    this.bytes.fill(0, this.heapBase + wordCount * 4, contextsAt);
    const api = this.api;
    if (api.quic_begin(this.heapBase, wordCount, headerBytes * 8, bandAt, width, height, type, contextsAt)) return false;
    const rowsAt = (bandAt >>> 2) + width;
    for (let y = 0; y < height; y += bandRows) {
      const rows = Math.min(bandRows, height - y);
      if (api.quic_rows(rows)) return false;
      out.set(this.words.subarray(rowsAt, rowsAt + rows * width), y * width);
    }
    return true;
  }

  /**
   * For the tests: how the QUIC decoder reads the code word at the top of the 64-bit window
   * high:low with Rice parameter `parameter` of the 8- or 5-bit family: length | value << 5 |
   * context info << 13 (quic-tables.ts VALUE_INFO), or 0xffffffff when its two ways of finding
   * the length disagree.
   */
  quicCodeWord(bitsPerChannel: number, parameter: number, high: number, low: number): number {
    return this.api.quic_code_word(bitsPerChannel, parameter, high, low) >>> 0;
  }

  /**
   * Decodes the body of an RGB24, RGB32 or RGBA LZ image (header checked by lz.ts) into `out`,
   * rows top-down. Returns false when the stream is corrupt or the image too large for this path.
   */
  lzRgb(data: Uint8Array, headerBytes: number, withAlpha: boolean, width: number, height: number, topDown: boolean, out: Uint32Array): boolean {
    const count = width * height;
    if (count > WASM_MAX_PIXELS) return false;
    // 16 bytes past the pixels: lz.c copies matches 4 words a step and may write 3 words past the end.
    const outAt = this.input(data, count * 4 + 16, 0);
    this.bytes.fill(0, this.heapBase + data.length, outAt);
    if (this.api.lz_decode_rgb(this.heapBase, data.length, headerBytes, outAt, count, withAlpha ? 1 : 0)) return false;
    const first = outAt >>> 2;
    if (topDown) {
      out.set(this.words.subarray(first, first + count));
    } else {
      for (let y = 0; y < height; y++) {
        const from = first + (height - 1 - y) * width;
        out.set(this.words.subarray(from, from + width), y * width);
      }
    }
    return true;
  }
}

let instance: WasmDecoders | null | undefined;

function instantiate(): WasmDecoders | null {
  const wasm = (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (!wasm) return null;
  try {
    const module = new wasm.Module(decodeBase64(WASM_DECODERS_BASE64));
    const { exports } = new wasm.Instance(module, {});
    return new WasmDecoders(exports as DecoderExports);
  } catch {
    // Refused by a Content-Security-Policy without 'wasm-unsafe-eval', or not supported: the
    // TypeScript decoders do the same work, only slower.
    return null;
  }
}

/**
 * The WebAssembly decoders of this thread, compiled on the first call; null where WebAssembly is
 * missing or refused. src/protocol never decides this itself: the host that decodes asks for them
 * and passes them in (DecodeContext.wasm), the CLI's decode workers always, the page's worker once
 * its Content-Security-Policy allows 'wasm-unsafe-eval' (a refused compilation is reported as a
 * CSP violation on the page's console, so a page without that policy must not ask).
 */
export function loadWasmDecoders(): WasmDecoders | null {
  if (instance === undefined) instance = instantiate();
  return instance;
}
