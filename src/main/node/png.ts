// PNG output of a surface. Written out here rather than through pngjs because the screenshot is on
// the capture hot path: one pass turns SPICE's 0xAARRGGBB words into filtered RGB scanlines, and
// node:zlib does the deflate and the CRCs.
//
// The Sub filter with zlib's RLE strategy: flat areas become runs of zeros and photos small
// residuals, so a desktop compresses as well as with full deflate and a 1920x1080 photo three
// times faster (40 ms instead of 129 ms for level 1, measured here).
//
// Deflating costs about 35-40 ms per MB it outputs here, storing about a tenth of that for the
// whole screen: a photograph, the sky, a fractal texture deflate to 0.3-0.5 of their size in 60-90
// ms, which made `capture` 1.2-1.4 times spicy-screenshot's time on them (bench/README.md,
// capture-photo). So by default a sample of the rows decides: content that deflates to less than
// an eighth (text, flat areas, smooth gradients: fast to deflate too) is deflated, other content is
// stored (as large as the PPM spice-gtk writes). `compression: 'always'` (--small-png) deflates
// whatever it is. The full-size scanlines come from WebAssembly SIMD where Node has it
// (png-scanlines-simd.ts), else from the loop below.
import { open } from 'node:fs/promises';
import { constants, crc32, deflateSync } from 'node:zlib';
import type { SurfaceSnapshot } from '../../protocol/channels/display/display-sink.ts';
import { createSimdScanlines, type PngScanlines } from './png-scanlines-simd.ts';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A chunk as three parts (length and type, data, CRC), so that a large IDAT is never copied. */
function chunk(type: string, data: Buffer): Buffer[] {
  const head = Buffer.allocUnsafe(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.allocUnsafe(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))), 0);
  return [head, data, crc];
}

/**
 * RGB scanlines of rows 0, `step`, 2 * `step`, ...: with filter type 1 (Sub: every byte minus the
 * one 3 bytes before it) for deflating, or 0 (None) for storing, where a filter gains nothing.
 */
export function scanlines(surface: SurfaceSnapshot, filter: 'sub' | 'none', step = 1): Buffer {
  const { width, data } = surface;
  const rows = Math.ceil(surface.height / step);
  const rowBytes = 1 + width * 3;
  const out = Buffer.allocUnsafe(rowBytes * rows);
  const sub = filter === 'sub';
  for (let r = 0; r < rows; r++) {
    let o = r * rowBytes;
    out[o++] = sub ? 1 : 0;
    let prev = 0;
    for (let i = r * step * width, end = i + width; i < end; i++) {
      const p = data[i];
      if (sub) {
        out[o] = ((p >>> 16) - (prev >>> 16)) & 0xff;
        out[o + 1] = ((p >>> 8) - (prev >>> 8)) & 0xff;
        out[o + 2] = (p - prev) & 0xff;
        prev = p;
      } else {
        out[o] = p >>> 16;
        out[o + 1] = p >>> 8;
        out[o + 2] = p;
      }
      o += 3;
    }
  }
  return out;
}

/**
 * Gets the encoder ready while the server prepares the frame: compiles the SIMD scanlines and runs
 * them once over a small dummy surface (a module's first call also compiles it). Where SIMD is
 * missing, runs the loop a few times instead, so that V8 has compiled it with its optimising tier
 * by the time a real screen comes: a capture calls the encoder exactly once, and the unoptimised
 * loop takes twice as long over a 1024x768 screen.
 */
export function warmUpPngEncoder(): void {
  simdScanlines ??= createSimdScanlines();
  const dummy = { width: 96, height: 64, data: new Uint32Array(96 * 64) };
  if (simdScanlines) {
    simdScanlines(dummy, 'sub');
    return;
  }
  for (let i = 0; i < 4; i++) {
    dummy.data[i] = i * 0x010203;
    scanlines(dummy, 'sub');
    scanlines(dummy, 'none');
  }
}

/** Deflate what compresses; `always` deflates everything (smaller files, slower for photos). */
export type PngCompression = 'auto' | 'always';

/** One row in this many is deflated to judge the whole screen. */
const SAMPLE_EVERY_ROWS = 16;
/** Deflated sample / sample size at or above which the screen is stored instead. */
const STORE_AT_RATIO = 0.125;

/** The SIMD scanlines, made at the first full-size encode; null where WebAssembly SIMD is missing. */
let simdScanlines: PngScanlines | null | undefined;

/** Every row's scanline, through SIMD where it runs: a view the caller deflates at once. */
function allScanlines(surface: SurfaceSnapshot, filter: 'sub' | 'none'): Buffer {
  simdScanlines ??= createSimdScanlines();
  return simdScanlines ? simdScanlines(surface, filter) : scanlines(surface, filter);
}

const RLE = { level: 1, strategy: constants.Z_RLE } as const;

/** Whether a sample of the rows, filtered and deflated, comes to less than STORE_AT_RATIO. */
function worthDeflating(surface: SurfaceSnapshot): boolean {
  if (surface.height < 4 * SAMPLE_EVERY_ROWS) return true;
  const sample = scanlines(surface, 'sub', SAMPLE_EVERY_ROWS);
  return deflateSync(sample, RLE).byteLength < STORE_AT_RATIO * sample.byteLength;
}

/** The PNG file, in parts to be written one after the other (writev): see encodeSurfacePng. */
export function encodeSurfacePngParts(surface: SurfaceSnapshot, compression: PngCompression = 'auto'): Buffer[] {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(surface.width, 0);
  ihdr.writeUInt32BE(surface.height, 4);
  ihdr[8] = 8; // bits per sample
  ihdr[9] = 2; // colour type: RGB
  // Compression 0, filter method 0, no interlace.
  const deflate = compression === 'always' || worthDeflating(surface);
  const lines = allScanlines(surface, deflate ? 'sub' : 'none');
  // Stored: one output chunk that holds it all (zlib's default 16 KB chunks double the time).
  const idat = deflateSync(lines, deflate ? RLE : { level: 0, chunkSize: Math.max(16 * 1024, lines.length + (lines.length >> 10) + 1024) });
  return [SIGNATURE, ...chunk('IHDR', ihdr), ...chunk('IDAT', idat), ...chunk('IEND', Buffer.alloc(0))];
}

export function encodeSurfacePng(surface: SurfaceSnapshot, compression: PngCompression = 'auto'): Buffer {
  return Buffer.concat(encodeSurfacePngParts(surface, compression));
}

/**
 * Writes the surface as a PNG file, its parts one after the other with writev: a 6 MB image is
 * not copied into one buffer first.
 */
export async function writeSurfacePng(file: string, surface: SurfaceSnapshot, compression: PngCompression = 'auto'): Promise<void> {
  const handle = await open(file, 'w');
  try {
    let left = encodeSurfacePngParts(surface, compression);
    while (left.length) {
      const { bytesWritten } = await handle.writev(left);
      left = remainingAfter(left, bytesWritten);
    }
  } finally {
    await handle.close();
  }
}

/** What writev left unwritten (a short write), as parts. */
function remainingAfter(parts: Buffer[], written: number): Buffer[] {
  let skip = written;
  const out: Buffer[] = [];
  for (const p of parts) {
    if (skip >= p.length) skip -= p.length;
    else {
      out.push(skip ? p.subarray(skip) : p);
      skip = 0;
    }
  }
  return out;
}
