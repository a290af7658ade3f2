// spicy-screenshot (package spice-client-gtk): spice-gtk connects, waits for the first frame of the
// primary surface and writes it as a PPM. It is the pixel oracle for lossless content and the
// timing peer of `spicedesk capture`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RgbaImage } from './image.ts';
import { runToCompletion } from './processes.ts';
import { requireTool } from './require-tool.ts';

export interface SpicyScreenshotOptions {
  password?: string;
  host?: string;
  /** Kill spicy-screenshot after this long (it waits forever for a frame that never comes). */
  timeoutMs?: number;
}

function isPpmSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0x0b || byte === 0x0c;
}

/** Parses a binary PPM (P6), 8- or 16-bit, with comments anywhere in the header, into RGBA. */
export function parsePpm(data: Buffer): RgbaImage {
  if (data.length < 2 || data[0] !== 0x50 /* P */ || data[1] !== 0x36 /* 6 */) {
    throw new Error(`not a binary PPM: starts with ${JSON.stringify(data.subarray(0, 8).toString('latin1'))}`);
  }
  let offset = 2;
  const readHeaderNumber = (what: string): number => {
    for (;;) {
      while (offset < data.length && isPpmSpace(data[offset])) offset++;
      if (data[offset] !== 0x23 /* # */) break;
      while (offset < data.length && data[offset] !== 0x0a && data[offset] !== 0x0d) offset++;
    }
    const start = offset;
    while (offset < data.length && data[offset] >= 0x30 && data[offset] <= 0x39) offset++;
    if (offset === start || offset - start > 9) throw new Error(`PPM header: bad ${what} at byte ${start}`);
    return Number(data.subarray(start, offset).toString('latin1'));
  };
  const width = readHeaderNumber('width');
  const height = readHeaderNumber('height');
  const maxValue = readHeaderNumber('maximum value');
  if (width === 0 || height === 0 || width > 65535 || height > 65535) throw new Error(`PPM: implausible size ${width}x${height}`);
  if (maxValue === 0 || maxValue > 65535) throw new Error(`PPM: maximum value ${maxValue} out of range`);
  // Exactly one whitespace byte separates the header from the raster.
  if (!isPpmSpace(data[offset])) throw new Error(`PPM header: no whitespace after the maximum value at byte ${offset}`);
  offset++;
  const bytesPerSample = maxValue < 256 ? 1 : 2;
  const rasterBytes = width * height * 3 * bytesPerSample;
  if (data.length - offset < rasterBytes) {
    throw new Error(`PPM: raster is ${data.length - offset} bytes, ${width}x${height} needs ${rasterBytes}`);
  }
  const rgba = Buffer.alloc(width * height * 4);
  const scale = (value: number): number => (maxValue === 255 ? value : Math.round((value * 255) / maxValue));
  for (let pixel = 0; pixel < width * height; pixel++) {
    for (let channel = 0; channel < 3; channel++) {
      const sampleOffset = offset + (pixel * 3 + channel) * bytesPerSample;
      const value = bytesPerSample === 1 ? data[sampleOffset] : data.readUInt16BE(sampleOffset);
      rgba[pixel * 4 + channel] = scale(value);
    }
    rgba[pixel * 4 + 3] = 255;
  }
  return { width, height, rgba };
}

export function spicyScreenshotArgs(port: number, outFile: string, options: SpicyScreenshotOptions = {}): string[] {
  const args = ['-h', options.host ?? '127.0.0.1', '-p', String(port), '-o', outFile];
  if (options.password !== undefined) args.push('-w', options.password);
  return args;
}

/** Takes a screenshot of the primary surface with spice-gtk. */
export async function spicyScreenshot(port: number, options: SpicyScreenshotOptions = {}): Promise<RgbaImage> {
  const binary = requireTool('spicy-screenshot', 'spice-client-gtk');
  const dir = mkdtempSync(join(tmpdir(), 'spicedesk-spicy-'));
  try {
    const outFile = join(dir, 'screen.ppm');
    const result = await runToCompletion(binary, spicyScreenshotArgs(port, outFile, options), {
      timeoutMs: options.timeoutMs ?? 20_000,
    });
    if (result.timedOut) throw new Error(`spicy-screenshot on port ${port} got no frame in ${options.timeoutMs ?? 20_000} ms: ${result.stderr.trim()}`);
    if (result.code !== 0) throw new Error(`spicy-screenshot on port ${port} failed (exit ${String(result.code ?? result.signal)}): ${result.stderr.trim()}`);
    let data: Buffer;
    try {
      data = readFileSync(outFile);
    } catch {
      throw new Error(`spicy-screenshot on port ${port} exited 0 but wrote no file: ${result.stderr.trim()}`);
    }
    return parsePpm(data);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
