// PNG files and pixel comparison for screenshot tests. On a mismatch, writeMismatch() leaves the two
// images and a diff in test-output/ so a person can see what went wrong.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import type { RgbaImage } from './image.ts';

export type { RgbaImage } from './image.ts';

export interface PixelDifference {
  x: number;
  y: number;
  /** [r, g, b, a] of the first image at (x, y). */
  a: [number, number, number, number];
  b: [number, number, number, number];
}

export interface PixelComparison {
  equal: boolean;
  /** Pixels that differ; for images of different sizes, every pixel of the larger one. */
  differing: number;
  sizeMismatch?: { a: [number, number]; b: [number, number] };
  firstDiff?: PixelDifference;
}

export function readPng(path: string): RgbaImage {
  const png = PNG.sync.read(readFileSync(path));
  return { width: png.width, height: png.height, rgba: png.data };
}

export function encodePng(image: RgbaImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height });
  image.rgba.copy(png.data, 0, 0, image.width * image.height * 4);
  return PNG.sync.write(png);
}

export function writePng(path: string, image: RgbaImage): void {
  writeFileSync(path, encodePng(image));
}

function pixelAt(image: RgbaImage, x: number, y: number): [number, number, number, number] {
  const i = (y * image.width + x) * 4;
  return [image.rgba[i], image.rgba[i + 1], image.rgba[i + 2], image.rgba[i + 3]];
}

/** Exact comparison; `ignoreAlpha` for sources that leave alpha undefined (x8r8g8b8 surfaces). */
export function comparePixels(a: RgbaImage, b: RgbaImage, options: { ignoreAlpha?: boolean } = {}): PixelComparison {
  if (a.width !== b.width || a.height !== b.height) {
    return {
      equal: false,
      differing: Math.max(a.width * a.height, b.width * b.height),
      sizeMismatch: { a: [a.width, a.height], b: [b.width, b.height] },
    };
  }
  const channels = options.ignoreAlpha ? 3 : 4;
  let differing = 0;
  let firstDiff: PixelDifference | undefined;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      const i = (y * a.width + x) * 4;
      let same = true;
      for (let c = 0; c < channels; c++) {
        if (a.rgba[i + c] !== b.rgba[i + c]) {
          same = false;
          break;
        }
      }
      if (!same) {
        differing++;
        firstDiff ??= { x, y, a: pixelAt(a, x, y), b: pixelAt(b, x, y) };
      }
    }
  }
  return firstDiff ? { equal: false, differing, firstDiff } : { equal: true, differing: 0 };
}

/** Differing pixels in red over a faded grey copy of `a`; sizes are padded to the larger image. */
export function diffImage(a: RgbaImage, b: RgbaImage, options: { ignoreAlpha?: boolean } = {}): RgbaImage {
  const width = Math.max(a.width, b.width);
  const height = Math.max(a.height, b.height);
  const rgba = Buffer.alloc(width * height * 4);
  const channels = options.ignoreAlpha ? 3 : 4;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      const inA = x < a.width && y < a.height;
      const inB = x < b.width && y < b.height;
      let differs = inA !== inB;
      if (inA && inB) {
        const ia = (y * a.width + x) * 4;
        const ib = (y * b.width + x) * 4;
        for (let c = 0; c < channels && !differs; c++) differs = a.rgba[ia + c] !== b.rgba[ib + c];
      }
      if (differs) {
        rgba[o] = 255;
        rgba[o + 1] = 0;
        rgba[o + 2] = 0;
      } else {
        const ia = (y * a.width + x) * 4;
        const grey = Math.round((a.rgba[ia] * 0.3 + a.rgba[ia + 1] * 0.59 + a.rgba[ia + 2] * 0.11) / 4 + 160);
        rgba[o] = grey;
        rgba[o + 1] = grey;
        rgba[o + 2] = grey;
      }
      rgba[o + 3] = 255;
    }
  }
  return { width, height, rgba };
}

/** The folder for images a person should look at after a failed test (git-ignored). */
export function testOutputDir(...parts: string[]): string {
  const dir = resolve(process.cwd(), 'test-output', ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Compares two images; on a mismatch writes NAME/{expected,actual,diff}.png under test-output/ and
 * returns a message naming the folder and the first differing pixel. Returns undefined when equal.
 */
export function explainMismatch(
  name: string,
  expected: RgbaImage,
  actual: RgbaImage,
  options: { ignoreAlpha?: boolean } = {},
): string | undefined {
  const comparison = comparePixels(expected, actual, options);
  if (comparison.equal) return undefined;
  const dir = testOutputDir(name.replace(/[^A-Za-z0-9._-]+/g, '_'));
  writePng(join(dir, 'expected.png'), expected);
  writePng(join(dir, 'actual.png'), actual);
  writePng(join(dir, 'diff.png'), diffImage(expected, actual, options));
  const where = comparison.sizeMismatch
    ? `sizes differ: expected ${comparison.sizeMismatch.a.join('x')}, actual ${comparison.sizeMismatch.b.join('x')}`
    : `${comparison.differing} pixels differ, first at (${comparison.firstDiff?.x}, ${comparison.firstDiff?.y}): ` +
      `expected rgba(${comparison.firstDiff?.a.join(',')}), actual rgba(${comparison.firstDiff?.b.join(',')})`;
  return `${name}: ${where}; images in ${dir}`;
}
